"""Test helper: strokes drawn as a plain big raster, as a canvas would hold them, so that
tests can send the same strokes down both routes (``preprocess`` of an image and
``render_strokes``) and compare."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from digitpad.strokes import _as_strokes, _coverage


def strokes_to_image(strokes: Sequence[ArrayLike], size: int, pen_width: float) -> np.ndarray:
    """Plain raster of the strokes (pixel coordinates, y down) on a ``size`` x ``size``
    black image, white anti-aliased round pen of ``pen_width`` px; float32 in [0, 1].

    Each segment only touches the window around it, and coverage is combined with max
    (exact: coverage falls with distance, so the max of coverages is the coverage of the
    nearest segment), which keeps big canvases (thousands of px) cheap."""
    if size < 1 or pen_width <= 0:
        raise ValueError(f"need size >= 1 and pen_width > 0, got {size}, {pen_width}")
    image = np.zeros((size, size), dtype=np.float32)
    radius = pen_width / 2
    reach = radius + 1
    for stroke in _as_strokes(strokes):
        pairs = [stroke] if len(stroke) == 1 else [stroke[i : i + 2] for i in range(len(stroke) - 1)]
        for seg in pairs:
            x0 = max(0, math.floor(seg[:, 0].min() - reach))
            y0 = max(0, math.floor(seg[:, 1].min() - reach))
            x1 = min(size, math.ceil(seg[:, 0].max() + reach))
            y1 = min(size, math.ceil(seg[:, 1].max() + reach))
            if x1 <= x0 or y1 <= y0:
                continue
            local = _coverage([seg - (x0, y0)], y1 - y0, x1 - x0, radius)
            np.maximum(image[y0:y1, x0:x1], local, out=image[y0:y1, x0:x1])
    return image

