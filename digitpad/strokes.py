"""Strokes (point lists) -> MNIST vector, rendered directly at the model's resolution.

The canvas keeps what the user drew as strokes: sequences of (x, y) points, y pointing
down, in any units. :func:`render_strokes` draws them the MNIST way without a full-size
raster in between: the bounding box of all points is scaled so the ink (pen included)
fills the 20 px box keeping the aspect ratio, with a pen whose width is a fixed fraction of
that box (so thickness does not depend on how big, or with which pen, the user drew), with
anti-aliased round caps and joins (analytic coverage of the exact distance to the
polyline), then placed by centre of mass with the same function as image files use.

Pure numpy: no Qt, no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from digitpad.preprocessing import BOX, MIN_EXTENT_FRACTION, center_of_mass_frame

# Pen width as a fraction of the 20 px box (so 20 * PEN_FRACTION px at 28x28).
# MEASURED, not guessed: the value for which pendigits writers 1-30 rendered with
# render_strokes have the same stroke width (ink mass / Zhang-Suen skeleton length, median
# over images) as MNIST training digits: MNIST 2.662 px; pen fraction 0.11 -> 2.543,
# 0.12 -> 2.659, 0.13 -> 2.875; interpolated match 0.120 (mean ink per image agrees: MNIST
# 102.7, 0.12 -> 99.5, match 0.125). 3,000 MNIST x_train digits, 1,500 random samples:
#   pytest tests/test_strokes.py -m benchmark -s -k pen_fraction
# Re-measured with Guo-Hall thinning (digitpad.thinning, which replaced Zhang-Suen: its
# skeletons have no staircase corners): MNIST 2.849 px; 0.12 -> 2.825, 0.13 -> 3.080;
# match 0.121, so PEN_FRACTION stays.
PEN_FRACTION: float = 0.12

# Points closer than this (in output pixels) along a stroke are merged before rendering:
# the drawn path moves by far less than a pixel's anti-aliasing, and dense mouse input
# (hundreds of points) costs no more than a sparse one.
_MIN_STEP_PX = 0.5
# Rows per band in _coverage (see there).
_BAND = 6


def _as_strokes(strokes: Sequence[ArrayLike]) -> list[np.ndarray]:
    """Validate and convert to a list of float64 (N, 2) arrays, empty strokes dropped."""
    out: list[np.ndarray] = []
    for k, stroke in enumerate(strokes):
        try:
            a = np.asarray(stroke, dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"stroke {k} is not a list of (x, y) points: {exc}") from None
        if a.size == 0:
            continue
        if a.shape == (2,):
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"stroke {k} must have shape (N, 2), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"stroke {k} contains NaN or infinite coordinates")
        out.append(a)
    return out


def _decimate(points: np.ndarray, step: float) -> np.ndarray:
    """Keep the first and last point and one point per ``step`` of arc length."""
    if len(points) <= 2:
        return points
    seg = np.hypot(*np.diff(points, axis=0).T)
    bucket = np.floor(np.concatenate([[0.0], np.cumsum(seg)]) / step)
    keep = np.empty(len(points), dtype=bool)
    keep[0] = True
    keep[1:] = bucket[1:] != bucket[:-1]
    keep[-1] = True
    return points[keep]


def _segments(strokes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Start points and vectors of all segments; a lone point is a zero-length segment."""
    starts, ends = [], []
    for s in strokes:
        if len(s) == 1:
            starts.append(s)
            ends.append(s)
        else:
            starts.append(s[:-1])
            ends.append(s[1:])
    a = np.concatenate(starts)
    return a, np.concatenate(ends) - a


def _coverage(strokes: list[np.ndarray], height: int, width: int, radius: float) -> np.ndarray:
    """Anti-aliased coverage clip(r - d + 0.5, 0, 1) of a round pen of ``radius`` along
    the polylines, sampled at pixel centres (i + 0.5, j + 0.5); float32 (height, width).

    Big jobs are handled in bands of _BAND rows; a band only looks at the segments that
    come within reach of it, which cuts the (pixels x segments) work several times."""
    a, v = _segments(strokes)
    a = a.astype(np.float32)
    v = v.astype(np.float32)
    len2 = (v * v).sum(axis=1)
    inv = np.zeros_like(len2)
    np.divide(1, len2, out=inv, where=len2 > 0)
    reach = radius + 0.5
    seg_top = np.minimum(a[:, 1], a[:, 1] + v[:, 1]) - reach
    seg_bottom = np.maximum(a[:, 1], a[:, 1] + v[:, 1]) + reach
    out = np.zeros((height, width), dtype=np.float32)
    xs = np.arange(width, dtype=np.float32) + 0.5
    work = width * height * len(a)
    band = height if work <= 40_000 else max(1, min(_BAND, 100_000 // max(1, width * len(a))))
    for r0 in range(0, height, band):
        r1 = min(height, r0 + band)
        near = np.flatnonzero((seg_top < r1) & (seg_bottom > r0))
        if near.size == 0:
            continue
        ax, ay, vx, vy, iv = a[near, 0], a[near, 1], v[near, 0], v[near, 1], inv[near]
        ys = np.arange(r0, r1, dtype=np.float32) + 0.5
        dx = np.subtract.outer(np.tile(xs, r1 - r0), ax)  # (pixels, segments)
        dy = np.subtract.outer(np.repeat(ys, width), ay)
        t = dx * vx
        t += dy * vy
        t *= iv
        np.clip(t, 0, 1, out=t)
        dx -= t * vx
        dy -= t * vy
        dx *= dx
        dy *= dy
        dx += dy
        d = np.sqrt(dx.min(axis=1))
        out[r0:r1] = np.clip(reach - d, 0, 1).reshape(r1 - r0, width)
    return out


def render_strokes(
    strokes: Sequence[ArrayLike],
    frame_size: float | None = None,
    pen_fraction: float = PEN_FRACTION,
) -> np.ndarray | None:
    """Strokes -> float32 (784,) MNIST vector in [0, 1] with max 1, or ``None``.

    ``strokes``: sequence of (N, 2) x, y point arrays (y down, any units; one point is a
    dot). ``None`` when there are no points, or when ``frame_size`` (the canvas side in
    the same units) is given and the drawing's longer side is under 3 % of it.
    """
    parts = _as_strokes(strokes)
    if not parts:
        return None
    if not 0 < pen_fraction < 1:
        raise ValueError(f"pen_fraction must be in (0, 1), got {pen_fraction}")
    allp = np.concatenate(parts)
    lo = allp.min(axis=0)
    extent = allp.max(axis=0) - lo
    longest = float(extent.max())
    if frame_size is not None and longest < MIN_EXTENT_FRACTION * frame_size:
        return None
    pen = pen_fraction * BOX
    scale = (BOX - pen) / longest if longest > 0 else 0.0
    if not math.isfinite(scale):  # an extent so small (subnormal) that it is a dot
        scale = 0.0
    ink_w, ink_h = extent * scale + pen  # the inked box, pen included
    grid_w = max(1, math.ceil(ink_w - 1e-6))
    grid_h = max(1, math.ceil(ink_h - 1e-6))
    offset = np.array([(grid_w - ink_w) / 2, (grid_h - ink_h) / 2]) + pen / 2
    placed = [_decimate((p - lo) * scale + offset, _MIN_STEP_PX) for p in parts]
    digit = _coverage(placed, grid_h, grid_w, pen / 2)
    digit /= digit.max()
    return center_of_mass_frame(digit).ravel()
