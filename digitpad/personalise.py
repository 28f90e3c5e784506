"""Personalise: fine-tune a model on the user's own digits, in seconds.

The user's corrections (:mod:`digitpad.mydigits`) are few — tens, not thousands — so the
active model is not retrained but *fine-tuned*: a few epochs at a small learning rate over

- the user's digits, each as stored plus ``copies`` augmented renderings of its strokes
  (the same stroke distortions as the pen training data: rotation, slant, aspect, wobble,
  pen width), so that three examples of a digit teach a style rather than three images;
- a *replay* of general digits (MNIST training digits, plus real pen digits of writers
  1-30 where the file is found; the bundled MNIST slice where MNIST is not), so the model
  keeps reading everyone else's digits: MNIST test accuracy is measured after the run.

The fine-tuned model then also *remembers* the user's digits (:func:`with_memory`): the
features its last layer reads are kept for every user image, and a drawing whose
features are close to some of them (cosine similarity above ``memory_from``) has its ten
digit probabilities moved towards those digits' labels, the more the closer. A style the
general data barely has (a one with a long flag read as 7) is then read as the user
wrote it from three examples, where fine-tuning alone, outweighed by the replay, often
kept the old answer. A sample of the replay's general digits is remembered beside the
user's: they vote too, so a drawing nearer to them than to the user's keeps the general
answer (only the user's digits open the gate). The "not a digit" probability is left as
the model gave it.

Batch normalisation stays frozen (its statistics come from the whole training set, not
from a few hundred digits), and the model keeps its output count: a model with an 11th
"not a digit" output keeps it, user digits are labelled 0-9 only.

Progress and cancelling use the callbacks protocol of :func:`digitpad.training.train`
(``on_train_begin``, ``on_batch_end``, ``on_epoch_end``, ``should_stop``). Qt-free;
TensorFlow is imported only inside :func:`personalise`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import logging
import math
import os
import time
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitpad import __version__
from digitpad.data import DataError, load_mnist
from digitpad.modelfiles import ModelError, model_base, model_files, read_meta, save_model
from digitpad.paths import resource_path

log = logging.getLogger(__name__)

N_INPUTS = 784
MAX_MEMORY = 6000  # user images remembered at most (100 digits with 30 renderings: 3,100)
MNIST_SLICE = "mnist_slice.npz"
EVAL_BATCH = 1000
CHECK_SEED = 15  # the guard's general digits: the same ones for every run
GUARD_STEPS = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)  # the guard's a, tried in turn
# ... then, with the memory, a softer vote (for a memory_temperature below 0.05, as the
# default's 0.01), and only then the memory's gate, from memory_from on, at the softest vote
GUARD_TEMPERATURES = (0.05,)
GUARD_GATES = (0.825, 0.85, 0.875, 0.9, 0.925, 0.95)


@dataclass
class PersonaliseConfig:
    """How a personalisation runs. The defaults were tuned with tools/tune_personalise.py on
    pendigits writers 21-30 as new writers (a model trained without them: train_model.py
    --hold-out --hold-out-pendigits), never on writers 31-44, which
    tests/bench_personalise.py then measured: see the README."""

    epochs: int = 10  # over the head only, on features computed once: cheap (see the README for how it was chosen)
    copies: int = 60  # augmented renderings of each user digit that has strokes (tools/tune_personalise.py)
    # ... but fewer when the user has many digits: their images (each digit and its
    # renderings) stay within this many, so that 100 digits cost no more than 100 digits
    # with 30 renderings each (the whole run within 20 s on 2 cores)
    max_user_images: int = 3100
    replay: int = 4000  # MNIST training digits mixed in
    pen_replay: int = 2000  # real pen digits (pendigits 1-30, UNIPEN training writers), where found
    batch_size: int = 64
    learning_rate: float = 3e-4
    user_weight: float = 1.0  # weight of each user image in the loss (a replay digit weighs 1)
    seed: int | None = None
    data_path: str | None = None  # MNIST; None: DIGITPAD_MNIST, Keras's cache, bundled slice
    evaluate: bool = True  # MNIST test accuracy after the run
    mode: str = "head"  # "head": the layers after the convolutions; "full": every layer
    blocks: int = 0  # in "head" mode, this many convolution blocks before the head learn too
    pen_data: list[str] | None = None  # stroke files or folders; None: DIGITPAD_PEN_DATA,
    pen_data_remembered: list[str] = field(default_factory=list)  # ... else these (the app's)
    # The memory of the user's digits (see with_memory); chosen with pendigits writers 21-30
    # as new writers on a model trained without them (tools/tune_personalise.py).
    memory: bool = True
    memory_share: float = 1.0  # at most this share of the digit probabilities comes from the memory
    memory_from: float = 0.8  # ... from this cosine similarity on, all of it at similarity 1
    # Softmax temperature of the similarities (the vote): sharp, the nearest remembered
    # digits decide. The guard softens it back to GUARD_TEMPERATURES before it raises the
    # gate, when the loss or the errors of its check digits ask (guard_errors). Chosen with
    # guard_errors on pendigits writers 11-30 (102 -> 97 errors left against 0.05, the 5
    # worst each cut by half in 5 of 5 seeds as before); alone, without the error bound,
    # it let MNIST fall to 99.21 % for writer 43 of the benchmark (README).
    memory_temperature: float = 0.01
    # General digits of the replay remembered beside the user's: they vote too (a drawing
    # nearer to them than to the user's digits keeps the general answer), but only the
    # user's digits open the gate (memory_from).
    general_memory: int = 2000
    # Of each user digit, the memory keeps the digit and its first ``memory_copies``
    # renderings (None: all ``copies``), so the renderings that fine-tuning learns from can
    # grow without the memory growing with them.
    memory_copies: int | None = None
    memory_bonus: float = 0.0  # in the vote, the user's digits count as this much more similar
    # The guard (see _guard): after fine-tuning, the personalised model (memory included)
    # is measured on ``check`` general digits that neither the replay nor MNIST test holds;
    # when its loss there rose more than ``guard_margin`` above the general model's, the
    # head's weights are drawn back towards the general model's (w = base + a (tuned - base),
    # the largest a of GUARD_STEPS that keeps within the margin).
    guard: bool = True
    check: int = 2000
    guard_margin: float = 0.005  # chosen on pendigits writers 11-30 (0.003 drew back too much)
    # ... and the memory may read at most this many more of the check digits wrong than
    # the model reads without it (None: only the loss is bounded; see guard_memory). 2 of
    # 2,000: the smallest bound that cost no seed its 5-worst goal on writers 11-30 (1: 100
    # errors left against 97; 0: 104 and 3 seeds of 5).
    guard_errors: int | None = 2

    def __post_init__(self) -> None:
        for name, lo, hi in (("epochs", 1, 100), ("copies", 0, 200), ("replay", 0, 60000), ("pen_replay", 0, 20000),
                             ("batch_size", 1, 4096), ("blocks", 0, 3), ("general_memory", 0, 20000),
                                 ("check", 0, 20000), ("memory_copies", 0, 200),
                                 ("max_user_images", 1, 100000), ("guard_errors", 0, 20000)):
            value = getattr(self, name)
            if value is None and name in ("memory_copies", "guard_errors"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number from {lo} to {hi} (got {value!r})")
        if self.mode not in ("head", "full"):
            raise ValueError(f"mode must be head or full (got {self.mode!r})")
        # (name, low, high, low excluded): real numbers in [low, high] or (low, high]
        for name, lo, hi, open_low in (("learning_rate", 0, 1, True), ("user_weight", 0, 100, True),
                                       ("memory_share", 0, 1, False), ("memory_from", 0, 0.99, False),
                                       ("memory_temperature", 0.001, 10, False), ("memory_bonus", 0, 1, False),
                                       ("guard_margin", 0, 10, False)):
            v = getattr(self, name)
            if (not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v)
                    or not ((lo < v) if open_low else (lo <= v)) or not v <= hi):
                raise ValueError(f"{name.replace('_', ' ')} must be in {'(' if open_low else '['}{lo}, {hi}] (got {v!r})")


@dataclass
class UserDigits:
    """The user's digits: model inputs ``x`` (N, 784) uint8, labels ``y`` (N,) 0..9, and
    per digit its strokes (any units, y down; an empty list for a picture)."""

    x: np.ndarray
    y: np.ndarray
    strokes: list[list[np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x)
        self.y = np.asarray(self.y, np.int64).reshape(-1)
        if self.x.ndim != 2 or self.x.shape[1] != N_INPUTS or len(self.x) != len(self.y):
            raise ValueError(f"user digits must be (N, 784) with N labels, got {self.x.shape} and {self.y.shape}")
        if len(self.y) and (self.y.min() < 0 or self.y.max() > 9):
            raise ValueError("user digits must be labelled 0..9")
        if not self.strokes:
            self.strokes = [[] for _ in range(len(self.y))]
        if len(self.strokes) != len(self.y):
            raise ValueError(f"{len(self.strokes)} stroke lists for {len(self.y)} digits")

    def __len__(self) -> int:
        return len(self.y)

    @classmethod
    def from_digits(cls, digits: Sequence[Any]) -> UserDigits:
        """From :class:`digitpad.mydigits.Digit` records."""
        if not digits:
            return cls(np.zeros((0, N_INPUTS), np.uint8), np.zeros(0, np.int64), [])
        return cls(
            np.stack([d.input for d in digits]).astype(np.uint8),
            np.array([d.label for d in digits], np.int64),
            [list(d.strokes) for d in digits],
        )

    def per_label(self) -> list[int]:
        return np.bincount(self.y, minlength=10).tolist() if len(self.y) else [0] * 10


@dataclass
class ReplayData:
    """General digits to mix in, and the test set to check that nothing was lost."""

    x: np.ndarray  # (N, 784) uint8
    y: np.ndarray
    x_test: np.ndarray  # (M, 784) uint8
    y_test: np.ndarray
    sources: dict[str, int]  # what was mixed in: {"MNIST": 2500, "pen digits": 800}
    test_name: str  # "MNIST test" or "bundled MNIST slice (test)"
    # General digits for the guard: MNIST training digits not in ``x`` (never MNIST test)
    x_check: np.ndarray = field(default_factory=lambda: np.zeros((0, N_INPUTS), np.uint8))
    y_check: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass
class PersonaliseResult:
    model: Any  # the fine-tuned keras.Model (remembering the user's digits with ``config.memory``)
    meta: dict[str, Any]
    cancelled: bool
    seconds: float  # the whole run: data, training, evaluation
    history: dict[str, list[float]]
    test_accuracy: float | None = None
    base_test_accuracy: float | None = None
    memory_size: int = 0  # user images the model remembers (0: none)
    guard: dict[str, Any] | None = None  # what the guard measured and chose (None: no guard ran)

    @property
    def accuracy_lost(self) -> float | None:
        if self.test_accuracy is None or self.base_test_accuracy is None:
            return None
        return self.base_test_accuracy - self.test_accuracy


# --------------------------------------------------------------------------- data
def load_replay(config: PersonaliseConfig, rng: np.random.Generator, not_digit: bool = False,
                tune_writers: frozenset[int] | None = None) -> ReplayData:
    """MNIST (explicit path, DIGITPAD_MNIST, Keras's cache; else the bundled slice) and,
    where found (:func:`digitpad.pendata.find_pen_data`), real pen digits, sampled for
    replay; with ``not_digit``, letters and symbols too (for an 11-output model).
    ``tune_writers``: the pendigits writers that tune personalising (21-30 unless told),
    never replayed."""
    xs, ys, sources = [], [], {}
    try:
        mnist = load_mnist(config.data_path) if config.data_path or _mnist_reachable() else None
    except DataError as exc:
        if config.data_path:
            raise
        log.warning("MNIST not usable (%s); replaying the bundled slice", exc)
        mnist = None
    if mnist is not None:
        x_train, y_train, x_test, y_test = mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test
        name, test_name = "MNIST", "MNIST test"
    else:
        with np.load(resource_path(MNIST_SLICE)) as s:
            x_train, y_train, x_test, y_test = s["x_train"], s["y_train"], s["x_test"], s["y_test"]
        name, test_name = "bundled MNIST slice", "bundled MNIST slice (test)"
    n = min(config.replay, len(x_train))
    idx = rng.choice(len(x_train), n, replace=False) if n else np.zeros(0, np.int64)
    if n:
        xs.append(x_train[idx].reshape(n, N_INPUTS))
        ys.append(y_train[idx])
        sources[name] = n
    # The guard's digits: training digits not replayed, drawn by a generator of their own
    # (the replay, and so every run without the guard, stays as it was).
    unused = np.setdiff1d(np.arange(len(x_train)), idx)
    check = np.sort(np.random.default_rng(CHECK_SEED).permutation(unused)[: config.check]) if config.guard else unused[:0]
    if config.pen_replay:
        px, py = _pen_replay(config.pen_replay, rng, not_digit, config.pen_data, config.pen_data_remembered, tune_writers)
        if len(px):
            xs.append(px)
            ys.append(py)
            sources["pen digits"] = int((py < 10).sum())
            if (py == 10).any():
                sources["not digits"] = int((py == 10).sum())
    x = np.concatenate(xs) if xs else np.zeros((0, N_INPUTS), np.uint8)
    y = np.concatenate(ys).astype(np.int64) if ys else np.zeros(0, np.int64)
    return ReplayData(x.astype(np.uint8), y, x_test.reshape(len(x_test), N_INPUTS).astype(np.uint8),
                      y_test.astype(np.int64), sources, test_name,
                      x_train[check].reshape(len(check), N_INPUTS).astype(np.uint8), y_train[check].astype(np.int64))


def _mnist_reachable() -> bool:
    """MNIST is on this machine (never a download from inside a personalisation)."""
    from digitpad.data import MNIST_ENV, keras_cache_path

    env = os.environ.get(MNIST_ENV, "").strip()
    return bool(env and Path(env).expanduser().is_file()) or keras_cache_path().is_file()


def _pen_replay(n: int, rng: np.random.Generator, not_digit: bool = False,
                paths: Sequence[str | os.PathLike] | None = None,
                remembered: Sequence[str] = (), tune_writers: frozenset[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` real pen digits of the training part of the pen data found (pendigits writers
    1-30 without ``tune_writers``, 21-30 unless told; UNIPEN digits without the held-out
    writers: neither set that tunes personalising), plus for a model with a "not a digit"
    output a quarter as many UNIPEN letters and symbols labelled 10."""
    from digitpad import pendata
    from digitpad.strokes import render_strokes

    try:
        files = pendata.find_pen_data(paths, remembered)
    except pendata.PenDataError as exc:
        log.info("no pen data to replay: %s", exc)
        files = []
    pools: dict[str, list[tuple[list[np.ndarray], int]]] = {"digits": [], "nondigits": []}
    for f in files:
        if f.name == pendata.UNIPEN_NONDIGITS_FILE and not not_digit:
            continue  # 59,000 samples to load for nothing
        try:
            data = pendata.training_part(pendata.load_stroke_set(f), hold_out=True, hold_out_pendigits=True,
                                         tune_writers=tune_writers)
        except pendata.PenDataError as exc:
            log.warning("pen data skipped: %s", exc)
            continue
        if data.kind == pendata.NONDIGITS:
            pools["nondigits"] += [(s, 10) for s in data.strokes]
        else:
            pools["digits"] += [(s, int(label)) for s, label in zip(data.strokes, data.labels)]
    xs, ys = [], []
    for pool, count in (("digits", n), ("nondigits", n // 4 if not_digit else 0)):
        items = pools[pool]
        for i in rng.choice(len(items), min(count, len(items)), replace=False) if items else []:
            strokes, label = items[i]
            vec = render_strokes(strokes)
            if vec is not None:
                xs.append(np.rint(vec * 255).astype(np.uint8))
                ys.append(label)
    if not xs:
        return np.zeros((0, N_INPUTS), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs), np.array(ys, np.int64)


def renderings(config: PersonaliseConfig, digits: int) -> int:
    """Augmented renderings of each of ``digits`` user digits: ``config.copies``, fewer when
    the digits and their renderings would be more than ``config.max_user_images``."""
    return max(0, min(config.copies, config.max_user_images // max(1, digits) - 1))


def user_training_set(user: UserDigits, copies: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each user digit as stored plus ``copies`` augmented renderings of its strokes (a
    picture without strokes is repeated instead, so it weighs as much)."""
    from digitpad.pen_training import StrokeAugment, augment_strokes
    from digitpad.strokes import render_strokes

    settings = StrokeAugment()
    xs, ys = [], []
    for vec, label, strokes in zip(user.x, user.y, user.strokes):
        xs.append(vec)
        ys.append(label)
        for _ in range(copies):
            if strokes:
                out = render_strokes(augment_strokes(strokes, rng, settings), pen_fraction=rng.uniform(*settings.pen_fraction))
                xs.append(vec if out is None else np.rint(out * 255).astype(np.uint8))
            else:
                xs.append(vec)
            ys.append(label)
    if not xs:
        return np.zeros((0, N_INPUTS), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs).astype(np.uint8), np.array(ys, np.int64)


# --------------------------------------------------------------------------- running
def digit_accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Accuracy over the ten digit outputs (an 11th output is left out) and predictions."""
    x = _scaled(x)
    outs = [np.asarray(model(x[i : i + EVAL_BATCH], training=False))[:, :10] for i in range(0, len(x), EVAL_BATCH)]
    pred = np.concatenate(outs).argmax(axis=1) if outs else np.zeros(0, np.int64)
    return (float(np.mean(pred == y)) if len(y) else float("nan")), pred


def head_start(model: Any, blocks: int = 0) -> int:
    """Index of the first layer after the last convolution, pooling or flatten layer of a
    sequential model, or with ``blocks`` of the ``blocks``-th convolution from the end
    (0: train the whole model)."""
    layers = getattr(model, "layers", [])
    if type(model).__name__ != "Sequential":
        return 0
    last = 0
    for i, layer in enumerate(layers):
        kind = type(layer).__name__
        if "Conv" in kind or "Pooling" in kind or kind in ("Flatten", "Reshape") and i > 1:
            last = i + 1
    if blocks and last:
        convs = [i for i, layer in enumerate(layers) if "Conv" in type(layer).__name__]
        last = convs[-blocks] if len(convs) >= blocks else 0
    return last if 0 < last < len(layers) else 0


_TRACED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _run(model: Any, x: np.ndarray) -> np.ndarray:
    """``model`` on ``x`` in batches, as one traced TensorFlow function (a third faster
    than calling the model eagerly: 4.0 s against 6.4 s for 17,000 digits here)."""
    import tensorflow as tf

    x = _scaled(x)
    if len(x) == 0:
        return np.zeros((0,) + tuple(model.output_shape[1:]), np.float32)
    run = _TRACED.get(model)
    if run is None:  # one traced function per model (a new one per call retraces each time)
        run = tf.function(lambda batch: model(batch, training=False), reduce_retracing=True)
        _TRACED[model] = run
    return np.concatenate([np.asarray(run(x[i : i + EVAL_BATCH])) for i in range(0, len(x), EVAL_BATCH)])


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    pred = _run(model, x)[:, :10].argmax(axis=1)
    return float(np.mean(pred == y)) if len(y) else float("nan")


def _scaled(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(np.float32) / 255.0 if np.issubdtype(x.dtype, np.integer) else x.astype(np.float32)


def load_keras_model(base: str | os.PathLike) -> Any:
    """The retrainable ``BASE.keras`` of a model (ModelError, one line, if unusable)."""
    from digitpad.tfload import import_keras

    path = model_files(base)["keras"]
    if not path.is_file():
        raise ModelError(f"model {model_base(base).name} has no retrainable {path.name} to personalise")
    keras = import_keras()
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - zip and deserialisation errors
        raise ModelError(f"cannot load {path}: {' '.join(str(exc).split())}") from None


def personalise(
    base: str | os.PathLike,
    user: UserDigits,
    config: PersonaliseConfig | None = None,
    callbacks: Any = None,
    replay: ReplayData | None = None,
    model: Any = None,
) -> PersonaliseResult:
    """Fine-tune the model at ``base`` (``BASE.keras``) on ``user``'s digits with replay.

    ``replay`` may be given (benchmarks reuse one); ``model`` a Keras model already loaded
    from ``base`` (it is copied, never changed). Raises ``ValueError`` without user digits,
    :class:`~digitpad.modelfiles.ModelError` for an unusable model, :class:`DataError`."""
    from digitpad.tfload import import_keras
    from digitpad.training import HISTORY_KEYS, _make_keras_callback, _Notify

    config = config or PersonaliseConfig()
    if len(user) == 0:
        raise ValueError("no digits of yours to learn from: correct or confirm a few drawings first")
    started = time.perf_counter()
    notify = _Notify(callbacks)
    seed = config.seed if config.seed is not None else int(np.random.default_rng().integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    keras = import_keras()
    log.info("personalise: TensorFlow ready at %.1f s", time.perf_counter() - started)
    keras.utils.set_random_seed(seed)
    base_meta = read_meta(base)
    if model is None:
        model = load_keras_model(base)
    else:
        original = model
        model = keras.models.clone_model(original)  # the caller's model stays as it was
        model.set_weights(original.get_weights())
    outputs = int(model.output_shape[-1])
    if outputs not in (10, 11):
        raise ModelError(f"model {model_base(base).name} has {outputs} outputs; a digit model has 10 or 11")
    if replay is None:
        replay = load_replay(config, rng, not_digit=outputs == 11)
    elif outputs == 10 and len(replay.y) and replay.y.max() > 9:
        keep = replay.y < 10  # no "not a digit" examples for a ten-output model
        replay = ReplayData(replay.x[keep], replay.y[keep], replay.x_test, replay.y_test, replay.sources, replay.test_name,
                            replay.x_check, replay.y_check)
    log.info("personalise: model and replay (%s) ready at %.1f s", replay.sources, time.perf_counter() - started)
    copies = renderings(config, len(user))
    ux, uy = user_training_set(user, copies, rng)
    log.info("personalise: %d user images rendered at %.1f s", len(ux), time.perf_counter() - started)
    x = np.concatenate([ux, replay.x]) if len(replay.x) else ux
    y = np.concatenate([uy, replay.y]) if len(replay.y) else uy
    weights = np.concatenate([np.full(len(uy), config.user_weight, np.float32), np.ones(len(replay.y), np.float32)])
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference mode: statistics stay those of the whole training set

    # Train the layers after the convolutions ("head") on features computed once, when the
    # model is a stack with convolutions; every layer otherwise.
    split = head_start(model, config.blocks) if config.mode == "head" else 0
    if split:
        features = keras.Model(model.inputs[0], model.layers[split - 1].output)
        trained = keras.Sequential([keras.Input(shape=tuple(features.output_shape[1:]))] + model.layers[split:])
        x_fit = _run(features, x)
        x_test = _run(features, replay.x_test) if config.evaluate else None
    else:
        trained, x_fit = model, _scaled(x)
        x_test = _scaled(replay.x_test) if config.evaluate else None
    guarding = config.guard and len(replay.y_check) > 0
    if config.guard and not guarding:
        log.info("personalise: no general digits left to guard with (%s)", replay.test_name)
    x_check = (_run(features, replay.x_check) if split else _scaled(replay.x_check)) if guarding else None

    log.info("personalise: features of %d images ready at %.1f s", len(x) + len(replay.y_test), time.perf_counter() - started)
    base_acc = base_meta.get("mnist_test_accuracy") if replay.test_name == "MNIST test" else None
    if config.evaluate and not isinstance(base_acc, (int, float)):
        base_acc = _accuracy(trained, x_test, replay.y_test)

    steps = math.ceil(len(x) / config.batch_size)
    # Several batches per call into TensorFlow: the head's batches take microseconds, the
    # call around each one milliseconds (the same updates, a quarter of the time).
    trained.compile(optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                    steps_per_execution=max(1, min(steps, 16)) if split else 1)
    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    state = {"cancelled": False}
    progress = _make_keras_callback(notify, history, state, steps)
    notify("on_train_begin", config.epochs, steps)
    order = rng.permutation(len(x))
    base_weights = trained.get_weights() if guarding else None
    fit_started = time.perf_counter()
    trained.fit(x_fit[order], y[order].astype(np.int32), sample_weight=weights[order],
                batch_size=config.batch_size, epochs=config.epochs,
                shuffle=True, verbose=0, callbacks=[progress])
    fit_seconds = time.perf_counter() - fit_started
    log.info("personalise: %d epochs of %d steps trained at %.1f s", config.epochs, steps, time.perf_counter() - started)

    result = PersonaliseResult(model=model, meta={}, cancelled=state["cancelled"], seconds=0.0, history=history,
                               base_test_accuracy=None if base_acc is None else float(base_acc))
    memory = labels = reads = keep = None
    users = 0
    if not result.cancelled and config.memory:
        head_in, head_reads, _ = _graph(keras, trained)
        reads = keras.Model(head_in, head_reads)  # what the last layer reads
        mine = np.arange(len(uy))
        if config.memory_copies is not None and config.memory_copies < copies:
            mine = mine[mine % (1 + copies) <= config.memory_copies]  # each digit, then its renderings
        keep = rng.permutation(mine)[:MAX_MEMORY] if len(mine) > MAX_MEMORY else mine
        if config.general_memory:
            digits = np.flatnonzero(y[len(uy):] < 10) + len(uy)  # replay digits (no "not a digit")
            keep = np.concatenate([keep, rng.permutation(digits)[: config.general_memory]])
        users = min(len(mine), MAX_MEMORY)  # the memory's first rows are the user's
    if not result.cancelled and guarding:
        remembered = None if keep is None else (x_fit[keep], y[keep], users)
        result.guard = _guard(trained, reads, base_weights, x_check, replay.y_check, remembered, config)
        log.info("personalise: guard %s at %.1f s", result.guard, time.perf_counter() - started)
    if result.guard is not None and (result.guard["memory_from"], result.guard["memory_temperature"]) != (
            config.memory_from, config.memory_temperature):  # the guard's gate and vote
        config = dataclasses.replace(config, memory_from=result.guard["memory_from"],
                                     memory_temperature=result.guard["memory_temperature"])
    if not result.cancelled and config.memory:
        memory, labels = _run(reads, x_fit[keep]), y[keep]
        result.model = with_memory(model, memory, labels, config, users=users)
        result.memory_size = users
    if not result.cancelled and config.evaluate:
        if memory is None:
            result.test_accuracy = _accuracy(trained, x_test, replay.y_test)
        else:
            read = _run(reads, x_test)  # the head once; its last layer on what it read
            out = np.asarray(trained.layers[-1](read, training=False))
            mixed = memory_mix(out, read, memory, labels, config, users=users)
            result.test_accuracy = float(np.mean(mixed[:, :10].argmax(axis=1) == replay.y_test))
    result.seconds = time.perf_counter() - started
    result.meta = _meta(base, base_meta, user, config, seed, replay, result, fit_seconds, outputs)
    return result


def _guard(trained: Any, reads: Any, base_weights: list[np.ndarray], x_check: np.ndarray, y_check: np.ndarray,
           remembered: tuple[np.ndarray, np.ndarray, int] | None, config: PersonaliseConfig) -> dict[str, Any]:
    """Keep the personalised model within ``config.guard_margin`` of the general model's loss
    (cross-entropy of the ten digit probabilities) on the general digits ``x_check`` (inputs
    of the trained layers; neither replayed nor MNIST test), in two steps:

    1. the fine-tune alone: the largest ``a`` of :data:`GUARD_STEPS` for which the weights
       ``base + a (tuned - base)`` (WiSE-FT) are within the margin (the lowest loss when
       none is); ``trained`` is left with those weights;
    2. with the memory of ``remembered`` = (inputs of what is remembered, their labels, how
       many are the user's), read afresh with those weights: :func:`guard_memory` (the
       vote softened, then the gate raised, until the loss is within the margin and, with
       ``config.guard_errors``, the check digits the memory reads wrong are too).

    Returns what it measured and chose (``memory_from`` and ``memory_temperature``: the
    gate and the vote to remember with)."""
    tuned = trained.get_weights()

    def measure() -> tuple[float, float]:
        if reads is None:
            return check_figures(_run(trained, x_check), y_check)
        return check_figures(np.asarray(trained.layers[-1](_run(reads, x_check), training=False)), y_check)

    def between(a: float) -> list[np.ndarray]:  # a = 1: the fine-tuned weights exactly
        return tuned if a == 1 else [b + a * (t - b) for b, t in zip(base_weights, tuned)]

    trained.set_weights(base_weights)
    base_loss, base_error = measure()
    limit = base_loss + config.guard_margin

    def head(a: float) -> tuple[float, float]:
        trained.set_weights(between(a))
        return measure()

    a, _, _, head_tried = _first_within(GUARD_STEPS, head, lambda loss, error: loss <= limit)
    gate, gate_tried = (config.memory_from, config.memory_temperature), []
    if remembered is not None:
        inputs, labels, users = remembered
        read = _run(reads, x_check)
        out = np.asarray(trained.layers[-1](read, training=False))
        gate, loss, error, gate_tried = guard_memory(out, read, _run(reads, inputs), labels, users, y_check, config,
                                                     base_loss)
        most = _error_limit(out, y_check, config)
    else:
        loss, error = measure()
        most = None
    r5 = lambda v: round(float(v), 5)  # noqa: E731
    return {"check_digits": len(y_check), "base_loss": r5(base_loss), "base_error": r5(base_error),
            "a": a, "memory_from": gate[0], "memory_temperature": gate[1], "loss": r5(loss), "error": r5(error),
            "error_limit": most,  # check digits the memory may leave wrong (guard_errors)
            "head_tried": [[s, r5(lo), r5(e)] for s, lo, e in head_tried],
            "gates_tried": [[s[0], r5(lo), r5(e), s[1]] for s, lo, e in gate_tried]}  # gate, loss, error, temperature


def guard_memory(out: np.ndarray, read: np.ndarray, memory: np.ndarray, labels: np.ndarray, users: int,
                 y_check: np.ndarray, config: PersonaliseConfig,
                 base_loss: float) -> tuple[tuple[float, float], float, float, list]:
    """The guard's second step, in NumPy: the (gate, vote temperature) to remember with.
    ``out`` and ``read``: the personalised model's outputs on the check digits and what its
    last layer reads there; ``memory``, ``labels``, ``users`` as for :func:`memory_mix`;
    ``base_loss``: the general model's loss on the same digits.

    Tried in turn: the vote of ``config.memory_temperature``, then the softer ones of
    :data:`GUARD_TEMPERATURES`, at ``memory_from``; then, at the softest vote, the gates of
    :data:`GUARD_GATES` above ``memory_from``. The first whose loss is within
    ``guard_margin`` of ``base_loss`` and, with ``guard_errors``, which reads at most that
    many more check digits wrong than the same model without its memory (``out``) does, is
    chosen (the lowest loss when none is). A memory opens for a general digit that
    resembles a user's rendering of another digit; a softer vote lets more remembered
    digits speak, a higher gate leaves the memory only the closest matches. The loss alone
    hardly sees a sharp vote turning a few general digits outright (writer 43: loss within
    its limit, errors 9 -> 15 of 2,000): the error bound does. It counts the memory's own
    errors, not those of the fine-tune beside it, which no gate can take back (on writers
    11-30 the fine-tune alone added 2 of 2,000 on average, up to 6; the memory 0.4, up to 4)

    Returns ((gate, temperature), loss, error, [((gate, temperature), loss, error), ...])."""
    limit = base_loss + config.guard_margin
    most = _error_limit(out, y_check, config)
    temperatures = [config.memory_temperature] + [t for t in GUARD_TEMPERATURES if t > config.memory_temperature]
    steps = [(config.memory_from, t) for t in temperatures]
    steps += [(g, temperatures[-1]) for g in GUARD_GATES if g > config.memory_from]

    def measure(step: tuple[float, float]) -> tuple[float, float]:
        rule = dataclasses.replace(config, memory_from=step[0], memory_temperature=step[1])
        return check_figures(memory_mix(out, read, memory, labels, rule, users=users), y_check)

    return _first_within(steps, measure,
                         lambda loss, error: loss <= limit and (most is None or _errors(error, len(y_check)) <= most))


def check_figures(out: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, share read wrong) of outputs ``out`` (10 or 11) on digits labelled ``y``: the
    cross-entropy and the argmax of the ten digit probabilities, renormalised."""
    p = np.asarray(out, np.float64)[:, :10]
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    loss = float(np.mean(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-7))))
    return loss, float(np.mean(p.argmax(axis=1) != y))


def _errors(share: float, n: int) -> int:
    return int(round(share * n))


def _error_limit(out: np.ndarray, y_check: np.ndarray, config: PersonaliseConfig) -> int | None:
    """Check digits the model with its memory may read wrong: those it reads wrong without
    (``out``) plus ``config.guard_errors`` (None: no bound)."""
    if config.guard_errors is None:
        return None
    return _errors(check_figures(out, y_check)[1], len(y_check)) + config.guard_errors


def _first_within(steps: Sequence[Any], apply: Any, within: Any) -> tuple[Any, float, float, list]:
    """The first of ``steps`` whose (loss, error) = ``apply(step)`` is ``within``; when none
    is, the one of the lowest loss, applied again (``apply`` may set weights)."""
    tried = []
    for step in steps:
        loss, error = apply(step)
        tried.append((step, loss, error))
        if within(loss, error):
            return step, loss, error, tried
    best = min(tried, key=lambda t: t[1])
    apply(best[0])
    return (*best, tried)


# --------------------------------------------------------------------------- memory
def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float32)
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def memory_mix(outputs: np.ndarray, features: np.ndarray, memory: np.ndarray, labels: np.ndarray,
               config: PersonaliseConfig, users: int | None = None) -> np.ndarray:
    """What :func:`with_memory`'s model computes, in NumPy: ``outputs`` (N, 10 or 11) of the
    model and ``features`` (N, F) its last layer reads; ``memory`` (M, F) the features of
    the user's images and ``labels`` (M,) their digits. The ten digit probabilities move
    towards the similarity-weighted vote of the memory by ``g`` = ``memory_share`` times
    how far the best cosine similarity is above ``memory_from`` (0 below it); the "not a
    digit" probability stays. The rows still sum to 1. Only the first ``users`` rows of the
    memory (default all) are the user's and open the gate; the rest (general digits) only vote.

    Computed :data:`EVAL_BATCH` rows at a time: 10,000 rows against 5,000 remembered images
    at once made temporaries of 200 MB each, whose fresh pages alone took 1.1 s of a
    personalisation (0.3 s in blocks; the same figures row by row)."""
    memory = _unit(memory)
    votes = np.eye(10, dtype=np.float32)[np.asarray(labels, int)]
    outputs = np.asarray(outputs, np.float32)
    if len(features) == 0:
        return outputs.copy()
    return np.concatenate([_mix_block(outputs[i : i + EVAL_BATCH], features[i : i + EVAL_BATCH], memory, votes, config,
                                      users) for i in range(0, len(features), EVAL_BATCH)])


def _mix_block(out: np.ndarray, features: np.ndarray, memory: np.ndarray, votes: np.ndarray, config: PersonaliseConfig,
               users: int | None) -> np.ndarray:
    sims = _unit(features) @ memory.T
    u = len(memory) if users is None else users
    best = sims[:, :u].max(axis=1, keepdims=True)
    sims[:, :u] += config.memory_bonus
    e = np.exp((sims - sims.max(axis=1, keepdims=True)) / config.memory_temperature)
    vote = (e / e.sum(axis=1, keepdims=True)) @ votes
    a, lo = config.memory_share, config.memory_from
    g = np.clip((best - lo) / (1 - lo) * a, 0, a)
    nd = out[:, 10:] if out.shape[1] > 10 else np.zeros((len(out), 0), np.float32)
    rest = 1 - nd.sum(axis=1, keepdims=True)
    return np.concatenate([(1 - g) * out[:, :10] + g * rest * vote, nd], axis=1)


def _graph(keras: Any, model: Any) -> tuple[Any, Any, Any]:
    """(input, what the last layer reads, output) of ``model`` in a graph of its own: the
    layers of a Sequential model are called afresh (a layer shared with another model,
    as the head in personalise is, has nodes in both graphs)."""
    if type(model).__name__ != "Sequential":
        return model.inputs[0], model.layers[-1].input, model.outputs[0]
    inputs = keras.Input(shape=tuple(model.input_shape[1:]))
    x = inputs
    for layer in model.layers[:-1]:
        x = layer(x)
    return inputs, x, model.layers[-1](x)


def with_memory(model: Any, memory: np.ndarray, labels: np.ndarray, config: PersonaliseConfig,
                users: int | None = None) -> Any:
    """``model`` (10 or 11 softmax outputs) with the user's digits remembered, as one Keras
    model of standard layers only (it saves, loads with ``safe_mode`` and exports to LiteRT
    like any other): the computation of :func:`memory_mix` on the features the model's
    last layer reads."""
    from digitpad.tfload import import_keras

    keras = import_keras()
    layers = keras.layers
    memory = _unit(memory)
    m, k = len(memory), int(model.output_shape[-1])
    a, lo = float(config.memory_share), float(config.memory_from)

    def fixed(units: int, weights: list[np.ndarray], name: str, bias: bool = False) -> Any:
        layer = layers.Dense(units, use_bias=bias, trainable=False, name=name)
        layer.build((None, weights[0].shape[0]))
        layer.set_weights([np.asarray(w, np.float32) for w in weights])
        return layer

    inputs, features, out = _graph(keras, model)
    width = int(features.shape[-1])
    # + 1e-6: an all-zero feature vector (an empty drawing) would be 0 / 0 in LiteRT's L2 norm
    lifted = fixed(width, [np.eye(width, dtype=np.float32), np.full(width, 1e-6, np.float32)], "memory_lift", bias=True)
    unit = layers.UnitNormalization(name="memory_unit")(lifted(features))
    u = m if users is None else int(users)
    mine = fixed(u, [memory[:u].T], "memory_similarity_yours")(unit)
    bonus = np.r_[np.full(u, config.memory_bonus), np.zeros(m - u)].astype(np.float32)
    sims = fixed(m, [memory.T, bonus], "memory_similarity", bias=True)(unit)  # the vote's
    best = layers.GlobalMaxPooling1D(name="memory_best")(layers.Reshape((u, 1), name="memory_column")(mine))
    g = fixed(1, [np.array([[a / (1 - lo)]]), np.array([-a * lo / (1 - lo)])], "memory_gate_linear", bias=True)(best)
    g = layers.ReLU(max_value=a, name="memory_gate")(g)
    weights = layers.Softmax(name="memory_weights")(layers.Rescaling(1 / config.memory_temperature, name="memory_sharpen")(sims))
    vote = fixed(10, [np.eye(10, dtype=np.float32)[np.asarray(labels, int)]], "memory_vote")(weights)
    digits = fixed(10, [np.eye(k, 10, dtype=np.float32)], "model_digits")(out)
    keep = fixed(1, [np.array([[-1.0]]), np.array([1.0])], "memory_keep", bias=True)(g)  # 1 - g
    if k > 10:
        nd = fixed(1, [np.eye(k, dtype=np.float32)[:, 10:11]], "model_not_digit")(out)
        rest = fixed(1, [np.array([[-1.0]]), np.array([1.0])], "model_rest", bias=True)(nd)  # 1 - nd
        share = layers.Multiply(name="memory_share")([g, rest])
    else:
        share = g
    mixed = layers.Add(name="memory_mixed")([layers.Multiply(name="model_kept")([keep, digits]),
                                             layers.Multiply(name="memory_given")([share, vote])])
    final = layers.Concatenate(name="probabilities_remembered")([mixed, nd]) if k > 10 else mixed
    return keras.Model(inputs, final, name=f"{model.name}_remembering")


def _meta(base, base_meta: dict, user: UserDigits, config: PersonaliseConfig, seed: int, replay: ReplayData,
          result: PersonaliseResult, fit_seconds: float, outputs: int) -> dict[str, Any]:
    import keras

    meta = copy.deepcopy(base_meta)
    previous = meta.get("personalised") if isinstance(meta.get("personalised"), dict) else None
    root_name = (previous or {}).get("base_name") or meta.get("name") or model_base(base).name
    settings = asdict(config)
    settings["seed"] = seed
    meta.update(
        {
            "name": f"{root_name} (personalised)",
            "mnist_test_accuracy": result.test_accuracy if replay.test_name == "MNIST test" else meta.get("mnist_test_accuracy"),
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "digitpad_version": __version__,
            "keras_version": keras.__version__,
            "outputs": outputs,
            "personalised": {
                "digits": len(user),
                "per_label": user.per_label(),
                "base_model": str(model_base(base)),
                "base_name": root_name,
                "base_test_accuracy": result.base_test_accuracy,
                "test_accuracy": result.test_accuracy,
                "test_set": replay.test_name,
                "replay": replay.sources,
                "renderings": renderings(config, len(user)),
                "training_examples": len(user) * (1 + renderings(config, len(user))) + len(replay.y),
                "settings": settings,
                "epochs_completed": len(result.history.get("loss", [])),
                "remembered_images": result.memory_size,
                "guard": result.guard,
                "training_seconds": round(fit_seconds, 2),
                "seconds": round(result.seconds, 2),
            },
        }
    )
    return meta


def save_personalised(result: PersonaliseResult, base: str | os.PathLike) -> dict[str, Path]:
    """Write the personalised model's three files atomically (a cancelled run is refused)."""
    if result.cancelled:
        raise ValueError("personalising was cancelled; nothing is saved")
    return save_model(result.model, base, result.meta)


def describe(meta: dict[str, Any]) -> str | None:
    """"Personalised on 30 of your digits (from digitpad CNN)" for a personalised model's
    meta, else ``None``."""
    p = meta.get("personalised")
    if not isinstance(p, dict):
        return None
    n = p.get("digits")
    words = f"personalised on {n} of your digits" if isinstance(n, int) else "personalised"
    base = p.get("base_name")
    return words + (f" (from {base})" if base else "")


# --------------------------------------------------------------------------- whole job
def root_model(base: str | os.PathLike) -> Path:
    """The model a personalised model was made from (when it is still there), else
    ``base``: personalising again starts from the general model with all the user's
    digits, rather than stacking fine-tunings."""
    p = read_meta(base).get("personalised")
    if isinstance(p, dict) and p.get("base_model"):
        root = Path(str(p["base_model"]))
        if model_files(root)["keras"].is_file():
            return root
    return model_base(base)


def run_personalise(
    db_path: str | os.PathLike,
    base: str | os.PathLike,
    output: str | os.PathLike | None = None,
    config: PersonaliseConfig | None = None,
    callbacks: Any = None,
    folder: str | os.PathLike | None = None,
) -> tuple[PersonaliseResult, Path | None]:
    """The window's and ``digitpad personalise``'s job: the digits stored in ``db_path``,
    the model at ``base``; the new model is written to ``output`` (its three files), or
    without ``output`` as a new model version in ``folder`` (the user's models folder).
    Returns the result and the new model's base path (``None`` when cancelled)."""
    from digitpad.modelfiles import keras_writers, save_model_version
    from digitpad.mydigits import DigitStore

    if output is None and folder is None:
        raise ValueError("personalise needs an output or a models folder")
    with DigitStore(db_path) as store:
        if store.notice:
            log.warning("%s", store.notice)
        user = UserDigits.from_digits(store.digits())
    result = personalise(base, user, config, callbacks)
    if result.cancelled:
        return result, None
    started = time.perf_counter()
    if output is not None:
        save_personalised(result, output)
        saved = model_base(output)
    else:
        stem = _dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-personalised"
        saved = save_model_version(folder, stem, keras_writers(result.model), result.meta)
    log.info("personalised model saved in %.1f s", time.perf_counter() - started)
    return result, saved
