"""Workers that run training and model saving off the GUI thread.

Standard wiring (:func:`start_in_thread`): the worker object is moved to a ``QThread``,
``started -> run``, ``finished -> quit`` and ``deleteLater``. The worker reports only through
signals; GUI slots paint. ``run()`` is an ordinary method, so tests call it directly.

:class:`TrainWorker` is only a signal adapter: it is the callbacks object that
:func:`digitpad.training.train` expects (train() loads the data and TensorFlow itself and
reports each stage). Cancelling sets a ``threading.Event`` (safe to call from the GUI thread
while ``run()`` is busy), which ``train()`` polls between stages and after every batch.
Progress is throttled to ``PROGRESS_HZ`` signals a second
(plus the last batch of each epoch), so a fast model cannot flood the GUI's event queue.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from digitpad.data import DataError
from digitpad.errors import one_line

log = logging.getLogger(__name__)

PROGRESS_HZ = 20
STOP_WAIT_MS = 60_000


class TrainWorker(QObject):
    """Runs ``train(config, data)``. Signals (all emitted from the worker's thread):

    - ``stage(str)``                       "Loading MNIST…", "Loading TensorFlow…", "Training…"
    - ``begun(epochs, batches_per_epoch)``
    - ``progress(epoch, batch, logs)``     throttled; epochs and batches count from 0
    - ``epochEnded(epoch, logs)``          loss, accuracy, val_loss, val_accuracy
    - ``succeeded(TrainResult)``           finished and evaluated
    - ``cancelled(TrainResult)``           stopped early (no model if before training began)
    - ``failed(str)``                      one-line reason
    - ``finished()``                       always last
    """

    stage = Signal(str)
    begun = Signal(int, int)
    progress = Signal(int, int, object)
    epochEnded = Signal(int, object)
    succeeded = Signal(object)
    cancelled = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, config: Any, data: Any = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.data = data
        self._stop = threading.Event()
        self._batches = 0
        self._last_emit = 0.0
        self._interval = 1.0 / PROGRESS_HZ

    # Called from any thread ------------------------------------------------------------
    def cancel(self) -> None:
        self._stop.set()

    def is_cancelled(self) -> bool:
        return self._stop.is_set()

    # train() callbacks (worker thread) --------------------------------------------------
    def on_train_begin(self, total_epochs: int, batches_per_epoch: int) -> None:
        self._batches = batches_per_epoch
        self._last_emit = 0.0
        self.begun.emit(total_epochs, batches_per_epoch)

    def on_stage(self, text: str) -> None:
        self.stage.emit(text)

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        now = time.monotonic()
        if now - self._last_emit >= self._interval or batch + 1 >= self._batches:
            self._last_emit = now
            self.progress.emit(epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochEnded.emit(epoch, logs)

    def should_stop(self) -> bool:
        return self._stop.is_set()

    # The job --------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._run()
        except (DataError, ValueError) as exc:
            self.failed.emit(one_line(exc))
        except MemoryError:
            self.failed.emit("training failed: out of memory")
        except Exception as exc:  # TensorFlow errors of every kind end up here
            log.exception("training failed")
            self.failed.emit(f"training failed: {type(exc).__name__}: {one_line(exc)}")
        finally:
            self.finished.emit()

    def _run(self) -> None:
        from digitpad.training import train

        result = train(self.config, self.data, callbacks=self)
        if result.cancelled:
            self.cancelled.emit(result)
        else:
            self.succeeded.emit(result)


class SaveWorker(QObject):
    """Saves a finished run as a user model (``.keras`` + ``.tflite`` + ``.json``): the
    LiteRT export takes seconds, so it runs off the GUI thread too.
    Signals ``saved(Path)``, ``failed(str)``, ``finished()``."""

    saved = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, result: Any, parent: QObject | None = None):
        super().__init__(parent)
        self.result = result

    def run(self) -> None:
        from digitpad.ui.user_models import UserDataError, save_user_model

        try:
            base = save_user_model(self.result)
        except OSError as exc:
            self.failed.emit(f"Cannot save the model: {exc.strerror or one_line(exc)}")
        except (UserDataError, ValueError) as exc:
            self.failed.emit(f"Cannot save the model: {one_line(exc)}")
        except Exception as exc:  # export (converter) errors
            log.exception("saving the model failed")
            self.failed.emit(f"Cannot save the model: {type(exc).__name__}: {one_line(exc)}")
        else:
            self.saved.emit(base)
        finally:
            self.finished.emit()


def start_in_thread(worker: QObject, name: str) -> QThread:
    """Move ``worker`` (with ``run()`` and a ``finished`` signal) to a new QThread and start it.
    The caller keeps references to both until ``thread.finished``."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread


def stop_thread(thread: QThread | None, worker: Any = None, timeout_ms: int = STOP_WAIT_MS) -> bool:
    """Ask ``worker`` to cancel and wait for ``thread`` to end (never ``terminate()``).
    ``quit()`` is called here too: the queued quit from ``finished`` cannot be delivered
    while the GUI thread is blocked in ``wait()``. True when no thread is left running."""
    if thread is None:
        return True
    try:
        if not thread.isRunning():
            return True
        if worker is not None:
            worker.cancel()
        thread.quit()
        done = thread.wait(timeout_ms)
    except RuntimeError:  # the C++ object is already deleted: the thread has ended
        return True
    if not done:
        log.error("the %s thread did not stop within %d ms", thread.objectName(), timeout_ms)
    return bool(done)
