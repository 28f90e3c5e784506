"""Writing a number in the real window with real mouse strokes (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from test_numbers import write

pytestmark = pytest.mark.usefixtures("qt_settings")


def pixels(vector):
    """The preview's picture of a model input."""
    return np.clip(np.asarray(vector).reshape(28, 28) * 255 + 0.5, 0, 255).astype(np.uint8)


def mouse_stroke(canvas, points):
    """Press, move through every point, release: the mouse's own path into the canvas."""
    origin = -canvas.to_canvas(QPointF(0, 0))
    pts = [QPoint(round(x + origin.x()), round(y + origin.y())) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])


def hover(widget, pos: QPointF) -> None:
    """A mouse move with no button held (sent as such: QTest's moves carry whatever
    buttons an earlier test left pressed in its global state)."""
    event = QMouseEvent(QEvent.Type.MouseMove, pos, widget.mapToGlobal(pos), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def write_with_mouse(canvas, text, gap=22.0):
    """Draw ``text`` (synthetic digits, see test_numbers) across the canvas with the mouse;
    returns each digit's box centre in canvas coordinates."""
    strokes, groups = write(text, gap=gap)
    pts = np.concatenate(strokes)
    side = canvas.side()
    scale = 0.84 * side / max(np.ptp(pts[:, 0]), 1e-9)
    scale = min(scale, 0.3 * side / np.ptp(pts[:, 1]))
    offset = np.array([0.08 * side, 0.35 * side])
    placed = [(s - pts.min(axis=0)) * scale + offset for s in strokes]
    for s in placed:
        # Dense points, as a real mouse delivers them.
        dense = np.concatenate([np.linspace(a, b, 6, endpoint=False) for a, b in zip(s[:-1], s[1:])] + [s[-1:]])
        mouse_stroke(canvas, dense)
    centres = []
    for g in groups:
        p = np.concatenate([placed[i] for i in g])
        centres.append((p.min(axis=0) + p.max(axis=0)) / 2)
    return centres


def test_writing_a_number_reads_it_boxes_each_digit_and_copies_it(qtbot, window):
    tab = window.draw_tab
    canvas = tab.canvas
    centres = write_with_mouse(canvas, "2026")
    assert tab.digit_label.text() == "2026"
    assert tab.number.text == "2026"
    assert tab.overlay.isVisible() and len(tab.overlay.reading()) == 4
    # The panel shows the digit last drawn on: the 6.
    assert tab.selected_digit() == 3
    assert tab.chart.highlighted() == 6
    np.testing.assert_array_equal(tab.preview.pixels(), pixels(tab.number.digits[3].vector))

    # The mouse over the first 2 (no button): the chart and preview follow it.
    origin = -canvas.to_canvas(QPointF(0, 0))
    x, y = centres[1]
    hover(canvas, QPointF(x + origin.x(), y + origin.y()))
    assert tab.selected_digit() == 1
    assert tab.chart.highlighted() == 0
    np.testing.assert_allclose(tab.chart.bar_heights(), tab.number.digits[1].prediction.probabilities, atol=1e-6)
    np.testing.assert_array_equal(tab.preview.pixels(), pixels(tab.number.digits[1].vector))
    assert tab.overlay.selected() == 1
    assert "digit 2" in tab.confidence_label.text()

    # Each box holds its digit's strokes and the boxes do not swallow each other.
    rects = [tab.overlay.box_rect(i) for i in range(4)]
    for r, (x, y) in zip(rects, centres):
        assert r.contains(QPointF(x + origin.x(), y + origin.y()))
    assert [r.left() for r in rects] == sorted(r.left() for r in rects)

    QGuiApplication.clipboard().clear()
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "2026"

    # Undo the 6: the number is 202; undo all but one digit: back to one digit.
    window.undo_action.trigger()
    assert tab.digit_label.text() == "202"
    for _ in range(2):
        window.undo_action.trigger()
    assert tab.digit_label.text() == "2"
    assert not tab.overlay.isVisible()


def _boxes_hold_their_ink(tab, canvas) -> list[float]:
    """Per digit box as the overlay paints it: the share of the ink of its columns (on the
    canvas as painted now) that lies inside it."""
    ink = canvas.ink_array()
    ratio = ink.shape[0] / canvas.side()
    origin = -canvas.to_canvas(QPointF(0, 0))
    shares = []
    for i in range(len(tab.overlay.reading())):
        r = tab.overlay.box_rect(i).translated(-origin)
        x0, y0, x1, y1 = (max(round(v * ratio), 0) for v in (r.left(), r.top(), r.right(), r.bottom()))
        columns = ink[:, x0:x1].sum()
        shares.append(float(ink[y0:y1, x0:x1].sum() / columns) if columns else 0.0)
    return shares


@pytest.mark.parametrize("what", ["strokes", "picture"])
def test_the_boxes_stay_on_their_digits_when_the_window_is_resized(qtbot, window, tmp_path, what):
    # They were read once, in the canvas's pixels, and stayed where they were while the
    # drawing or picture was painted at the new size.
    tab, canvas = window.draw_tab, window.draw_tab.canvas
    if what == "strokes":
        write_with_mouse(canvas, "2026")
    else:
        path = tmp_path / "number.png"
        _number_picture(path, (0, 1, 2))
        assert window.open_image(path)
        qtbot.waitUntil(lambda: not tab.picture_pending(), timeout=20000)
    count = len(tab.overlay.reading())
    assert count >= 3 and min(_boxes_hold_their_ink(tab, canvas)) > 0.9
    before = canvas.side()
    window.resize(640, 440)
    qtbot.waitUntil(lambda: canvas.side() < 0.8 * before, timeout=5000)
    qtbot.waitUntil(lambda: min(_boxes_hold_their_ink(tab, canvas)) > 0.9, timeout=5000)
    assert len(tab.overlay.reading()) == count


def test_one_digit_of_two_strokes_looks_exactly_as_before(qtbot, window, ui_predictor):
    from digitpad.ui.model_input import canvas_vector

    tab = window.draw_tab
    write_with_mouse(tab.canvas, "4")
    assert len(tab.canvas.strokes()) == 2
    assert tab.number.text == ""
    assert not tab.overlay.isVisible()
    assert tab.digit_label.text() == "4"
    assert tab.confidence_label.text().startswith("Confidence ")
    expected = ui_predictor.predict(canvas_vector(tab.canvas))
    assert tab.prediction.digit == expected.digit
    assert tab.prediction.confidence == pytest.approx(expected.confidence)
    QGuiApplication.clipboard().clear()
    window.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == "4"


def test_a_long_number_fits_the_panel(qtbot, window):
    tab = window.draw_tab
    write_with_mouse(tab.canvas, "41752026", gap=14.0)
    assert len(tab.number) == 8
    assert tab.digit_label.sizeHint().width() <= tab.panel.width()


def _number_picture(path, indices, gap=6):
    """MNIST digits of the shipped slice side by side (``gap`` blank columns between their
    boxes), four times the size, dark on white, saved as a PNG; their labels (the
    screenshot tool's picture, tools/screenshot_picture.py)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from screenshot_picture import mnist_picture

    return mnist_picture(indices, path, gap, 6)


def test_an_opened_picture_of_a_number_reads_like_predict_number(qtbot, window, ui_predictor, tmp_path):
    from digitpad.numbers import read_image
    from digitpad.preprocessing import load_image

    tab, canvas = window.draw_tab, window.draw_tab.canvas
    path = tmp_path / "number.png"
    labels = _number_picture(path, (0, 1, 2))
    expected = read_image(load_image(path), ui_predictor)  # what `digitpad predict --number` reads
    assert expected.text == labels  # the picture is a fair test: the reader gets it right
    assert window.open_image(path)
    # At once: the picture, read the single-digit way; the number once the worker read it.
    assert tab.picture_pending()
    qtbot.waitUntil(lambda: not tab.picture_pending(), timeout=20000)
    assert tab.number.text == tab.digit_label.text() == labels
    assert tab.overlay.isVisible() and len(tab.overlay.reading()) == 3
    assert tab.selected_digit() == 0 and tab.chart.highlighted() == int(labels[0])
    for got, want in zip(tab.number.digits, expected.digits):
        np.testing.assert_allclose(got.prediction.probabilities, want.prediction.probabilities)

    # Each box lies over its digit as the canvas draws the picture (scaled to fit, centred).
    ink = canvas.ink_array()
    ratio = ink.shape[0] / canvas.side()
    rects = [tab.overlay.box_rect(i) for i in range(3)]
    assert [r.left() for r in rects] == sorted(r.left() for r in rects)
    origin = -canvas.to_canvas(QPointF(0, 0))
    for i, d in enumerate(tab.number.digits):
        x0, y0, x1, y1 = (round(v * ratio) for v in d.box)
        inside = ink[y0:y1, x0:x1].sum()
        assert inside > 0.8 * ink[:, max(x0 - 4, 0) : x1 + 4].sum()  # nearly all the ink of its columns
        r = rects[i]
        assert r.contains(QPointF((d.box[0] + d.box[2]) / 2 + origin.x(), (d.box[1] + d.box[3]) / 2 + origin.y()))
    # The boxes hold the picture's ink already: no pen-width margin (the pen is 18 px here).
    window.draw_tab.pen_width_box.setValue(18)
    assert tab.overlay.box_rect(0).width() <= (tab.number.digits[0].box[2] - tab.number.digits[0].box[0]) + 8

    # The mouse over the third digit: the chart and the preview show it.
    d = tab.number.digits[2]
    hover(canvas, QPointF((d.box[0] + d.box[2]) / 2 + origin.x(), (d.box[1] + d.box[3]) / 2 + origin.y()))
    assert tab.selected_digit() == 2 and tab.chart.highlighted() == int(labels[2])
    np.testing.assert_array_equal(tab.preview.pixels(), pixels(d.vector))

    QGuiApplication.clipboard().clear()
    window.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == labels

    # Drawing on the picture: the drawing is read as before (one digit, raster route).
    mouse_stroke(canvas, [(20, 20), (40, 40)])
    assert tab.number.text == "" and not tab.overlay.isVisible()
    window.undo_action.trigger()  # the picture alone again: its number again
    assert tab.number.text == labels


def test_a_picture_of_one_digit_whose_ink_parts_still_reads_as_that_digit(qtbot, window, ui_predictor, tmp_path,
                                                                          monkeypatch):
    from PIL import Image

    from digitpad.numbers import DigitCentres, read_image

    # The digit centres part none of the slice's digits; read as without their file
    # (the ink separator and the cuts), some part, and the window's rule still holds.
    monkeypatch.setattr(DigitCentres, "_bundled", None)
    from digitpad.paths import resource_path
    from digitpad.preprocessing import preprocess

    data = np.load(resource_path("mnist_slice.npz"))
    tab = window.draw_tab
    parted = 0
    for i, (x, y) in enumerate(zip(data["x_test"], data["y_test"])):
        image = 255 - x
        if len(read_image(image, ui_predictor)) < 2:
            continue  # the usual case: one digit read as one
        expected = ui_predictor.predict(preprocess(image))
        if expected.digit is None or expected.confidence < 0.99:
            continue
        parted += 1
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(image).save(path)
        assert window.open_image(path)
        qtbot.waitUntil(lambda: not tab.picture_pending(), timeout=20000)
        # as before numbers were read from pictures: the single-digit answer, no boxes
        assert tab.number.text == "" and not tab.overlay.isVisible()
        assert tab.prediction.digit == expected.digit == int(y)
        assert tab.digit_label.text() == str(int(y))
    assert parted >= 3  # the slice holds such digits (a 6 whose ink parts into "1" and "0")


def test_a_wide_picture_of_a_number_is_a_number_even_when_the_model_is_sure_of_one_digit(
        qtbot, window, ui_predictor, tmp_path):
    """The whole of a wide picture squeezed into 28x28 can read as a sure digit (a "21" as
    4 at 100 %): pieces together at least PICTURE_WIDE times as wide as tall are a number."""
    from digitpad.numbers import read_image
    from digitpad.preprocessing import load_image, preprocess
    from digitpad.ui.draw_tab import PICTURE_ONE_DIGIT, PICTURE_WIDE, reading_aspect

    tab = window.draw_tab
    for indices in ((43, 46), (30, 32)):  # "21" and "33" of the slice
        path = tmp_path / f"wide{indices[0]}.png"
        labels = _number_picture(path, indices)
        image = load_image(path)
        whole = ui_predictor.predict(preprocess(image))
        reading = read_image(image, ui_predictor)
        # a fair test: sure of one digit as a whole, the number read right, and wide
        assert whole.digit is not None and whole.confidence >= PICTURE_ONE_DIGIT
        assert reading.text == labels and reading_aspect(reading) >= PICTURE_WIDE
        assert window.open_image(path)
        qtbot.waitUntil(lambda: not tab.picture_pending(), timeout=20000)
        assert tab.number.text == tab.digit_label.text() == labels
        assert tab.overlay.isVisible() and len(tab.overlay.reading()) == 2


def test_a_picture_read_after_the_canvas_moved_on_is_not_shown(qtbot, window, tmp_path):
    tab = window.draw_tab
    path = tmp_path / "number.png"
    _number_picture(path, (0, 1, 2))
    assert window.open_image(path)
    assert tab.picture_pending()
    window.canvas.clear()  # before the worker is done
    qtbot.waitUntil(lambda: not tab.picture_pending(), timeout=20000)
    qtbot.wait(50)
    assert tab.number.text == "" and not tab.overlay.isVisible()
    assert tab.prediction.state == "empty" and tab.digit_label.text() == ""
    window.undo_action.trigger()  # the picture back: read again, now shown
    qtbot.waitUntil(lambda: len(tab.number) == 3, timeout=20000)
