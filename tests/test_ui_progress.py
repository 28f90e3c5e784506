"""Honest training progress: time left after a warm-up, the curve within the epoch, the
expected duration shown before Start (results view and Train tab, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from conftest import shown
from digitpad.training import TrainConfig


class Clock:
    t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture
def view(qtbot):
    from digitpad.ui.results_view import TrainResultsView

    v = shown(qtbot, TrainResultsView(), 700, 500)
    v.clock = Clock()
    return v


def test_time_left_says_estimating_during_warm_up_then_the_measured_rate(view):
    view.begin(TrainConfig.for_preset("tutorial", epochs=3))
    view.training_begun(3, 100)
    view.clock.t += 20.0  # the first batch compiles the step
    view.progress(0, 0, {"loss": 2.3, "accuracy": 0.1})
    assert "estimating the time left…" in view.status_label.text()
    for b in range(1, 20):
        view.clock.t += 0.1
        view.progress(0, b, {"loss": 1.0, "accuracy": 0.6})
    text = view.status_label.text()
    # 280 batches left at 0.1 s: "28 s", where elapsed/done would have said ~5 min.
    assert "about 28 s left" in text, text


def test_the_training_curve_moves_within_the_first_epoch(view):
    view.begin(TrainConfig.for_preset("tutorial", epochs=4))
    chart = view.chart.build()  # the real chart behind its placeholder
    lo, hi = chart.loss_ax.get_xlim()
    ticks = [t for t in chart.loss_ax.get_xticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks)  # 0, 1, 2... not 0.5, 0.6
    view.training_begun(4, 200)
    for b in range(200):
        view.clock.t += 0.05
        view.progress(0, b, {"loss": 2.0 - b / 200, "accuracy": 0.2 + b / 400})
    assert chart.points()["accuracy"] == 0  # no epoch has ended...
    assert chart.trace_points() >= 20  # ...but the curve is there
    xs = chart._acc.get_xdata()
    assert 0 < xs[0] <= 0.05 and xs[0] > lo + 0.05  # off the y axis
    view.epoch_ended(0, {"loss": 1.0, "accuracy": 0.7, "val_loss": 1.1, "val_accuracy": 0.68})
    assert chart.points()["accuracy"] == 1 and chart._acc.get_xdata()[-1] == 1.0
    assert list(chart._val_acc.get_xdata()) == [1]


def test_expected_duration_is_shown_before_start_and_follows_the_settings(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no past runs: the reference figure
    window.train_tab.preload_tensorflow = False
    bar = window.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bar.tabRect(1).center())
    tab = window.train_tab
    label = tab.expected_label
    assert label.isVisible() and label.text().startswith("Expected: about")
    before = label.text()
    box = tab.form.epochs_box
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box.lineEdit(), "48")
    QTest.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 48 and label.text() != before
    assert "52 min" in label.text() or "h" in label.text()  # 48 CNN epochs at 65 s
