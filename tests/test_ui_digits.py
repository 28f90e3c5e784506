"""Corrections on the Draw tab and the My digits tab, through real mouse and key events
(offscreen, the bundled model, a user data folder of the test's own)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.mydigits import DigitStore
from digitpad.paths import resource_path
from test_ui_window import mouse_stroke, one_points


def draw_one(window, qtbot):
    with qtbot.waitSignal(window.draw_tab.predicted, check_params_cb=lambda p, final: final):
        mouse_stroke(window.canvas, one_points(window.canvas))
    assert window.draw_tab.prediction.digit == 1
    window.canvas.setFocus()


def leaning(canvas, lean: float):
    """A 1 whose foot is moved by ``lean`` pixels (a different shape for each lean)."""
    pts = one_points(canvas)
    return [(x + lean * j / (len(pts) - 1), y) for j, (x, y) in enumerate(pts)]


def store_of(window) -> DigitStore:
    return window.digits_tab.store


def test_a_digit_key_on_the_canvas_stores_the_drawing_and_ctrl_z_takes_it_back(window, qtbot):
    draw_one(window, qtbot)
    strokes_before = window.canvas.stroke_points()
    QTest.keyClick(window.canvas, Qt.Key.Key_7)
    (digit,) = store_of(window).digits()
    assert digit.label == 7 and digit.predicted == 1 and digit.state == "digit" and digit.wrong_before
    assert digit.model == window.draw_tab.predictor.name and len(digit.strokes) == 1
    np.testing.assert_array_equal(digit.input, np.clip(np.rint(window.draw_tab.vector * 255), 0, 255)
                                  if window.draw_tab.vector is not None else digit.input)
    assert window.canvas.is_blank()  # ready for the next digit
    text = window.statusBar().currentMessage()
    assert "Stored as 7" in text and "read 1" in text and "Ctrl+Z" in text

    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store_of(window).count() == 0
    assert len(window.canvas.strokes()) == 1  # the drawing is back
    np.testing.assert_allclose(window.canvas.stroke_points()[0], strokes_before[0])
    assert "Took back" in window.statusBar().currentMessage()
    # The next Ctrl+Z is the stroke's undo again.
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.is_blank() and store_of(window).count() == 0


def test_enter_confirms_and_a_click_on_a_bar_corrects(window, qtbot):
    draw_one(window, qtbot)
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    (confirmed,) = store_of(window).digits()
    assert confirmed.label == 1 and not confirmed.wrong_before
    assert "read it right" in window.statusBar().currentMessage()

    mouse_stroke(window.canvas, leaning(window.canvas, 8))
    chart = window.draw_tab.chart.build()
    qtbot.waitUntil(lambda: chart.isVisible())
    x, y = chart.bar_centre(4)
    QTest.mouseClick(chart, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(round(x), round(y)))
    labels = [d.label for d in store_of(window).digits()]
    assert labels == [1, 4]
    assert "Stored as 4" in window.statusBar().currentMessage()


def test_nothing_is_stored_from_a_blank_canvas_and_keys_elsewhere_do_nothing(window, qtbot):
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_3)
    assert store_of(window).count() == 0 and "Draw a digit first" in window.statusBar().currentMessage()
    draw_one(window, qtbot)
    window.tabs.setCurrentWidget(window.digits_tab)
    QTest.keyClick(window.digits_tab.gallery, Qt.Key.Key_5)  # not the canvas: no correction
    assert store_of(window).count() == 0


def test_my_digits_gallery_filter_delete_undo_export_import(window, qtbot, tmp_path):
    for key in (Qt.Key.Key_1, Qt.Key.Key_7, Qt.Key.Key_1):
        mouse_stroke(window.canvas, leaning(window.canvas, 6 * window.digits_tab.store.count()))
        window.canvas.setFocus()
        QTest.keyClick(window.canvas, key)
    assert store_of(window).counts()[1] == 2 and store_of(window).counts()[7] == 1
    tab = window.digits_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.gallery.count() == 3)
    assert tab.filter_box.itemText(0) == "All digits (3)" and tab.filter_box.itemText(8) == "7  (1, 1 wrong before)"
    tab.wrong_box.click()
    assert tab.gallery.count() == 1 and tab.gallery.item(0).text() == "7"
    tab.wrong_box.click()
    tab.filter_box.setCurrentIndex(2)  # "1"
    assert tab.gallery.count() == 2

    tab.gallery.setFocus()
    tab.gallery.setCurrentRow(0)
    QTest.keyClick(tab.gallery, Qt.Key.Key_Delete)
    assert store_of(window).count() == 2 and tab.gallery.count() == 1
    QTest.mouseClick(tab.undo_button, Qt.MouseButton.LeftButton)
    assert store_of(window).count() == 3 and tab.gallery.count() == 2

    out = tmp_path / "mine.npz"
    assert tab.export_to(out) and out.is_file()
    assert tab.import_from(out) and "3 were already there" in window.statusBar().currentMessage()
    assert not tab.import_from(tmp_path / "missing.npz")
    assert "Cannot import" in window.statusBar().currentMessage() and store_of(window).count() == 3


@pytest.mark.slow
def test_personalise_in_the_window_switches_the_model_and_revert_works(window, qtbot):
    from digitpad.personalise import PersonaliseConfig

    for i in range(4):
        mouse_stroke(window.canvas, leaning(window.canvas, 6 * i))
        window.canvas.setFocus()
        QTest.keyClick(window.canvas, Qt.Key.Key_7)
    tab = window.digits_tab
    window.tabs.setCurrentWidget(tab)
    config = PersonaliseConfig(epochs=1, copies=2, replay=200, pen_replay=20, seed=1,
                               data_path=str(resource_path("mnist_slice.npz")))
    with qtbot.waitSignal(tab.modelReady, timeout=240_000):
        assert tab.start_personalise(config)
        assert tab.cancel_button.isVisible() and not tab.personalise_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=30_000)
    predictor = window.draw_tab.predictor
    assert predictor.name == "digitpad CNN (personalised)"
    assert predictor.meta["personalised"]["digits"] == 4
    assert "personalised" in window.model_label.text().lower()
    from PySide6.QtWidgets import QTableWidget

    dialog = window.show_model_info()
    (table,) = dialog.findChildren(QTableWidget)
    rows = {table.item(i, 0).text(): table.item(i, 1).text() for i in range(table.rowCount())}
    assert rows["Personalised"].startswith("on 4 of your digits (from digitpad CNN)")
    dialog.close()
    assert window.revert_to_bundled() and window.draw_tab.predictor.name == "digitpad CNN"


@pytest.mark.slow
def test_personalise_cancel_leaves_the_model_alone(window, qtbot):
    from digitpad.personalise import PersonaliseConfig

    mouse_stroke(window.canvas, one_points(window.canvas))
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_7)
    tab = window.digits_tab
    window.tabs.setCurrentWidget(tab)
    name = window.draw_tab.predictor.name
    assert tab.start_personalise(PersonaliseConfig(epochs=50, data_path=str(resource_path("mnist_slice.npz"))))
    QTest.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=240_000)
    assert window.draw_tab.predictor.name == name
    assert "cancelled" in tab.stage_label.text()


def test_the_train_tab_can_include_my_digits(window, qtbot):
    form = window.train_tab.form
    assert form.config().my_digits is None
    window.show_train_tab()
    QTest.mouseClick(form.my_digits_box, Qt.MouseButton.LeftButton)
    assert form.config().my_digits == str(store_of(window).path)


def test_a_key_on_a_number_stores_the_digit_the_panel_shows_and_keeps_the_number(window, qtbot):
    from test_ui_numbers import write_with_mouse

    tab = window.draw_tab
    write_with_mouse(window.canvas, "2026")
    assert tab.number.text == "2026" and tab.selected_digit() == 3  # the 6, drawn last
    strokes = len(window.canvas.strokes())
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_6)
    (digit,) = store_of(window).digits()
    assert digit.label == 6 and digit.predicted == 6
    np.testing.assert_array_equal(digit.input, np.clip(np.rint(tab.number.digits[3].vector * 255), 0, 255))
    assert len(window.canvas.strokes()) == strokes  # the number stays, to correct its other digits
    assert "digit 4 of 4" in window.statusBar().currentMessage()
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store_of(window).count() == 0 and len(window.canvas.strokes()) == strokes
