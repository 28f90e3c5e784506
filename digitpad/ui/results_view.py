"""Results of a finished run, as plain Qt widgets (cheap to refresh on the GUI thread):

- :class:`ConfusionTable`: the 10x10 confusion matrix (rows: true label, columns: the
  model's answer), the diagonal shaded green and the mistakes red by their count;
- :class:`DigitGallery`: misclassified test digits, each titled "Predicted: X, Label: Y"
  as in the article, painted from 28x28 images (a matplotlib grid of 12 axes took ~80 ms
  to build and more to draw; this paints in a few milliseconds).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem, QWidget

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
