"""A stand-in for a widget that is costly to build, so the window can be on screen first.

The charts need matplotlib, whose import alone takes about a third of a second; a window
that imports it before showing anything appears that much later. :class:`Deferred` takes
the chart's place in the layout at once (same minimum size and size hint, so nothing
moves), and builds the real widget inside itself right after it was first painted (the
frame with the rest of the window is on screen by then), or earlier when anything but a
``QWidget`` attribute is asked of it: ``deferred.points()`` builds the chart and calls its
``points()``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget


class Deferred(QWidget):
    """Holds the widget ``factory()`` returns, built on first use. Signal ``built(widget)``."""

    built = Signal(object)

    def __init__(self, factory: Callable[[], QWidget], minimum: QSize, hint: QSize, parent: QWidget | None = None):
        super().__init__(parent)
        self._factory = factory
        self._widget: QWidget | None = None
        self._scheduled = False
        self._hint = hint
        self.setMinimumSize(minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self._hint

    def is_built(self) -> bool:
        return self._widget is not None

    def build(self) -> QWidget:
        """The real widget (built now if it was not yet)."""
        if self._widget is None:
            widget = self._factory()
            self._widget = widget
            self.layout().addWidget(widget)
            self._on_built(widget)
            self.built.emit(widget)
        return self._widget

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        # The first frame is being painted without the real widget: build it next turn.
        if self._widget is None and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self.build)
        super().paintEvent(event)

    def widget(self) -> QWidget | None:
        return self._widget

    def _on_built(self, widget: QWidget) -> None:
        """Subclasses hand over what was asked of them before the widget existed."""

    def __getattr__(self, name: str):
        # Only called for names a QWidget does not have: the real widget's own API.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.build(), name)


class DeferredProbabilityChart(Deferred):
    """The probability chart, built after the first frame. Until then ``set_probabilities``
    keeps the last values and hands them over when the chart is built. ``barClicked``
    relays the chart's."""

    barClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(_probability_chart, QSize(240, 120), QSize(320, 230), parent)
        self._pending: tuple | None = None

    def set_probabilities(self, probs, highlight: bool = True) -> None:
        if self.is_built():
            self.widget().set_probabilities(probs, highlight)
        else:
            self._pending = (probs, highlight)

    def _on_built(self, widget: QWidget) -> None:
        widget.barClicked.connect(self.barClicked)
        if self._pending is not None:
            widget.set_probabilities(*self._pending)
            self._pending = None


def _probability_chart() -> QWidget:
    from digitpad.ui.charts import ProbabilityChart  # imports matplotlib

    return ProbabilityChart()


def deferred_history_chart(parent: QWidget | None = None) -> Deferred:
    """The Train tab's accuracy/loss chart, built when first used or shown."""

    def make() -> QWidget:
        from digitpad.ui.history_chart import HistoryChart  # imports matplotlib

        return HistoryChart()

    return Deferred(make, QSize(260, 150), QSize(520, 300), parent)
