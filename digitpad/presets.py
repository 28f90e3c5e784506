"""Model architectures ("presets") and their default training settings.

Every model takes the flattened 784-value MNIST vector and returns 10 softmax
probabilities, so the "flatten and feed" contract holds whatever is inside.
A preset's defaults are plain data (the Train tab reads them without TensorFlow); only
``build()`` imports Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from digitpad.data import N_CLASSES, N_INPUTS


@dataclass(frozen=True)
class Preset:
    name: str  # the key used on the command line and in the .json
    label: str  # what the Train tab shows
    description: str
    builder: Callable[[], Any]  # () -> keras.Model (uncompiled)
    epochs: int
    batch_size: int
    optimizer: str  # "sgd" | "adam"
    learning_rate: float
    validation_split: float
    augment: bool  # default for the augmentation switch
    supports_augment: bool
    lr_schedule: str = "constant"  # "constant" | "cosine" (decays to 0 over the run)
    # Real pen digits added to the training set (digitpad.pen_training): each sample of
    # pendigits writers 1-30 rendered as the canvas does, plus this many augmented
    # renderings of it; 0 = MNIST only.
    pen_copies: int = 0
    # Batches run per call into TensorFlow (Keras steps_per_execution) = this many samples
    # // batch size, at least 1. For a model whose batches take a few milliseconds, the
    # Python round trip per batch is a large share of the time; grouping ~100 ms of work
    # per call keeps progress and cancelling prompt. 0 = one batch per call.
    samples_per_execution: int = 0
    # An eleventh output, "not a digit", learnt from real letters and symbols (when pen data
    # are found) and generated scribbles (digitpad.styles).
    not_digit: bool = False

    @property
    def n_outputs(self) -> int:
        return N_CLASSES + 1 if self.not_digit else N_CLASSES

    def build(self) -> Any:
        """A fresh, uncompiled Keras model (imports Keras)."""
        if self.not_digit:
            return self.builder(n_outputs=self.n_outputs)
        return self.builder()


def _keras():
    from digitpad.tfload import import_keras

    return import_keras()


def build_tutorial_mlp() -> Any:
    """The source article's network, exactly: 784 -> Dense 784 relu -> Dense 32 relu ->
    Dense 10 softmax; 640,890 parameters."""
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input(shape=(N_INPUTS,), name="pixels"),
            keras.layers.Dense(784, activation="relu", name="dense_784"),
            keras.layers.Dense(32, activation="relu", name="dense_32"),
            keras.layers.Dense(N_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="tutorial_mlp",
    )


# Plain 3x3 convolutions of widths 32/64/128 rather than depthwise-separable ones of
# 40/80/160: tuned on pendigits writers 1-20 with 21-30 held out, the plain net read
# 99.44-99.60 % of the held-out writers' digits and 99.48-99.53 % of MNIST test against
# 99.32-99.40 % and 99.45-99.48 % for the separable one, at about the same training cost
# (TensorFlow runs plain convolutions far better on the CPU), for 0.20 ms a digit under
# LiteRT instead of 0.12 ms (tests/bench_pendigits.py).
def build_cnn(
    widths: tuple[int, int, int] = (32, 64, 128), separable: bool = False, dropout: float = 0.15, n_outputs: int = N_CLASSES
) -> Any:
    """A small CNN on the flattened input: reshape to 28x28x1 inside the model, a 5x5
    convolution and two 3x3 convolutions (optionally depthwise-separable: a quarter of the
    cost under LiteRT's built-in kernels, a little less accurate), each with batch
    normalisation and 2x2 max pooling, then a small dense head with dropout."""
    keras = _keras()
    layers = keras.layers

    def block(filters: int, kernel: int, name: str, sep: bool) -> list:
        conv = layers.SeparableConv2D if sep else layers.Conv2D
        return [
            conv(filters, kernel, padding="same", use_bias=False, name=name),
            # momentum 0.9: the moving statistics settle within a short run
            layers.BatchNormalization(momentum=0.9, name=f"{name}_bn"),
            layers.Activation("relu", name=f"{name}_relu"),
            layers.MaxPooling2D(2, name=f"{name}_pool"),
        ]

    w1, w2, w3 = widths
    return keras.Sequential(
        [
            keras.Input(shape=(N_INPUTS,), name="pixels"),
            layers.Reshape((28, 28, 1), name="image"),
            *block(w1, 5, "conv1", False),  # -> 14x14
            *block(w2, 3, "conv2", separable),  # -> 7x7
            *block(w3, 3, "conv3", separable),  # -> 3x3
            layers.Flatten(name="flatten"),
            layers.Dropout(dropout, name="dropout1"),
            layers.Dense(128, use_bias=False, name="dense"),
            layers.BatchNormalization(momentum=0.9, name="dense_bn"),
            layers.Activation("relu", name="dense_relu"),
            layers.Dropout(dropout, name="dropout2"),
            layers.Dense(n_outputs, activation="softmax", name="probabilities"),
        ],
        name="cnn",
    )


TUTORIAL = Preset(
    name="tutorial",
    label="Tutorial MLP",
    description="The article's network: Dense 784 relu -> Dense 32 relu -> Dense 10 softmax, SGD",
    builder=build_tutorial_mlp,
    epochs=20,
    batch_size=500,
    optimizer="sgd",
    learning_rate=0.01,  # Keras's SGD default, as the article's optimizer="sgd"
    validation_split=0.1,
    augment=False,
    supports_augment=False,
    samples_per_execution=5000,  # 10 batches of 500 a call: 12.5 -> 10.1 ms a batch here
)

CNN = Preset(
    name="cnn",
    label="CNN (default)",
    description="Small CNN with drawing-like augmentation, Adam with cosine decay; "
    "ten digits and 'not a digit'",
    builder=build_cnn,
    epochs=10,
    batch_size=128,
    optimizer="adam",
    learning_rate=2e-3,
    validation_split=0.05,
    augment=True,
    supports_augment=True,
    lr_schedule="cosine",
    pen_copies=3,
    not_digit=True,
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CNN, TUTORIAL)}
DEFAULT_PRESET = CNN.name


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
