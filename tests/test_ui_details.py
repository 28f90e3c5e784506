"""The small things of issue 14's list: words in messages, start folders, the data folder,
the About box, a quiet debug log."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QStandardPaths

from digitpad.modelfiles import ModelError
from digitpad.predictor import Predictor
from digitpad.preprocessing import ImageError, load_image


def test_a_file_that_is_not_a_model_is_said_in_words(tmp_path):
    bad = tmp_path / "notes.tflite"
    bad.write_bytes(b"this is not a model" * 20)
    with pytest.raises(ModelError) as info:
        Predictor(bad)
    assert "Flatbuffer" not in str(info.value) and "not a digitpad model" in str(info.value)


def test_a_file_that_is_not_a_picture_is_said_in_words(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    with pytest.raises(ImageError) as info:
        load_image(bad)
    assert "Pillow" not in str(info.value) and "not an image" in str(info.value)


def test_debug_log_leaves_out_tensorflow_chatter():
    from digitpad.cli import configure_logging

    root = logging.getLogger()
    old = root.level
    try:
        configure_logging("debug")
        assert not logging.getLogger("tensorflow").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(old)
        logging.getLogger("tensorflow").setLevel(logging.NOTSET)


def test_the_data_folder_is_not_digitpad_digitpad_and_the_old_one_moves(qt_settings, tmp_path, monkeypatch):
    from digitpad.ui.user_models import active_model, data_dir, set_active_model

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # Qt's test-mode folders live under it
    monkeypatch.delenv("DIGITPAD_DATA_DIR", raising=False)  # Qt's own folders, not the test's

    old = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    (old / "models").mkdir(parents=True)
    (old / "models" / "mine.json").write_text("{}")
    set_active_model(qt_settings, old / "models" / "mine")
    new = data_dir()
    assert new.name == "digitpad" and new.parent.name != "digitpad"
    assert (new / "models" / "mine.json").read_text() == "{}" and not old.exists()
    assert active_model(qt_settings) == new / "models" / "mine"


def test_open_image_starts_in_an_existing_folder_and_load_model_in_the_models(window, tmp_path, monkeypatch):
    from digitpad.ui import main_window
    from digitpad.ui.user_models import models_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()

    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    assert not Path(pictures).exists()
    assert Path(window.pictures_dir()).is_dir()  # home, not a "Pictures" that is not there
    models_dir().mkdir(parents=True)
    assert window.models_dir() == str(models_dir())
    seen = {}

    def fake_open(parent, title, folder, filters):
        seen[title] = folder
        return str(tmp_path / "d.png"), ""

    monkeypatch.setattr(main_window.QFileDialog, "getOpenFileName", staticmethod(fake_open))
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "d.png")
    window._ask_open()
    window._ask_open()
    assert seen["Open image"] == str(tmp_path)  # the folder used last


def test_about_credits_the_pen_digits(window):
    box = window.show_about()
    text = box.informativeText()
    assert "MNIST" in text and "Pen-Based Recognition of Handwritten Digits" in text and "Alpaydin" in text
    box.close()
