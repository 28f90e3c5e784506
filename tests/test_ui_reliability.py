"""The window and its start-up with unusable, hostile or half-saved user models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digitpad.modelfiles import model_files, save_model_version
from digitpad.paths import bundled_model_base

BAD = Path(__file__).parent / "data" / "bad_models"
BUNDLED_TFLITE = model_files(bundled_model_base())["tflite"]


def fake_writers():
    return {"tflite": lambda p: shutil.copyfile(BUNDLED_TFLITE, p), "keras": lambda p: Path(p).write_bytes(b"k")}


@pytest.fixture
def user_home(qt_settings, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_a_remembered_model_that_cannot_predict_falls_back_with_a_message(qt_settings, user_home):
    from digitpad.ui.app import startup_predictor
    from digitpad.ui.user_models import models_dir, set_active_model

    folder = models_dir()
    folder.mkdir(parents=True)
    shutil.copyfile(BAD / "no_softmax.tflite", folder / "mine.tflite")
    set_active_model(qt_settings, folder / "mine")
    predictor, notice = startup_predictor(qt_settings)
    assert predictor.base == bundled_model_base()
    assert "does not give probabilities" in notice and "bundled" in notice and "\n" not in notice


@pytest.mark.skipif(sys.platform == "win32", reason="temporaries of dead processes are told by process id on POSIX")
def test_start_up_removes_temporaries_of_a_killed_save(qt_settings, user_home):
    from digitpad.ui.user_models import clean_data_dir, models_dir, runs_dir

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    kept = save_model_version(models_dir(), "kept", fake_writers(), {})
    runs_dir().mkdir(parents=True)
    (models_dir() / f".20261201-141639-cnn.{dead}.abcdefgh.tmpdir").mkdir()
    (models_dir() / f".20261201-141639-cnn.{dead}.abcdefgh.tmpdir" / "x.keras").write_bytes(b"x" * 1000)
    (runs_dir() / f".20261201-141639.{dead}.abcdefgh.tmp.json").write_text("{")
    assert len(clean_data_dir()) == 2
    assert [p.name for p in models_dir().iterdir()] == ["kept"] and kept.with_suffix(".tflite").exists()
    assert list(runs_dir().iterdir()) == []


def test_two_run_records_in_the_same_second_keep_both(qt_settings, user_home):
    from digitpad.ui.user_models import RunRecord, list_runs, save_run

    records = [RunRecord("20261201-141639", "2026-12-01T14:16:39", {}, {"loss": [1.0]}, 0.9, 1.0) for _ in range(3)]
    paths = [save_run(r) for r in records]
    assert len(set(paths)) == 3 and len(list_runs()) == 3
    records[1].model = "somewhere"
    assert save_run(records[1]) == paths[1]  # a rewrite replaces its own file
    assert sorted(r.model or "" for r in list_runs()) == ["", "", "somewhere"]


def test_a_nested_run_record_is_skipped_not_a_crash(qt_settings, user_home):
    from digitpad.ui.user_models import list_runs, runs_dir

    runs_dir().mkdir(parents=True)
    (runs_dir() / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert list_runs() == []


def test_model_name_is_shown_as_plain_text(window, tmp_path):
    base = save_model_version(tmp_path, "m", fake_writers(), {"name": "<b>bold</b> <img src=x>"})
    assert window.load_model(base)
    label = window.model_label
    assert label.textFormat().name == "PlainText" and "<b>bold</b>" in label.text()


def test_choosing_a_keras_says_what_is_used(window, tmp_path):
    base = save_model_version(tmp_path, "m", fake_writers(), {"name": "mine"})
    assert window.load_model(base.with_suffix(".keras"))
    assert "m.tflite" in window.statusBar().currentMessage()
    lone = tmp_path / "lone.keras"
    lone.write_bytes(b"k")
    assert not window.load_model(lone)
    assert "no lone.tflite beside it" in window.statusBar().currentMessage()
    assert window.draw_tab.predictor.name == "mine"


def test_loading_a_model_that_cannot_predict_keeps_the_current_one(window):
    before = window.draw_tab.predictor
    assert not window.load_model(BAD / "nan_output.tflite")
    assert window.draw_tab.predictor is before and "NaN" in window.statusBar().currentMessage()


def _self_test(tmp_path: Path, active: Path | None) -> dict:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    if active is not None:
        conf = tmp_path / "config" / "digitpad" / "digitpad.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f"[model]\nactive={active}\n")
    proc = subprocess.run([sys.executable, "-m", "digitpad", "--self-test"], check=False, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_self_test_uses_and_names_the_model_the_app_would_use(tmp_path):
    mine = save_model_version(tmp_path / "models", "mine", fake_writers(), {"name": "my model"})
    report = _self_test(tmp_path / "a", mine)
    assert report["model"] == "my model" and report["model_path"] == str(mine.with_suffix(".tflite"))
    assert "notice" not in report and report["digit"] == 3

    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copyfile(BAD / "no_softmax.tflite", broken / "b.tflite")
    report = _self_test(tmp_path / "b", broken / "b")
    assert report["model_path"] == str(BUNDLED_TFLITE)
    assert "does not give probabilities" in report["notice"]


def test_the_train_tab_does_not_offer_a_diverged_model(qtbot, qt_settings, user_home):
    from digitpad.training import TrainConfig
    from digitpad.ui.train_tab import TrainTab
    from test_ui_train import fake_result

    tab = TrainTab()
    qtbot.addWidget(tab)
    bad = fake_result(TrainConfig.for_preset("tutorial", seed=4))
    bad.history["loss"][-1] = 8.9e7
    bad.test_accuracy = 0.085
    tab._on_succeeded(bad)  # the slot the worker's "succeeded" signal reaches
    assert "diverged" in tab.results.status_label.text() and not tab.use_button.isEnabled()
    assert "Not offered for use: training diverged" in tab.results.log_view.toPlainText()
    good = fake_result(TrainConfig.for_preset("tutorial", seed=4))
    tab._on_succeeded(good)
    assert tab.use_button.isEnabled()
