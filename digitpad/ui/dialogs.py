"""Small informational dialogs: model info, keyboard shortcuts, about.

Each is opened non-modally with ``open()`` and returned, so tests can read and close it.
"""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
from digitpad.modelinfo import describe_model
from digitpad.predictor import Predictor


def _dialog(parent: QWidget, title: str, *widgets: QWidget) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    for w in widgets:
        layout.addWidget(w)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(520, 420)
    dialog.open()
    return dialog


def info_table(rows: list[tuple[str, str]]) -> QTableWidget:
    """A read-only two-column table (label, value), values wrapped."""
    table = QTableWidget(len(rows), 2)
    table.setObjectName("model_info_table")
    table.setHorizontalHeaderLabels(["", ""])
    table.horizontalHeader().setVisible(False)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setWordWrap(True)
    table.setShowGrid(False)
    bold = table.font()
    bold.setBold(True)
    for i, (label, value) in enumerate(rows):
        key = QTableWidgetItem(label)
        key.setFont(bold)
        table.setItem(i, 0, key)
        item = QTableWidgetItem(value)
        item.setToolTip(value)
        table.setItem(i, 1, item)
    table.resizeColumnToContents(0)
    table.horizontalHeader().setStretchLastSection(True)
    table.resizeRowsToContents()
    return table


def info_dialog(parent: QWidget, title: str, rows: list[tuple[str, str]]) -> QDialog:
    dialog = _dialog(parent, title, info_table(rows))
    dialog.resize(640, 460)
    return dialog


def model_info(parent: QWidget, predictor: Predictor) -> QDialog:
    """What the active model is, how good, how and from what it was trained: a table."""
    rows = describe_model(predictor.meta, predictor.name, str(predictor.path), predictor.backend)
    if not predictor.meta:
        rows.append(("Note", "the model has no .json description"))
    return info_dialog(parent, "Model info", rows)


def shortcuts(parent: QWidget, actions: list[QAction], where=lambda action: "Everywhere") -> QDialog:
    """A read-only table of every action that has a keyboard shortcut, where it works
    (``where(action)``: a tab's name or "Everywhere"), plus the mouse gestures."""
    rows = [
        (
            a.text().replace("&", "").rstrip("…"),
            ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts()),
            where(a),
        )
        for a in actions
        if a.shortcuts()
    ]
    rows.sort(key=lambda r: (r[2] != "Everywhere", r[2], r[0]))
    rows += [
        ("Draw", "Left button or stylus", "Draw tab"),
        ("Erase", "Right button, stylus eraser, or E", "Draw tab"),
        ("Open image (drop a file on the canvas)", "Drag and drop", "Draw tab"),
    ]
    table = QTableWidget(len(rows), 3)
    table.setHorizontalHeaderLabels(["Command", "Keys", "Where"])
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.setItem(i, j, QTableWidgetItem(text))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.resizeColumnsToContents()
    table.setObjectName("shortcuts_table")
    return _dialog(parent, "Keyboard shortcuts", table)


def about(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About digitpad")
    box.setText(f"<b>digitpad {__version__}</b>")
    box.setInformativeText(
        "Draw a digit with the mouse or a stylus and see what a neural network reads, as you "
        "draw.<br><br>"
        "The bundled model learned from:<br>"
        "• MNIST: Yann LeCun, Corinna Cortes, Christopher J. C. Burges (CC BY-SA 3.0);<br>"
        "• pen trajectories of writers 1–30 of “Pen-Based Recognition of Handwritten "
        "Digits”: E. Alpaydin, F. Alimoglu, UCI Machine Learning Repository (CC BY 4.0);<br>"
        "• UNIPEN digits, letters and symbols: I. Guyon, L. Schomaker, R. Plamondon, "
        "M. Liberman, S. Janet, “UNIPEN project of on-line data exchange and recognizer "
        "benchmarks”, ICPR 1994 (CC BY 4.0).<br><br>"
        f"Qt for Python {pyside_version}, matplotlib, LiteRT. MIT licence."
    )
    box.open()
    return box
