"""The window at the sizes people have: a 1280x720 screen, 2x scaling on 1920x1080
(960x540 logical pixels), and large windows, where the side panel grows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from digitpad.ui.replay import load_sample_digit, replay
from test_ui_window import mouse_stroke, one_points

# 1920x1080 at 2x: 960x540 logical pixels, less a title bar and a task bar.
SMALL = (960, 540 - 60)


def settle(qtbot, window, w, h):
    window.resize(w, h)
    qtbot.waitUntil(lambda: window.size().width() == max(w, window.minimumSizeHint().width()), timeout=2000)
    qtbot.wait(30)


def test_the_window_fits_a_screen_scaled_2x(window):
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], hint
    window.train_tab.preload_tensorflow = False
    window.tabs.setCurrentWidget(window.train_tab)
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], hint


@pytest.mark.parametrize("size", [SMALL, (1280, 720), (1900, 1040)])
def test_draw_tab_is_whole_at_every_size_and_the_canvas_has_no_side_margins(qtbot, window, size):
    settle(qtbot, window, *size)
    tab = window.draw_tab
    canvas = tab.canvas
    # The canvas is a square as tall as the tab allows: no grey margins beside it.
    assert abs(canvas.width() - canvas.height()) <= 2, (canvas.width(), canvas.height())
    # Everything in the panel is inside the window, at no less than its minimum size.
    for w in (tab.digit_label, tab.confidence_label, tab.chart, tab.preview, tab.clear_button):
        top_left = w.mapTo(window, QPoint(0, 0))
        assert w.isVisible() and w.height() >= w.minimumSizeHint().height() - 1, w
        assert top_left.y() + w.height() <= window.height() and top_left.x() + w.width() <= window.width()
    # And it works: drawing with the mouse at this size still reads a 1.
    mouse_stroke(canvas, one_points(canvas))
    assert tab.prediction.digit == 1


def test_the_side_panel_grows_with_the_window(qtbot, window):
    tab = window.draw_tab
    replay(tab.canvas, load_sample_digit()[1])
    settle(qtbot, window, 1000, 640)
    small = (tab.panel.width(), tab.preview.zoom(), tab.digit_label.font().pixelSize(), tab.chart.height())
    settle(qtbot, window, 1900, 1040)
    large = (tab.panel.width(), tab.preview.zoom(), tab.digit_label.font().pixelSize(), tab.chart.height())
    assert large[0] > small[0] * 1.5, (small, large)
    assert large[1] >= small[1] + 2, (small, large)  # the 28x28 preview is not stuck at 6x
    assert large[2] > small[2] and large[3] > small[3]


def test_a_dragged_splitter_holds_until_the_window_is_resized(qtbot, window):
    tab = window.draw_tab
    settle(qtbot, window, 1200, 700)
    handle = tab.splitter.handle(1)
    start = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(handle, start - QPoint(150, 0))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start - QPoint(150, 0))
    dragged = tab.canvas.width()
    assert dragged < tab.canvas.height() - 100
    settle(qtbot, window, 1250, 700)
    assert abs(tab.canvas.width() - tab.canvas.height()) <= 2


def test_train_settings_scroll_at_2x_and_tab_reaches_start(qtbot, window):
    """At 960x480 logical pixels the settings do not fit: they scroll (nothing is cut off
    sideways), and tabbing through them brings Start into view."""
    from PySide6.QtWidgets import QApplication

    window.train_tab.preload_tensorflow = False
    settle(qtbot, window, *SMALL)
    bar = window.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bar.tabRect(1).center())
    tab = window.train_tab
    scroll = tab.settings_scroll
    qtbot.waitUntil(lambda: scroll.isVisible())
    inner = scroll.widget()
    # A long file name in the pen-data line (words cannot wrap) widens the column with it.
    tab.form.pen_label.setText("Pen data: pendigits_strokes.npz, unipen_nondigits_train_strokes_and_more.npz")
    qtbot.waitUntil(lambda: inner.minimumSizeHint().width() <= scroll.viewport().width() + 1, timeout=2000)
    assert window.width() <= SMALL[0]
    assert scroll.verticalScrollBar().maximum() > 0  # it scrolls
    start = tab.start_button
    tab.form.preset_box.setFocus()
    for _ in range(40):
        if QApplication.focusWidget() is start:
            break
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is start
    top_left = start.mapTo(scroll.viewport(), QPoint(0, 0))
    assert 0 <= top_left.y() and top_left.y() + start.height() <= scroll.viewport().height()
    # The chart and the log share the right side.
    chart, log = tab.results.chart, tab.results.results_tabs
    assert chart.height() >= chart.minimumHeight() and log.height() >= 80
