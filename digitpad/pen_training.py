"""Real pen digits as training data: pendigits writers 1-30 rendered like the canvas does.

The canvas feeds the model :func:`digitpad.strokes.render_strokes` of what the user drew
(see ``ui/model_input.py``), so the training digits are rendered by that same function
from real stylus trajectories, plus a few augmented renderings of each that look like
other people drawing: rotation, slant, a different aspect ratio, a smooth wobble of the
whole path, small per-point jitter, strokes of a multi-stroke digit moved a little
against each other, and a pen width drawn around the normalised one.

Only the UCI training writers (1-30) are ever loaded here: writers 31-44 are how real
drawings are measured and must never reach training. Pure numpy: no Qt, no TensorFlow.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

import numpy as np

from digitpad.pendigits import TRAIN_WRITERS, PenDigits, load_pendigits
from digitpad.strokes import PEN_FRACTION, render_strokes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StrokeAugment:
    """Ranges of the random changes (each drawn uniformly in +-range unless stated)."""

    rotation_deg: float = 10.0
    slant: float = 0.25  # x += slant * (centre_y - y): positive leans the top to the right
    aspect: float = 0.25  # width scaled by a factor in [1 / (1 + aspect), 1 + aspect]
    wobble: float = 0.03  # amplitude of a smooth displacement, a fraction of the digit's size
    jitter: float = 0.006  # per-point Gaussian noise (sigma), a fraction of the digit's size
    stroke_shift: float = 0.03  # each stroke moved by up to this fraction of the size
    pen_fraction: tuple[float, float] = (0.6 * PEN_FRACTION, 1.4 * PEN_FRACTION)


def augment_strokes(strokes: list[np.ndarray], rng: np.random.Generator, s: StrokeAugment = StrokeAugment()) -> list[np.ndarray]:
    """A randomly distorted copy of ``strokes`` ((n, 2) arrays, y down, any units)."""
    parts = [np.asarray(p, np.float64).reshape(-1, 2) for p in strokes if len(p)]
    allp = np.concatenate(parts)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    centre = (lo + hi) / 2
    size = float(max(hi - lo)) or 1.0

    angle = math.radians(rng.uniform(-s.rotation_deg, s.rotation_deg))
    slant = rng.uniform(-s.slant, s.slant)
    stretch = math.exp(rng.uniform(-math.log1p(s.aspect), math.log1p(s.aspect)))
    cos, sin = math.cos(angle), math.sin(angle)
    # x' = stretch * (x - slant * y), then rotate; in units of the digit's size.
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[stretch, -stretch * slant], [0.0, 1.0]])
    freq = rng.uniform(0.5, 1.5, size=(2, 2))  # cycles per digit size, per axis of motion
    phase = rng.uniform(0, 2 * math.pi, size=2)
    amp = rng.uniform(-s.wobble, s.wobble, size=2)

    out = []
    for p in parts:
        q = (p - centre) / size
        q = q + rng.uniform(-s.stroke_shift, s.stroke_shift, size=2)
        wave = np.sin(2 * math.pi * q @ freq.T + phase)  # (n, 2) smooth in position
        q = q + amp * wave
        q = q + rng.normal(0.0, s.jitter, size=q.shape)
        out.append(q @ linear.T)
    return out


def render_pen_set(
    data: PenDigits, copies: int, seed: int, settings: StrokeAugment = StrokeAugment()
) -> tuple[np.ndarray, np.ndarray]:
    """Each sample rendered as is, plus ``copies`` augmented renderings: uint8 (N, 784)
    white on black, and the labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for strokes, label in zip(data.strokes, data.labels):
        variants = [(strokes, PEN_FRACTION)]
        for _ in range(copies):
            variants.append((augment_strokes(strokes, rng, settings), rng.uniform(*settings.pen_fraction)))
        for parts, fraction in variants:
            vec = render_strokes(parts, pen_fraction=fraction)
            if vec is None:
                continue
            xs.append(np.rint(vec * 255).astype(np.uint8))
            ys.append(label)
    return np.stack(xs), np.asarray(ys, np.int64)


def pen_training_data(copies: int, seed: int, path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Writers 1-30 of the pen-digit file (default: $DIGITPAD_PENDIGITS, else the bundled
    copy) rendered for training. Raises :class:`digitpad.pendigits.PenDigitsError`."""
    data = load_pendigits(path, writers=TRAIN_WRITERS)
    # The honest test writers must never be trained on, whatever file is configured.
    if not set(np.unique(data.writers).tolist()) <= set(TRAIN_WRITERS):
        raise AssertionError("pen training data holds writers outside 1-30")
    x, y = render_pen_set(data, copies, seed)
    log.info("pen digits: %d samples of writers 1-30 -> %d training images", len(data), len(x))
    return x, y
