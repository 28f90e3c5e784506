"""A model on disk is three files side by side:

- ``NAME.keras``  the retrainable Keras model,
- ``NAME.tflite`` the same model exported for LiteRT (what the app predicts with),
- ``NAME.json``   what it is: architecture, parameters, MNIST test accuracy, training
  settings, seed, data checksum, training time, date.

Saving writes all three to temporary files first and moves them into place only when all
three are complete, the ``.json`` last, so a crash never leaves a half-written model.
TensorFlow/Keras are imported only inside :func:`save_model`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

from digitpad.fileio import atomic_path, atomic_write_text

log = logging.getLogger(__name__)

SUFFIXES = (".keras", ".tflite", ".json")


class ModelError(Exception):
    """A model file is missing, truncated, corrupt or not a digit model.

    The message is one line and names the file.
    """


def model_base(path: str | os.PathLike) -> Path:
    """``dir/name.tflite`` / ``.keras`` / ``.json`` / ``dir/name`` -> ``dir/name``."""
    path = Path(path)
    return path.with_suffix("") if path.suffix in SUFFIXES else path


def model_files(base: str | os.PathLike) -> dict[str, Path]:
    base = model_base(base)
    return {suffix[1:]: base.with_name(base.name + suffix) for suffix in SUFFIXES}


def read_meta(base: str | os.PathLike) -> dict[str, Any]:
    """The model's ``.json`` description; ``{}`` (with a warning) if missing or corrupt."""
    path = model_files(base)["json"]
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("model description %s is missing", path)
        return {}
    except (OSError, ValueError) as exc:
        log.warning("model description %s is unreadable: %s", path, exc)
        return {}
    if not isinstance(meta, dict):
        log.warning("model description %s is not a JSON object", path)
        return {}
    return meta


def save_model(model: Any, base: str | os.PathLike, meta: dict[str, Any]) -> dict[str, Path]:
    """Save a Keras model as ``.keras`` + ``.tflite`` + ``.json``, atomically.

    All three are written to temporary files beside their targets; only when every one
    is complete are they moved into place (``.json`` last). On any error nothing is
    replaced and the temporary files are removed.
    """
    files = model_files(base)
    with contextlib.ExitStack() as stack:
        # ExitStack replaces in reverse order of entry: keras, tflite, then json last.
        tmp_json = stack.enter_context(atomic_path(files["json"]))
        tmp_tflite = stack.enter_context(atomic_path(files["tflite"]))
        tmp_keras = stack.enter_context(atomic_path(files["keras"]))
        model.save(tmp_keras)
        _export_litert(model, tmp_tflite)
        tmp_json.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return files


def _export_litert(model: Any, path: Path) -> None:
    # model.export prints "Saved artifact at ..." to stdout; keep CLI output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(path), format="litert")


def write_meta(base: str | os.PathLike, meta: dict[str, Any]) -> None:
    atomic_write_text(model_files(base)["json"], json.dumps(meta, indent=2, sort_keys=True) + "\n")
