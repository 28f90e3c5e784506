"""Past runs are fully viewable and usable: settings, confusion matrix, make their model
active, train them again; and the Train settings are remembered between sessions."""

from __future__ import annotations

import shutil

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.training import TrainConfig
from test_catalog import keep
from test_ui_train import fake_result, user_home  # noqa: F401 - fixture


def click(widget):
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget.rect().center())


def two_runs(kept_base=None):
    from digitpad.ui.user_models import RunRecord, save_run

    a = RunRecord.from_result(fake_result(TrainConfig.for_preset("tutorial", seed=7, epochs=4, batch_size=64), epochs=4))
    a.run_id, a.date = "20240101-100000", "2024-01-01T10:00:00+00:00"
    a.model = None if kept_base is None else str(kept_base)
    save_run(a)
    b = RunRecord.from_result(fake_result(TrainConfig.for_preset("tutorial", seed=7, epochs=4, batch_size=64), epochs=4))
    b.run_id, b.date = "20240101-100030", "2024-01-01T10:00:30+00:00"
    save_run(b)
    return a, b


def pick_run(window, qtbot, index):
    """Choose a past run with the keyboard, as a user would."""
    box = window.train_tab.runs_box
    box.setFocus()
    while box.currentIndex() != index:
        QTest.keyClick(box, Qt.Key.Key_Down if box.currentIndex() < index else Qt.Key.Key_Up)


def test_identical_runs_look_different_and_show_settings_and_confusion(qtbot, window, user_home):  # noqa: F811
    a, b = two_runs()
    window.train_tab.preload_tensorflow = False
    window.show_train_tab()
    box = window.train_tab.runs_box
    titles = [box.itemText(i) for i in range(box.count())]
    assert len(set(titles)) == 2 and "10:00:30" in titles[0] and "4 ep, batch 64" in titles[0]
    pick_run(window, qtbot, 1)
    results = window.train_tab.results
    assert "2024-01-01 10:00" in results.result_label.text()
    assert "batch 64" in results.status_label.text() and "seed 7" in results.status_label.text()
    np.testing.assert_array_equal(results.confusion.matrix(), np.asarray(a.confusion()))
    assert results.results_tabs.currentIndex() == 1  # the confusion matrix is shown


def test_a_past_runs_model_can_be_made_active_again(qtbot, window, user_home):  # noqa: F811
    from digitpad.ui.user_models import models_dir

    base = keep(models_dir(), "20240101-100000-tutorial", "2024-01-01T10:00:00", display="Run of New Year")
    two_runs(kept_base=base)
    window.train_tab.preload_tensorflow = False
    window.show_train_tab()
    tab = window.train_tab
    pick_run(window, qtbot, 0)  # the newer run kept nothing
    assert not tab.run_activate_button.isEnabled()
    pick_run(window, qtbot, 1)
    assert tab.run_activate_button.isEnabled() and "kept" in tab.runs_box.currentText()
    click(tab.run_activate_button)
    assert window.draw_tab.predictor.base == base and "Run of New Year" in window.model_label.text()
    shutil.rmtree(base.parent)  # a kept model deleted since: nothing to activate
    pick_run(window, qtbot, 0)
    pick_run(window, qtbot, 1)
    assert not tab.run_activate_button.isEnabled()


def test_use_its_settings_then_they_are_remembered_for_the_next_session(qtbot, qt_settings, window, user_home, ui_predictor):  # noqa: F811
    from digitpad.ui.main_window import MainWindow

    two_runs()
    window.train_tab.preload_tensorflow = False
    window.show_train_tab()
    tab = window.train_tab
    assert tab.form.preset_box.currentData() == "cnn"
    pick_run(window, qtbot, 1)
    click(tab.run_settings_button)
    form = tab.form
    assert form.preset_box.currentData() == "tutorial" and form.epochs_box.value() == 4
    assert form.batch_box.value() == 64 and form.seed_box.value() == 7
    form.remember()  # what Start does before training
    window.close()
    second = MainWindow(ui_predictor, settings=qt_settings)
    qtbot.addWidget(second)
    form2 = second.train_tab.form
    assert (form2.preset_box.currentData(), form2.epochs_box.value(), form2.batch_box.value(), form2.seed_box.value()) == (
        "tutorial", 4, 64, 7)


def test_garbled_remembered_settings_give_the_defaults(qtbot, qt_settings):
    from digitpad.ui.train_settings import KEY_LAST_SETTINGS
    from digitpad.ui.train_tab import TrainTab

    for garbage in ("{not json", '{"preset": "nope"}', "[1, 2]", '{"preset": "tutorial", "epochs": "many"}'):
        qt_settings.setValue(KEY_LAST_SETTINGS, garbage)
        tab = TrainTab()
        qtbot.addWidget(tab)
        assert tab.form.preset_box.currentData() in ("cnn", "tutorial")
        tab.form.config()  # valid whatever was stored
    assert QApplication.instance() is not None
