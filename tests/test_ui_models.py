"""Model → Models…: list, make active, rename, delete, info — with real clicks and keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QTableWidget

from test_catalog import keep


@pytest.fixture
def kept(window, tmp_path, monkeypatch):
    """Two kept models in an isolated data folder (Qt's test-mode folders live under HOME)."""
    from digitpad.ui.user_models import models_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = models_dir()
    older = keep(folder, "20260101-100000-cnn", "2026-01-01T10:00:00")
    newer = keep(folder, "20260301-100000-cnn", "2026-03-01T10:00:00")
    return older, newer


def click(widget, pos=None):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos or widget.rect().center())


def click_row(dialog, row):
    table = dialog.table
    click(table.viewport(), table.visualItemRect(table.item(row, 1)).center())


def open_dialog(qtbot, window):
    dialog = window.show_models()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=3000)
    return dialog


def names(dialog):
    return [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]


def test_the_dialog_lists_the_bundled_model_and_the_kept_ones(window, kept):
    window.models_action.trigger()
    dialog = window.findChild(type(window.show_models()), None)
    assert dialog is not None
    shown = names(dialog)
    assert shown[0].startswith("Bundled model") and shown[0].endswith("✓ active")
    assert len(shown) == 3 and dialog.entries()[1].base == kept[1]  # newest first
    assert not dialog.rename_button.isEnabled() and not dialog.delete_button.isEnabled()  # bundled row


def test_make_a_kept_model_active_then_the_bundled_one_again(window, kept):
    dialog = window.show_models()
    click_row(dialog, 2)
    click(dialog.activate_button)
    assert window.draw_tab.predictor.base == kept[0]
    assert names(dialog)[2].endswith("✓ active") and not names(dialog)[0].endswith("✓ active")
    assert window._settings.value("model/active") == str(kept[0])
    click_row(dialog, 0)
    click(dialog.activate_button)
    assert window.draw_tab.predictor.base == window.draw_tab.predictor.bundled().base


def test_rename_in_place_with_the_keyboard(qtbot, window, kept):
    dialog = open_dialog(qtbot, window)
    click_row(dialog, 1)
    click(dialog.activate_button)
    click(dialog.rename_button)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and dialog.isAncestorOf(editor)
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(editor, "Thick pen, 3 renderings")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not editor, timeout=2000)  # the edit is committed
    assert names(dialog)[1] == "Thick pen, 3 renderings  ✓ active"
    from digitpad.modelfiles import read_meta

    assert read_meta(kept[1])["name"] == "Thick pen, 3 renderings"
    assert "Thick pen, 3 renderings" in window.model_label.text()  # the status bar follows


def test_an_empty_name_is_refused_and_nothing_changes(qtbot, window, kept):
    dialog = open_dialog(qtbot, window)
    click_row(dialog, 2)
    click(dialog.rename_button)
    editor = QApplication.focusWidget()
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not editor, timeout=2000)  # the edit is committed
    assert "needs a name" in dialog.message.text()
    assert names(dialog)[2] == "digitpad CNN"


def test_delete_asks_first_and_deleting_the_active_model_falls_back(window, kept, monkeypatch):
    from digitpad.ui import models_dialog

    answers = []
    monkeypatch.setattr(models_dialog, "confirm_delete", lambda parent, name, active: answers.append(active) or len(answers) > 1)
    dialog = window.show_models()
    click_row(dialog, 1)
    click(dialog.activate_button)
    click(dialog.delete_button)  # answered No
    assert kept[1].parent.exists() and len(names(dialog)) == 3
    click(dialog.delete_button)  # answered Yes
    assert answers == [True, True]
    assert not kept[1].parent.exists() and len(names(dialog)) == 2
    assert window.draw_tab.predictor.base == window.draw_tab.predictor.bundled().base
    assert names(dialog)[0].endswith("✓ active")


def test_info_shows_the_chosen_models_description(window, kept):
    dialog = window.show_models()
    click_row(dialog, 2)
    info = dialog.show_info()
    table = info.findChild(QTableWidget, "model_info_table")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Trained"] == "2026-01-01 10:00" and rows["Active"] == "no"
    info.close()
