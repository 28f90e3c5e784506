"""The "Train" tab: choose settings, train in the background, watch it learn, keep the model.

A thin tab around two views: the settings form on the left
(:class:`~digitpad.ui.train_settings.TrainSettingsForm`) with Start, Cancel, "Use this model"
and the past runs below it, and the results on the right
(:class:`~digitpad.ui.results_view.TrainResultsView`: progress, the accuracy/loss chart, the
epoch log, the confusion matrix and the misclassified test digits). The tab itself runs the
workers and keeps the run history.

Training runs :func:`digitpad.training.train` on a :class:`TrainWorker` in a ``QThread``;
"Use this model" saves on a :class:`SaveWorker` and emits :attr:`TrainTab.modelSaved` with
the new model's base path (the window switches the Draw tab to it). The tab never touches
the active model itself, so a cancelled or failed run leaves it as it was.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from digitpad import tfload
from digitpad.eta import expected_seconds, format_duration
from digitpad.ui.results_view import TrainResultsView
from digitpad.ui.train_settings import TrainSettingsForm
from digitpad.ui.train_worker import SaveWorker, TrainWorker, start_in_thread, stop_thread
from digitpad.ui.user_models import RunRecord, UserDataError, list_runs, save_run

log = logging.getLogger(__name__)


def ask_stop_training(parent: QWidget) -> bool:
    """Ask whether to stop a running training (the window is closing). Tests replace this."""
    answer = QMessageBox.question(
        parent,
        "Training in progress",
        "A model is being trained. Stop training and close digitpad?\n\nThe active model is not changed.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class SettingsScroll(QScrollArea):
    """The settings column: scrolls up and down, never sideways, so it is always as wide
    as its widest line needs (a long file name included) and no row is cut off."""

    MIN_WIDTH = 270

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        inner = self.widget()
        need = 0 if inner is None else inner.minimumSizeHint().width()
        need += self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        return QSize(max(self.MIN_WIDTH, need), super().minimumSizeHint().height())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.updateGeometry()
        return super().eventFilter(watched, event)


class TrainTab(QWidget):
    """Signals (GUI thread): ``modelSaved(Path)`` (a kept model, to become the active one),
    ``trainingChanged(bool)`` (a run started or ended), ``fitBegun()`` (data and TensorFlow
    loaded, the first batch is next) and ``epochShown(int)`` (an epoch is on the chart).
    ``data`` may be set to a :class:`~digitpad.data.Mnist` to train on instead of the
    MNIST file (tests)."""

    preload_tensorflow = True  # import TensorFlow in the background when first shown

    modelSaved = Signal(object)
    modelChosen = Signal(object)  # a past run's kept model, to become the active one
    trainingChanged = Signal(bool)
    fitBegun = Signal()
    epochShown = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: Any = None
        self.result: Any = None  # the last finished (not cancelled) TrainResult
        self._record: RunRecord | None = None  # its run history entry
        self._worker: TrainWorker | None = None
        self._thread = None
        self._saver: SaveWorker | None = None
        self._save_thread = None
        self._runs: list[RunRecord] = []
        self._runs_loaded = False
        self._build()
        self.form.restore()  # the settings of the last Start
        self._set_running(False)

    # Construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.form = TrainSettingsForm()
        self.results = TrainResultsView()

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Save it in your data folder and recognise drawings with it")
        self.use_button.clicked.connect(self.use_model)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        self.expected_label = QLabel("")  # how long a run of these settings should take
        self.expected_label.setWordWrap(True)
        self.expected_label.setStyleSheet("color: #555555")
        self.form.preset_box.currentIndexChanged.connect(self.show_expected_duration)
        self.form.epochs_box.valueChanged.connect(self.show_expected_duration)

        self.runs_box = QComboBox()
        self.runs_box.setToolTip("Show a past run: its curves, settings and confusion matrix")
        self.runs_box.activated.connect(self._show_run)
        self.run_settings_button = QPushButton("Use its settings")
        self.run_settings_button.setToolTip("Fill the settings above with this run's, to train it again or vary it")
        self.run_settings_button.clicked.connect(self.use_run_settings)
        self.run_activate_button = QPushButton("Make its model active")
        self.run_activate_button.setToolTip("Recognise drawings with the model this run kept")
        self.run_activate_button.clicked.connect(self.activate_run_model)
        runs_group = QGroupBox("Past runs")
        runs_layout = QVBoxLayout(runs_group)
        runs_layout.addWidget(self.runs_box)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(self.run_settings_button)
        run_buttons.addWidget(self.run_activate_button)
        runs_layout.addLayout(run_buttons)

        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(6, 6, 6, 6)
        col.addWidget(self.form)
        col.addWidget(self.expected_label)
        col.addLayout(buttons)
        col.addWidget(self.use_button)
        col.addWidget(runs_group)
        col.addStretch(1)
        scroll = self.settings_scroll = SettingsScroll()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A longer line (the pen files found) may widen the settings: the column follows.
        self.form.pen_label.installEventFilter(scroll)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(scroll)
        row.addWidget(self.results, 1)

    # State ----------------------------------------------------------------------------
    def is_training(self) -> bool:
        """True from Start until the training thread has ended."""
        return self._thread is not None

    def is_busy(self) -> bool:
        """Training or saving."""
        return self._thread is not None or self._save_thread is not None

    def _set_running(self, running: bool) -> None:
        self.form.settings_group.setEnabled(not running)
        saving = self._save_thread is not None
        self.start_button.setEnabled(not running and not saving)
        self.cancel_button.setEnabled(running)
        self.runs_box.setEnabled(not running)
        record = self.selected_run()
        self.run_settings_button.setEnabled(not running and record is not None)
        usable = record is not None and bool(record.model) and Path(str(record.model) + ".tflite").exists()
        self.run_activate_button.setEnabled(usable)
        kept = self._record is not None and self._record.model is not None
        self.use_button.setEnabled(not running and not saving and self.result is not None and not kept)

    # Training -------------------------------------------------------------------------
    def start(self) -> bool:
        """Start training with the current settings; False (and a message) if it cannot."""
        if self.is_busy():
            return False
        try:
            config = self.form.config()
        except ValueError as exc:
            self.results.status(f"Cannot start: {exc}", error=True)
            return False
        self.result = None
        self._record = None
        self.form.remember()
        self.results.begin(config)
        worker = TrainWorker(config, self.data)
        worker.stage.connect(self.results.stage)
        worker.begun.connect(self._on_begun)
        worker.progress.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch)
        worker.succeeded.connect(self._on_succeeded)
        worker.cancelled.connect(self._on_cancelled)
        worker.failed.connect(self.results.failed)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._set_running(True)
        self._thread = start_in_thread(worker, "training")
        self._thread.finished.connect(self._on_thread_finished)
        self.trainingChanged.emit(True)
        return True

    def cancel(self) -> None:
        """Ask the running training to stop after the current batch."""
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.results.status("Cancelling…")

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Stop training and saving and wait for their threads (window closing). True when
        no thread is left running."""
        trained = stop_thread(self._thread, self._worker, timeout_ms)
        saved = stop_thread(self._save_thread, None, timeout_ms)
        if trained and self._thread is not None:
            self._on_thread_finished()  # its queued finished signal may never be delivered
        if saved and self._save_thread is not None:
            self._on_save_thread_finished()
        return trained and saved

    def confirm_close(self) -> bool:
        """For the window's close event: ask before stopping a run; stop it if agreed."""
        if self.is_training() and not ask_stop_training(self):
            return False
        return self.shutdown()

    def _on_begun(self, epochs: int, batches: int) -> None:
        self.results.training_begun(epochs, batches)
        self.fitBegun.emit()

    def _on_progress(self, epoch: int, batch: int, logs: dict) -> None:
        cancelling = self._worker is not None and self._worker.is_cancelled()
        self.results.progress(epoch, batch, logs, cancelling=cancelling)

    def _on_epoch(self, epoch: int, logs: dict) -> None:
        self.results.epoch_ended(epoch, logs)
        self.epochShown.emit(epoch)

    def _on_succeeded(self, result: Any) -> None:
        from digitpad.training import failure

        why = failure(result)
        self.result = None if why else result  # a diverged or useless run is not offered for use
        self.results.succeeded(result)
        if why:
            self.results.log(f"Not offered for use: {why}")
            self.results.status(f"{why[0].upper()}{why[1:]}: this model is not offered for use. "
                                "Try a lower learning rate or other settings.", error=True)
        self._record_run(result)
        self._set_running(self.is_training())

    def _on_cancelled(self, result: Any) -> None:
        epochs = result.epochs_completed
        self.results.cancelled(epochs)
        if epochs:
            self._record_run(result)

    def _on_finished(self) -> None:
        self.cancel_button.setEnabled(False)

    def _on_thread_finished(self) -> None:
        self._thread = None
        self._worker = None
        self.results.finish()
        self._set_running(False)
        self.trainingChanged.emit(False)

    # Run history ----------------------------------------------------------------------
    def _record_run(self, result: Any) -> None:
        record = RunRecord.from_result(result)
        try:
            save_run(record)
        except (OSError, UserDataError) as exc:
            self.results.log(f"Could not keep this run in the history: {exc}")
        if not result.cancelled:
            self._record = record
        self.refresh_runs(select=record.run_id)

    def refresh_runs(self, select: str | None = None) -> None:
        """Re-read the past runs into the list (newest first)."""
        self._runs = list_runs()
        self._runs_loaded = True
        self.runs_box.blockSignals(True)
        self.runs_box.clear()
        if not self._runs:
            self.runs_box.addItem("No past runs yet", None)
        for record in self._runs:
            self.runs_box.addItem(record.title(), record.run_id)
            self.runs_box.setItemData(self.runs_box.count() - 1, record.details(), Qt.ItemDataRole.ToolTipRole)
        if select is not None and (i := self.runs_box.findData(select)) >= 0:
            self.runs_box.setCurrentIndex(i)
        self.runs_box.blockSignals(False)
        self.show_expected_duration()

    def runs(self) -> list[RunRecord]:
        if not self._runs_loaded:
            self.refresh_runs()
        return list(self._runs)

    def show_run(self, run_id: str) -> bool:
        """Show a past run: curves, settings, test accuracy, confusion matrix."""
        record = next((r for r in self.runs() if r.run_id == run_id), None)
        if record is None:
            return False
        if (i := self.runs_box.findData(run_id)) >= 0:
            self.runs_box.setCurrentIndex(i)
        self.results.show_run(record)
        self._set_running(self.is_training())
        return True

    def selected_run(self) -> RunRecord | None:
        run_id = self.runs_box.currentData()
        return next((r for r in self._runs if r.run_id == run_id), None) if run_id else None

    def use_run_settings(self) -> bool:
        record = self.selected_run()
        if record is None or self.is_training():
            return False
        try:
            self.form.apply_settings(record.settings)
        except (ValueError, TypeError) as exc:
            self.results.status(f"Cannot use that run's settings: {exc}", error=True)
            return False
        self.results.status(f"Settings of the run of {record.date[:16].replace('T', ' ')}; press Start to train.")
        return True

    def activate_run_model(self) -> bool:
        record = self.selected_run()
        if record is None or not record.model:
            return False
        self.modelChosen.emit(Path(record.model))
        return True

    def _show_run(self, index: int) -> None:
        run_id = self.runs_box.itemData(index)
        if run_id:
            self.show_run(run_id)

    def show_expected_duration(self) -> None:
        """Before Start: "Expected: about 13 min (from your last run of this model…)"."""
        if not self._runs_loaded:
            return  # read with the past runs when the tab is first shown
        guess = expected_seconds(self.form.preset_box.currentData(), self.form.epochs_box.value(), self._runs)
        self.expected_label.setText(
            "" if guess is None else f"Expected: about {format_duration(guess[0])} ({guess[1]})"
        )

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self._runs_loaded:
            self.refresh_runs()
        if self.preload_tensorflow:
            # TensorFlow takes ~3 s to import: begin now, so that it is ready when the user
            # has chosen the settings and presses Start (the window stays responsive).
            tfload.start_background_import()
        super().showEvent(event)

    # Keeping the model ----------------------------------------------------------------
    def use_model(self) -> bool:
        """Save the last finished model in the user's data folder (in the background); on
        success ``modelSaved(base)`` is emitted."""
        if self.result is None or self.is_busy():
            return False
        saver = SaveWorker(self.result)
        saver.saved.connect(self._on_saved)
        saver.failed.connect(self._on_save_failed)
        self._saver = saver
        self.results.status("Saving the model…")
        self._save_thread = start_in_thread(saver, "saving")
        self._save_thread.finished.connect(self._on_save_thread_finished)
        self._set_running(False)
        return True

    def _on_saved(self, base: Path) -> None:
        if self._record is not None:
            self._record.model = str(base)
            try:
                save_run(self._record)
            except (OSError, UserDataError) as exc:
                log.warning("could not update the run history: %s", exc)
            self.refresh_runs(select=self._record.run_id)
        self.results.log(f"Saved {base}.keras, .tflite and .json")
        self.results.status(f"Saved as {base.name}; the Draw tab now uses it.")
        self.modelSaved.emit(base)

    def _on_save_failed(self, message: str) -> None:
        self.results.log(f"Error: {message}")
        self.results.status(f"{message}. The active model is unchanged.", error=True)

    def _on_save_thread_finished(self) -> None:
        self._save_thread = None
        self._saver = None
        self._set_running(False)
