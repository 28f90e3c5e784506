"""The "Train" tab: choose settings, train in the background, watch it learn, keep the model.

Settings on the left (defaults from the chosen preset; the widgets enforce the ranges that
:class:`~digitpad.training.TrainConfig` accepts), and the live view on the right: progress
with epoch and time left, the accuracy/loss history chart, and below it the epoch log, the
confusion matrix and the misclassified test digits.

Training runs :func:`digitpad.training.train` on a :class:`TrainWorker` in a ``QThread``;
"Use this model" saves on a :class:`SaveWorker` and emits :attr:`TrainTab.modelSaved` with
the new model's base path (the window switches the Draw tab to it). The tab never touches
the active model itself, so a cancelled or failed run leaves it as it was.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad import tfload
from digitpad.presets import DEFAULT_PRESET, PRESETS, get_preset
from digitpad.training import TrainConfig
from digitpad.ui.history_chart import HistoryChart
from digitpad.ui.results_view import ConfusionTable, DigitGallery
from digitpad.ui.train_worker import SaveWorker, TrainWorker, start_in_thread, stop_thread
from digitpad.ui.user_models import RunRecord, UserDataError, list_runs, save_run

log = logging.getLogger(__name__)

MAX_EPOCHS = 1000
MAX_BATCH = 10_000
MAX_SEED = 2**31 - 1
RANDOM_SEED = -1  # the seed box's special value: a random seed, recorded with the run
DEFAULT_SEED = 1
ERROR_STYLE = "color: #c92a2a"


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


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f} %"


class TrainTab(QWidget):
    """Signals (GUI thread): ``modelSaved(Path)`` (a kept model, to become the active one),
    ``trainingChanged(bool)`` (a run started or ended), ``fitBegun()`` (data and TensorFlow
    loaded, the first batch is next) and ``epochShown(int)`` (an epoch is on the chart).
    ``data`` may be set to a dataset (see :class:`~digitpad.training.Dataset`) to train on
    instead of MNIST (tests)."""

    preload_tensorflow = True  # import TensorFlow in the background when first shown

    modelSaved = Signal(object)
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
        self._total_batches = 0
        self._batches = 0
        self._epochs = 0
        self._started = 0.0
        self._build()
        self.apply_preset(DEFAULT_PRESET)
        self._set_running(False)

    # Construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.preset_box = QComboBox()
        for p in PRESETS.values():
            self.preset_box.addItem(p.label, p.name)
        self.preset_box.setToolTip("Architecture; choosing one resets the settings to its defaults")
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(1, MAX_EPOCHS)
        self.batch_box = QSpinBox()
        self.batch_box.setRange(1, MAX_BATCH)
        self.optimizer_box = QComboBox()
        self.optimizer_box.addItem("SGD", "sgd")
        self.optimizer_box.addItem("Adam", "adam")
        self.lr_box = QDoubleSpinBox()
        self.lr_box.setDecimals(5)
        self.lr_box.setRange(0.00001, 10.0)
        self.lr_box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.val_box = QDoubleSpinBox()
        self.val_box.setDecimals(2)
        self.val_box.setRange(0.0, 0.5)
        self.val_box.setSingleStep(0.05)
        self.val_box.setToolTip("Fraction of the training set held out to measure validation accuracy")
        self.augment_box = QCheckBox("Drawing-like augmentation")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(RANDOM_SEED, MAX_SEED)
        self.seed_box.setSpecialValueText("random")
        self.seed_box.setValue(DEFAULT_SEED)
        self.seed_box.setToolTip("The same seed and settings train the same model; lowest value: random")
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("Automatic")
        self.data_edit.setClearButtonEnabled(True)
        self.data_edit.setToolTip(
            "MNIST mnist.npz; empty: automatic ($DIGITPAD_MNIST, the Keras cache, then download)"
        )
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._ask_data_file)
        data_row = QHBoxLayout()
        data_row.setContentsMargins(0, 0, 0, 0)
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(self.browse_button)

        form = QFormLayout()
        form.addRow("Model", self.preset_box)
        form.addRow("Epochs", self.epochs_box)
        form.addRow("Batch size", self.batch_box)
        form.addRow("Optimizer", self.optimizer_box)
        form.addRow("Learning rate", self.lr_box)
        form.addRow("Validation", self.val_box)
        form.addRow("", self.augment_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("MNIST", data_row)
        self.settings_group = QGroupBox("Settings")
        self.settings_group.setLayout(form)
        self.description_label = QLabel()
        self.description_label.setWordWrap(True)
        self.description_label.setStyleSheet("color: #555555")

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

        self.runs_box = QComboBox()
        self.runs_box.setToolTip("Show the history of a past run")
        self.runs_box.activated.connect(self._show_run)
        runs_group = QGroupBox("Past runs")
        runs_layout = QVBoxLayout(runs_group)
        runs_layout.addWidget(self.runs_box)

        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(6, 6, 6, 6)
        col.addWidget(self.settings_group)
        col.addWidget(self.description_label)
        col.addLayout(buttons)
        col.addWidget(self.use_button)
        col.addWidget(runs_group)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(270)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.status_label = QLabel("Choose settings and press Start.")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.result_label = QLabel("")
        font = self.result_label.font()
        font.setBold(True)
        self.result_label.setFont(font)
        self.chart = HistoryChart()
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log_view.setMaximumBlockCount(5000)
        self.confusion = ConfusionTable()
        self.gallery = DigitGallery()
        self.gallery_scroll = QScrollArea()
        self.gallery_scroll.setWidget(self.gallery)
        self.gallery_scroll.setWidgetResizable(True)
        self.gallery_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_tabs = QTabWidget()
        self.results_tabs.addTab(self.log_view, "Log")
        confusion_page = QWidget()
        page = QVBoxLayout(confusion_page)
        page.setContentsMargins(4, 4, 4, 4)
        page.setSpacing(2)
        caption = QLabel("Rows: the true label · columns: the model's answer (MNIST test set)")
        caption.setStyleSheet("color: #555555")
        page.addWidget(caption)
        page.addWidget(self.confusion, 1)
        self.results_tabs.addTab(confusion_page, "Confusion matrix")
        self.results_tabs.addTab(self.gallery_scroll, "Misclassified")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.results_tabs)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        right = QWidget()
        rcol = QVBoxLayout(right)
        rcol.setContentsMargins(6, 6, 6, 6)
        rcol.addWidget(self.status_label)
        rcol.addWidget(self.progress_bar)
        rcol.addWidget(self.result_label)
        rcol.addWidget(self.splitter, 1)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(scroll)
        row.addWidget(right, 1)
        self.preset_box.currentIndexChanged.connect(self._preset_chosen)

    # Settings -------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        """Select preset ``name`` and reset every setting to its defaults."""
        index = self.preset_box.findData(name)
        if index < 0:
            raise ValueError(f"unknown preset {name!r}")
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentIndex(index)
        self.preset_box.blockSignals(False)
        p = get_preset(name)
        self.epochs_box.setValue(p.epochs)
        self.batch_box.setValue(min(p.batch_size, MAX_BATCH))
        self.optimizer_box.setCurrentIndex(self.optimizer_box.findData(p.optimizer))
        self.lr_box.setValue(p.learning_rate)
        self.val_box.setValue(p.validation_split)
        self.augment_box.setChecked(p.augment and p.supports_augment)
        self.augment_box.setEnabled(p.supports_augment)
        self.augment_box.setToolTip("" if p.supports_augment else f"{p.label} does not support augmentation")
        self.description_label.setText(p.description)

    def _preset_chosen(self, index: int) -> None:
        self.apply_preset(self.preset_box.itemData(index))

    def config(self) -> TrainConfig:
        """The settings as a validated TrainConfig (``ValueError`` if inconsistent)."""
        seed = self.seed_box.value()
        data = self.data_edit.text().strip()
        return TrainConfig.for_preset(
            self.preset_box.currentData(),
            epochs=self.epochs_box.value(),
            batch_size=self.batch_box.value(),
            optimizer=self.optimizer_box.currentData(),
            learning_rate=self.lr_box.value(),
            validation_split=round(self.val_box.value(), 4),
            augment=self.augment_box.isChecked() and self.augment_box.isEnabled(),
            seed=None if seed == RANDOM_SEED else seed,
            data_path=data or None,
        )

    def _ask_data_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MNIST data", self.data_edit.text(), "MNIST (*.npz);;All files (*)")
        if path:
            self.data_edit.setText(path)

    # State ----------------------------------------------------------------------------
    def is_training(self) -> bool:
        """True from Start until the training thread has ended."""
        return self._thread is not None

    def is_busy(self) -> bool:
        """Training or saving."""
        return self._thread is not None or self._save_thread is not None

    def _set_running(self, running: bool) -> None:
        self.settings_group.setEnabled(not running)
        saving = self._save_thread is not None
        self.start_button.setEnabled(not running and not saving)
        self.cancel_button.setEnabled(running)
        self.runs_box.setEnabled(not running)
        kept = self._record is not None and self._record.model is not None
        self.use_button.setEnabled(not running and not saving and self.result is not None and not kept)

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")

    def _log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    # Training -------------------------------------------------------------------------
    def start(self) -> bool:
        """Start training with the current settings; False (and a message) if it cannot."""
        if self.is_busy():
            return False
        try:
            config = self.config()
        except ValueError as exc:
            self._status(f"Cannot start: {exc}", error=True)
            return False
        self.result = None
        self._record = None
        # Drawn now, before the worker competes for the GIL (a draw that overlapped the
        # MNIST load and the TensorFlow import took over a second here).
        self.chart.clear(f"model accuracy · {config.preset_spec.label}", epochs=config.epochs, now=True)
        self.confusion.set_matrix(None)
        self.gallery.set_examples([], [], [])
        self.result_label.setText("")
        self.progress_bar.setRange(0, 0)  # busy until the first batch
        self.log_view.clear()
        self.results_tabs.setCurrentWidget(self.log_view)
        seed = "random" if config.seed is None else config.seed
        self._log(
            f"{config.preset_spec.label}: {config.epochs} epochs, batch {config.batch_size}, "
            f"{config.optimizer} lr {config.learning_rate:g}, validation {config.validation_split:g}, "
            f"augment {'on' if config.augment else 'off'}, seed {seed}"
        )
        worker = TrainWorker(config, self.data)
        worker.stage.connect(self._on_stage)
        worker.begun.connect(self._on_begun)
        worker.progress.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch)
        worker.succeeded.connect(self._on_succeeded)
        worker.cancelled.connect(self._on_cancelled)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._status("Starting…")
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
            self._status("Cancelling…")

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

    def _on_stage(self, text: str) -> None:
        self._status(text)
        self._log(text)

    def _on_begun(self, epochs: int, batches: int) -> None:
        self._epochs, self._batches = epochs, batches
        self._total_batches = epochs * batches
        self._started = time.monotonic()
        self.progress_bar.setRange(0, self._total_batches)
        self.progress_bar.setValue(0)
        self.fitBegun.emit()

    def _on_progress(self, epoch: int, batch: int, logs: dict) -> None:
        done = epoch * self._batches + batch + 1
        self.progress_bar.setValue(done)
        elapsed = time.monotonic() - self._started
        left = elapsed / done * (self._total_batches - done) if done else 0.0
        if self._worker is not None and self._worker.is_cancelled():
            return
        self._status(
            f"Epoch {epoch + 1}/{self._epochs} · batch {batch + 1}/{self._batches} · "
            f"accuracy {_pct(logs.get('accuracy'))} · about {_fmt_duration(left)} left"
        )

    def _on_epoch(self, epoch: int, logs: dict) -> None:
        self.chart.add_epoch(logs)
        parts = [f"Epoch {epoch + 1:>3}/{self._epochs}", f"loss {logs['loss']:.4f}", f"accuracy {_pct(logs['accuracy'])}"]
        if not math.isnan(logs.get("val_accuracy", math.nan)):
            parts += [f"val_loss {logs['val_loss']:.4f}", f"val_accuracy {_pct(logs['val_accuracy'])}"]
        self._log("  ".join(parts))
        self.epochShown.emit(epoch)

    def _on_succeeded(self, result: Any) -> None:
        self.result = result
        self.progress_bar.setRange(0, max(self._total_batches, 1))
        self.progress_bar.setValue(self.progress_bar.maximum())
        acc = result.test_accuracy
        self.result_label.setText(
            f"MNIST test accuracy: {_pct(acc)}  ·  {result.epochs_completed} epochs in {_fmt_duration(result.seconds)}"
        )
        self._log(f"MNIST test accuracy: {_pct(acc)} ({len(result.misclassified)} of {int(result.confusion.sum())} test digits wrong)")
        self._status("Done. Press “Use this model” to recognise your drawings with it.")
        self.show_result(result)
        self._record_run(result)
        self.results_tabs.setCurrentWidget(self.gallery_scroll)
        self._set_running(self.is_training())

    def show_result(self, result: Any) -> None:
        """Fill the confusion matrix and the misclassified gallery from a TrainResult."""
        self.confusion.set_matrix(result.confusion)
        n_wrong = len(result.misclassified_labels)
        self.gallery.set_examples(
            result.misclassified_images,
            result.misclassified_predictions,
            result.misclassified_labels,
            empty_text="No test digit was misclassified" if n_wrong == 0 else "",
        )

    def _on_cancelled(self, result: Any) -> None:
        epochs = 0 if result is None else result.epochs_completed
        self._log(f"Cancelled after {epochs} complete epoch{'s' if epochs != 1 else ''}.")
        self._status("Cancelled. The active model is unchanged.")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        if result is not None and epochs:
            self._record_run(result)

    def _on_failed(self, message: str) -> None:
        self._log(f"Error: {message}")
        self._status(f"{message}. The active model is unchanged.", error=True)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)

    def _on_finished(self) -> None:
        self.cancel_button.setEnabled(False)

    def _on_thread_finished(self) -> None:
        self._thread = None
        self._worker = None
        self.chart.finish()  # zoom to the data now that no training competes for the GUI
        self._set_running(False)
        self.trainingChanged.emit(False)

    # Run history ----------------------------------------------------------------------
    def _record_run(self, result: Any) -> None:
        record = RunRecord.from_result(result)
        try:
            save_run(record)
        except (OSError, UserDataError) as exc:
            self._log(f"Could not keep this run in the history: {exc}")
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

    def runs(self) -> list[RunRecord]:
        if not self._runs_loaded:
            self.refresh_runs()
        return list(self._runs)

    def show_run(self, run_id: str) -> bool:
        """Plot a past run's per-epoch history."""
        record = next((r for r in self.runs() if r.run_id == run_id), None)
        if record is None:
            return False
        self.chart.set_history(record.history, title=f"model accuracy · {record.label} · {record.date[:10]}")
        acc = "cancelled" if record.cancelled else f"MNIST test accuracy {_pct(record.test_accuracy)}"
        self.result_label.setText(f"Past run {record.date[:16].replace('T', ' ')}: {acc}")
        self._log(f"Past run {record.details()}")
        return True

    def _show_run(self, index: int) -> None:
        run_id = self.runs_box.itemData(index)
        if run_id:
            self.show_run(run_id)

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
        self._status("Saving the model…")
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
        self._log(f"Saved {base}.keras, .tflite and .json")
        self._status(f"Saved as {base.name}; the Draw tab now uses it.")
        self.modelSaved.emit(base)

    def _on_save_failed(self, message: str) -> None:
        self._log(f"Error: {message}")
        self._status(f"{message}. The active model is unchanged.", error=True)

    def _on_save_thread_finished(self) -> None:
        self._save_thread = None
        self._saver = None
        self._set_running(False)
