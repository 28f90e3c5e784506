"""The Train tab's results view, and the plain Qt widgets it shows a finished run with
(cheap to refresh on the GUI thread):

- :class:`TrainResultsView`: status line, progress bar, the accuracy/loss history chart,
  and below it the epoch log, the confusion matrix and the misclassified test digits;
- :class:`ConfusionTable`: the 10x10 confusion matrix (rows: true label, columns: the
  model's answer), the diagonal shaded green and the mistakes red by their count;
- :class:`DigitGallery`: misclassified test digits, each titled "Predicted: X, Label: Y"
  as in the article, painted from 28x28 images (a matplotlib grid of 12 axes took ~80 ms
  to build and more to draw; this paints in a few milliseconds).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.data import N_CLASSES
from digitpad.eta import BatchTimer
from digitpad.modelinfo import describe_settings
from digitpad.training import epoch_line, percent
from digitpad.ui.deferred import deferred_history_chart

ERROR_STYLE = "color: #c92a2a"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class TrainResultsView(QWidget):
    """What a run shows, from Start to the end; the Train tab calls one method per event
    of the run (:meth:`begin`, :meth:`stage`, :meth:`training_begun`, :meth:`progress`,
    :meth:`epoch_ended`, then :meth:`succeeded`, :meth:`cancelled` or :meth:`failed`, and
    :meth:`finish` once the thread has ended) and :meth:`show_run` for a past run."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._total_batches = 0
        self._batches = 0
        self._epochs = 0
        self._started = 0.0
        self._timer: BatchTimer | None = None
        self.clock = time.monotonic  # what the time-left estimate measures with (tests)
        self.status_label = QLabel("Choose settings and press Start.")
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.result_label = QLabel("")
        font = self.result_label.font()
        font.setBold(True)
        self.result_label.setFont(font)
        self.chart = deferred_history_chart()  # matplotlib: built when first used or shown
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
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        col.addWidget(self.status_label)
        col.addWidget(self.progress_bar)
        col.addWidget(self.result_label)
        col.addWidget(self.splitter, 1)

    def status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")

    def log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    # A run, event by event -----------------------------------------------------------------
    def begin(self, config: Any) -> None:
        """Empty everything for a new run of ``config`` (a TrainConfig)."""
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
        self.log(
            f"{config.preset_spec.label}: {config.epochs} epochs, batch {config.batch_size}, "
            f"{config.optimizer} lr {config.learning_rate:g}, validation {config.validation_split:g}, "
            f"augment {'on' if config.augment else 'off'}, seed {seed}"
        )
        self.status("Starting…")

    def stage(self, text: str) -> None:
        self.status(text)
        self.log(text)

    def training_begun(self, epochs: int, batches: int) -> None:
        self._epochs, self._batches = epochs, batches
        self._total_batches = epochs * batches
        self._started = time.monotonic()
        self._timer = BatchTimer(self._total_batches, batches, clock=self.clock)
        self.progress_bar.setRange(0, self._total_batches)
        self.progress_bar.setValue(0)

    def progress(self, epoch: int, batch: int, logs: dict, cancelling: bool = False) -> None:
        """A batch is done: the bar moves; the status line says where and the time left
        (not while ``cancelling``: it says so instead)."""
        done = epoch * self._batches + batch + 1
        self.progress_bar.setValue(done)
        self._timer.batch(done)
        self.chart.add_batch(epoch + (batch + 1) / self._batches, logs)
        if cancelling:
            return
        left = self._timer.seconds_left()
        when = "estimating the time left…" if left is None else f"about {format_duration(left)} left"
        self.status(
            f"Epoch {epoch + 1}/{self._epochs} · batch {batch + 1}/{self._batches} · "
            f"accuracy {percent(logs.get('accuracy'))} · {when}"
        )

    def epoch_ended(self, epoch: int, logs: dict) -> None:
        if self._timer is not None:
            self._timer.epoch_end((epoch + 1) * self._batches)
        self.chart.add_epoch(logs)
        self.log(epoch_line(epoch, self._epochs, logs))

    def succeeded(self, result: Any) -> None:
        """A finished, evaluated TrainResult."""
        self.progress_bar.setRange(0, max(self._total_batches, 1))
        self.progress_bar.setValue(self.progress_bar.maximum())
        acc = result.test_accuracy
        self.result_label.setText(
            f"MNIST test accuracy: {percent(acc)}  ·  {result.epochs_completed} epochs in {format_duration(result.seconds)}"
        )
        wrong, total = len(result.misclassified), int(result.confusion.sum())
        self.log(f"MNIST test accuracy: {percent(acc)} ({wrong} of {total} test digits wrong)")
        self.status("Done. Press “Use this model” to recognise your drawings with it.")
        self.show_result(result)
        self.results_tabs.setCurrentWidget(self.gallery_scroll)

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

    def cancelled(self, epochs: int) -> None:
        self.log(f"Cancelled after {epochs} complete epoch{'s' if epochs != 1 else ''}.")
        self.status("Cancelled. The active model is unchanged.")
        self._reset_progress()

    def failed(self, message: str) -> None:
        self.log(f"Error: {message}")
        self.status(f"{message}. The active model is unchanged.", error=True)
        self._reset_progress()

    def _reset_progress(self) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)

    def finish(self) -> None:
        """The training thread has ended."""
        self.chart.finish()  # zoom to the data now that no training competes for the GUI

    def show_run(self, record: Any) -> None:
        """Show a past run (a RunRecord): its curves, what it was (settings, accuracy,
        time, the model it kept) and its confusion matrix when recorded."""
        self.chart.set_history(record.history, title=f"model accuracy · {record.label} · {record.date[:10]}")
        acc = "cancelled" if record.cancelled else f"MNIST test accuracy {percent(record.test_accuracy)}"
        self.result_label.setText(
            f"Past run {record.date[:16].replace('T', ' ')}: {acc} · {record.epochs} epochs in {format_duration(record.seconds)}"
        )
        self.status(f"{record.label}: {describe_settings(record.settings)}"
                     + (f" · kept as {Path(record.model).name}" if record.model else ""))
        self.log(f"Past run {record.details()}")
        confusion = record.confusion()
        self.confusion.set_matrix(None if confusion is None else np.asarray(confusion))
        self.gallery.set_examples([], [], [], empty_text="The misclassified digits are shown for the latest run only")
        self.results_tabs.setCurrentIndex(1 if confusion is not None else 0)


class ConfusionTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(N_CLASSES, N_CLASSES, parent)
        labels = [str(d) for d in range(N_CLASSES)]
        self.setHorizontalHeaderLabels(labels)
        self.setVerticalHeaderLabels(labels)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(16)
        self.horizontalHeader().setToolTip("The model's answer")
        self.verticalHeader().setToolTip("The true label")
        self.setToolTip("Rows: true label · columns: the model's answer")
        self._matrix = np.zeros((N_CLASSES, N_CLASSES), np.int64)
        self.set_matrix(None)

    def matrix(self) -> np.ndarray:
        return self._matrix.copy()

    def set_matrix(self, confusion: np.ndarray | None) -> None:
        """Fill the table from a (10, 10) count matrix, or empty it for ``None``."""
        m = np.zeros((N_CLASSES, N_CLASSES), np.int64) if confusion is None else np.asarray(confusion, np.int64)
        self._matrix = m
        off = m.copy()
        np.fill_diagonal(off, 0)
        worst = max(int(off.max()), 1)
        for r in range(N_CLASSES):
            for c in range(N_CLASSES):
                value = int(m[r, c])
                item = QTableWidgetItem("" if confusion is None else str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if confusion is not None:
                    if r == c:
                        item.setBackground(QBrush(QColor("#d3f9d8")))
                    elif value:
                        # Up to a strong red for the most frequent mistake.
                        t = value / worst
                        item.setBackground(QBrush(QColor(255, int(235 - 120 * t), int(235 - 120 * t))))
                item.setToolTip(f"true {r}, answered {c}: {value}")
                self.setItem(r, c, item)


class DigitGallery(QWidget):
    """A grid of digits with a title above each; as many columns as the width allows, and
    as tall as the examples need (put it in a QScrollArea)."""

    ZOOM = 2
    SIDE = 28
    TITLE_POINT_SIZE = 8

    def __init__(self, capacity: int = 60, parent: QWidget | None = None):
        super().__init__(parent)
        self.capacity = capacity
        font = self.font()
        font.setPointSize(self.TITLE_POINT_SIZE)
        self.setFont(font)
        self._images: list[QImage] = []
        self._titles: list[str] = []
        self._empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor("white"))
        self.setPalette(pal)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(6 * self._cell().width(), 2 * self._cell().height())

    def set_examples(self, images, predicted, labels, empty_text: str = "") -> None:
        """Show the first ``capacity`` examples: ``images`` (N, 784) in [0, 1]."""
        n = min(len(images), self.capacity)
        self._images, self._titles = [], []
        for i in range(n):
            pixels = np.clip(np.asarray(images[i], np.float32).reshape(self.SIDE, self.SIDE) * 255 + 0.5, 0, 255)
            pixels = np.ascontiguousarray(pixels.astype(np.uint8))
            self._images.append(QImage(pixels.data, self.SIDE, self.SIDE, self.SIDE, QImage.Format.Format_Grayscale8).copy())
            self._titles.append(f"Predicted: {int(predicted[i])}, Label: {int(labels[i])}")
        self._empty_text = empty_text if n == 0 else ""
        self._fit_height()
        self.update()

    def titles(self) -> list[str]:
        return list(self._titles)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        cell = self._cell()
        cols = max(1, self.width() // cell.width())
        rows = max(1, -(-len(self._images) // cols))
        self.setMinimumHeight(rows * cell.height() + 4)

    def _cell(self) -> QSize:
        fm = self.fontMetrics()
        width = max(fm.horizontalAdvance("Predicted: 8, Label: 8") + 12, self.SIDE * self.ZOOM + 12)
        return QSize(width, self.SIDE * self.ZOOM + fm.height() + 12)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        cell = self._cell()
        if not self._images and self._empty_text:
            painter.setPen(QColor("#666666"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._empty_text)
        cols = max(1, self.width() // cell.width())
        side = self.SIDE * self.ZOOM
        text_h = self.fontMetrics().height()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, (image, title) in enumerate(zip(self._images, self._titles)):
            row, col = divmod(i, cols)
            x, y = col * self.width() // cols + (self.width() // cols - cell.width()) // 2, row * cell.height()
            painter.setPen(QColor("#222222"))
            painter.drawText(QRect(x, y + 4, cell.width(), text_h), Qt.AlignmentFlag.AlignHCenter, title)
            target = QRect(x + (cell.width() - side) // 2, y + 5 + text_h, side, side)
            painter.drawImage(target, image)
        painter.end()
