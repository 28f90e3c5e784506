"""The Train tab's history chart (matplotlib ``Figure`` on ``FigureCanvasQTAgg``, never pyplot).

The article's "model accuracy" figure drawn as epochs finish: train and validation accuracy
per epoch on top, loss below. Four lines are created once; an update sets their data and
limits and calls ``draw_idle`` (one repaint an epoch). Margins are fixed in inches rather
than computed by a layout engine: a constrained-layout draw cost 50-150 ms of GUI time here,
fixed margins about a third of that.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QWidget

TRAIN_COLOR = "#1c7ed6"
VAL_COLOR = "#e8590c"
# Axes margins in inches, and the gap between the two panels.
MARGINS = {"left": 0.62, "right": 0.15, "bottom": 0.45, "top": 0.3}
PANEL_GAP = 0.12


class HistoryChart(FigureCanvasQTAgg):
    """Accuracy (top) and loss (bottom) per epoch, training and validation."""

    def __init__(self, parent: QWidget | None = None):
        fig = Figure(figsize=(5.0, 3.6), dpi=100)
        super().__init__(fig)
        self.setParent(parent)
        self.setMinimumSize(300, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.acc_ax, self.loss_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        style = {"marker": "o", "markersize": 3.5, "linewidth": 1.6}
        (self._acc,) = self.acc_ax.plot([], [], color=TRAIN_COLOR, label="train", **style)
        (self._val_acc,) = self.acc_ax.plot([], [], color=VAL_COLOR, label="validation", **style)
        (self._loss,) = self.loss_ax.plot([], [], color=TRAIN_COLOR, label="train", **style)
        (self._val_loss,) = self.loss_ax.plot([], [], color=VAL_COLOR, label="validation", **style)
        self._title = self.acc_ax.set_title("model accuracy", fontsize=10)
        self.acc_ax.set_ylabel("accuracy", fontsize=9)
        self.loss_ax.set_ylabel("loss", fontsize=9)
        self.loss_ax.set_xlabel("epoch", fontsize=9)
        self.acc_ax.legend(loc="lower right", fontsize=8, frameon=False)
        for ax in (self.acc_ax, self.loss_ax):
            ax.tick_params(labelsize=8)
            ax.grid(True, color="#e6e6e6", linewidth=0.7)
            ax.spines[["top", "right"]].set_visible(False)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self._history: dict[str, list[float]] = {}
        self._fit_margins()
        self.clear()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(520, 300)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)  # resizes the figure
        self._fit_margins()

    def _fit_margins(self) -> None:
        w, h = self.figure.get_size_inches()
        if w <= MARGINS["left"] + MARGINS["right"] or h <= MARGINS["bottom"] + MARGINS["top"]:
            return
        self.figure.subplots_adjust(
            left=MARGINS["left"] / w,
            right=1 - MARGINS["right"] / w,
            bottom=MARGINS["bottom"] / h,
            top=1 - MARGINS["top"] / h,
            hspace=PANEL_GAP * 2 / (h - MARGINS["bottom"] - MARGINS["top"]),
        )

    # Public ---------------------------------------------------------------------------
    def clear(self, title: str = "model accuracy") -> None:
        self._history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        self._title.set_text(title)
        self._refresh()

    def add_epoch(self, logs: dict[str, float]) -> None:
        """Append one finished epoch (keys loss, accuracy, val_loss, val_accuracy)."""
        for key, values in self._history.items():
            v = logs.get(key)
            values.append(float("nan") if v is None else float(v))
        self._refresh()

    def set_history(self, history: dict[str, list], title: str = "model accuracy") -> None:
        """Show a whole run (e.g. a past one); ``None`` values are gaps."""
        self._history = {
            k: [float("nan") if v is None else float(v) for v in history.get(k, [])]
            for k in ("loss", "accuracy", "val_loss", "val_accuracy")
        }
        self._title.set_text(title)
        self._refresh()

    def points(self) -> dict[str, int]:
        """Plotted points per line (finite values), for tests."""
        lines = {"accuracy": self._acc, "val_accuracy": self._val_acc, "loss": self._loss, "val_loss": self._val_loss}
        return {k: int(np.isfinite(np.asarray(line.get_ydata(), float)).sum()) for k, line in lines.items()}

    # Drawing --------------------------------------------------------------------------
    def _refresh(self) -> None:
        h = self._history
        for line, key in ((self._acc, "accuracy"), (self._val_acc, "val_accuracy"), (self._loss, "loss"), (self._val_loss, "val_loss")):
            y = np.asarray(h[key], float)
            line.set_data(np.arange(1, len(y) + 1), y)
        n = max(len(h["loss"]), 1)
        self.loss_ax.set_xlim(0.5, n + 0.5)
        self._fit_y(self.acc_ax, h["accuracy"] + h["val_accuracy"], floor=None, ceil=1.0)
        self._fit_y(self.loss_ax, h["loss"] + h["val_loss"], floor=0.0, ceil=None)
        self.draw_idle()

    @staticmethod
    def _fit_y(ax, values: list[float], floor: float | None, ceil: float | None) -> None:
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            ax.set_ylim(0, 1)
            return
        lo, hi = min(finite), max(finite)
        pad = max((hi - lo) * 0.08, 0.005)
        lo, hi = lo - pad, hi + pad
        if floor is not None:
            lo = max(lo, floor)
        if ceil is not None:
            hi = min(hi, ceil + 0.002)
        ax.set_ylim(lo, hi)
