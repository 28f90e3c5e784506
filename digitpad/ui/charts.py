"""The probability bar chart of the Draw tab's side panel (the 28x28 preview is in
:mod:`digitpad.ui.preview`; this module imports matplotlib, so the window builds the chart
after its first frame, see :mod:`digitpad.ui.deferred`).

The chart is a :class:`~digitpad.ui.blit_canvas.BlitCanvas` with ten bars created once. An
update sets the bar heights (``set_height``) and colours, then repaints only the bars and
the label over the cached background (~1 ms) instead of the axes and tick labels (~15 ms).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.data import N_CLASSES
from digitpad.ui.blit_canvas import BlitCanvas, fit_margins

BAR_COLOR = "#9db4cf"
WIN_COLOR = "#d9480f"
# Axes margins in inches (fixed, so tick and axis labels never get cropped at any size).
MARGINS = {"left": 0.62, "right": 0.12, "bottom": 0.5, "top": 0.22}


class ProbabilityChart(BlitCanvas):
    """Bar chart of the ten class probabilities, the winning bar highlighted.
    ``barClicked(digit)`` when the user clicks in a bar's column (left button)."""

    barClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        fig = Figure(figsize=(3.2, 2.3), dpi=100, facecolor="none")
        super().__init__(fig, parent)
        self.setMinimumSize(240, 120)
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
        self.fit_margins()
        self.mpl_connect("button_press_event", self._on_press)

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
            # At the ends the label leans inwards, clear of the y axis's "1".
            w = self._winner
            ha = "left" if w == 0 else "right" if w == N_CLASSES - 1 else "center"
            x = w - 0.35 if w == 0 else w + 0.35 if w == N_CLASSES - 1 else w
            self._label.set_horizontalalignment(ha)
            self._label.set_position((x, p + 0.02))
            self._label.set_text(f"{p:.0%}")
        self.refresh()

    def bar_at(self, x: float, y: float) -> int | None:
        """The digit whose column holds widget point (x, y) (Qt pixels, y down), or None."""
        ratio = self.devicePixelRatioF()
        height = self.figure.bbox.height
        xd, _ = self._ax.transData.inverted().transform((x * ratio, height - y * ratio))
        digit = int(round(xd))
        inside = self._ax.bbox.contains(x * ratio, height - y * ratio)
        return digit if inside and 0 <= digit < N_CLASSES and abs(xd - digit) <= 0.5 else None

    def bar_centre(self, digit: int) -> tuple[float, float]:
        """Widget point (Qt pixels) in the middle of ``digit``'s column (for tests)."""
        ratio = self.devicePixelRatioF()
        x, y = self._ax.transData.transform((digit, 0.5))
        return x / ratio, (self.figure.bbox.height - y) / ratio

    def _on_press(self, event) -> None:
        if event.button != 1 or event.x is None:
            return
        ratio = self.devicePixelRatioF()
        digit = self.bar_at(event.x / ratio, (self.figure.bbox.height - event.y) / ratio)
        if digit is not None:
            self.barClicked.emit(digit)

    def bar_heights(self) -> np.ndarray:
        return np.array([bar.get_height() for bar in self._bars], np.float32)

    def highlighted(self) -> int | None:
        """Index of the highlighted (winning) bar, or ``None``."""
        return self._winner

    def bar_colors(self) -> list[tuple[float, float, float, float]]:
        return [tuple(bar.get_facecolor()) for bar in self._bars]

    # Drawing --------------------------------------------------------------------------
    def animated_artists(self):
        return [*self._bars, self._label]

    def fit_margins(self) -> None:
        fit_margins(self.figure, MARGINS)
