"""The one place where the canvas becomes the model's input.

Swappable on purpose: the canvas could instead feed its strokes to
:func:`digitpad.strokes.render_strokes` (which normalises the pen width); which of the
two is more accurate on real pen digits is measured by the canvas-accuracy benchmark,
and only this function changes with the answer.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitpad.preprocessing import preprocess
from digitpad.ui.canvas import DrawCanvas

# Strokes whose points all fit in a box this small (a fraction of the canvas side) are a
# tap or a jitter, not a digit: preprocess() alone would see the pen's blob as a digit.
SPECK_FRACTION = 0.04
# The raster is box-reduced by an integer factor to at most this side before preprocess():
# the digit ends up 20 px tall anyway, and a 560-px canvas (or a high-DPI one) would cost
# four times the work on every live update.
MAX_RASTER_SIDE = 300


def canvas_vector(canvas: DrawCanvas) -> np.ndarray | None:
    """784 float32 MNIST values for what the canvas shows, or ``None`` for "no digit".

    An opened image with nothing drawn on it goes through :func:`preprocess` exactly as
    loaded, so the window and ``digitpad predict FILE`` agree to the last digit; anything
    drawn is taken from the rendered raster, through the same :func:`preprocess`.
    """
    picture = canvas.picture()
    if picture is not None and not canvas.strokes() and not canvas.is_drawing():
        return preprocess(picture.source)
    if canvas.is_blank() or (picture is None and _only_a_speck(canvas)):
        return None
    return preprocess(_reduce(canvas.ink_array(), MAX_RASTER_SIDE))


def _reduce(ink: np.ndarray, max_side: int) -> np.ndarray:
    factor = -(-max(ink.shape) // max_side)
    if factor <= 1:
        return ink
    return np.asarray(Image.fromarray(np.ascontiguousarray(ink)).reduce(factor))


def _only_a_speck(canvas: DrawCanvas) -> bool:
    extent = canvas.ink_extent()
    return extent is not None and extent < SPECK_FRACTION
