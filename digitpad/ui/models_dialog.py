"""Model → Models…: the bundled model and every model the user kept, to choose from.

A table (name, MNIST accuracy, date trained, architecture; the active one in bold and
marked), and buttons: Make active, Rename (edits the name in place: type, Enter), Delete
(asks first; deleting the active model switches back to the bundled one), Info (the
model's description as a table). The window gives the dialog two callables: which model
base is active, and how to make one active (``None``: the bundled model).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad.catalog import CatalogError, ModelEntry, delete_model, list_models, rename_model
from digitpad.modelfiles import read_meta
from digitpad.modelinfo import describe_model
from digitpad.paths import bundled_model_base
from digitpad.ui.user_models import UserDataError, models_dir

log = logging.getLogger(__name__)

BUNDLED_NAME = "Bundled model"
COLUMNS = ["Name", "MNIST accuracy", "Trained", "Model"]
ACTIVE_MARK = "  ✓ active"


def confirm_delete(parent: QWidget, name: str, active: bool) -> bool:
    """Ask before deleting (tests replace this)."""
    more = "\n\nIt is the active model: digitpad switches back to the bundled model." if active else ""
    answer = QMessageBox.question(
        parent, "Delete model", f"Delete the model “{name}” and its files?{more}",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class ModelsDialog(QDialog):
    """Signal ``changed()`` after a rename, delete or activation."""

    changed = Signal()

    def __init__(self, parent: QWidget, active_base: Callable[[], Path | None],
                 activate: Callable[[Path | None], bool]):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self._active_base = active_base
        self._activate = activate
        self._entries: list[ModelEntry] = []
        self._filling = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("models_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)  # F2, or Rename
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.make_active())
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.activate_button = QPushButton("Make active")
        self.activate_button.setToolTip("Recognise drawings with this model (double-click does the same)")
        self.rename_button = QPushButton("Rename")
        self.delete_button = QPushButton("Delete…")
        self.info_button = QPushButton("Info")
        self.activate_button.clicked.connect(self.make_active)
        self.rename_button.clicked.connect(self.start_rename)
        self.delete_button.clicked.connect(self.delete_selected)
        self.info_button.clicked.connect(self.show_info)
        buttons = QHBoxLayout()
        for b in (self.activate_button, self.rename_button, self.delete_button, self.info_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(720, 360)
        self.refresh()

    # Contents -------------------------------------------------------------------------
    def entries(self) -> list[ModelEntry]:
        """The rows: the bundled model first, then the user's models, newest first."""
        return list(self._entries)

    def refresh(self, select: Path | None = None) -> None:
        bundled = ModelEntry(bundled_model_base(), read_meta(bundled_model_base()))
        try:
            mine = list_models(models_dir())
        except UserDataError as exc:
            mine = []
            self._say(str(exc), error=True)
        self._entries = [bundled, *mine]
        active = self._active_base() or bundled.base
        current = select if select is not None else self.selected_base()
        self._filling = True
        self.table.setRowCount(len(self._entries))
        for row, e in enumerate(self._entries):
            is_bundled = row == 0
            is_active = _same(e.base, active)
            name = BUNDLED_NAME + f" ({e.name})" if is_bundled else e.name
            cells = [name, "?" if e.accuracy is None else f"{100 * e.accuracy:.2f} %", e.date[:16].replace("T", " "),
                     str(e.meta.get("architecture") or "?")]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text + (ACTIVE_MARK if col == 0 and is_active else ""))
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if col == 0 and not is_bundled:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                item.setToolTip(str(e.base))
                if is_active:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        self._filling = False
        target = current if any(_same(e.base, current) for e in self._entries) else active
        self.table.selectRow(next((i for i, e in enumerate(self._entries) if _same(e.base, target)), 0))
        self._update_buttons()

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def selected_base(self) -> Path | None:
        row = self.selected_row()
        return None if row is None or row >= len(self._entries) else self._entries[row].base

    def select(self, base: Path) -> None:
        for i, e in enumerate(self._entries):
            if _same(e.base, base):
                self.table.selectRow(i)
                return

    def _update_buttons(self) -> None:
        row = self.selected_row()
        user = row is not None and row > 0
        active = self._active_base() or bundled_model_base()
        self.activate_button.setEnabled(row is not None and not _same(self._entries[row].base, active))
        self.rename_button.setEnabled(user)
        self.delete_button.setEnabled(user)
        self.info_button.setEnabled(row is not None)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c92a2a" if error else "")

    # Commands -------------------------------------------------------------------------
    def make_active(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        entry = self._entries[row]
        ok = self._activate(None if row == 0 else entry.base)
        if ok:
            self._say(f"The Draw tab now uses “{entry.name}”.")
            self.refresh(select=entry.base)
            self.changed.emit()
        else:
            self._say(f"“{entry.name}” cannot be used (see the status bar).", error=True)
        return ok

    def start_rename(self) -> None:
        row = self.selected_row()
        if row is None or row == 0:
            return
        item = self.table.item(row, 0)
        self._filling = True
        item.setText(self._entries[row].name)  # without the active mark while editing
        self._filling = False
        self.table.setCurrentItem(item)
        self.table.editItem(item)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0 or item.row() == 0:
            return
        entry = self._entries[item.row()]
        try:
            name = rename_model(entry.base, item.text())
        except CatalogError as exc:
            self._say(str(exc), error=True)
            self.refresh(select=entry.base)
            return
        self._say(f"Renamed to “{name}”.")
        self.refresh(select=entry.base)
        self.changed.emit()

    def delete_selected(self) -> bool:
        row = self.selected_row()
        if row is None or row == 0:
            return False
        entry = self._entries[row]
        active = _same(entry.base, self._active_base() or bundled_model_base())
        if not confirm_delete(self, entry.name, active):
            return False
        if active and not self._activate(None):
            self._say("The bundled model cannot be loaded, so the active model is kept.", error=True)
            return False
        try:
            delete_model(entry.base)
        except CatalogError as exc:
            self._say(str(exc), error=True)
            return False
        self._say(f"Deleted “{entry.name}”.")
        self.refresh()
        self.changed.emit()
        return True

    def show_info(self) -> QDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        from digitpad.ui.dialogs import info_dialog

        entry = self._entries[row]
        active = _same(entry.base, self._active_base() or bundled_model_base())
        rows = describe_model(entry.meta, entry.name, str(entry.base.with_suffix(".tflite")), active=active)
        return info_dialog(self, f"Model info · {entry.name}", rows)


def _same(a: Path | None, b: Path | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return Path(a) == Path(b)
