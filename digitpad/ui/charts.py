"""Side-panel views of a prediction: the probability bar chart and the 28x28 preview.

The chart follows matplotlib's "embedding in Qt" and blitting recipes: a ``Figure`` on a
``FigureCanvasQTAgg`` (never pyplot), ten bars created once. An update sets the bar heights
(``set_height``) and colours, then repaints only the animated artists over a cached
background (~1 ms) instead of redrawing axes and tick labels (~15 ms); when there is no
background yet (first show, resize) it falls back to ``draw_idle``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

N_CLASSES = 10
BAR_COLOR = "#9db4cf"
WIN_COLOR = "#d9480f"
PREVIEW_SIDE = 28
PREVIEW_ZOOM = 6
# Axes margins in inches (fixed, so tick and axis labels never get cropped at any size).
MARGINS = {"left": 0.62, "right": 0.12, "bottom": 0.5, "top": 0.22}


class ProbabilityChart(FigureCanvasQTAgg):
    """Bar chart of the ten class probabilities, the winning bar highlighted."""

    def __init__(self, parent: QWidget | None = None):
        fig = Figure(figsize=(3.2, 2.3), dpi=100, facecolor="none")
        super().__init__(fig)
        self.setParent(parent)
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: transparent")
        ax = fig.add_subplot()
        digits = np.arange(N_CLASSES)
        self._bars = list(ax.bar(digits, np.zeros(N_CLASSES), width=0.7, color=BAR_COLOR, animated=True))
        self._label = ax.text(0, 0, "", ha="center", va="bottom", fontsize=9, color=WIN_COLOR, animated=True)
        ax.set_xlim(-0.6, N_CLASSES - 0.4)
        ax.set_ylim(0, 1.12)
        ax.set_xticks(digits, [str(d) for d in digits])
        ax.set_yticks([0, 0.5, 1.0], ["0", "0.5", "1"])
        ax.set_xlabel("digit", fontsize=9, labelpad=2)
        ax.set_ylabel("probability", fontsize=9, labelpad=2)
        ax.tick_params(labelsize=9, length=3, pad=2)
        ax.spines[["top", "right"]].set_visible(False)
        ax.axhline(1.0, color="#cccccc", linewidth=0.8, zorder=0)
        ax.set_facecolor("white")
        self._ax = ax
        self._probs = np.zeros(N_CLASSES, np.float32)
        self._winner: int | None = None
        self._background = None
        self._fit_margins()
        self.mpl_connect("draw_event", self._on_draw)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(320, 230)

    # Public ---------------------------------------------------------------------------
    def set_probabilities(self, probs: np.ndarray | None, highlight: bool = True) -> None:
        """Show ``probs`` (10 values) or nothing at all for ``None`` ("no digit").
        ``highlight=False`` draws every bar alike (not a digit, not sure)."""
        if probs is None:
            self._probs = np.zeros(N_CLASSES, np.float32)
            self._winner = None
        else:
            self._probs = np.asarray(probs, np.float32).reshape(N_CLASSES)
            self._winner = int(np.argmax(self._probs)) if highlight else None
        for i, bar in enumerate(self._bars):
            bar.set_height(float(self._probs[i]))
            bar.set_color(WIN_COLOR if i == self._winner else BAR_COLOR)
        if self._winner is None:
            self._label.set_text("")
        else:
            p = float(self._probs[self._winner])
            self._label.set_position((self._winner, p + 0.02))
            self._label.set_text(f"{p:.0%}")
        self._refresh()

    def bar_heights(self) -> np.ndarray:
        return np.array([bar.get_height() for bar in self._bars], np.float32)

    def highlighted(self) -> int | None:
        """Index of the highlighted (winning) bar, or ``None``."""
        return self._winner

    def bar_colors(self) -> list[tuple[float, float, float, float]]:
        return [tuple(bar.get_facecolor()) for bar in self._bars]

    # Drawing --------------------------------------------------------------------------
    def _animated(self):
        return [*self._bars, self._label]

    def _on_draw(self, _event) -> None:
        # A full draw leaves out the animated artists: cache the background, then add them.
        self._background = self.copy_from_bbox(self.figure.bbox)
        for artist in self._animated():
            self.figure.draw_artist(artist)

    def _refresh(self) -> None:
        if self._background is None or not self.isVisible():
            self.draw_idle()
            return
        self.restore_region(self._background)
        for artist in self._animated():
            self.figure.draw_artist(artist)
        self.blit(self.figure.bbox)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._background = None
        super().resizeEvent(event)  # resizes the figure
        self._fit_margins()

    def _fit_margins(self) -> None:
        fit_margins(self.figure, MARGINS)


def fit_margins(figure, margins: dict[str, float], **extra: float) -> None:
    """Margins fixed in inches (``margins``: left/right/bottom/top), so labels keep their
    room at any widget size; ``extra`` goes to ``subplots_adjust`` as it is. A figure too
    small for the margins is left alone."""
    w, h = figure.get_size_inches()
    if w <= margins["left"] + margins["right"] or h <= margins["bottom"] + margins["top"]:
        return
    figure.subplots_adjust(
        left=margins["left"] / w,
        right=1 - margins["right"] / w,
        bottom=margins["bottom"] / h,
        top=1 - margins["top"] / h,
        **extra,
    )


class PreviewWidget(QWidget):
    """The 28x28 image the model actually sees, zoomed with square (nearest) pixels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        side = PREVIEW_SIDE * PREVIEW_ZOOM
        self.setFixedSize(side + 2, side + 2)
        self._pixels = np.zeros((PREVIEW_SIDE, PREVIEW_SIDE), np.uint8)
        self._image = self._make_image()
        self.setToolTip("The 28×28 image the model sees: white ink on black, as in MNIST")

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
        side = PREVIEW_SIDE * PREVIEW_ZOOM
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(1, 1, side, side), self._image)
        painter.setPen(QPen(QColor("#808080"), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(0, 0, side + 1, side + 1)
        painter.end()
