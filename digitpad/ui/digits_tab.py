"""The "My digits" tab: the digits the user corrected or confirmed, and Personalise.

A gallery of what the model saw for each stored digit (filter by digit, with counts, and
"wrong before": those the model had read wrong), delete (undoable), export and import in
the shared stroke layout, and the Personalise button that fine-tunes the active model on
them (:class:`~digitpad.ui.personalise_worker.PersonaliseWorker`), with progress and
cancel. The database is :class:`digitpad.mydigits.DigitStore`, shared with the Draw tab's
corrections.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.mydigits import Digit, DigitStore, DigitStoreError
from digitpad.ui.personalise_worker import PersonaliseWorker
from digitpad.ui.train_worker import start_in_thread, stop_thread

log = logging.getLogger(__name__)

THUMB = 56
NPZ_FILTER = "Digits (*.npz);;All files (*)"


def thumbnail(digit: Digit) -> QPixmap:
    """What the model saw, dark ink on white, ``THUMB`` pixels square."""
    gray = np.ascontiguousarray(255 - digit.input.reshape(28, 28))
    image = QImage(gray.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
    pixmap = QPixmap.fromImage(image.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.FastTransformation))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#c8c8c8"))
    painter.drawRect(0, 0, THUMB - 1, THUMB - 1)  # the model's 28x28 frame
    painter.end()
    return pixmap


def describe_digit(d: Digit) -> str:
    when = _dt.datetime.fromtimestamp(d.created).strftime("%Y-%m-%d %H:%M")
    if d.predicted is None:
        said = "imported" if d.source == "import" else "no prediction"
    elif d.wrong_before:
        said = f"the model read {d.predicted}" + ("" if d.state in (None, "digit") else f" ({d.state.replace('_', ' ')})")
    else:
        said = "the model read it right"
    return f"{d.label} · {said} · {when}" + (f" · {d.model}" if d.model else "")


class DigitsTab(QWidget):
    """Signals ``message(str)`` for the status bar and ``modelReady(Path)`` when a
    personalised model is saved (the window switches to it)."""

    message = Signal(str)
    modelReady = Signal(object)

    def __init__(self, store: DigitStore | None, base_model=None, parent: QWidget | None = None):
        """``base_model()`` returns the model base to personalise (the active model's)."""
        super().__init__(parent)
        self.store = store
        self.base_model = base_model
        self.models_folder = None  # callable: -> the folder new models go to (set by the window)
        self._undo: list[list[Digit]] = []
        self._thread = None
        self._worker: PersonaliseWorker | None = None

        self.filter_box = QComboBox()
        self.filter_box.setToolTip("Show one digit, or all")
        self.wrong_box = QCheckBox("Wrong before")
        self.wrong_box.setToolTip("Only the drawings the model had read wrong")
        self.count_label = QLabel()
        self.gallery = QListWidget()
        self.gallery.setObjectName("gallery")
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMB, THUMB))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setSpacing(4)
        self.gallery.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected digits (Delete)")
        self.undo_button = QPushButton("Undo delete")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        self.personalise_button = QPushButton("Personalise")
        self.personalise_button.setToolTip("Fine-tune the active model on your digits (seconds); "
                                           "the Draw tab then uses the new model")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.stage_label = QLabel("")
        self._build()

        self.delete_action = QAction("Delete selected digits", self.gallery)
        self.delete_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(self.delete_selected)
        self.gallery.addAction(self.delete_action)

        self.filter_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.wrong_box.toggled.connect(lambda _on: self.refresh())
        self.gallery.itemSelectionChanged.connect(self._update_buttons)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_delete)
        self.export_button.clicked.connect(self._ask_export)
        self.import_button.clicked.connect(self._ask_import)
        self.personalise_button.clicked.connect(self.start_personalise)
        self.cancel_button.clicked.connect(self.cancel_personalise)
        self.refresh()

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter_box)
        top.addWidget(self.wrong_box)
        top.addStretch(1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        for b in (self.delete_button, self.undo_button, self.export_button, self.import_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        learn = QHBoxLayout()
        learn.addWidget(self.personalise_button)
        learn.addWidget(self.progress, 1)
        learn.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.gallery, 1)
        layout.addLayout(buttons)
        layout.addLayout(learn)
        layout.addWidget(self.stage_label)
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    # Gallery --------------------------------------------------------------------------
    def selected_label(self) -> int | None:
        data = self.filter_box.currentData()
        return None if data is None or data < 0 else int(data)

    def refresh(self) -> None:
        """Reload counts and the gallery from the database."""
        if self.store is None:
            self.count_label.setText("Your digits are not available")
            self._update_buttons()
            return
        counts, wrong = self.store.counts(), self.store.counts(wrong_before=True)
        current = self.filter_box.currentData()
        self.filter_box.blockSignals(True)
        self.filter_box.clear()
        self.filter_box.addItem(f"All digits ({sum(counts)})", -1)
        for d in range(10):
            self.filter_box.addItem(f"{d}  ({counts[d]}" + (f", {wrong[d]} wrong before)" if wrong[d] else ")"), d)
        index = self.filter_box.findData(current if current is not None else -1)
        self.filter_box.setCurrentIndex(max(0, index))
        self.filter_box.blockSignals(False)
        digits = self.store.digits(label=self.selected_label(), wrong_before=self.wrong_box.isChecked())
        digits.sort(key=lambda d: (d.label, d.id))
        self.gallery.clear()
        for d in digits:
            item = QListWidgetItem(QIcon(thumbnail(d)), str(d.label))
            item.setData(Qt.ItemDataRole.UserRole, d.id)
            item.setToolTip(describe_digit(d))
            self.gallery.addItem(item)
        total = sum(counts)
        self.count_label.setText(f"{len(digits)} shown · {total} of your digits · {sum(wrong)} read wrong before")
        self._update_buttons()

    def changed(self) -> None:
        """The database changed elsewhere (a correction): refresh now if shown, else when
        next shown (a correction must not pay for redrawing a gallery nobody sees)."""
        if self.isVisible():
            self.refresh()
        else:
            self._dirty = True
            self._update_buttons()

    _dirty = False

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._dirty:
            self._dirty = False
            self.refresh()
        super().showEvent(event)

    def shown_ids(self) -> list[int]:
        return [self.gallery.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.gallery.count())]

    def _update_buttons(self) -> None:
        ok = self.store is not None
        busy = self._thread is not None
        self.delete_button.setEnabled(ok and bool(self.gallery.selectedItems()))
        self.undo_button.setEnabled(ok and bool(self._undo))
        self.export_button.setEnabled(ok)
        self.import_button.setEnabled(ok)
        self.personalise_button.setEnabled(ok and not busy and self.store.count() > 0)
        n = self.store.count() if ok else 0
        self.personalise_button.setText(f"Personalise on {n} digit{'s' if n != 1 else ''}" if n else "Personalise")

    # Delete / undo --------------------------------------------------------------------
    def delete_selected(self) -> int:
        ids = [item.data(Qt.ItemDataRole.UserRole) for item in self.gallery.selectedItems()]
        if not ids or self.store is None:
            return 0
        try:
            gone = self.store.delete(ids)
        except DigitStoreError as exc:
            self.message.emit(str(exc))
            return 0
        self._undo.append(gone)
        self.refresh()
        self.message.emit(f"Deleted {len(gone)} digit{'s' if len(gone) != 1 else ''} (Undo delete puts them back)")
        return len(gone)

    def undo_delete(self) -> int:
        if not self._undo or self.store is None:
            return 0
        digits = self._undo.pop()
        try:
            n = self.store.restore(digits)
        except DigitStoreError as exc:
            self._undo.append(digits)
            self.message.emit(str(exc))
            return 0
        self.refresh()
        self.message.emit(f"Put back {n} digit{'s' if n != 1 else ''}")
        return n

    # Export / import ------------------------------------------------------------------
    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export your digits", "my-digits.npz", NPZ_FILTER)
        if path:
            self.export_to(path)

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import digits", "", NPZ_FILTER)
        if path:
            self.import_from(path)

    def export_to(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix.lower() != ".npz":
            path = path.with_name(path.name + ".npz")
        try:
            n = self.store.export_npz(path)
        except (DigitStoreError, OSError) as exc:
            self.message.emit(f"Cannot export to {path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.message.emit(f"Exported {n} digits to {path}")
        return True

    def import_from(self, path: str | Path) -> bool:
        try:
            added, present = self.store.import_npz(path)
        except DigitStoreError as exc:
            self.message.emit(f"Cannot import: {exc}")
            return False
        self.refresh()
        already = f" ({present} were already there)" if present else ""
        self.message.emit(f"Imported {added} digits from {Path(path).name}{already}")
        return True

    # Personalise ----------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._thread is not None

    def start_personalise(self, config=None) -> bool:
        if self.store is None or self._thread is not None:
            return False
        if self.store.count() == 0:
            self.message.emit("No digits of yours yet: correct a drawing (click a bar or press its digit) first")
            return False
        try:
            base = self.base_model() if self.base_model else None
            folder = self.models_folder() if self.models_folder else None
        except Exception as exc:  # noqa: BLE001 - UserDataError and OS errors: one line
            self.message.emit(f"Cannot personalise: {exc}")
            return False
        if base is None or folder is None:
            self.message.emit("Cannot personalise: no model to start from")
            return False
        if config is None:
            from digitpad.personalise import PersonaliseConfig
            from digitpad.ui.train_settings import TrainSettingsForm

            config = PersonaliseConfig(pen_data_remembered=TrainSettingsForm.remembered_pen_data())
        worker = PersonaliseWorker(self.store.path, Path(base), Path(folder), config)
        worker.stage.connect(self.stage_label.setText)
        worker.begun.connect(self._on_begun)
        worker.progress.connect(self._on_progress)
        worker.succeeded.connect(self._on_succeeded)
        worker.cancelled.connect(lambda: self._on_ended("Personalising cancelled; the model is unchanged"))
        worker.failed.connect(lambda text: self._on_ended(f"Personalising failed: {text}"))
        self._worker = worker
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self._thread = start_in_thread(worker, "personalise")
        self._thread.finished.connect(self._on_thread_finished)
        self._update_buttons()
        self.message.emit(f"Personalising on {self.store.count()} of your digits…")
        return True

    def cancel_personalise(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.stage_label.setText("Cancelling…")

    def _on_begun(self, epochs: int, steps: int) -> None:
        self._steps = max(1, steps)
        self.progress.setRange(0, epochs * self._steps)
        self.progress.setValue(0)

    def _on_progress(self, epoch: int, batch: int) -> None:
        self.progress.setValue(epoch * self._steps + batch + 1)

    def _on_succeeded(self, result, base) -> None:
        acc, was = result.test_accuracy, result.base_test_accuracy
        check = "" if acc is None else f"; MNIST {acc:.2%}" + ("" if was is None else f" (was {was:.2%})")
        self._on_ended(f"Personalised on {result.meta['personalised']['digits']} of your digits in {result.seconds:.0f} s{check}")
        self.modelReady.emit(Path(base))

    def _on_ended(self, text: str) -> None:
        self.stage_label.setText(text)
        self.message.emit(text)
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def _on_thread_finished(self) -> None:
        self._thread = None
        self._worker = None
        self._update_buttons()

    def shutdown(self) -> None:
        """Stop a personalisation cleanly (window closing)."""
        stop_thread(self._thread, self._worker)
        self._thread = None
