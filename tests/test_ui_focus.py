"""Keyboard focus and per-tab shortcuts, with real mouse and key events on the real window.

Keys are sent to whichever widget has the focus (as a keyboard would), never to a chosen
widget, so a spin box that keeps the focus really does swallow Ctrl+Z and Delete here.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from test_ui_window import mouse_stroke, one_points

CTRL = Qt.KeyboardModifier.ControlModifier



def erasing(canvas) -> bool:
    """The eraser is on: the canvas shows the eraser's cursor, not the pen's cross."""
    return canvas.cursor().shape() == Qt.CursorShape.BitmapCursor

def key(k, modifier=Qt.KeyboardModifier.NoModifier):
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    QTest.keyClick(target, k, modifier)


def click(widget, pos=None):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos or widget.rect().center())


@pytest.fixture
def active(qtbot, window):
    window.train_tab.preload_tensorflow = False  # no TensorFlow import when the tab shows
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=3000)
    return window


def test_the_canvas_has_the_keys_when_the_window_opens(active):
    assert QApplication.focusWidget() is active.canvas
    mouse_stroke(active.canvas, one_points(active.canvas))
    key(Qt.Key.Key_Z, CTRL)
    assert active.canvas.is_blank()


def test_typing_a_pen_width_then_enter_gives_the_keys_back_to_the_canvas(active):
    box = active.pen_width_box
    click(box.lineEdit())
    assert QApplication.focusWidget() in (box, box.lineEdit())
    box.lineEdit().selectAll()
    for ch in "30":
        key(getattr(Qt.Key, f"Key_{ch}"))
    key(Qt.Key.Key_Return)
    assert box.value() == 30 and active.canvas.pen_width() == 30
    assert QApplication.focusWidget() is active.canvas
    mouse_stroke(active.canvas, one_points(active.canvas))
    key(Qt.Key.Key_E)
    assert erasing(active.canvas) and active.eraser_action.isChecked()
    key(Qt.Key.Key_Z, CTRL)
    assert active.canvas.is_blank()
    assert box.value() == 30


def test_drawing_takes_the_focus_back_from_the_pen_width_box(active):
    box = active.pen_width_box
    click(box.lineEdit())
    assert QApplication.focusWidget() is not active.canvas
    mouse_stroke(active.canvas, one_points(active.canvas))
    assert QApplication.focusWidget() is active.canvas
    key(Qt.Key.Key_Delete)
    assert active.canvas.is_blank(), "Delete must clear the canvas, not the box"
    assert box.value() == box.value() and box.text().strip() != " px"
    mouse_stroke(active.canvas, one_points(active.canvas))
    key(Qt.Key.Key_Z, CTRL)
    assert active.canvas.is_blank()


def test_draw_keys_and_toolbar_belong_to_the_draw_tab(qtbot, active):
    canvas = active.canvas
    mouse_stroke(canvas, one_points(canvas))
    assert active.draw_tab.toolbar.isVisible()
    bar = active.tabs.tabBar()
    click(bar, bar.tabRect(1).center())
    assert active.tabs.currentWidget() is active.train_tab
    assert not active.draw_tab.toolbar.isVisible() and not active.pen_width_box.isVisible()
    window_keys = [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
                   (Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_Z, CTRL)]
    for k, m in window_keys:
        QTest.keyClick(QApplication.focusWidget() or active, k, m)
    assert len(canvas.strokes()) == 1 and not erasing(canvas)
    assert not any(a.isEnabled() for a in (active.undo_action, active.clear_action, active.eraser_action))
    # Still in the menu, greyed out; the window-wide commands are untouched.
    assert active.clear_action in active.edit_menu.actions()
    assert active.open_action.isEnabled() and active.model_info_action.isEnabled()
    click(bar, bar.tabRect(0).center())
    assert QApplication.focusWidget() is canvas
    assert active.undo_action.isEnabled() and not active.redo_action.isEnabled()
    key(Qt.Key.Key_Escape)
    assert canvas.is_blank()


def test_a_new_tab_can_scope_its_own_actions(qtbot, active):
    """The mechanism is per tab, not Draw-only (other tabs add their keys the same way)."""
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QLabel

    fired = []
    action = QAction("Say hello", active)
    action.setShortcut(QKeySequence("Ctrl+H"))
    action.triggered.connect(lambda: fired.append(1))
    active.addAction(action)
    page = QLabel("hello")
    page.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    index = active.add_tab(page, "Hello", actions=[action])
    key(Qt.Key.Key_H, CTRL)
    assert fired == []
    active.tabs.setCurrentIndex(index)
    page.setFocus()
    key(Qt.Key.Key_H, CTRL)
    assert fired == [1]


def test_shortcuts_table_is_read_only_and_says_where_keys_work(active):
    from PySide6.QtWidgets import QAbstractItemView, QTableWidget

    dialog = active.show_shortcuts()
    table = dialog.findChild(QTableWidget, "shortcuts_table")
    assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert rows["Clear"] == ("Esc, Del", "Draw tab")
    assert rows["Open image"] == ("Ctrl+O", "Everywhere")
    assert rows["Open image (drop a file on the canvas)"][1] == "Draw tab"
    item = table.item(0, 0)
    QTest.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      table.visualItemRect(item).center())
    assert table.indexWidget(table.indexFromItem(item)) is None and not table.isPersistentEditorOpen(item)
    dialog.close()


def test_the_eraser_has_its_own_cursor(active):
    canvas = active.canvas
    normal = canvas.cursor().shape()
    key(Qt.Key.Key_E)
    assert canvas.cursor().shape() == Qt.CursorShape.BitmapCursor and not canvas.cursor().pixmap().isNull()
    key(Qt.Key.Key_E)
    assert canvas.cursor().shape() == normal == Qt.CursorShape.CrossCursor
