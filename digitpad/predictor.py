"""Run a trained model on 784-value digit vectors.

The predictor runs the exported ``.tflite`` with LiteRT's ``Interpreter`` (~0.06 s to
import, tens of microseconds a digit). Recognising a digit never imports TensorFlow.
Only where LiteRT is not installed does it fall back to the ``.keras`` model called as
``model(x, training=False)`` (never ``model.predict`` on one sample: 34 ms each).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.data import N_CLASSES, N_INPUTS
from digitpad.errors import one_line
from digitpad.modelfiles import SUFFIXES, ModelError, model_base, model_files, read_meta, verify_file
from digitpad.paths import bundled_model_base

log = logging.getLogger(__name__)

N_OUTPUTS = (N_CLASSES, N_CLASSES + 1)  # ten digits, optionally "not a digit" as the 11th
# How far a model's outputs may stray from probabilities (float32 softmax rounding).
PROB_TOLERANCE = 1e-3


def litert_available() -> bool:
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


# What a prediction says (the window, ``predict --json`` and the benchmarks read the same).
EMPTY = "empty"  # nothing drawn, or a speck
DIGIT = "digit"  # one digit, confidently
UNSURE = "unsure"  # between two digits: neither is clearly ahead
NOT_DIGIT = "not_digit"  # a letter, a symbol or a scribble
STATES = (EMPTY, DIGIT, UNSURE, NOT_DIGIT)

# A model may have an eleventh output, "not a digit" (trained on letters, symbols and
# scribbles). When a drawing is "not a digit" or "not sure": chosen with
# tools/tune_thresholds.py on half of the held-out UNIPEN writers (at most 0.4 % of their
# digits rejected, then the fewest non-digits shown as a digit), checked on the other half.
# The weak rule below is off: its best setting on the tuning writers (0.8 / 0.6 / 0.995)
# lets 2 points fewer non-digits through but, measured once on writers 31-44, rejected
# 0.86 % of their digits instead of 0.60 %; see docs/accuracy.md.
@dataclass(frozen=True)
class Thresholds:
    not_digit: float = 0.85  # P(not a digit) at or above this: not a digit
    weak_not_digit: float = 0.5  # ... or at or above this while the best digit is weak:
    weak_confidence: float = 0.0  # the best digit's probability among the ten below this
    # (0: off; with "not sure" at a 0.1 margin, the tool found no weak rule within budget)
    unsure_margin: float = 0.1  # best - second digit probability below this: not sure

    def is_not_digit(self, nd: float, confidence: float) -> bool:
        return nd >= self.not_digit or (nd >= self.weak_not_digit and confidence < self.weak_confidence)


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Prediction:
    """One recognised drawing.

    ``state`` is one of :data:`STATES`. ``digit`` is the answer when ``state == "digit"``
    and ``None`` otherwise; ``best`` is the most probable digit whatever the state (``None``
    when empty). ``probabilities`` are the ten digit probabilities (summing to 1 unless
    empty, when they are all zero); ``not_digit`` the model's probability that the drawing
    is no digit at all (0 for a ten-output model). ``reason`` says in words why there is no
    digit (``None`` for a digit)."""

    digit: int | None
    confidence: float
    probabilities: np.ndarray = field(repr=False)
    state: str = DIGIT
    best: int | None = None
    not_digit: float = 0.0
    reason: str | None = None

    @classmethod
    def none(cls) -> Prediction:
        return cls(None, 0.0, np.zeros(N_CLASSES, np.float32), EMPTY, None, 0.0, "nothing drawn")

    @classmethod
    def from_probabilities(
        cls,
        probs: np.ndarray,
        thresholds: Thresholds | None = None,
    ) -> Prediction:
        """From a model's output: ten digit probabilities, or eleven where the last is
        "not a digit" (the ten are then renormalised among themselves). ``thresholds``
        default to :data:`THRESHOLDS`."""
        t = thresholds or THRESHOLDS
        out = np.asarray(probs, np.float32).reshape(-1)
        if out.size not in (N_CLASSES, N_CLASSES + 1):
            raise ValueError(f"expected {N_CLASSES} or {N_CLASSES + 1} model outputs, got {out.size}")
        if not np.all(np.isfinite(out)) or float(out.min()) < 0:
            # Models are checked on load, but never show garbage (or write NaN into JSON).
            zeros = np.zeros(N_CLASSES, np.float32)
            return cls(None, 0.0, zeros, EMPTY, None, 0.0, "the model gave no usable answer")
        nd = float(out[N_CLASSES]) if out.size > N_CLASSES else 0.0
        digits = out[:N_CLASSES]
        total = float(digits.sum())
        digits = (digits / total).astype(np.float32) if total > 0 else np.full(N_CLASSES, 0.1, np.float32)
        order = np.argsort(digits)[::-1]
        best, second = int(order[0]), int(order[1])
        conf = float(digits[best])
        if t.is_not_digit(nd, conf):
            return cls(None, conf, digits, NOT_DIGIT, best, nd, "not a digit: looks like a letter, a symbol or a scribble")
        if conf - float(digits[second]) < t.unsure_margin:
            reason = f"not sure: {best} or {second}"
            return cls(None, conf, digits, UNSURE, best, nd, reason)
        return cls(best, conf, digits, DIGIT, best, nd, None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "digit": self.digit,
            "state": self.state,
            "confidence": round(self.confidence, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
        }
        if self.reason is not None:
            out["reason"] = self.reason
        if self.state in (UNSURE, NOT_DIGIT):
            out["best"] = self.best
            out["not_digit"] = round(self.not_digit, 6)
        return out


class Predictor:
    """A loaded model. ``Predictor(path)`` accepts ``NAME.tflite``, ``NAME.keras`` or the
    base ``NAME``; a base prefers the ``.tflite`` (LiteRT) and uses the ``.keras`` only
    where LiteRT is unavailable. Raises :class:`ModelError` (one line, naming the file)
    for a missing, truncated or corrupt file."""

    def __init__(self, path: str | os.PathLike, backend: str = "auto"):
        path = Path(path)
        self.base = model_base(path)
        files = model_files(self.base)
        if backend == "auto":
            if path.suffix == ".keras":
                backend = "keras"
            elif path.suffix == ".tflite" or litert_available():
                backend = "litert"
            else:
                backend = "keras"
        if backend not in ("litert", "keras"):
            raise ValueError(f"unknown predictor backend {backend!r}")
        self.backend = backend
        self.path = files["tflite"] if backend == "litert" else files["keras"]
        if path.suffix not in SUFFIXES and path.is_file():
            # A file named explicitly with another suffix: try it as it is (LiteRT then
            # says whether it is a model), rather than looking for PATH.tflite.
            self.path = path
        if not self.path.is_file():
            raise ModelError(f"model file {self.path} does not exist")
        self.meta = read_meta(self.base)
        verify_file(self.meta, "tflite" if backend == "litert" else "keras", self.path)
        if backend == "litert":
            self._init_litert()
        else:
            self._init_keras()
        self._probe()

    @classmethod
    def bundled(cls) -> Predictor:
        return cls(bundled_model_base())

    @property
    def name(self) -> str:
        """The model's name for people: one line of plain text, at most 80 characters."""
        raw = self.meta.get("name")
        text = " ".join(raw.split()) if isinstance(raw, str) else ""
        text = "".join(ch for ch in text if ch.isprintable()) or self.base.name
        return text if len(text) <= 80 else text[:79] + "…"

    @property
    def accuracy(self) -> float | None:
        acc = self.meta.get("mnist_test_accuracy")
        if isinstance(acc, bool) or not isinstance(acc, (int, float)):
            return None
        return float(acc) if math.isfinite(acc) and 0 <= acc <= 1 else None

    def _probe(self) -> None:
        """Run the model on a few fixed inputs and refuse it unless every answer is a set
        of probabilities: finite, each in [0, 1], summing to 1. A model with no softmax, a
        NaN output, or broken weights never reaches the window."""
        for what, vector in _probe_inputs():
            try:
                out = np.asarray(self.outputs(vector), np.float64).reshape(-1)
            except Exception as exc:  # noqa: BLE001 - whatever the runtime raises
                raise ModelError(f"model {self.path} cannot predict: {one_line(exc)}") from None
            if out.size not in N_OUTPUTS:
                raise ModelError(f"model {self.path} gives {out.size} outputs, expected {N_CLASSES} or {N_CLASSES + 1}")
            if not np.all(np.isfinite(out)):
                raise ModelError(f"model {self.path} gives NaN or infinite outputs (on {what})")
            total = float(out.sum())
            if out.min() < -PROB_TOLERANCE or out.max() > 1 + PROB_TOLERANCE or abs(total - 1) > PROB_TOLERANCE:
                raise ModelError(
                    f"model {self.path} does not give probabilities: its {out.size} outputs sum to {total:.4g}"
                    f" on {what} (a digit model ends in softmax)"
                )

    # LiteRT ---------------------------------------------------------------------------
    def _init_litert(self) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - depends on the platform
            raise ModelError(f"cannot run {self.path}: LiteRT (ai-edge-litert) is not installed") from exc
        try:
            # XNNPACK (the default delegate) runs the CNN ~4x faster than the builtin
            # kernels (0.16 ms against 0.74 ms here); it announces itself on stderr from
            # C++ ("Created TensorFlow Lite XNNPACK delegate"), which is silenced. One
            # thread: the window predicts on the GUI thread while training may use the rest.
            with _quiet_native_stderr():
                self._interp = Interpreter(model_path=str(self.path), num_threads=1)
                self._interp.allocate_tensors()
        except Exception as exc:  # noqa: BLE001 - LiteRT raises ValueError/RuntimeError
            log.debug("LiteRT refused %s: %s", self.path, one_line(exc))
            raise ModelError(f"cannot load model {self.path}: {_litert_reason(exc)}") from None
        inputs = self._interp.get_input_details()
        outputs = self._interp.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(f"model {self.path} is not a digit model (expects one input and one output)")
        self._in = inputs[0]["index"]
        self._out = outputs[0]["index"]
        in_shape = tuple(inputs[0]["shape_signature"])
        out_shape = tuple(outputs[0]["shape_signature"])
        if in_shape[-1:] != (N_INPUTS,) or out_shape[-1] not in N_OUTPUTS:
            raise ModelError(
                f"model {self.path} is not a digit model: input {list(in_shape)}, output {list(out_shape)}"
                f" (expected [N, {N_INPUTS}] -> [N, {N_CLASSES}] or [N, {N_CLASSES + 1}])"
            )
        for kind, detail in (("input", inputs[0]), ("output", outputs[0])):
            if np.dtype(detail["dtype"]) != np.float32:
                raise ModelError(
                    f"model {self.path} is not a digit model: its {kind} is {np.dtype(detail['dtype']).name},"
                    " expected float32 (a quantized model is not supported)"
                )
        if len(in_shape) != 2:
            raise ModelError(f"model {self.path} is not a digit model: input {list(in_shape)}, expected [N, {N_INPUTS}]")
        self.n_outputs = int(out_shape[-1])
        self._batch = int(inputs[0]["shape"][0])

    def _run_litert(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] != self._batch:
            self._interp.resize_tensor_input(self._in, [x.shape[0], N_INPUTS])
            with _quiet_native_stderr():
                self._interp.allocate_tensors()
            self._batch = x.shape[0]
        self._interp.set_tensor(self._in, x)
        self._interp.invoke()
        return self._interp.get_tensor(self._out).copy()

    # Keras fallback -------------------------------------------------------------------
    def _init_keras(self) -> None:
        from digitpad.tfload import import_keras

        try:
            keras = import_keras()
        except ImportError as exc:  # pragma: no cover
            raise ModelError(f"cannot run {self.path}: neither LiteRT nor Keras is installed") from exc
        try:
            self._model = keras.saving.load_model(self.path, compile=False, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - zip, h5 and deserialisation errors
            raise ModelError(f"cannot load model {self.path}: {one_line(exc)}") from None
        in_shape = tuple(self._model.input_shape)
        out_shape = tuple(self._model.output_shape)
        if in_shape[-1:] != (N_INPUTS,) or out_shape[-1] not in N_OUTPUTS:
            raise ModelError(f"model {self.path} is not a digit model: input {in_shape}, output {out_shape}")
        self.n_outputs = int(out_shape[-1])

    def _run_keras(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._model(x, training=False))

    # Public ---------------------------------------------------------------------------
    def outputs(self, x: np.ndarray) -> np.ndarray:
        """The model's raw outputs for one vector (784,) -> (K,) or a batch (N, 784) ->
        (N, K); K is 10, or 11 for a model with a "not a digit" output."""
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        x2 = x.reshape(1, -1) if single else x
        if x2.ndim != 2 or x2.shape[1] != N_INPUTS:
            raise ValueError(f"expected {N_INPUTS} values per digit, got shape {x.shape}")
        run = self._run_litert if self.backend == "litert" else self._run_keras
        if len(x2) <= 1024:
            out = run(np.ascontiguousarray(x2))
        else:
            out = np.concatenate([run(np.ascontiguousarray(x2[i : i + 1024])) for i in range(0, len(x2), 1024)])
        return out[0] if single else out

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The ten digit probabilities for one vector (784,) -> (10,) or a batch (N, 784)
        -> (N, 10); with a "not a digit" output they are renormalised among the digits."""
        out = self.outputs(x)
        if out.shape[-1] == N_CLASSES:
            return out
        digits = out[..., :N_CLASSES]
        return digits / np.maximum(digits.sum(axis=-1, keepdims=True), 1e-12)

    def predict(self, vector: np.ndarray | None) -> Prediction:
        """A :class:`Prediction` for a preprocessed vector, or "no digit" for ``None``."""
        if vector is None:
            return Prediction.none()
        return Prediction.from_probabilities(self.outputs(vector))

    def predict_batch(self, x: np.ndarray) -> list[Prediction]:
        """Predictions for a batch (N, 784)."""
        return [Prediction.from_probabilities(row) for row in self.outputs(x)]


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The (10, 10) confusion matrix: rows are true labels, columns predictions."""
    confusion = np.zeros((N_CLASSES, N_CLASSES), np.int64)
    np.add.at(confusion, (np.asarray(labels, int), np.asarray(predicted, int)), 1)
    return confusion


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Accuracy for each true label (0 for a label that never occurs)."""
    return np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)


@functools.lru_cache(maxsize=1)
def _probe_inputs() -> tuple[tuple[str, np.ndarray], ...]:
    """Inputs every digit model must answer with probabilities: nothing drawn, a drawn
    digit (a closed loop and a stroke: a 9), and a fully inked square."""
    from digitpad.strokes import render_strokes

    t = np.linspace(0, 2 * np.pi, 24)
    loop = np.stack([0.5 + 0.25 * np.cos(t), 0.3 + 0.2 * np.sin(t)], axis=1)
    stem = np.array([[0.75, 0.3], [0.7, 0.95]])
    drawn = render_strokes([loop, stem])
    return (
        ("an empty input", np.zeros(N_INPUTS, np.float32)),
        ("a drawn 9", np.asarray(drawn, np.float32)),
        ("a full input", np.ones(N_INPUTS, np.float32)),
    )


def load_predictor(path: str | os.PathLike | None = None, *, fallback: bool = True) -> tuple[Predictor, str | None]:
    """The one way to load a model: ``path`` (see :class:`Predictor`), or the bundled model
    for ``None``.

    When ``path`` cannot be loaded: with ``fallback``, the bundled model and the one-line
    reason (for a status bar); without, :class:`ModelError`. The reason is ``None`` when
    nothing fell back. A broken bundled model always raises :class:`ModelError`.
    """
    if path is not None:
        try:
            return Predictor(path), None
        except ModelError as exc:
            if not fallback:
                raise
            log.warning("%s; using the bundled model", exc)
            return Predictor.bundled(), str(exc)
    return Predictor.bundled(), None


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence what native code writes to file descriptor 2 for the duration."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (windowed app)
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _litert_reason(exc: BaseException) -> str:
    """LiteRT's refusal in the user's words ("not a valid Flatbuffer buffer" means the file
    is not a model at all)."""
    text = one_line(exc)
    if "flatbuffer" in text.lower() or "identifier" in text.lower():
        return "the file is not a digitpad model (.tflite), or it is damaged"
    return text
