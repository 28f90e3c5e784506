"""Small informational dialogs: model info, keyboard shortcuts, about.

Each is opened non-modally with ``open()`` and returned, so tests can read and close it.
"""

from __future__ import annotations

import html
import json

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digitpad import __version__
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


def model_info(parent: QWidget, predictor: Predictor) -> QDialog:
    """The model's summary and its whole ``.json`` description."""
    meta = predictor.meta
    params = meta.get("params", meta.get("parameters"))
    acc = predictor.accuracy
    rows = [
        ("Name", predictor.name),
        ("Architecture", meta.get("architecture", "unknown")),
        ("Parameters", f"{params:,}" if isinstance(params, int) else "unknown"),
        ("MNIST test accuracy", "unknown" if acc is None else f"{acc:.2%}"),
        ("File", str(predictor.path)),
        ("Runs with", "LiteRT" if predictor.backend == "litert" else "Keras"),
    ]
    summary = QLabel(
        "<table>"
        + "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        + "</table>"
    )
    summary.setWordWrap(True)
    text = QPlainTextEdit(json.dumps(meta, indent=2, sort_keys=True) if meta else "(the model has no .json description)")
    text.setReadOnly(True)
    text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    text.setObjectName("model_json")
    return _dialog(parent, "Model info", summary, text)


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
        "Draw a digit with the mouse or a stylus and see what a neural network trained on "
        "MNIST reads, as you draw.<br><br>"
        "MNIST: Yann LeCun, Corinna Cortes, Christopher J. C. Burges (CC BY-SA 3.0).<br>"
        f"Qt for Python {pyside_version}, matplotlib, LiteRT. MIT licence."
    )
    box.open()
    return box
