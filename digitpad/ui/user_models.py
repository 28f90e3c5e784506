"""The user's own models and training runs, and which model is active.

Everything lives under :func:`data_dir` (never in the installed package):

- ``models/NAME/NAME.keras|.tflite|.json``  models the user chose to keep ("Use this
  model"), one folder per version, which appears whole in one rename (see
  :func:`digitpad.modelfiles.save_model_version`); models saved before versions were
  folders (``models/NAME.*`` side by side) still load,
- ``runs/RUN_ID.json``                past training runs: settings, per-epoch history, test
  accuracy, date (re-plottable from the Train tab).

The active model is remembered in ``QSettings`` (``model/active``: a model base path, or
absent for the bundled model). At start-up the remembered model is loaded and checked like
any other (:class:`~digitpad.predictor.Predictor` refuses a model that cannot predict); a
missing, corrupt or unusable one falls back to the bundled one with a message for the
status bar. Every file is written atomically and flushed; two processes saving at once
never take the same name; temporaries left by a killed process are removed at start
(:func:`clean_data_dir`).
"""

from __future__ import annotations

import contextlib
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

from digitpad.fileio import MAX_JSON_BYTES, atomic_write_text, clean_stale_temporaries, create_new_text, read_json
from digitpad.modelfiles import model_base
from digitpad.paths import resource_dir

log = logging.getLogger(__name__)

KEY_ACTIVE_MODEL = "model/active"
DATA_FOLDER = "digitpad"
MODELS_DIR = "models"
RUNS_DIR = "runs"
RUN_FORMAT = 1


class UserDataError(Exception):
    """The user data folder cannot be used (one line)."""


DATA_DIR_ENV = "DIGITPAD_DATA_DIR"


def data_dir() -> Path:
    """The per-user writable folder (created on demand): ``digitpad`` in the system's data
    folder (``~/.local/share/digitpad`` on Linux), or ``$DIGITPAD_DATA_DIR`` when set (tests
    and benchmarks give each run its own). Versions before 0.2 used Qt's
    organisation/application folder ``…/digitpad/digitpad``; it is moved here once."""
    override = os.environ.get(DATA_DIR_ENV)
    location = override or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    if not location:
        raise UserDataError("this system has no writable application data folder")
    if override:
        path = Path(override)
    else:
        path = Path(location) / DATA_FOLDER
        _move_old_data_dir(path)
    try:
        inside = path.resolve().is_relative_to(resource_dir().resolve())
    except OSError:
        inside = False
    if inside:  # never write into the installed package
        raise UserDataError(f"refusing to use {path}: it is inside the bundled resources")
    return path


_MOVE_FAILED: set[Path] = set()


def _move_old_data_dir(path: Path) -> None:
    """Move what the old folder holds (models, runs...) into ``path``; on Linux the old
    folder is ``path/digitpad`` itself. Names already present in ``path`` are left alone."""
    old = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not old or Path(old) == path or not Path(old).is_dir():
        return
    old = Path(old)
    try:
        path.mkdir(parents=True, exist_ok=True)
        for child in sorted(old.iterdir()):
            if not (path / child.name).exists():
                os.rename(child, path / child.name)  # same file system: one step each
        old.rmdir()
        log.info("moved the data folder %s to %s", old, path)
        with contextlib.suppress(OSError):
            old.parent.rmdir()  # an empty organisation folder
    except OSError as exc:
        if old not in _MOVE_FAILED:  # said once, not at every look-up
            _MOVE_FAILED.add(old)
            log.warning("could not move the old data folder %s to %s: %s", old, path, exc)


def models_dir() -> Path:
    return data_dir() / MODELS_DIR


def runs_dir() -> Path:
    return data_dir() / RUNS_DIR


def _stamp(when: _dt.datetime | None = None) -> str:
    return (when or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


# --------------------------------------------------------------------------- models
def save_user_model(result: Any) -> Path:
    """Save a finished :class:`~digitpad.training.TrainResult` as ``models/NAME.*`` (keras,
    tflite, json; atomically) and return the model base path. Raises ``OSError`` (disk
    full...), :class:`UserDataError`, or ``ValueError`` for a cancelled run."""
    from digitpad.modelfiles import keras_writers, save_model_version
    from digitpad.training import RefusedModelError, failure

    if result.cancelled:
        raise ValueError("training was cancelled; the partly trained model is not saved")
    why = failure(result)
    if why:
        raise RefusedModelError(f"{why}; the model is not saved")
    stem = f"{_stamp()}-{_slug(result.config.preset)}"
    return save_model_version(models_dir(), stem, keras_writers(result.model), result.meta)


def clean_data_dir() -> list[Path]:
    """Remove the temporaries a killed digitpad left in the models and runs folders
    (only names of our own temporary pattern, only of processes no longer running)."""
    try:
        folders = (models_dir(), runs_dir())
    except UserDataError:
        return []
    removed = [p for folder in folders for p in clean_stale_temporaries(folder)]
    if removed:
        log.info("removed %d temporary files left by an interrupted save", len(removed))
    return removed


def digits_db_path() -> Path:
    """The user's digits database (see :mod:`digitpad.mydigits`)."""
    from digitpad.mydigits import default_path

    return default_path(data_dir())


def open_digit_store():
    """The user's digits database and a one-line notice (``(None, reason)`` when it cannot
    be opened; ``(store, message)`` when an unusable file was moved aside)."""
    from digitpad.mydigits import DigitStore, DigitStoreError

    try:
        store = DigitStore(digits_db_path())
    except (DigitStoreError, UserDataError) as exc:
        log.warning("your digits cannot be stored: %s", exc)
        return None, f"Your digits cannot be stored: {exc}"
    return store, store.notice


def active_model(settings: QSettings) -> Path | None:
    value = settings.value(KEY_ACTIVE_MODEL)
    return moved_path(Path(str(value))) if value else None


def moved_path(path: Path) -> Path:
    """A path into the pre-0.2 data folder, as it is now that the folder has moved."""
    old = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    try:
        if old and not path.exists() and path.is_relative_to(old):
            return data_dir() / path.relative_to(old)
    except UserDataError:
        pass
    return path


def set_active_model(settings: QSettings, base: str | os.PathLike | None) -> None:
    """Remember ``base`` as the active model (``None``: the bundled one)."""
    if base is None:
        settings.remove(KEY_ACTIVE_MODEL)
    else:
        settings.setValue(KEY_ACTIVE_MODEL, str(model_base(base)))
    settings.sync()


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
    saved_as: str | None = field(default=None, compare=False)  # the file it was saved as

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def accuracy_text(self) -> str:
        if self.cancelled:
            return "cancelled"
        return f"{self.test_accuracy:.2%}" if self.test_accuracy is not None else "?"

    def title(self) -> str:
        """Short but telling runs apart, for a list:
        "11-29 17:19:05 · Tutorial MLP · 8 ep, batch 128 · 97.81% · kept"."""
        when = self.date[5:19].replace("T", " ")
        s = self.settings
        kept = " · kept" if self.model else ""
        return (
            f"{when} · {self.label or s.get('preset', '?')} · {self.epochs} ep, batch {s.get('batch_size', '?')}"
            f" · {self.accuracy_text()}{kept}"
        )

    def confusion(self) -> list[list[int]] | None:
        """The run's 10x10 confusion matrix on the MNIST test set, if it was recorded."""
        m = self.extra.get("confusion")
        ok = isinstance(m, list) and len(m) == 10 and all(isinstance(r, list) and len(r) == 10 for r in m)
        return m if ok else None

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
        out.pop("saved_as", None)
        out["format"] = RUN_FORMAT
        # NaN is not JSON: store missing values (no validation split) as null.
        out["history"] = {k: [None if _nan(v) else v for v in vals] for k, vals in self.history.items()}
        return out

    @classmethod
    def from_json(cls, data: Any) -> RunRecord:
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
            model=str(moved_path(Path(data["model"]))) if data.get("model") else None,
            label=str(data.get("label") or ""),
            extra=dict(data.get("extra") or {}),
        )

    @classmethod
    def from_result(cls, result: Any) -> RunRecord:
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
            extra={
                "parameters": result.meta.get("parameters"),
                "confusion": None if result.confusion is None else [[int(v) for v in row] for row in result.confusion],
            },
        )


def _nan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def save_run(record: RunRecord) -> Path:
    """Write (or rewrite) ``runs/RUN_ID.json`` atomically. A new run (``record.saved_as``
    unset) gets a free id, safely against another process saving a run at the same moment;
    a rewrite replaces the file this record was saved as."""
    folder = runs_dir()
    if record.saved_as is not None:
        path = Path(record.saved_as)
        atomic_write_text(path, json.dumps(record.to_json(), indent=1, allow_nan=False) + "\n")
        return path
    text = json.dumps(record.to_json(), indent=1, allow_nan=False) + "\n"
    path = create_new_text(folder, record.run_id, ".json", text)
    if path.stem != record.run_id:  # the id it got: write it into the record too
        record.run_id = path.stem
        atomic_write_text(path, json.dumps(record.to_json(), indent=1, allow_nan=False) + "\n")
    record.saved_as = str(path)
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
            record = RunRecord.from_json(read_json(path, MAX_JSON_BYTES))
            record.saved_as = str(path)
            runs.append(record)
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            log.warning("skipping run history %s: %s", path, exc)
    return runs
