"""Train a digit model: one Qt-free ``train()`` shared by the Train tab, ``digitpad
train`` and ``train_model.py``.

``train()`` does the whole job: loading MNIST, importing TensorFlow, training, evaluating.
Progress and cancelling go through a plain callbacks object (all methods optional)::

    on_stage(text)                          # "Loading MNIST…", "Loading TensorFlow…", "Training…"
    on_train_begin(total_epochs, batches_per_epoch)
    on_batch_end(epoch, batch, logs)        # logs: loss, accuracy (running means)
    on_epoch_end(epoch, logs)               # logs: loss, accuracy, val_loss, val_accuracy
    should_stop() -> bool                   # polled between stages and after every batch

Epochs and batches are counted from 0. TensorFlow/Keras are imported inside the
functions, never at import time.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitpad import __version__, tfload
from digitpad.data import N_CLASSES, N_INPUTS, DataError, Mnist, check_npz_fits, load_mnist, sha256_file
from digitpad.errors import one_line
from digitpad.predictor import confusion_matrix, per_class_accuracy
from digitpad.presets import DEFAULT_PRESET, Preset, get_preset

_DEFAULT = get_preset(DEFAULT_PRESET)

log = logging.getLogger(__name__)

OPTIMIZERS = ("sgd", "adam")
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
EVAL_BATCH = 1000
CHUNK_BYTES = 4 << 20  # see _tensor()


@dataclass
class TrainConfig:
    """Everything a training run needs. Build one with :meth:`for_preset` to get the
    preset's defaults; the constructor validates (``ValueError`` with a clear message)."""

    preset: str = DEFAULT_PRESET
    epochs: int = _DEFAULT.epochs
    batch_size: int = _DEFAULT.batch_size
    optimizer: str = _DEFAULT.optimizer
    learning_rate: float = _DEFAULT.learning_rate
    validation_split: float = _DEFAULT.validation_split
    augment: bool = _DEFAULT.augment
    seed: int | None = None  # None: a random seed, recorded in the result
    data_path: str | None = None  # None: DIGITPAD_MNIST, Keras cache, download
    scale_pixels: bool = True  # False feeds 0..255 like the article's code as written
    # Extra training examples appended to MNIST's training set (e.g. rendered real pen
    # digits): an .npz with x (N, 784) or (N, 28, 28) uint8 ink-on-black, and y (N,).
    extra_data: str | None = None
    # Real pen digits (writers 1-30) rendered into the training set: each as is plus this
    # many augmented renderings (see digitpad.pen_training); 0 = none. Added to any
    # training data, MNIST or passed in (the Train tab passes the MNIST it loaded).
    pen_copies: int = _DEFAULT.pen_copies
    # Where pen data are found (files or folders; see digitpad.pendata.find_pen_data):
    # None = $DIGITPAD_PEN_DATA, else the paths remembered by the app (pen_data_remembered).
    pen_data: list[str] | None = None
    # Letters and symbols of a character with fewer than this many training images get
    # augmented renderings up to about this many (at most 4x its count); 0 = off.
    nondigit_min: int = 0
    pen_data_remembered: list[str] = field(default_factory=list)
    # Leave the held-out fifth of UNIPEN writers out (to measure writers never seen).
    hold_out: bool = False
    # ... and pendigits writers 21-30 too: a model to tune personalisation on (they play
    # new writers there; 31-44 only measure).
    hold_out_pendigits: bool = False
    # ... which ones ("A-B" or "A,B,C" within 1-30): a larger set plays more new writers.
    tune_writers: str = "21-30"  # digitpad.pendata.DEFAULT_TUNE_WRITERS (pendata stays off the import path)
    # The user's own digits (digitpad.mydigits: the database's path) added to the training
    # set, each as stored plus pen_copies distorted renderings of its strokes; None = none.
    my_digits: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def for_preset(cls, preset: str = DEFAULT_PRESET, **overrides: Any) -> TrainConfig:
        """The preset's defaults, with ``overrides`` (``None`` values are ignored)."""
        p = get_preset(preset)
        values: dict[str, Any] = {
            "preset": p.name,
            "epochs": p.epochs,
            "batch_size": p.batch_size,
            "optimizer": p.optimizer,
            "learning_rate": p.learning_rate,
            "validation_split": p.validation_split,
            "augment": p.augment,
            "pen_copies": p.pen_copies,
        }
        names = {f.name for f in dataclasses.fields(cls)}
        for key, value in overrides.items():
            if key not in names:
                raise ValueError(f"unknown training setting {key!r}")
            if value is not None:
                values[key] = value
        return cls(**values)

    @property
    def preset_spec(self) -> Preset:
        return get_preset(self.preset)

    def validate(self) -> None:
        get_preset(self.preset)  # raises for an unknown name
        _check_int("epochs", self.epochs, 1, 1000)
        _check_int("batch size", self.batch_size, 1, 60000)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)} (got {self.optimizer!r})")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (0 < lr <= 10) or math.isnan(lr):
            raise ValueError(f"learning rate must be in (0, 10] (got {_plain(lr)!r})")
        vs = self.validation_split
        if isinstance(vs, bool) or not isinstance(vs, (int, float)) or not (0 <= vs <= 0.5):
            raise ValueError(f"validation split must be in [0, 0.5] (got {_plain(vs)!r})")
        if self.seed is not None:
            _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_int("pen copies", self.pen_copies, 0, 50)
        _check_int("nondigit min", self.nondigit_min, 0, 100000)
        from digitpad.pendata import parse_tune_writers

        parse_tune_writers(self.tune_writers)
        if self.augment and not self.preset_spec.supports_augment:
            raise ValueError(f"preset {self.preset!r} does not support augmentation")
        for paths in (self.pen_data or [], self.pen_data_remembered):
            if not isinstance(paths, (list, tuple)) or not all(isinstance(p, (str, os.PathLike)) for p in paths):
                raise ValueError(f"pen data must be a list of paths (got {paths!r})")
        for name in ("data_path", "extra_data"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (str, os.PathLike)):
                raise ValueError(f"{name.replace('_', ' ')} must be a path (got {value!r})")

    def settings(self) -> dict[str, Any]:
        """The settings as JSON-ready values (for the .json and the run history)."""
        out = dataclasses.asdict(self)
        for key in ("data_path", "extra_data"):
            if out[key] is not None:
                out[key] = str(out[key])
        out["pen_data"] = None if self.pen_data is None else [str(p) for p in self.pen_data]
        out["pen_data_remembered"] = [str(p) for p in self.pen_data_remembered]
        out["lr_schedule"] = self.preset_spec.lr_schedule
        return out


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (lo <= value <= hi):
        raise ValueError(f"{name} must be a whole number from {lo} to {hi} (got {_plain(value)!r})")


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (``-1``, not ``np.int32(-1)``)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class TrainResult:
    model: Any  # the trained keras.Model (None when cancelled before training began)
    config: TrainConfig
    history: dict[str, list[float]]  # per completed epoch: loss, accuracy, val_loss, val_accuracy
    cancelled: bool
    seconds: float  # training time (fit only)
    test_accuracy: float | None = None  # None when cancelled
    confusion: np.ndarray | None = None  # (10, 10) int, rows = true label, cols = predicted
    per_class_accuracy: np.ndarray | None = None  # (10,)
    misclassified: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # test indices
    misclassified_predictions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    misclassified_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    misclassified_images: np.ndarray = field(default_factory=lambda: np.zeros((0, N_INPUTS), np.float32))
    meta: dict[str, Any] = field(default_factory=dict)
    rejected: float | None = None  # share of test digits answered "not a digit"
    pen_files: list[str] = field(default_factory=list)  # the pen data trained on

    @property
    def epochs_completed(self) -> int:
        return len(self.history.get("loss", []))


# --------------------------------------------------------------------------- helpers
def _as_vectors(x: np.ndarray, scale: bool, what: str) -> np.ndarray:
    """(N, 784) float32; uint8/int 0..255 divided by 255 when ``scale``."""
    x = np.asarray(x)
    if x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), N_INPUTS)
    if x.ndim != 2 or x.shape[1] != N_INPUTS:
        raise ValueError(f"{what} must be (N, 784) or (N, 28, 28), got shape {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{what} is empty")
    integer = np.issubdtype(x.dtype, np.integer)
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError(f"{what} contains NaN or infinite values")
    if integer and scale:
        x /= 255.0
    elif not integer and not scale:
        x *= 255.0  # float data in [0, 1], asked for 0..255 pixels
    return x


def _as_labels(y: np.ndarray, n: int, what: str, n_classes: int = N_CLASSES) -> np.ndarray:
    y = np.asarray(y).reshape(-1)
    if len(y) != n:
        raise ValueError(f"{what} has {len(y)} labels for {n} images")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"{what} must be integer labels 0..{n_classes - 1}")
    return y.astype(np.int32)


def load_extra(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Extra training data: an .npz with ``x`` and ``y`` (see TrainConfig.extra_data)."""
    path = Path(path)
    check_npz_fits(path, f"extra training data {path}", what={"x": "images"})
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "x" not in npz.files or "y" not in npz.files:
                raise DataError(f"extra training data {path} must hold arrays 'x' and 'y'")
            return npz["x"], npz["y"]
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip/npy/OS errors
        raise DataError(f"extra training data {path} is unreadable ({one_line(exc)})") from None


class _Notify:
    """Calls an optional method on the user's callbacks object."""

    def __init__(self, target: Any):
        self._target = target

    def __call__(self, name: str, *args: Any) -> Any:
        fn = getattr(self._target, name, None) if self._target is not None else None
        return fn(*args) if callable(fn) else None


def steps_per_execution(config: TrainConfig, steps: int) -> int:
    """Batches per call into TensorFlow (see Preset.samples_per_execution). One for an
    endless augmented pipeline: a group would run past the end of the epoch."""
    if config.augment:
        return 1
    return max(1, min(steps, config.preset_spec.samples_per_execution // config.batch_size))


def _make_keras_callback(notify: _Notify, history: dict[str, list[float]], state: dict[str, bool], steps: int):
    import keras

    class Progress(keras.callbacks.Callback):
        """Forwards progress; polls should_stop() after every batch."""

        def __init__(self) -> None:
            super().__init__()
            self._epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            # With steps_per_execution > 1, Keras reports the last batch of each group;
            # a last, short group is reported as if it were full.
            notify("on_batch_end", self._epoch, min(batch, steps - 1), _floats(logs))
            if notify("should_stop"):
                state["cancelled"] = True
                self.model.stop_training = True

        def on_test_batch_end(self, batch, logs=None):
            # Keras still runs the epoch's validation after stop_training: cut it short,
            # so cancelling is not delayed by a whole validation pass.
            if state["cancelled"]:
                self.model.stop_evaluating = True

        def on_epoch_end(self, epoch, logs=None):
            if state["cancelled"]:
                return  # a partial epoch: not part of the history
            row = _floats(logs)
            for key in HISTORY_KEYS:
                history[key].append(row.get(key, float("nan")))
            notify("on_epoch_end", epoch, {k: history[k][-1] for k in HISTORY_KEYS})

    return Progress()


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def _optimizer(config: TrainConfig, total_steps: int):
    import keras

    lr: Any = float(config.learning_rate)
    if config.preset_spec.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps), alpha=0.01)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    return keras.optimizers.SGD(learning_rate=lr)


def _tensor(x: np.ndarray):
    """``x`` as a TensorFlow tensor, copied a few megabytes at a time. Converting a whole
    training set at once (Keras does so for NumPy input) is one copy that holds the GIL:
    120 ms for MNIST, during which a GUI thread cannot run. The concatenation that joins
    the pieces runs as a TensorFlow op, which releases the GIL."""
    import tensorflow as tf

    rows = max(1, CHUNK_BYTES // max(1, x[:1].nbytes))
    if len(x) <= rows:
        return tf.constant(x)
    return tf.concat([tf.constant(x[i : i + rows]) for i in range(0, len(x), rows)], axis=0)


def _train_dataset(x, y, config: TrainConfig, seed: int):
    """Shuffled, augmented batches as an endless tf.data pipeline (fit with steps_per_epoch)."""
    import tensorflow as tf

    from digitpad.augment import make_augmenter

    ds = tf.data.Dataset.from_tensor_slices((_tensor(x), _tensor(y)))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(config.batch_size, drop_remainder=False).enumerate()
    ds = ds.map(make_augmenter(seed), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def _evaluate(model, x_test: np.ndarray, y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Predicted digits (the most probable of the ten digit outputs), the (10, 10)
    confusion matrix (rows = true labels), and the share of test digits whose most probable
    output is "not a digit" (0 for a ten-output model)."""
    probs = np.concatenate(
        [np.asarray(model(x_test[i : i + EVAL_BATCH], training=False)) for i in range(0, len(x_test), EVAL_BATCH)]
    )
    rejected = float(np.mean(probs.argmax(axis=1) == N_CLASSES)) if probs.shape[1] > N_CLASSES else 0.0
    pred = probs[:, :N_CLASSES].argmax(axis=1)
    return pred, confusion_matrix(y_test, pred), rejected


# --------------------------------------------------------------------------- train
def train(config: TrainConfig, data: Mnist | None = None, callbacks: Any = None) -> TrainResult:
    """Train ``config.preset`` on MNIST (loaded from ``config.data_path``, see
    :func:`digitpad.data.load_mnist`, unless ``data`` is given) and evaluate it on the test set.

    Raises :class:`DataError` when MNIST cannot be loaded and ``ValueError`` for bad
    data. When ``callbacks.should_stop()`` turns true, loading stops before the next stage
    or training after the current batch; the result has ``cancelled=True``, no test
    evaluation, and no model if training had not begun.
    """
    config.validate()
    notify = _Notify(callbacks)
    if notify("should_stop"):
        return _cancelled_before_training(config)
    if data is None:
        notify("on_stage", "Loading MNIST…")
        data = load_mnist(config.data_path)
        if notify("should_stop"):
            return _cancelled_before_training(config)
    scale = config.scale_pixels
    x_train = _as_vectors(data.x_train, scale, "x_train")
    y_train = _as_labels(data.y_train, len(x_train), "y_train")
    x_test = _as_vectors(data.x_test, scale, "x_test")
    y_test = _as_labels(data.y_test, len(x_test), "y_test")

    # Validation: the last fraction of MNIST's training set, as Keras's validation_split.
    n_val = int(len(x_train) * config.validation_split)
    if n_val:
        x_val, y_val = x_train[-n_val:], y_train[-n_val:]
        x_train, y_train = x_train[:-n_val], y_train[:-n_val]
    if len(x_train) == 0:
        raise ValueError("the validation split leaves no training data")
    extra_count = 0
    if config.extra_data is not None:
        ex, ey = load_extra(config.extra_data)
        ex = _as_vectors(ex, scale, f"extra data {config.extra_data}")
        ey = _as_labels(ey, len(ex), f"extra data {config.extra_data}")
        x_train, y_train = np.concatenate([x_train, ex]), np.concatenate([y_train, ey])
        extra_count = len(ex)

    if config.my_digits is not None:
        mx, my = _my_digits(config)
        if len(mx):
            x_train = np.concatenate([x_train, _as_vectors(mx, scale, "your digits")])
            y_train = np.concatenate([y_train, my.astype(y_train.dtype)])
            extra_count += len(mx)

    if not tfload.is_loaded():
        notify("on_stage", "Loading TensorFlow…")
    # First use: seconds (usually done already: the Train tab starts loading TensorFlow
    # in the background when it is shown).
    keras = tfload.import_keras()
    if notify("should_stop"):
        return _cancelled_before_training(config)

    seed = config.seed if config.seed is not None else int(np.random.default_rng().integers(0, 2**31 - 1))
    keras.utils.set_random_seed(seed)
    preset = config.preset_spec
    pen_files: list[str] = []
    if config.pen_copies or preset.not_digit:
        from digitpad import pendata
        from digitpad.pen_training import PenMix, pen_training_data

        # pen_copies=0 asks for MNIST alone: no pen files (generated scribbles still teach
        # "not a digit", about one for every seven training digits).
        files = pendata.find_pen_data(config.pen_data, config.pen_data_remembered) if config.pen_copies else []
        pen_files = [str(f) for f in files]
        log.info("%s", pendata.describe(files))
        notify("on_stage", "Rendering pen data…" if files else "Drawing scribbles…")
        mix = PenMix(copies=config.pen_copies, scribbles=min(PenMix.scribbles, len(x_train) // 7),
                     nondigit_min_per_class=config.nondigit_min)
        px, py = pen_training_data(
            config.pen_copies, seed, paths=files, hold_out=config.hold_out,
            hold_out_pendigits=config.hold_out_pendigits, tune_writers=pendata.parse_tune_writers(config.tune_writers),
            not_digit=preset.not_digit, mix=mix
        )
        if notify("should_stop"):
            return _cancelled_before_training(config)
        if len(px):
            px = _as_vectors(px, scale, "pen digits")
            py = _as_labels(py, len(px), "pen digits", preset.n_outputs)
            x_train, y_train = np.concatenate([x_train, px]), np.concatenate([y_train, py])
            extra_count += len(px)

    model = preset.build()
    steps = math.ceil(len(x_train) / config.batch_size)
    model.compile(
        optimizer=_optimizer(config, steps * config.epochs),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution(config, steps),
    )

    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    state = {"cancelled": False}
    progress = _make_keras_callback(notify, history, state, steps)
    notify("on_stage", "Training…")
    notify("on_train_begin", config.epochs, steps)
    fit_args: dict[str, Any] = {
        "epochs": config.epochs,
        "verbose": 0,
        "callbacks": [progress],
        "validation_data": (_tensor(x_val), _tensor(y_val)) if n_val else None,
    }
    if config.augment:
        train_data = _train_dataset(x_train, y_train, config, seed)
        fit_args.update(x=train_data, steps_per_epoch=steps, shuffle=False)
    else:
        fit_args.update(x=_tensor(x_train), y=_tensor(y_train), batch_size=config.batch_size, shuffle=True)

    started = time.perf_counter()
    model.fit(**fit_args)
    seconds = time.perf_counter() - started

    result = TrainResult(model=model, config=config, history=history, cancelled=state["cancelled"], seconds=seconds)
    if not result.cancelled:
        pred, confusion, rejected = _evaluate(model, x_test, y_test)
        result.rejected = rejected
        wrong = np.flatnonzero(pred != y_test)
        per_class = per_class_accuracy(confusion)
        result.test_accuracy = float(np.mean(pred == y_test))
        result.confusion = confusion
        result.per_class_accuracy = per_class
        result.misclassified = wrong
        result.misclassified_predictions = pred[wrong].astype(np.int64)
        result.misclassified_labels = y_test[wrong].astype(np.int64)
        result.misclassified_images = (x_test[wrong] / (255.0 if not scale else 1.0)).astype(np.float32)
    result.pen_files = pen_files
    result.meta = _meta(result, model, seed, data.source, len(x_train), extra_count)
    return result


def _my_digits(config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The user's digits from their database, with distorted copies (see TrainConfig)."""
    from digitpad.mydigits import DigitStore, DigitStoreError
    from digitpad.personalise import UserDigits, user_training_set

    try:
        with DigitStore(config.my_digits) as store:
            user = UserDigits.from_digits(store.digits())
    except DigitStoreError as exc:
        raise DataError(f"your digits cannot be read: {exc}") from None
    seed = config.seed if config.seed is not None else 0
    x, y = user_training_set(user, config.pen_copies, np.random.default_rng(seed))
    log.info("your digits: %d -> %d training images", len(user), len(x))
    return x, y


def _cancelled_before_training(config: TrainConfig) -> TrainResult:
    return TrainResult(model=None, config=config, history={k: [] for k in HISTORY_KEYS}, cancelled=True, seconds=0.0)


def percent(x: float | None) -> str:
    """``0.9781`` -> ``"97.81 %"``; a dash for a missing value (None or NaN)."""
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f} %"


def epoch_line(epoch: int, total: int, logs: dict[str, float]) -> str:
    """One epoch of the training log (command line and Train tab), ``epoch`` from 0:
    ``epoch 3/20  loss 0.1234  accuracy 96.50 %  val_loss 0.1100  val_accuracy 96.90 %``
    (the validation figures only when there are any)."""
    parts = [f"epoch {epoch + 1}/{total}", f"loss {logs['loss']:.4f}", f"accuracy {percent(logs['accuracy'])}"]
    if not math.isnan(logs.get("val_accuracy", math.nan)):
        parts += [f"val_loss {logs['val_loss']:.4f}", f"val_accuracy {percent(logs['val_accuracy'])}"]
    return "  ".join(parts)


def _meta(result: TrainResult, model: Any, seed: int, source: Path | None, n_train: int, n_extra: int) -> dict[str, Any]:
    import keras

    config = result.config
    preset = config.preset_spec
    settings = config.settings()
    settings["seed"] = seed
    try:
        data_sha = sha256_file(source) if source is not None else None
    except OSError:
        data_sha = None
    final = {k: (v[-1] if v and math.isfinite(v[-1]) else None) for k, v in result.history.items()}
    return {
        "name": preset.label if preset.name != DEFAULT_PRESET else "digitpad CNN",
        "architecture": preset.name,
        "description": preset.description,
        "parameters": int(model.count_params()),
        "mnist_test_accuracy": result.test_accuracy,
        "mnist_test_rejected": result.rejected,
        "outputs": int(model.output_shape[-1]),
        "pen_data_files": [Path(f).name for f in result.pen_files],
        "per_class_accuracy": None
        if result.per_class_accuracy is None
        else [round(float(a), 6) for a in result.per_class_accuracy],
        "training": settings,
        "epochs_completed": result.epochs_completed,
        "final_epoch": final,
        "seed": seed,
        "training_examples": n_train,
        "extra_examples": n_extra,
        "data_file": source.name if source is not None else None,
        "data_sha256": data_sha,
        "training_seconds": round(result.seconds, 2),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "digitpad_version": __version__,
        "keras_version": keras.__version__,
        "cancelled": result.cancelled,
    }


# A run whose loss ran away, or that reads MNIST no better than guessing, is not a model to
# keep or to recognise drawings with (the article's raw-pixel SGD run: 11.35 %).
DIVERGED_LOSS = 100.0  # the loss of a uniform guess is ln 10 = 2.3
USELESS_ACCURACY = 0.2  # chance is 10 %


class RefusedModelError(ValueError):
    """A finished run that must not be saved or used without an explicit override."""


def failure(result: TrainResult) -> str | None:
    """Why a finished run is not a usable model ("training diverged ...", "... no better
    than chance"), or ``None`` when it is."""
    if result.cancelled:
        return None
    losses = [v for v in result.history.get("loss", []) if v is not None]
    if losses and (not math.isfinite(losses[-1]) or losses[-1] > DIVERGED_LOSS):
        acc = f", MNIST test accuracy {percent(result.test_accuracy)}" if result.test_accuracy is not None else ""
        return f"training diverged (final loss {losses[-1]:.3g}{acc})"
    acc = result.test_accuracy
    if acc is not None and (not math.isfinite(acc) or acc < USELESS_ACCURACY):
        return f"the model reads {percent(acc)} of the MNIST test digits, no better than chance"
    return None


def save_result(result: TrainResult, base_path: str | os.PathLike, force: bool = False) -> dict[str, Path]:
    """Save ``NAME.keras`` + ``NAME.tflite`` + ``NAME.json`` atomically
    (:func:`digitpad.modelfiles.save_model`). A cancelled run is not saved; a diverged or
    useless one (:func:`failure`) only with ``force`` (:class:`RefusedModelError` otherwise)."""
    from digitpad.modelfiles import save_model

    if result.cancelled:
        raise ValueError("training was cancelled; the partly trained model is not saved")
    why = failure(result)
    if why and not force:
        raise RefusedModelError(f"{why}; the model is not saved")
    return save_model(result.model, base_path, result.meta)
