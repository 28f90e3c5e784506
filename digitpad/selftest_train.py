"""``digitpad --self-test --train``: prove that this installation (or frozen bundle) can
retrain, not only predict.

One short run of the app's own training code (:func:`digitpad.training.train`, default
CNN preset with augmentation) through the real TensorFlow/Keras on a small slice of MNIST
(``resources/mnist_slice.npz``: 1,000 training and 250 test digits, shipped so the check
needs no data download), saved as ``.keras`` + ``.tflite`` + ``.json`` into a temporary
folder through :func:`digitpad.training.save_result`, loaded back with the LiteRT
:class:`~digitpad.predictor.Predictor` and scored on the test slice.

Prints one JSON line, for example
``{"trained": true, "accuracy": 0.84, "agreement": 1.0, "seconds": 9.1, "tflite_bytes": 2561234}``,
and returns 0; on any failure prints a one-line error to stderr and returns 1.

TensorFlow is imported inside :func:`run` only, so importing this module stays cheap.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.errors import one_line
from digitpad.tfload import quiet_environment

log = logging.getLogger(__name__)

SLICE_NAME = "mnist_slice.npz"
# The app's default preset (the CNN, with augmentation through tf.data), so the check
# covers what Model -> Retrain runs; only the epochs and the data are cut down.
PRESET = "cnn"
EPOCHS = 3
BATCH_SIZE = 32
SEED = 0
# Three epochs on 1,000 digits reach ~0.93 here; chance is 0.1. Anything below this means
# training or export is broken, not merely unlucky.
MIN_ACCURACY = 0.5
# The exported LiteRT model must give the same answers as the Keras model it came from.
MIN_AGREEMENT = 0.98


class SelfTestError(Exception):
    """The training self-test failed; the message is one line."""


def load_slice(path: str | os.PathLike | None = None):
    """The :class:`~digitpad.data.Mnist` slice at ``path`` or the bundled one
    (:class:`~digitpad.data.DataError` if unreadable)."""
    from digitpad.data import read_mnist_npz
    from digitpad.paths import resource_path

    return read_mnist_npz(path or resource_path(SLICE_NAME))


def _prepare_tensorflow() -> None:
    # Before the first import: quiet C++ logs, reproducible CPU maths, and the only
    # Keras backend that the bundle carries.
    quiet_environment()
    os.environ["KERAS_BACKEND"] = "tensorflow"


def check(data_path: str | os.PathLike | None = None, workdir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Train, export, reload and score; the result dict, or :class:`SelfTestError`."""
    t0 = time.perf_counter()
    data = load_slice(data_path)
    _prepare_tensorflow()

    from digitpad.predictor import Predictor
    from digitpad.training import TrainConfig, save_result, train

    config = TrainConfig.for_preset(PRESET, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=0.0, seed=SEED,
                                    pen_copies=0)
    result = train(config, data=data)
    x_test, y_test = data.x_test, data.y_test
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
    keras_pred = np.asarray(result.model(x_test, training=False)).argmax(axis=1)

    with tempfile.TemporaryDirectory(prefix="digitpad-selftest-", dir=workdir) as tmp:
        files = save_result(result, Path(tmp) / "selftest")
        predictor = Predictor(files["tflite"])
        if predictor.backend != "litert":
            raise SelfTestError(f"the exported model runs on {predictor.backend}, not LiteRT")
        lite_pred = predictor.probabilities(x_test).argmax(axis=1)
        tflite_bytes = files["tflite"].stat().st_size
        keras_bytes = files["keras"].stat().st_size

    accuracy = float((lite_pred == y_test).mean())
    agreement = float((lite_pred == keras_pred).mean())
    if accuracy < MIN_ACCURACY:
        raise SelfTestError(f"the exported model scored {accuracy:.1%} on the test slice (expected >= {MIN_ACCURACY:.0%})")
    if agreement < MIN_AGREEMENT:
        raise SelfTestError(f"LiteRT and Keras agree on only {agreement:.1%} of the test slice")
    return {
        "trained": True,
        "accuracy": round(accuracy, 4),
        "agreement": round(agreement, 4),
        "preset": PRESET,
        "test_samples": int(len(y_test)),
        "seconds": round(time.perf_counter() - t0, 2),
        "tflite_bytes": int(tflite_bytes),
        "keras_bytes": int(keras_bytes),
    }


def run() -> int:
    """Entry point for ``digitpad --self-test --train``: one JSON line, exit code 0/1."""
    try:
        result = check()
    except Exception as exc:  # a self-test reports any failure as one line
        log.debug("training self-test failed", exc_info=True)
        print(f"digitpad: training self-test failed: {one_line(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(result), flush=True)
    return 0
