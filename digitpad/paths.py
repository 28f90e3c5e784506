"""Where bundled resources live.

Found through ``importlib.resources`` so the same code works from a source checkout
(editable install), an installed wheel and a PyInstaller bundle. Per-user writable data
(trained models, run history, settings) lives under the system data folder (see
``digitpad.ui.user_models.data_dir``)
and is located by the ``ui`` layer, which is the only one allowed to import Qt.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

BUNDLED_MODEL_NAME = "model"


def resource_dir() -> Path:
    """The folder holding the bundled, read-only resources."""
    return Path(os.fspath(resources.files("digitpad.resources")))


def resource_path(name: str) -> Path:
    return resource_dir() / name


def bundled_model_base() -> Path:
    """Base path (no suffix) of the bundled model: ``model.keras/.tflite/.json``."""
    return resource_path(BUNDLED_MODEL_NAME)
