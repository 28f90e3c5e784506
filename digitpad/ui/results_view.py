"""The confusion matrix of a finished run, as a 10x10 table (rows: true label, columns:
the model's answer), the diagonal shaded green and the mistakes red by their count."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

N_CLASSES = 10


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
            header.setMinimumSectionSize(18)
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
