"""The "Draw" tab: canvas on the left, the answer on the right, and the prediction loop.

Live prediction is throttled: the first change of a stroke starts a single-shot timer
(``LIVE_INTERVAL_MS``); changes while it runs are coalesced into that one update, so the
panel refreshes at most ~25 times a second however fast the pen moves. When a stroke ends
(or on undo, redo, clear, an opened image, a new model) the prediction runs at once and is
"final": it is the one logged at debug level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from digitpad.predictor import DIGIT, EMPTY, NOT_DIGIT, UNSURE, Prediction, Predictor
from digitpad.ui.canvas import DrawCanvas
from digitpad.ui.charts import PreviewWidget, ProbabilityChart
from digitpad.ui.model_input import canvas_vector

log = logging.getLogger(__name__)

LIVE_INTERVAL_MS = 40
EMPTY_TEXT = "Draw a digit"
NOT_DIGIT_TEXT = "Not a digit"
UNSURE_TEXT = "Not sure"


class DrawTab(QWidget):
    """Signals ``predicted(Prediction, final: bool)`` after every panel update."""

    predicted = Signal(object, bool)

    def __init__(self, predictor: Predictor, parent: QWidget | None = None):
        super().__init__(parent)
        self._predictor = predictor
        self._prediction = Prediction.none()
        self._vector: np.ndarray | None = None
        # The single, swappable place that turns the canvas into the model's input.
        self.model_input: Callable[[DrawCanvas], np.ndarray | None] = canvas_vector

        self.canvas = DrawCanvas()
        self.canvas.setObjectName("canvas")
        self.digit_label = QLabel("")
        self.confidence_label = QLabel(EMPTY_TEXT)
        self.chart = ProbabilityChart()
        self.preview = PreviewWidget()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Esc or Delete)")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self._build()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIVE_INTERVAL_MS)
        self._timer.timeout.connect(lambda: self._update(final=False))
        self.canvas.strokeChanged.connect(self._schedule)
        self.canvas.contentChanged.connect(self.predict_now)
        self.clear_button.clicked.connect(self.canvas.clear)
        self._show(Prediction.none(), None)

    def _build(self) -> None:
        big = QFont(self.font())
        big.setPointSize(64)
        big.setBold(True)
        self.digit_label.setFont(big)
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit_label.setMinimumHeight(110)
        conf_font = QFont(self.font())
        conf_font.setPointSize(13)
        self.confidence_label.setFont(conf_font)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen = QLabel("What the model sees (28×28)")
        seen.setAlignment(Qt.AlignmentFlag.AlignCenter)

        panel = QWidget()
        col = QVBoxLayout(panel)
        col.setContentsMargins(8, 4, 8, 8)
        col.addWidget(self.digit_label)
        col.addWidget(self.confidence_label)
        col.addWidget(self.chart, 1)
        col.addWidget(seen)
        col.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        col.addSpacing(6)
        col.addWidget(self.clear_button)

        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

    # Public ---------------------------------------------------------------------------
    @property
    def prediction(self) -> Prediction:
        """The prediction on display ("no digit" when the canvas is blank)."""
        return self._prediction

    @property
    def vector(self) -> np.ndarray | None:
        """The 784-value input the shown prediction was made from."""
        return self._vector

    @property
    def predictor(self) -> Predictor:
        return self._predictor

    def set_predictor(self, predictor: Predictor) -> None:
        self._predictor = predictor
        self.predict_now()

    def predict_now(self) -> Prediction:
        """Run a final prediction on the canvas now (what a finished stroke triggers)."""
        self._timer.stop()
        return self._update(final=True)

    def flush(self) -> bool:
        """Run a pending live prediction now; True if there was one (for benchmarks)."""
        if not self._timer.isActive():
            return False
        self._timer.stop()
        self._update(final=False)
        return True

    # Internals ------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _update(self, final: bool) -> Prediction:
        vector = self.model_input(self.canvas)
        prediction = self._predictor.predict(vector)
        self._show(prediction, vector)
        if final:
            if prediction.digit is not None:
                log.debug("prediction: %d %.4f", prediction.digit, prediction.confidence)
            elif prediction.state == EMPTY:
                log.debug("prediction: none")
            else:
                log.debug("prediction: %s (%s)", prediction.state, prediction.reason)
        self.predicted.emit(prediction, final)
        return prediction

    def _show(self, prediction: Prediction, vector: np.ndarray | None) -> None:
        self._prediction = prediction
        self._vector = vector
        if prediction.state == EMPTY:
            self.digit_label.setText("")
            self.confidence_label.setText(EMPTY_TEXT)
            self.chart.set_probabilities(None)
        elif prediction.state == NOT_DIGIT:
            # Not a bold digit: a muted question mark, and the ten bars stay visible.
            self.digit_label.setText("?")
            self.confidence_label.setText(NOT_DIGIT_TEXT)
            self.chart.set_probabilities(prediction.probabilities, highlight=False)
        elif prediction.state == UNSURE:
            a, b = np.argsort(prediction.probabilities)[::-1][:2]
            self.digit_label.setText(f"{a} or {b}")
            self.confidence_label.setText(UNSURE_TEXT)
            self.chart.set_probabilities(prediction.probabilities, highlight=False)
        else:
            self.digit_label.setText(str(prediction.digit))
            self.confidence_label.setText(f"Confidence {prediction.confidence:.1%}")
            self.chart.set_probabilities(prediction.probabilities)
        self.digit_label.setProperty("state", prediction.state)
        self.digit_label.setStyleSheet("" if prediction.state == DIGIT else "color: palette(mid);")
        self.preview.set_vector(vector)
