"""The one place where the canvas becomes the model's input.

Two routes, chosen per drawing:

- **strokes** (plain ink on an empty canvas, the usual case): the canvas's point lists
  are re-rendered by :func:`digitpad.strokes.render_strokes` with a pen width that is a
  fixed fraction of the digit's size, so the model sees the same stroke width whatever
  pen width or canvas size the user drew with. The training data's pen digits are
  rendered by the same function.
- **raster** (an opened picture underneath, or anything erased): the rendered canvas goes
  through :func:`preprocess`, as image files do, because what the user sees is no longer
  the union of the strokes.

Measured on real pen digits replayed through the canvas (tests/bench_pendigits.py
--input raster|strokes, writers 31-44, the MNIST-only CNN of commit b27ae0f): raster
92.97 / 94.65 / 83.82 % with the default / thin / thick pen, strokes 94.54 % at all three.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digitpad.preprocessing import preprocess
from digitpad.strokes import render_strokes
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
    loaded, so the window and ``digitpad predict FILE`` agree to the last digit; plain ink
    takes the strokes route, anything else the raster route (see the module's notes).
    """
    picture = canvas.picture()
    if picture is not None and not canvas.strokes() and not canvas.is_drawing():
        return preprocess(picture.source)
    if canvas.is_blank() or (picture is None and _only_a_speck(canvas)):
        return None
    if uses_strokes(canvas):
        return stroke_vector(canvas)
    return raster_vector(canvas)


def uses_strokes(canvas: DrawCanvas) -> bool:
    """True when the drawing is nothing but ink strokes (no picture, nothing erased)."""
    return canvas.picture() is None and canvas.ink_extent() is not None


def stroke_vector(canvas: DrawCanvas) -> np.ndarray | None:
    """The strokes route: the ink strokes (the one being drawn included) re-rendered."""
    return render_strokes(canvas.stroke_points(include_live=True), frame_size=canvas.side())


def raster_vector(canvas: DrawCanvas) -> np.ndarray | None:
    """The raster route: the canvas as displayed, through the image preprocessing."""
    return preprocess(_reduce(canvas.ink_array(), MAX_RASTER_SIDE))


def _reduce(ink: np.ndarray, max_side: int) -> np.ndarray:
    factor = -(-max(ink.shape) // max_side)
    if factor <= 1:
        return ink
    return np.asarray(Image.fromarray(np.ascontiguousarray(ink)).reduce(factor))


def _only_a_speck(canvas: DrawCanvas) -> bool:
    extent = canvas.ink_extent()
    return extent is not None and extent < SPECK_FRACTION
