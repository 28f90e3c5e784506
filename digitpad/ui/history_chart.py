"""The Train tab's history chart (matplotlib ``Figure`` on ``FigureCanvasQTAgg``, never pyplot).

The article's "model accuracy" figure drawn as the run goes: training accuracy and loss
within each epoch (fractional epochs: the chart moves during a 3-minute first epoch, not
only at its end), validation per epoch; accuracy on top, loss below. Four lines are
created once; an update sets their data.

A full matplotlib draw of this figure costs 30-240 ms of GUI time on this 2-core machine
under load (more while the training thread competes for the GIL), which would stall the
window once an epoch. So during a live run the axes are fixed: x spans the planned epochs,
accuracy 0..1, loss 0..LIVE_LOSS_TOP (widened only if a value falls outside), and an
epoch repaints only the four lines over a cached background (blitting, a few ms; see
:class:`~digitpad.ui.blit_canvas.BlitCanvas`). When the
run ends, :meth:`HistoryChart.finish` fits the y axes to the data with one full draw.
Margins are fixed in inches, not computed by a layout engine.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QWidget

from digitpad.ui.blit_canvas import BlitCanvas, fit_margins

TRAIN_COLOR = "#1c7ed6"
VAL_COLOR = "#e8590c"
# Axes margins in inches, and the gap between the two panels.
MARGINS = {"left": 0.62, "right": 0.15, "bottom": 0.45, "top": 0.3}
PANEL_GAP = 0.12
LIVE_LOSS_TOP = 2.5  # above ln(10) = 2.30, the loss of an untrained 10-class model
TRACE_STEPS = 40  # at most this many points of the training lines per epoch


class HistoryChart(BlitCanvas):
    """Accuracy (top) and loss (bottom) per epoch, training and validation."""

    def __init__(self, parent: QWidget | None = None):
        fig = Figure(figsize=(5.0, 3.6), dpi=100)
        super().__init__(fig, parent)
        self.setMinimumSize(260, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.acc_ax, self.loss_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        style = {"marker": "o", "markersize": 3.5, "linewidth": 1.6, "animated": True}
        # The training lines follow the run within each epoch (running values every
        # ~1/TRACE_STEPS of an epoch) and mark the epoch ends; validation exists per epoch.
        (self._acc,) = self.acc_ax.plot([], [], color=TRAIN_COLOR, label="train", **style)
        (self._val_acc,) = self.acc_ax.plot([], [], color=VAL_COLOR, label="validation", **style)
        (self._loss,) = self.loss_ax.plot([], [], color=TRAIN_COLOR, label="train", **style)
        (self._val_loss,) = self.loss_ax.plot([], [], color=VAL_COLOR, label="validation", **style)
        self._trace: dict[str, list[tuple[float, float]]] = {"accuracy": [], "loss": []}
        self._lines = {"accuracy": self._acc, "val_accuracy": self._val_acc, "loss": self._loss, "val_loss": self._val_loss}
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
        self._planned = 1
        self._live = False
        self.fit_margins()
        self.clear()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(520, 300)

    # Public ---------------------------------------------------------------------------
    def clear(self, title: str = "model accuracy", epochs: int = 1, now: bool = False) -> None:
        """Empty the chart for a live run of ``epochs`` planned epochs (fixed axes until
        :meth:`finish`); ``now``: draw at once rather than on the next idle turn."""
        self._history = {key: [] for key in self._lines}
        self._trace = {"accuracy": [], "loss": []}
        self._planned = max(1, int(epochs))
        self._title.set_text(title)
        self._live = True
        self.acc_ax.set_ylim(0.0, 1.005)
        self.loss_ax.set_ylim(0.0, LIVE_LOSS_TOP)
        self._update(reset=True, now=now)

    def finish(self) -> None:
        """The run is over: fit the y axes to the data (one full draw)."""
        self._live = False
        self._update(reset=True)

    def add_epoch(self, logs: dict[str, float]) -> None:
        """Append one finished epoch (keys loss, accuracy, val_loss, val_accuracy)."""
        for key, values in self._history.items():
            v = logs.get(key)
            values.append(float("nan") if v is None else float(v))
        n = len(self._history["loss"])
        for key, trace in self._trace.items():  # the epoch's end closes its trace
            while trace and trace[-1][0] >= n - 1e-9:
                trace.pop()
            trace.append((float(n), self._history[key][-1]))
        self._update()

    def add_batch(self, epoch_position: float, logs: dict[str, float]) -> None:
        """A point within an epoch: ``epoch_position`` counts epochs, 2.25 is a quarter into
        the third one; ``logs`` has the running loss and accuracy. Points closer than
        1/TRACE_STEPS of an epoch to the last one are skipped (the chart stays cheap)."""
        trace = self._trace["loss"]
        if trace and epoch_position - trace[-1][0] < 1.0 / TRACE_STEPS:
            return
        for key in self._trace:
            v = logs.get(key)
            if v is not None and math.isfinite(float(v)):
                self._trace[key].append((float(epoch_position), float(v)))
        self._update()

    def trace_points(self) -> int:
        """Points of the training accuracy line, within-epoch ones included (tests)."""
        return len(self._acc.get_xdata())

    def set_history(self, history: dict[str, list], title: str = "model accuracy") -> None:
        """Show a whole run (e.g. a past one); ``None`` values are gaps."""
        self._history = {k: [float("nan") if v is None else float(v) for v in history.get(k, [])] for k in self._lines}
        self._trace = {k: [(float(i + 1), v) for i, v in enumerate(self._history[k])] for k in ("accuracy", "loss")}
        self._planned = max(1, len(self._history["loss"]))
        self._title.set_text(title)
        self._live = False
        self._update(reset=True)

    def points(self) -> dict[str, int]:
        """Plotted epoch values per line (finite values), for tests."""
        return {k: int(np.isfinite(np.asarray(v, float)).sum()) for k, v in self._history.items()}

    # Drawing --------------------------------------------------------------------------
    def _update(self, reset: bool = False, now: bool = False) -> None:
        h = self._history
        ends = {
            key: [i for i, (x, _) in enumerate(trace) if abs(x - round(x)) < 1e-9 and x >= 1]
            for key, trace in self._trace.items()
        }
        for key, line in self._lines.items():
            if key in self._trace:
                xy = np.asarray(self._trace[key], float).reshape(-1, 2)
                line.set_data(xy[:, 0], xy[:, 1])
                line.set_markevery(ends[key])  # markers at the epoch ends only
            else:
                y = np.asarray(h[key], float)
                line.set_data(np.arange(1, len(y) + 1), y)
        changed = reset
        n = max(self._planned, len(h["loss"]))
        pad = 0.04 * n  # the first points (a fraction into epoch 1) stay off the y axis
        if self.loss_ax.get_xlim() != (-pad, n + pad):
            self.loss_ax.set_xlim(-pad, n + pad)
            changed = True
        refit = reset and not self._live
        acc = [v for _, v in self._trace["accuracy"]] + h["val_accuracy"]
        loss = [v for _, v in self._trace["loss"]] + h["val_loss"]
        # Accuracy rises towards 1 and loss falls towards 0: fix those ends, fit the others.
        changed |= _fit_y(self.acc_ax, acc, refit, high=1.005)
        changed |= _fit_y(self.loss_ax, loss, refit, low=0.0)
        self.refresh(full=changed, now=now)

    def animated_artists(self):
        return list(self._lines.values())

    def fit_margins(self) -> None:
        h = self.figure.get_size_inches()[1]
        room = h - MARGINS["bottom"] - MARGINS["top"]
        if room > 0:
            fit_margins(self.figure, MARGINS, hspace=PANEL_GAP * 2 / room)


def _fit_y(ax, values: list[float], refit: bool, low: float | None = None, high: float | None = None) -> bool:
    """Set the y limits to the data plus a margin, with a fixed ``low`` or ``high`` end.
    Unless ``refit``, the limits only change when a value falls outside them. True when
    the limits changed (a full draw is needed)."""
    finite = [v for v in values if math.isfinite(v)]
    old = ax.get_ylim()
    if not finite:
        if not refit:
            return False
        new = (0.0, 1.0)
    else:
        lo, hi = min(finite), max(finite)
        if not refit and old[0] <= lo and hi <= old[1]:
            return False
        pad = max((hi - lo) * 0.1, 0.01)
        new = (low if low is not None else lo - pad, high if high is not None else hi + pad)
    if new == old:
        return False
    ax.set_ylim(*new)
    return True
