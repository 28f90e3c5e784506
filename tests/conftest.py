"""Shared fixtures. Qt runs offscreen, and every Qt test gets its own INI settings file and
its own standard paths in a temporary folder: the user's real settings are never read or
written. Nothing here imports Qt unless a test asks for a Qt fixture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def qt_settings(qapp, tmp_path):
    """An isolated ``QSettings`` store (INI in ``tmp_path``) and test-mode standard paths."""
    from PySide6.QtCore import QSettings

    from digitpad.ui.settings import use_throwaway_settings

    use_throwaway_settings(tmp_path / "settings")
    settings = QSettings()
    settings.clear()
    yield settings
    settings.sync()


@pytest.fixture(scope="session")
def ui_predictor():
    """The bundled model (``DIGITPAD_TEST_MODEL`` may name another one for local runs)."""
    from digitpad.predictor import Predictor

    override = os.environ.get("DIGITPAD_TEST_MODEL")
    return Predictor(override) if override else Predictor.bundled()


@pytest.fixture
def window(qtbot, qt_settings, ui_predictor):
    """The real main window, shown offscreen, with isolated settings."""
    from digitpad.ui.main_window import MainWindow

    win = MainWindow(ui_predictor, settings=qt_settings)
    qtbot.addWidget(win)
    win.resize(900, 620)
    win.show()
    qtbot.waitExposed(win)
    return win
