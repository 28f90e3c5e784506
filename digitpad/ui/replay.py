"""Replaying recorded strokes on the canvas: the self-test's built-in digit, the
screenshot, the benchmarks and the tests all draw through :meth:`DrawCanvas.replay_stroke`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from digitpad.paths import resource_path
from digitpad.ui.canvas import DrawCanvas

SAMPLE_DIGIT = "sample_digit.json"
# A digit drawn to fill a bit over half the canvas height, as people draw on a pad.
DEFAULT_FILL = 0.6


def load_sample_digit() -> tuple[int, list[np.ndarray]]:
    """The bundled sample drawing: its label and strokes ((N, 2), y down, any units)."""
    data = json.loads(resource_path(SAMPLE_DIGIT).read_text(encoding="utf-8"))
    return int(data["label"]), [np.asarray(s, np.float64) for s in data["strokes"]]


def fit_strokes(strokes: Sequence[np.ndarray], side: float, fill: float = DEFAULT_FILL, y_up: bool = False) -> list[np.ndarray]:
    """Scale and centre strokes so their bounding box's longer side is ``fill × side``,
    keeping the aspect ratio; ``y_up`` flips data whose y axis points up (pendigits)."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes if len(s)]
    if not strokes:
        return []
    if y_up:
        strokes = [s * (1, -1) for s in strokes]
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = float(max(hi - lo)) or 1.0
    scale = fill * side / extent
    centre = (lo + hi) / 2
    return [(s - centre) * scale + side / 2 for s in strokes]


def replay(canvas: DrawCanvas, strokes: Sequence[np.ndarray], fill: float = DEFAULT_FILL, y_up: bool = False) -> None:
    """Draw ``strokes`` on ``canvas`` (fitted to its current size), one stroke at a time."""
    for stroke in fit_strokes(strokes, canvas.side(), fill, y_up):
        canvas.replay_stroke(stroke)

