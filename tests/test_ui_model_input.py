"""model_input: which route the canvas takes to the model (strokes or raster), and that
the strokes route is exactly render_strokes() of what was drawn."""

from __future__ import annotations

import numpy as np

from digitpad.preprocessing import preprocess
from digitpad.strokes import render_strokes
from digitpad.ui.canvas import DrawCanvas
from digitpad.ui.model_input import canvas_vector, raster_vector, stroke_vector, uses_strokes

# A "4" in canvas pixels (y down), two strokes.
FOUR = [
    np.array([[120, 40], [100, 90], [80, 140], [70, 160], [150, 160], [190, 158]], float),
    np.array([[160, 60], [158, 120], [157, 180], [156, 240]], float),
]


def draw(canvas: DrawCanvas, strokes) -> None:
    for s in strokes:
        canvas.replay_stroke(s)


def test_plain_ink_is_render_strokes_of_the_same_points(canvas):
    draw(canvas, FOUR)
    assert uses_strokes(canvas)
    vec = canvas_vector(canvas)
    expected = render_strokes(FOUR, frame_size=canvas.side())
    np.testing.assert_allclose(vec, expected, atol=1e-6)
    # ... and not what the raster route would have given (the two routes do differ).
    assert np.abs(vec - raster_vector(canvas)).max() > 0.1


def test_strokes_route_ignores_the_pen_width(canvas):
    canvas.set_pen_width(8)
    draw(canvas, FOUR)
    thin = canvas_vector(canvas)
    canvas.clear()
    canvas.set_pen_width(40)
    draw(canvas, FOUR)
    np.testing.assert_allclose(canvas_vector(canvas), thin, atol=1e-6)


def test_an_eraser_stroke_switches_to_the_raster(canvas):
    draw(canvas, FOUR)
    canvas.replay_stroke(np.array([[60, 150], [200, 150]]), erase=True)  # rubs out the bar
    assert not uses_strokes(canvas)
    vec = canvas_vector(canvas)
    np.testing.assert_array_equal(vec, raster_vector(canvas))
    assert np.abs(vec - stroke_vector(canvas)).max() > 0.1  # the strokes would show the bar


def test_ink_on_an_opened_picture_takes_the_raster(canvas):
    picture = np.zeros((28, 28), np.uint8)
    picture[6:22, 13:15] = 255  # a "1", white on black
    canvas.set_picture(picture, picture / 255.0)
    assert not uses_strokes(canvas)
    np.testing.assert_array_equal(canvas_vector(canvas), preprocess(picture))  # as loaded
    canvas.replay_stroke(np.array([[100, 60], [140, 40]]))  # a flag drawn on top
    assert not uses_strokes(canvas)
    np.testing.assert_array_equal(canvas_vector(canvas), raster_vector(canvas))


def test_blank_and_speck_are_no_digit(canvas):
    assert canvas_vector(canvas) is None
    canvas.replay_stroke(np.array([[100, 100], [102, 101]]))
    assert canvas_vector(canvas) is None


def test_live_stroke_counts_before_it_ends(canvas):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    draw(canvas, FOUR[:1])
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(160, 60))
    QTest.mouseMove(canvas, QPoint(157, 240))
    assert canvas.is_drawing()
    live = canvas.stroke_points(include_live=True)
    assert len(live) == 2 and len(canvas.stroke_points()) == 1
    np.testing.assert_allclose(canvas_vector(canvas), render_strokes(live, frame_size=canvas.side()), atol=1e-6)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(157, 240))
