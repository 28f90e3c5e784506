"""Shared fixtures. Qt runs offscreen, and every Qt test gets its own INI settings file and
its own standard paths in a temporary folder: the user's real settings are never read or
written. Nothing here imports Qt unless a test asks for a Qt fixture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATA = Path(__file__).parent / "data"
MNIST_ENV = "DIGITPAD_MNIST"


def synthetic(n_train: int = 200, n_test: int = 50, seed: int = 0):
    """A tiny learnable :class:`~digitpad.data.Mnist`: uint8 28x28 "digits" where class k
    lights a bar at rows 2k..2k+4, plus noise."""
    import numpy as np

    from digitpad.data import Mnist

    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 * k + 2 : 2 * k + 6, 4:24] = 255
        return x, y.astype(np.uint8)

    (xtr, ytr), (xte, yte) = make(n_train), make(n_test)
    return Mnist(xtr, ytr, xte, yte)


@pytest.fixture(scope="session")
def trained_cnn(tmp_path_factory):
    """The default preset (the CNN, with augmentation) trained for one epoch on 300 synthetic
    digits and saved as ``m.keras``/``.tflite``/``.json`` into a folder of its own: trained
    and exported once for the tests that check different things about such a model (what
    the files hold, LiteRT against Keras, keeping it from the Train tab). Read-only: a test
    that needs to change files copies them."""
    from types import SimpleNamespace

    from digitpad.training import TrainConfig, save_result, train

    config = TrainConfig.for_preset(epochs=1, batch_size=32, seed=0, pen_copies=0)
    result = train(config, data=synthetic(300, 40))
    files = save_result(result, tmp_path_factory.mktemp("trained_cnn") / "sub" / "m")
    return SimpleNamespace(result=result, files=files)


def real_mnist() -> Path:
    """The real ``mnist.npz`` named by ``DIGITPAD_MNIST``. Nothing outside the clone is
    guessed: when it is not set (or names no file) the test is skipped with a message on a
    developer machine, and fails loudly under ``CI=true``."""
    value = os.environ.get(MNIST_ENV, "")
    if value and Path(value).is_file():
        return Path(value)
    message = f"the real MNIST is needed: set {MNIST_ENV} to mnist.npz (got {value or 'nothing'!r})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def qt_settings(qapp, tmp_path, monkeypatch):
    """An isolated ``QSettings`` store (INI in ``tmp_path``), test-mode standard paths, and
    a user data folder of its own (models, runs, the digits database) in ``tmp_path``."""
    from PySide6.QtCore import QSettings

    from digitpad.ui.settings import use_throwaway_settings

    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))

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


def shown(qtbot, widget, width: int, height: int):
    """``widget`` owned by ``qtbot``, resized to ``width`` x ``height``, shown (offscreen)
    and exposed; returned."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def canvas(qtbot):
    """A drawing canvas on its own, 280x280, shown offscreen."""
    from digitpad.ui.canvas import DrawCanvas

    return shown(qtbot, DrawCanvas(), 280, 280)


@pytest.fixture
def window(qtbot, qt_settings, ui_predictor):
    """The real main window, shown offscreen, with isolated settings."""
    from digitpad.ui.main_window import MainWindow

    return shown(qtbot, MainWindow(ui_predictor, settings=qt_settings), 900, 620)


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def need_data(message: str):
    """Skip with ``message`` on a developer machine; fail loudly in CI (CI=true)."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def pen_file(name: str = "pendigits_strokes.npz") -> Path:
    """A stroke file of ../shared/data, found like training finds it (DIGITPAD_PENDIGITS for
    pendigits, then DIGITPAD_PEN_DATA); skips, or fails in CI, when it is not there. The
    stroke data are never part of the repository."""
    from digitpad.pendata import PenDataError, find_pen_data

    if name == "pendigits_strokes.npz" and os.environ.get("DIGITPAD_PENDIGITS"):
        path = Path(os.environ["DIGITPAD_PENDIGITS"])
        if path.is_file():
            return path
    try:
        found = [p for p in find_pen_data() if p.name == name]
    except PenDataError:
        found = []
    if not found:
        need_data(f"{name} is needed: set DIGITPAD_PEN_DATA to the folder holding it (e.g. ../shared/data)")
    return found[0]


@pytest.fixture(scope="session")
def pen_training_writers():
    """Pendigits writers 1-30 (never 31-44), from the data found outside the repository."""
    from digitpad.pendigits import TRAIN_WRITERS, load_pendigits

    return load_pendigits(pen_file(), writers=TRAIN_WRITERS)
