"""The user's own models and training runs, and which model is active.

Everything lives under ``QStandardPaths.AppDataLocation`` (never in the installed package):

- ``models/NAME.keras|.tflite|.json``  models the user chose to keep ("Use this model"),
- ``runs/RUN_ID.json``                past training runs: settings, per-epoch history, test
  accuracy, date (re-plottable from the Train tab).

The active model is remembered in ``QSettings`` (``model/active``: a model base path, or
absent for the bundled model). At start-up a missing or corrupt user model falls back to the
bundled one with a message for the status bar. Every file is written atomically.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths

from digitpad.fileio import atomic_write_text
from digitpad.modelfiles import ModelError, model_base
from digitpad.paths import resource_dir
from digitpad.predictor import Predictor

log = logging.getLogger(__name__)

KEY_ACTIVE_MODEL = "model/active"
MODELS_DIR = "models"
RUNS_DIR = "runs"
RUN_FORMAT = 1


class UserDataError(Exception):
    """The user data folder cannot be used (one line)."""


def data_dir() -> Path:
    """The per-user writable folder (created on demand)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not location:
        raise UserDataError("this system has no writable application data folder")
    path = Path(location)
    try:
        inside = path.resolve().is_relative_to(resource_dir().resolve())
    except OSError:
        inside = False
    if inside:  # never write into the installed package
        raise UserDataError(f"refusing to use {path}: it is inside the bundled resources")
    return path


def models_dir() -> Path:
    return data_dir() / MODELS_DIR


def runs_dir() -> Path:
    return data_dir() / RUNS_DIR


def _stamp(when: _dt.datetime | None = None) -> str:
    return (when or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")


def _unique(folder: Path, stem: str, suffix: str) -> str:
    """``stem`` or ``stem-2``, ``stem-3``... so that ``folder/NAME+suffix`` is free."""
    name, n = stem, 1
    while (folder / (name + suffix)).exists():
        n += 1
        name = f"{stem}-{n}"
    return name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


# --------------------------------------------------------------------------- models
def save_user_model(result: Any) -> Path:
    """Save a finished :class:`~digitpad.training.TrainResult` as ``models/NAME.*`` (keras,
    tflite, json; atomically) and return the model base path. Raises ``OSError`` (disk
    full...), :class:`UserDataError`, or ``ValueError`` for a cancelled run."""
    from digitpad.training import save_result  # imports nothing heavy until called

    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{_stamp()}-{_slug(result.config.preset)}"
    base = folder / _unique(folder, stem, ".json")
    save_result(result, base)
    return base


def active_model(settings: QSettings) -> Path | None:
    value = settings.value(KEY_ACTIVE_MODEL)
    return Path(str(value)) if value else None


def set_active_model(settings: QSettings, base: str | os.PathLike | None) -> None:
    """Remember ``base`` as the active model (``None``: the bundled one)."""
    if base is None:
        settings.remove(KEY_ACTIVE_MODEL)
    else:
        settings.setValue(KEY_ACTIVE_MODEL, str(model_base(base)))
    settings.sync()


def load_active_predictor(settings: QSettings) -> tuple[Predictor, str | None]:
    """The remembered model, or the bundled one with a one-line notice when the remembered
    model is missing or corrupt. A broken bundled model raises :class:`ModelError`."""
    base = active_model(settings)
    if base is not None:
        try:
            return Predictor(base), None
        except ModelError as exc:
            log.warning("active model unusable: %s", exc)
            return Predictor.bundled(), f"Your model could not be loaded ({exc}); using the bundled model"
    return Predictor.bundled(), None


# --------------------------------------------------------------------------- runs
@dataclass
class RunRecord:
    """One past training run as kept in ``runs/RUN_ID.json``."""

    run_id: str
    date: str  # ISO 8601, local time
    settings: dict[str, Any]
    history: dict[str, list[float | None]]
    test_accuracy: float | None
    seconds: float
    cancelled: bool = False
    model: str | None = None  # the saved model's base path, once "Use this model" kept it
    label: str = ""  # the preset's label, for the list
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def accuracy_text(self) -> str:
        if self.cancelled:
            return "cancelled"
        return f"{self.test_accuracy:.2%}" if self.test_accuracy is not None else "?"

    def title(self) -> str:
        """Short, for a list: "11-29 17:19 · Tutorial MLP · 97.81%"."""
        when = self.date[5:16].replace("T", " ")
        return f"{when} · {self.label or self.settings.get('preset', '?')} · {self.accuracy_text()}"

    def details(self) -> str:
        s = self.settings
        return (
            f"{self.date[:16].replace('T', ' ')}: {self.label}, {self.epochs} epochs, batch {s.get('batch_size')}, "
            f"{s.get('optimizer')} lr {s.get('learning_rate')}, validation {s.get('validation_split')}, "
            f"augment {'on' if s.get('augment') else 'off'}, seed {s.get('seed')}; "
            f"MNIST test accuracy {self.accuracy_text()}, {self.seconds:.0f} s"
            + (f"; kept as {Path(self.model).name}" if self.model else "")
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["format"] = RUN_FORMAT
        # NaN is not JSON: store missing values (no validation split) as null.
        out["history"] = {k: [None if _nan(v) else v for v in vals] for k, vals in self.history.items()}
        return out

    @classmethod
    def from_json(cls, data: Any) -> "RunRecord":
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        history = data.get("history")
        if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
            raise ValueError("no per-epoch history")
        acc = data.get("test_accuracy")
        return cls(
            run_id=str(data["run_id"]),
            date=str(data["date"]),
            settings=dict(data.get("settings") or {}),
            history={str(k): [None if v is None else float(v) for v in vals] for k, vals in history.items()},
            test_accuracy=float(acc) if isinstance(acc, (int, float)) else None,
            seconds=float(data.get("seconds") or 0.0),
            cancelled=bool(data.get("cancelled", False)),
            model=data.get("model") or None,
            label=str(data.get("label") or ""),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def from_result(cls, result: Any) -> "RunRecord":
        now = _dt.datetime.now().astimezone()
        settings = dict(result.meta.get("training") or result.config.settings())
        return cls(
            run_id=_stamp(now),
            date=now.isoformat(timespec="seconds"),
            settings=settings,
            history={k: [float(v) for v in vals] for k, vals in result.history.items()},
            test_accuracy=result.test_accuracy,
            seconds=round(float(result.seconds), 2),
            cancelled=bool(result.cancelled),
            label=result.config.preset_spec.label,
            extra={"parameters": result.meta.get("parameters")},
        )


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def save_run(record: RunRecord) -> Path:
    """Write (or rewrite) ``runs/RUN_ID.json`` atomically; a new run gets a free id."""
    folder = runs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.run_id}.json"
    if not path.exists():
        record.run_id = _unique(folder, record.run_id, ".json")
        path = folder / f"{record.run_id}.json"
    atomic_write_text(path, json.dumps(record.to_json(), indent=1, allow_nan=False) + "\n")
    return path


def list_runs() -> list[RunRecord]:
    """Past runs, newest first; unreadable files are skipped with a warning."""
    try:
        folder = runs_dir()
        paths = sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []
    except UserDataError:
        return []
    runs = []
    for path in paths:
        try:
            runs.append(RunRecord.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping run history %s: %s", path, exc)
    return runs
