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
from pathlib import Path

import numpy as np

from digitpad.pendigits import TRAIN_WRITERS
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


NOT_DIGIT_LABEL = 10  # the eleventh output


@dataclass(frozen=True)
class PenMix:
    """How much of each kind of pen data goes into a training set."""

    copies: int = 3  # augmented renderings per real digit (pendigits and UNIPEN)
    style_share: float = 0.5  # per digit of a style-able class (0, 1, 4, 7): chance of one styled copy
    nondigit_copies: int = 0  # augmented renderings per real letter or symbol, besides the plain one
    scribbles: int = 8000  # generated non-digits, each rendered once (training's image augmentation on top)
    # Class balancing of the letters and symbols: a character with fewer than this many
    # images gets augmented renderings of its own samples until it has about this many,
    # but at most nondigit_max_factor times its real count; 0 = off (each as above).
    nondigit_min_per_class: int = 0
    nondigit_max_factor: int = 4


def balance_counts(labels, have_per_sample: int, min_per_class: int, max_factor: int, rng: np.random.Generator) -> np.ndarray:
    """How many extra augmented renderings each sample gets so that every class (label)
    with fewer than ``min_per_class`` images reaches about that many, capped at
    ``max_factor`` times its real count. ``have_per_sample``: images each sample already
    has. The extras of a class are spread evenly over its samples (the remainder to a
    random few)."""
    labels = np.asarray([str(v) for v in labels])
    extra = np.zeros(len(labels), np.int64)
    if min_per_class <= 0:
        return extra
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        n = len(idx)
        want = min(min_per_class, max_factor * n) - have_per_sample * n
        if want <= 0:
            continue
        extra[idx] = want // n
        extra[rng.permutation(idx)[: want % n]] += 1
    return extra


def render_augmented(
    samples, labels, counts, rng: np.random.Generator, settings: StrokeAugment = StrokeAugment()
) -> tuple[list[np.ndarray], list[int]]:
    """``counts[i]`` augmented renderings of sample i (no plain one), as uint8 784-vectors."""
    xs, ys = [], []
    for strokes, label, k in zip(samples, labels, counts):
        for _ in range(int(k)):
            vec = render_strokes(augment_strokes(strokes, rng, settings), pen_fraction=rng.uniform(*settings.pen_fraction))
            if vec is not None:
                xs.append(np.rint(vec * 255).astype(np.uint8))
                ys.append(int(label))
    return xs, ys


def render_samples(
    samples: list[list[np.ndarray]], labels, copies: int, rng: np.random.Generator, settings: StrokeAugment = StrokeAugment()
) -> tuple[list[np.ndarray], list[int]]:
    """Each sample plain, plus ``copies`` augmented renderings (:func:`render_augmented`),
    as uint8 784-vectors."""
    xs, ys = [], []
    for strokes, label in zip(samples, labels):
        vec = render_strokes(strokes, pen_fraction=PEN_FRACTION)
        if vec is not None:
            xs.append(np.rint(vec * 255).astype(np.uint8))
            ys.append(int(label))
        ax, ay = render_augmented([strokes], [label], [copies], rng, settings)
        xs += ax
        ys += ay
    return xs, ys


def pen_training_data(
    copies: int,
    seed: int,
    path: str | os.PathLike | None = None,
    *,
    paths: list | None = None,
    hold_out: bool = False,
    hold_out_pendigits: bool = False,
    tune_writers: frozenset[int] | None = None,
    not_digit: bool = False,
    mix: PenMix | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Real pen data rendered for training as the canvas renders a drawing: uint8 (N, 784)
    white on black, and labels (0-9, and 10 for "not a digit" when ``not_digit``).

    The files come from ``path`` (one pendigits file, the old form), or ``paths``, or else
    the search chain of :func:`digitpad.pendata.find_pen_data`. Pendigits contributes writers
    1-30 only (without ``tune_writers``, 21-30 unless told, with ``hold_out_pendigits``); UNIPEN digits all writers (without the
    held-out fifth when ``hold_out``);
    digits of the styles in :mod:`digitpad.styles` get styled copies; with ``not_digit``,
    UNIPEN letters and symbols (no ambiguous ones) and generated scribbles are labelled 10.
    Returns empty arrays when no pen data are found. Raises :class:`PenDataError`."""
    from digitpad import pendata, styles

    mix = mix or PenMix(copies=copies)
    files = [Path(path)] if path is not None else (paths if paths is not None else pendata.find_pen_data())
    rng = np.random.default_rng(seed)
    xs: list[np.ndarray] = []
    ys: list[int] = []
    for f in files:
        data = pendata.training_part(pendata.load_stroke_set(f), hold_out, hold_out_pendigits, tune_writers)
        if data.kind == pendata.PENDIGITS and not set(data.writers.tolist()) <= {f"pendigits/{w}" for w in TRAIN_WRITERS}:
            raise AssertionError("pen training data holds writers outside 1-30")
        if data.kind == pendata.NONDIGITS:
            if not not_digit:
                continue
            x, y = render_samples(data.strokes, [NOT_DIGIT_LABEL] * len(data), mix.nondigit_copies, rng)
            extra = balance_counts(data.labels, 1 + mix.nondigit_copies, mix.nondigit_min_per_class, mix.nondigit_max_factor, rng)
            bx, by = render_augmented(data.strokes, [NOT_DIGIT_LABEL] * len(data), extra, rng)
            xs += x + bx
            ys += y + by
            log.info("not-a-digit: %d letters and symbols of %s -> %d images (%d to balance rare characters)",
                     len(data), f.name, len(x) + len(bx), len(bx))
            continue
        x, y = render_samples(data.strokes, data.labels, mix.copies, rng)
        styled, styled_labels = [], []
        for strokes, label in zip(data.strokes, data.labels):
            if int(label) in styles.STYLES and rng.random() < mix.style_share:
                redrawn = styles.add_style(strokes, int(label), rng)
                if redrawn is not None:
                    styled.append(augment_strokes(redrawn, rng))
                    styled_labels.append(int(label))
        sx, sy = render_samples(styled, styled_labels, 0, rng)
        xs += x + sx
        ys += y + sy
        log.info("pen digits: %d samples of %s -> %d images (%d styled)", len(data), f.name, len(x) + len(sx), len(sx))
    if not_digit and mix.scribbles:
        scribbles = [styles.scribble(rng) for _ in range(mix.scribbles)]
        x, y = render_samples(scribbles, [NOT_DIGIT_LABEL] * len(scribbles), 0, rng)
        xs += x
        ys += y
    if not xs:
        return np.zeros((0, 784), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs), np.asarray(ys, np.int64)
