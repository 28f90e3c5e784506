"""The worker that personalises a model off the GUI thread.

Same wiring and callbacks protocol as :class:`digitpad.ui.train_worker.TrainWorker`
(``start_in_thread``; ``on_train_begin`` / ``on_batch_end`` / ``on_epoch_end`` /
``should_stop``), around :func:`digitpad.personalise.run_personalise`, which reads the
user's digits from the database (its own connection: SQLite's WAL lets the window keep
writing), fine-tunes and saves the new model.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from digitpad import tfload
from digitpad.data import DataError
from digitpad.modelfiles import ModelError
from digitpad.mydigits import DigitStoreError

log = logging.getLogger(__name__)

PROGRESS_HZ = 20


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class PersonaliseWorker(QObject):
    """Signals (from the worker's thread): ``stage(str)``, ``begun(epochs, steps)``,
    ``progress(epoch, batch)``, ``succeeded(PersonaliseResult, Path)`` (the new model's base),
    ``cancelled()``, ``failed(str)``, ``finished()`` always last."""

    stage = Signal(str)
    begun = Signal(int, int)
    progress = Signal(int, int)
    succeeded = Signal(object, object)
    cancelled = Signal()
    failed = Signal(str)
    finished = Signal()

    def __init__(self, db_path: Path, base: Path, folder: Path, config: Any = None, parent: QObject | None = None):
        """The new model is saved as a new model version in ``folder``."""
        super().__init__(parent)
        self.db_path, self.base, self.folder, self.config = db_path, base, folder, config
        self._stop = threading.Event()
        self._steps = 0
        self._last = 0.0

    def cancel(self) -> None:
        self._stop.set()

    # callbacks (worker thread)
    def on_train_begin(self, epochs: int, steps: int) -> None:
        self._steps = steps
        self.stage.emit("Learning your digits…")
        self.begun.emit(epochs, steps)

    def on_batch_end(self, epoch: int, batch: int, logs: dict) -> None:
        now = time.monotonic()
        if now - self._last >= 1.0 / PROGRESS_HZ or batch + 1 >= self._steps:
            self._last = now
            self.progress.emit(epoch, batch)

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        from digitpad.personalise import run_personalise

        try:
            if not tfload.is_loaded():
                self.stage.emit("Loading TensorFlow…")
            tfload.import_keras()
            if self._stop.is_set():
                self.cancelled.emit()
                return
            self.stage.emit("Preparing your digits…")
            result, saved = run_personalise(self.db_path, self.base, None, self.config, callbacks=self, folder=self.folder)
            if saved is None:
                self.cancelled.emit()
            else:
                self.succeeded.emit(result, saved)
        except (ValueError, ModelError, DataError, DigitStoreError) as exc:
            self.failed.emit(_one_line(exc))
        except OSError as exc:
            self.failed.emit(f"Cannot save the model: {exc.strerror or _one_line(exc)}")
        except Exception as exc:  # TensorFlow errors of every kind
            log.exception("personalising failed")
            self.failed.emit(f"Personalising failed: {type(exc).__name__}: {_one_line(exc)}")
        finally:
            self.finished.emit()
