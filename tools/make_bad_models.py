"""Write the small broken models the reliability tests load (tests/data/bad_models/).

Each is a 784 -> 10 (or 11) dense model exported to LiteRT that loads but cannot be used:

- ``no_softmax.tflite``   raw scores (no softmax): "confidence 298.7 %" before the check
- ``nan_output.tflite``   NaN weights: every output is NaN
- ``uint8_input.tflite``  fully integer-quantised (uint8 in and out)
- ``eleven_softmax.tflite`` a healthy 11-output model (10 digits + "not a digit")

    TF_CPP_MIN_LOG_LEVEL=3 python tools/make_bad_models.py
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "bad_models"


def main() -> int:
    import keras
    import tensorflow as tf

    OUT.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)

    def dense(n: int, activation: str | None) -> keras.Model:
        return keras.Sequential([keras.Input((784,)), keras.layers.Dense(n, activation=activation)])

    def export(model: keras.Model, name: str) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            model.export(str(OUT / name), format="litert")

    export(dense(10, None), "no_softmax.tflite")
    nan = dense(10, "softmax")
    nan.set_weights([np.full(w.shape, np.nan, np.float32) for w in nan.get_weights()])
    export(nan, "nan_output.tflite")
    export(dense(11, "softmax"), "eleven_softmax.tflite")

    quant = dense(10, "softmax")
    converter = tf.lite.TFLiteConverter.from_keras_model(quant)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.random((1, 784), np.float32)] for _ in range(20))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.uint8
    (OUT / "uint8_input.tflite").write_bytes(converter.convert())
    for p in sorted(OUT.iterdir()):
        print(p.name, p.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
