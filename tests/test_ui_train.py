"""The Train tab, its workers and the user's models and runs.

Tiny synthetic datasets are injected (``tab.data`` / ``TrainWorker(data=...)``); the real
MNIST is never loaded here. Every test gets its own settings file and its own test-mode
user data folder (``HOME`` points into ``tmp_path``). Tests that import TensorFlow are
marked slow and train for a second or two.
"""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import shown
from digitpad.data import N_CLASSES, Mnist
from digitpad.training import TrainConfig, TrainResult


def tiny_dataset(n_train: int = 240, n_test: int = 60, seed: int = 3) -> Mnist:
    """Class k is a bright vertical bar at columns 2k..2k+3 on a noisy background."""
    rng = np.random.default_rng(seed)

    def make(n: int):
        y = rng.integers(0, N_CLASSES, n).astype(np.uint8)
        x = rng.integers(0, 50, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 3:25, 2 * k + 3 : 2 * k + 6] = 255
        return x, y

    (xtr, ytr), (xte, yte) = make(n_train), make(n_test)
    return Mnist(xtr, ytr, xte, yte)


@pytest.fixture
def user_home(qt_settings, tmp_path, monkeypatch):
    """Test-mode standard paths under a private HOME: the user data folder is in tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("DIGITPAD_DATA_DIR", raising=False)  # this test checks Qt's own folder
    from digitpad.ui.user_models import data_dir

    assert str(data_dir()).startswith(str(home))
    return home


@pytest.fixture
def tab_window(window, user_home):
    window.train_tab.data = tiny_dataset()
    window.show_train_tab()
    yield window
    window.train_tab.shutdown()


def set_quick(tab, epochs: int = 2, batch: int = 32) -> None:
    tab.form.apply_preset("tutorial")
    tab.form.epochs_box.setValue(epochs)
    tab.form.batch_box.setValue(batch)
    tab.form.lr_box.setValue(0.1)


def wait_idle(qtbot, tab, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=timeout)


def fake_result(config: TrainConfig, epochs: int = 3) -> TrainResult:
    """A finished run as train() returns it, without a model (display and saving paths)."""
    rng = np.random.default_rng(0)
    confusion = rng.integers(0, 4, (N_CLASSES, N_CLASSES))
    np.fill_diagonal(confusion, 90)
    wrong_pred = np.array([3, 7, 1], np.int64)
    wrong_label = np.array([5, 2, 7], np.int64)
    hist = {
        "loss": list(np.linspace(1.0, 0.3, epochs)),
        "accuracy": list(np.linspace(0.7, 0.95, epochs)),
        "val_loss": [float("nan")] * epochs,
        "val_accuracy": [float("nan")] * epochs,
    }
    return TrainResult(
        model=None,
        config=config,
        history=hist,
        cancelled=False,
        seconds=1.5,
        test_accuracy=0.9,
        confusion=confusion,
        misclassified=np.arange(3),
        misclassified_predictions=wrong_pred,
        misclassified_labels=wrong_label,
        misclassified_images=rng.random((3, 784)).astype(np.float32),
    )


# ----------------------------------------------------------------- settings widgets
def test_defaults_follow_the_preset_and_widgets_enforce_ranges(qtbot):
    from types import SimpleNamespace

    from digitpad.presets import get_preset
    from digitpad.ui.train_settings import TrainSettingsForm

    tab = SimpleNamespace(form=TrainSettingsForm())  # the form on its own, no tab around it
    qtbot.addWidget(tab.form)
    for name in ("tutorial", "cnn"):
        tab.form.preset_box.setCurrentIndex(tab.form.preset_box.findData(name))  # as a user would
        p = get_preset(name)
        c = tab.form.config()
        assert (c.preset, c.epochs, c.batch_size, c.optimizer) == (name, p.epochs, p.batch_size, p.optimizer)
        assert c.learning_rate == pytest.approx(p.learning_rate)
        assert c.validation_split == pytest.approx(p.validation_split)
        assert c.augment == p.augment
        assert tab.form.augment_box.isEnabled() == p.supports_augment
    tab.form.epochs_box.setValue(5000)
    tab.form.val_box.setValue(0.9)
    tab.form.lr_box.setValue(0.0)
    tab.form.seed_box.setValue(tab.form.seed_box.minimum())
    c = tab.form.config()  # still valid: the widgets clamp
    assert c.epochs == 1000 and c.validation_split == 0.5 and c.learning_rate > 0
    assert c.seed is None and tab.form.seed_box.text() == "random"
    tab.form.data_edit.setText("  ")
    assert tab.form.config().data_path is None  # empty: automatic


def test_pen_data_line_says_what_training_will_use(qtbot, qt_settings, tmp_path, monkeypatch):
    """Without pen data the tab says plainly that it trains on MNIST alone; a folder typed in
    or chosen earlier (remembered in the settings) is found and named; a bad path is a line."""
    from digitpad.pendigits import PenDigits, save_pendigits
    from digitpad.ui.train_settings import KEY_PEN_DATA, TrainSettingsForm

    monkeypatch.delenv("DIGITPAD_PEN_DATA", raising=False)
    form = TrainSettingsForm()
    qtbot.addWidget(form)
    assert "MNIST alone" in form.pen_label.text()
    assert form.config().pen_data is None and form.config().pen_data_remembered == []

    folder = tmp_path / "pen"
    folder.mkdir()
    stroke = [np.array([[0, 0], [10, 30]], np.float32)]
    save_pendigits(PenDigits([stroke], np.array([1]), np.array([1])), folder / "pendigits_strokes.npz")
    form.pen_edit.setText(str(folder))
    assert form.pen_label.text() == "Pen data: pendigits_strokes.npz"
    assert form.config().pen_data == [str(folder)]
    form.pen_edit.setText(str(tmp_path / "nowhere"))
    assert "no such pen-data file or folder" in form.pen_label.text()

    form.pen_edit.clear()
    qt_settings.setValue(KEY_PEN_DATA, str(folder))  # chosen in an earlier session
    fresh = TrainSettingsForm()
    qtbot.addWidget(fresh)
    assert fresh.pen_label.text() == "Pen data: pendigits_strokes.npz"
    assert fresh.config().pen_data is None and fresh.config().pen_data_remembered == [str(folder)]
    fresh.preset_box.setCurrentIndex(fresh.preset_box.findData("tutorial"))
    assert fresh.pen_label.text() == "Tutorial MLP trains on MNIST alone"


def test_results_view_follows_a_run_event_by_event(qtbot):
    from digitpad.ui.results_view import TrainResultsView

    view = TrainResultsView()  # on its own: no tab, no worker
    qtbot.addWidget(view)
    config = TrainConfig.for_preset("tutorial", epochs=2, seed=4)
    view.begin(config)
    assert view.status_label.text() == "Starting…" and view.progress_bar.maximum() == 0  # busy
    assert "Tutorial MLP: 2 epochs" in view.log_view.toPlainText() and "seed 4" in view.log_view.toPlainText()
    view.stage("Loading MNIST…")
    assert view.status_label.text() == "Loading MNIST…" and view.log_view.toPlainText().endswith("Loading MNIST…")
    view.training_begun(2, 10)
    view.progress(0, 4, {"loss": 0.9, "accuracy": 0.5})
    assert view.progress_bar.value() == 5 and view.progress_bar.maximum() == 20
    assert "Epoch 1/2 · batch 5/10 · accuracy 50.00 %" in view.status_label.text()
    view.progress(0, 5, {"loss": 0.9, "accuracy": 0.6}, cancelling=True)
    assert view.progress_bar.value() == 6 and "batch 5/10" in view.status_label.text()  # the line stays
    view.epoch_ended(0, {"loss": 0.8, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.65})
    assert view.chart.points()["accuracy"] == 1
    assert view.log_view.toPlainText().splitlines()[-1].startswith("epoch 1/2  loss 0.8000  accuracy 70.00 %")
    view.cancelled(1)
    assert view.status_label.text() == "Cancelled. The active model is unchanged."
    assert "Cancelled after 1 complete epoch." in view.log_view.toPlainText() and view.progress_bar.value() == 0
    view.failed("MNIST file x.npz does not exist")
    assert "does not exist. The active model is unchanged." in view.status_label.text()
    assert "c92a2a" in view.status_label.styleSheet()  # in red
    view.succeeded(fake_result(config, epochs=2))
    assert "MNIST test accuracy: 90.00 %" in view.result_label.text() and view.status_label.styleSheet() == ""
    assert view.results_tabs.currentWidget() is view.gallery_scroll and len(view.gallery.titles()) == 3


def test_window_start_up_does_not_import_tensorflow():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen';"
        "from PySide6.QtWidgets import QApplication; app=QApplication([]);"
        "from digitpad.predictor import Predictor; from digitpad.ui.main_window import MainWindow;"
        "w=MainWindow(Predictor.bundled(), persist=False); w.show(); app.processEvents();"
        "print(sorted(m for m in ('tensorflow','keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_history_chart_plots_each_epoch_and_mostly_blits(qtbot):
    from digitpad.ui.history_chart import HistoryChart

    chart = shown(qtbot, HistoryChart(), 600, 320)
    chart.clear("run", epochs=12)
    qtbot.wait(10)
    before = chart.full_draws
    for i in range(12):  # typical curves: accuracy rising, loss falling
        logs = {"loss": 1 / (i + 1), "accuracy": 0.8 + 0.015 * i, "val_loss": 1.2 / (i + 1), "val_accuracy": 0.78 + 0.016 * i}
        chart.add_epoch(logs)
        qtbot.wait(1)
        assert chart.points()["accuracy"] == i + 1
    assert chart.full_draws == before  # fixed axes while live: every epoch was blitted
    chart.add_epoch({"loss": 5.0, "accuracy": 0.1, "val_loss": None, "val_accuracy": None})  # off the scale
    assert chart.loss_ax.get_ylim()[1] >= 5.0 and chart.full_draws == before + 1
    assert chart.points() == {"accuracy": 13, "val_accuracy": 12, "loss": 13, "val_loss": 12}
    chart.finish()  # the run is over: zoom to the data
    lo, hi = chart.acc_ax.get_ylim()
    assert 0.0 < lo <= 0.1 and 1.0 <= hi <= 1.01
    chart.set_history({"loss": [0.3, 0.2], "accuracy": [0.97, 0.98]})
    lo, hi = chart.acc_ax.get_ylim()
    assert 0.9 < lo < 0.97 and chart.points()["accuracy"] == 2


# ----------------------------------------------------------------- worker, no thread
class Collector:
    def __init__(self, worker):
        self.events: list[tuple] = []
        for name in ("stage", "begun", "progress", "epochEnded", "succeeded", "cancelled", "failed", "finished"):
            getattr(worker, name).connect(lambda *args, _n=name: self.events.append((_n, *args)))

    def names(self) -> list[str]:
        return [e[0] for e in self.events]

    def of(self, name: str) -> list[tuple]:
        return [e[1:] for e in self.events if e[0] == name]


def test_worker_reports_bad_data_in_one_line(qapp, tmp_path):
    from digitpad.ui.train_worker import TrainWorker

    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"not a zip file at all")
    worker = TrainWorker(TrainConfig.for_preset("tutorial", data_path=str(bad)))
    got = Collector(worker)
    worker.run()
    assert got.names()[-1] == "finished" and got.names().count("finished") == 1
    (message,) = got.of("failed")[0]
    assert str(bad) in message and "\n" not in message
    assert not got.of("succeeded") and not got.of("cancelled")


def test_worker_cancelled_before_it_starts_trains_nothing(qapp):
    from digitpad.ui.train_worker import TrainWorker

    worker = TrainWorker(TrainConfig.for_preset("tutorial"), data=tiny_dataset())
    got = Collector(worker)
    worker.cancel()
    worker.run()
    assert got.names() == ["cancelled", "finished"]
    ((result,),) = got.of("cancelled")
    assert result.cancelled and result.model is None and result.epochs_completed == 0


@pytest.mark.slow
def test_worker_run_directly_reports_progress_epochs_and_result(qapp):
    from digitpad.ui.train_worker import TrainWorker

    config = TrainConfig.for_preset("tutorial", epochs=3, batch_size=16, learning_rate=0.1, seed=2)
    worker = TrainWorker(config, data=tiny_dataset())
    got = Collector(worker)
    worker.run()
    names = got.names()
    assert names[-1] == "finished" and not got.of("failed"), got.of("failed")
    batches = -(-int(240 * 0.9) // 16)
    assert got.of("begun") == [(3, batches)]
    assert [e[0] for e in got.of("epochEnded")] == [0, 1, 2]
    progress = got.of("progress")
    # Throttled, but the last batch of every epoch always arrives, in order.
    assert {(e, b) for e, b, _ in progress} >= {(e, batches - 1) for e in range(3)}
    assert progress == sorted(progress, key=lambda p: (p[0], p[1]))
    assert names.index("begun") < names.index("progress") < names.index("epochEnded") < names.index("succeeded")
    (result,) = got.of("succeeded")[0]
    assert result.epochs_completed == 3 and result.test_accuracy is not None
    assert result.confusion.sum() == 60


# ----------------------------------------------------------------- the tab, threaded
@pytest.mark.slow
def test_start_runs_in_a_thread_plots_each_epoch_and_shows_results(qtbot, tab_window):
    tab = tab_window.train_tab
    set_quick(tab, epochs=3)
    values: list[int] = []
    tab.results.progress_bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(tab.trainingChanged, timeout=60_000, check_params_cb=lambda running: not running):
        assert tab.start()
        assert tab.is_training() and not tab.start_button.isEnabled() and tab.cancel_button.isEnabled()
        assert not tab.form.settings_group.isEnabled()
    assert not tab.is_training() and tab.start_button.isEnabled()
    assert tab.results.chart.points() == {"accuracy": 3, "val_accuracy": 3, "loss": 3, "val_loss": 3}
    assert len([v for v in values if v > 0]) >= 3 and values[-1] == tab.results.progress_bar.maximum()
    log = tab.results.log_view.toPlainText()
    assert [line.split()[1] for line in log.splitlines() if line.startswith("epoch")] == ["1/3", "2/3", "3/3"]
    result = tab.result
    shown_result = tab.results.result_label.text()
    assert "MNIST test accuracy" in shown_result and f"{100 * result.test_accuracy:.2f} %" in shown_result
    assert np.array_equal(tab.results.confusion.matrix(), result.confusion)
    shown = tab.results.gallery.titles()
    assert len(shown) == min(len(result.misclassified), tab.results.gallery.capacity)
    for title, p, y in zip(shown, result.misclassified_predictions, result.misclassified_labels):
        assert title == f"Predicted: {p}, Label: {y}"
    assert tab.use_button.isEnabled()
    # The run is in the history, re-plottable.
    (record,) = tab.runs()
    assert record.epochs == 3 and record.test_accuracy == pytest.approx(result.test_accuracy)


@pytest.mark.slow
def test_cancel_stops_within_a_second_and_keeps_the_active_model(qtbot, tab_window, qt_settings):
    from digitpad.ui.user_models import KEY_ACTIVE_MODEL

    tab = tab_window.train_tab
    before = tab_window.draw_tab.predictor
    set_quick(tab, epochs=200, batch=8)
    tab.start()
    qtbot.waitUntil(lambda: tab.results.chart.points()["accuracy"] >= 1, timeout=60_000)
    started = time.monotonic()
    with qtbot.waitSignal(tab.trainingChanged, timeout=10_000):
        tab.cancel_button.click()
    latency = time.monotonic() - started
    assert latency < 1.5, f"cancelling took {latency:.2f} s"
    assert 1 <= tab.results.chart.points()["accuracy"] < 200
    assert "Cancelled" in tab.results.status_label.text()
    assert tab.result is None and not tab.use_button.isEnabled()
    assert tab_window.draw_tab.predictor is before and qt_settings.value(KEY_ACTIVE_MODEL) is None


@pytest.mark.slow
def test_use_this_model_saves_three_files_and_switches_the_predictor(qtbot, tab_window, qt_settings, user_home, trained_cnn):
    from digitpad.ui.app import startup_predictor
    from digitpad.ui.user_models import active_model, models_dir

    tab = tab_window.train_tab
    before = tab_window.draw_tab.predictor
    # A finished run, as the worker's "succeeded" signal delivers it (training through the
    # tab is test_start_runs_in_a_thread_plots_each_epoch_and_shows_results).
    tab._on_succeeded(trained_cnn.result)
    with qtbot.waitSignal(tab.modelSaved, timeout=120_000) as saved:
        tab.use_button.click()
    base = saved.args[0]
    wait_idle(qtbot, tab)
    # One version folder, models/NAME/NAME.{keras,tflite,json}, and nothing else.
    assert base.parent.parent == models_dir() and base.parent.name == base.name
    assert str(base).startswith(str(user_home))
    for suffix in (".keras", ".tflite", ".json"):
        assert base.with_name(base.name + suffix).stat().st_size > 0
    assert [p.name for p in models_dir().iterdir()] == [base.name] and len(list(base.parent.iterdir())) == 3
    meta = json.loads(base.with_name(base.name + ".json").read_text())
    assert meta["mnist_test_accuracy"] == pytest.approx(tab.result.test_accuracy)
    now = tab_window.draw_tab.predictor
    assert now is not before and now.base == base
    assert tab_window.model_label.text().startswith(f"Model: {now.name}")
    assert not tab.use_button.isEnabled()  # kept already
    assert tab.runs()[0].model == str(base)
    # Survives a restart; "Revert to bundled model" switches back and forgets it.
    assert active_model(qt_settings) == base
    restored, notice = startup_predictor(qt_settings)
    assert restored.base == base and notice is None
    assert tab_window.revert_to_bundled()
    assert tab_window.draw_tab.predictor.base == before.base and active_model(qt_settings) is None


@pytest.mark.slow
def test_closing_while_training_asks_then_stops_the_thread(qtbot, tab_window, monkeypatch):
    from digitpad.ui import train_tab as train_tab_module

    tab = tab_window.train_tab
    set_quick(tab, epochs=500, batch=8)
    tab.start()
    qtbot.waitUntil(lambda: tab.results.chart.points()["accuracy"] >= 1, timeout=60_000)
    thread = tab._thread
    asked: list[bool] = []
    monkeypatch.setattr(train_tab_module, "ask_stop_training", lambda parent: asked.append(False) or False)
    tab_window.close()
    assert tab_window.isVisible() and tab.is_training() and thread.isRunning()
    monkeypatch.setattr(train_tab_module, "ask_stop_training", lambda parent: asked.append(True) or True)
    tab_window.close()
    assert asked == [False, True]
    assert not tab_window.isVisible() and not tab.is_training()
    try:
        assert not thread.isRunning()
    except RuntimeError:  # already deleted: it had finished
        pass


@pytest.mark.slow
def test_an_exception_inside_training_is_a_message_and_the_app_goes_on(qtbot, tab_window, monkeypatch):
    import digitpad.training

    def broken_train(*_args, **_kwargs):
        raise RuntimeError("the graph exploded")

    monkeypatch.setattr(digitpad.training, "train", broken_train)
    tab = tab_window.train_tab
    before = tab_window.draw_tab.predictor
    with qtbot.waitSignal(tab.trainingChanged, timeout=60_000, check_params_cb=lambda running: not running):
        tab.start()
    assert "training failed: RuntimeError: the graph exploded" in tab.results.status_label.text()
    assert tab_window.draw_tab.predictor is before and tab.start_button.isEnabled()
    monkeypatch.undo()  # and a new run works
    set_quick(tab, epochs=1)
    with qtbot.waitSignal(tab.trainingChanged, timeout=60_000, check_params_cb=lambda running: not running):
        tab.start()
    assert tab.result is not None


# ----------------------------------------------------------------- failures, no TF
def test_missing_data_file_is_a_message_in_the_tab(qtbot, tab_window, tmp_path):
    tab = tab_window.train_tab
    tab.data = None
    before = tab_window.draw_tab.predictor
    tab.form.data_edit.setText(str(tmp_path / "nowhere" / "mnist.npz"))
    with qtbot.waitSignal(tab.trainingChanged, timeout=30_000, check_params_cb=lambda running: not running):
        tab.start()
    assert "does not exist" in tab.results.status_label.text() and "active model is unchanged" in tab.results.status_label.text()
    assert tab_window.draw_tab.predictor is before and tab.start_button.isEnabled() and tab.result is None


def test_disk_full_on_save_is_a_message_and_nothing_changes(qtbot, tab_window, monkeypatch, qt_settings):
    import digitpad.modelfiles
    from digitpad.ui.user_models import active_model, models_dir

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(digitpad.modelfiles, "save_model_version", full)
    tab = tab_window.train_tab
    before = tab_window.draw_tab.predictor
    result = fake_result(TrainConfig.for_preset("tutorial", seed=4))
    tab._on_succeeded(result)  # the slot the worker's "succeeded" signal reaches
    # The results are on show: confusion matrix and the titled gallery.
    assert np.array_equal(tab.results.confusion.matrix(), result.confusion)
    assert tab.results.gallery.titles() == ["Predicted: 3, Label: 5", "Predicted: 7, Label: 2", "Predicted: 1, Label: 7"]
    assert tab.use_button.isEnabled()
    tab.use_button.click()
    wait_idle(qtbot, tab)
    assert "No space left on device" in tab.results.status_label.text()
    assert tab_window.draw_tab.predictor is before and active_model(qt_settings) is None
    assert not models_dir().exists() or not any(models_dir().iterdir())
    assert tab.use_button.isEnabled()  # may try again after freeing space


# ----------------------------------------------------------------- user models and runs
def test_corrupt_or_missing_user_model_at_start_up_falls_back_to_bundled(qtbot, qt_settings, user_home, ui_predictor):
    from digitpad.predictor import Predictor
    from digitpad.ui.app import startup_predictor
    from digitpad.ui.main_window import MainWindow
    from digitpad.ui.user_models import models_dir, set_active_model

    bundled = Predictor.bundled().base
    folder = models_dir()
    folder.mkdir(parents=True)
    for suffix in (".keras", ".tflite", ".json"):
        (folder / f"mine{suffix}").write_bytes(b"\x00garbage")
    set_active_model(qt_settings, folder / "mine")
    predictor, notice = startup_predictor(qt_settings)
    assert predictor.base == bundled
    assert "could not be loaded" in notice and "mine.tflite" in notice and "bundled" in notice
    window = MainWindow(predictor, notice=notice, settings=qt_settings)
    qtbot.addWidget(window)
    assert window.statusBar().currentMessage() == notice

    set_active_model(qt_settings, folder / "gone")
    predictor, notice = startup_predictor(qt_settings)
    assert predictor.base == bundled and "does not exist" in notice
    set_active_model(qt_settings, None)
    assert startup_predictor(qt_settings)[1] is None


def test_run_history_is_json_and_replots(qtbot, qt_settings, user_home):
    from PySide6.QtCore import Qt

    from digitpad.ui.train_tab import TrainTab
    from digitpad.ui.user_models import RunRecord, list_runs, runs_dir, save_run

    config = TrainConfig.for_preset("tutorial", seed=7)
    old = RunRecord.from_result(fake_result(config, epochs=4))
    old.run_id, old.date = "20240101-100000", "2024-01-01T10:00:00+00:00"
    save_run(old)
    new = RunRecord.from_result(fake_result(config, epochs=2))
    path = save_run(new)
    (runs_dir() / "broken.json").write_text("{ not json")
    data = json.loads(path.read_text())  # strict JSON: NaN stored as null
    assert data["history"]["val_accuracy"] == [None, None] and data["settings"]["seed"] == 7
    assert [r.run_id for r in list_runs()] == [new.run_id, old.run_id]  # newest first, broken skipped

    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.show()
    assert tab.runs_box.count() == 2 and "4 epochs" in tab.runs_box.itemData(1, Qt.ItemDataRole.ToolTipRole)
    tab.runs_box.setCurrentIndex(1)
    tab.runs_box.activated.emit(1)  # as a user picking it
    assert tab.results.chart.points() == {"accuracy": 4, "val_accuracy": 0, "loss": 4, "val_loss": 0}
    assert "2024-01-01" in tab.results.result_label.text() and "90.00 %" in tab.results.result_label.text()
