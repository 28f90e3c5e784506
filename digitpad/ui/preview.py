"""The 28x28 image the model actually sees, as square (nearest-neighbour) pixels.

It grows with the side panel: the image is painted at the largest whole zoom (3x to 12x)
that fits the widget, centred, so a large window shows a large, still crisp preview.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PREVIEW_SIDE = 28
MIN_ZOOM = 3
DEFAULT_ZOOM = 6
MAX_ZOOM = 12


class PreviewWidget(QWidget):
    """The 28x28 image the model actually sees, zoomed with square (nearest) pixels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(PREVIEW_SIDE * MIN_ZOOM + 2, PREVIEW_SIDE * MIN_ZOOM + 2)
        self.setMaximumHeight(PREVIEW_SIDE * MAX_ZOOM + 2)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixels = np.zeros((PREVIEW_SIDE, PREVIEW_SIDE), np.uint8)
        self._image = self._make_image()
        self.setToolTip("The 28×28 image the model sees: white ink on black, as in MNIST")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        side = PREVIEW_SIDE * DEFAULT_ZOOM + 2
        return QSize(side, side)

    def zoom(self) -> int:
        """Screen pixels per model pixel at the current size."""
        fit = (min(self.width(), self.height()) - 2) // PREVIEW_SIDE
        return int(min(max(fit, 1), MAX_ZOOM))

    def set_vector(self, vector: np.ndarray | None) -> None:
        """Show a 784-value model input (0..1), or an empty frame for ``None``."""
        if vector is None:
            self._pixels = np.zeros((PREVIEW_SIDE, PREVIEW_SIDE), np.uint8)
        else:
            v = np.asarray(vector, np.float32).reshape(PREVIEW_SIDE, PREVIEW_SIDE)
            self._pixels = np.ascontiguousarray(np.clip(v * 255 + 0.5, 0, 255).astype(np.uint8))
        self._image = self._make_image()
        self.update()

    def pixels(self) -> np.ndarray:
        """The shown 28x28 uint8 image (a copy)."""
        return self._pixels.copy()

    def _make_image(self) -> QImage:
        p = self._pixels
        return QImage(p.data, PREVIEW_SIDE, PREVIEW_SIDE, PREVIEW_SIDE, QImage.Format.Format_Grayscale8).copy()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        side = PREVIEW_SIDE * self.zoom()
        x, y = (self.width() - side - 2) // 2, (self.height() - side - 2) // 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(x + 1, y + 1, side, side), self._image)
        painter.setPen(QPen(QColor("#808080"), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(x, y, side + 1, side + 1)
        painter.end()
