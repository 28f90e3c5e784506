"""The "Draw" tab: canvas on the left, the answer on the right, and the prediction loop.

Live prediction is throttled: the first change of a stroke starts a single-shot timer
(``LIVE_INTERVAL_MS``); changes while it runs are coalesced into that one update, so the
panel refreshes at most ~25 times a second however fast the pen moves. When a stroke ends
(or on undo, redo, clear, an opened image, a new model) the prediction runs at once and is
"final": it is the one logged at debug level.

Numbers: when the canvas holds plain ink strokes that group into two digits or more
(:func:`digitpad.numbers.read_strokes`), the big label shows the whole number, each digit
gets a light box on the canvas (:class:`NumberOverlay`), and the chart and the preview
show one digit: the one under the mouse, or else the one last drawn on (the first by
default). One digit goes exactly the way it always did. An opened picture with nothing
drawn on it is read the way ``digitpad predict --number`` reads the file
(:func:`digitpad.numbers.read_image`, on a worker thread), its digits' boxes mapped onto
the canvas; a picture of one digit still goes the single-digit way (also when its ink parts
into pieces but the whole reads surely as one digit: PICTURE_ONE_DIGIT).
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox, QSplitter, QToolBar, QVBoxLayout, QWidget

from digitpad.numbers import DigitReading, NumberReading, read_image, read_strokes
from digitpad.predictor import DIGIT, EMPTY, NOT_DIGIT, UNSURE, Prediction, Predictor
from digitpad.preprocessing import preprocess
from digitpad.ui.canvas import DEFAULT_PEN_WIDTH, MAX_PEN_WIDTH, MIN_PEN_WIDTH, DrawCanvas
from digitpad.ui.deferred import DeferredProbabilityChart
from digitpad.ui.model_input import SPECK_FRACTION, canvas_vector, uses_strokes
from digitpad.ui.number_view import NumberOverlay
from digitpad.ui.preview import PreviewWidget

log = logging.getLogger(__name__)

LIVE_INTERVAL_MS = 40
PANEL_MIN_WIDTH = 260
DIGIT_HEIGHT_FRACTION = 0.12  # of the side panel's height
DIGIT_MIN_PX = 36
DIGIT_MAX_PX = 150
EMPTY_TEXT = "Draw a digit"
NOT_DIGIT_TEXT = "Not a digit"
UNSURE_TEXT = "Not sure"
# An opened picture whose ink parts into several digits is still shown as one digit when
# the whole picture reads as that digit this surely: single-digit pictures stay as they
# were. On photos of single digits of pendigits writers 21-30 (tests/bench_photos.py's
# rendering), 12 of 600 parted into two or more, 7 of them read right as one digit; at
# 0.99, 5 are shown as a number, none of them read right before. It costs numbers: of 200
# 2-digit pictures of those writers, 23.5 % are shown as one digit (as before) instead of
# 1 %; of 4-digit ones, 0.5 %. `digitpad predict --number` asks for a number and has no such rule.
PICTURE_ONE_DIGIT = 0.99
# ... unless the digits found are together this many times as wide as they are tall: the
# model reads a squeezed "21" as a sure 4. No single digit that parted was as wide (1,450 of
# writers 21-30 and the MNIST slice: photos, clean drawings, scans; the widest 1.25). Of 200
# 2-digit pictures of those writers, shown as the number: clean 79 -> 84 %, photographed
# 79.5 -> 86 % (read right 77 -> 81.5 % and 77.5 -> 84 %); of 3-digit ones 97.5 -> 99 % and
# 98.5 -> 99.5 %. At 1.2 one more MNIST single digit was shown as two; at 1.0, 6 more.
PICTURE_WIDE = 1.3


class DrawTab(QWidget):
    """Signals ``predicted(Prediction, final: bool)`` after every panel update."""

    predicted = Signal(object, bool)
    _picture_read = Signal(object, object, object)  # picture, predictor, NumberReading (from the worker)

    def __init__(self, predictor: Predictor, parent: QWidget | None = None):
        super().__init__(parent)
        self._predictor = predictor
        self._prediction = Prediction.none()
        self._vector: np.ndarray | None = None

        self.canvas = DrawCanvas()
        self.canvas.setObjectName("canvas")
        # The drawing tools live in the tab, so they are out of sight (and out of reach)
        # on the other tabs; the window puts its drawing actions in this toolbar.
        self.toolbar = QToolBar("Drawing")
        self.toolbar.setObjectName("drawing_toolbar")
        self.pen_width_box = QSpinBox()
        self.digit_label = QLabel("")
        self.confidence_label = QLabel(EMPTY_TEXT)
        self.chart = DeferredProbabilityChart()  # matplotlib: built after the first frame
        self.preview = PreviewWidget()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Esc or Delete)")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self._build()
        # Numbers: what was read, which digit the panel shows (as one of its strokes, so
        # the choice survives regrouping), and the model inputs of stroke groups.
        self._number = NumberReading()
        self._chosen_stroke: int | None = None
        self._stroke_count = 0
        self._group_vectors: dict[tuple[int, ...], tuple[tuple, np.ndarray | None]] = {}
        self._picture_reading: tuple[object, Predictor, NumberReading] | None = None
        self._picture_job: tuple[object, Predictor] | None = None  # the picture being read
        self._picture_pool = None  # a one-thread executor, made on the first picture
        self._worker_predictors: dict[Predictor, Predictor] = {}  # used on the worker only
        self._picture_read.connect(self._on_picture_read)
        self.overlay = NumberOverlay(self.canvas)
        self.overlay.hovered.connect(self.select_digit)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIVE_INTERVAL_MS)
        self._timer.timeout.connect(lambda: self._update(final=False))
        self.canvas.strokeChanged.connect(self._schedule)
        self.canvas.contentChanged.connect(self.predict_now)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.clear_button.clicked.connect(self.focus_canvas)
        self._show(Prediction.none(), None)

    def add_pen_width_box(self) -> None:
        """Append the pen-width box to the toolbar (after the window's actions)."""
        box = self.pen_width_box
        box.setRange(MIN_PEN_WIDTH, MAX_PEN_WIDTH)
        box.setValue(DEFAULT_PEN_WIDTH)
        box.setSuffix(" px")
        box.setToolTip(f"Pen width on a 280-pixel canvas (default {DEFAULT_PEN_WIDTH}); Enter returns to the canvas")
        box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        box.valueChanged.connect(self.canvas.set_pen_width)
        # Typing a width ends with Enter (or a click elsewhere): the keys go back to the
        # canvas, so Ctrl+Z, Delete and E act on the drawing again, not on the box.
        box.editingFinished.connect(self.focus_canvas)
        label = QLabel(" Pen width ")
        label.setBuddy(box)
        self.toolbar.addWidget(label)
        self.toolbar.addWidget(box)

    def focus_canvas(self) -> None:
        if self.isVisible():
            self.canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _build(self) -> None:
        self._digit_font = QFont(self.font())
        self._digit_font.setBold(True)
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        conf_font = QFont(self.font())
        conf_font.setPointSize(13)
        self.confidence_label.setFont(conf_font)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        seen = QLabel("What the model sees (28×28)")
        seen.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.panel = QWidget()
        self.panel.setObjectName("answer_panel")
        col = QVBoxLayout(self.panel)
        col.setContentsMargins(8, 0, 8, 4)
        col.setSpacing(4)
        col.addWidget(self.digit_label)
        col.addWidget(self.confidence_label)
        col.addWidget(self.chart, 3)
        col.addWidget(seen)
        col.addWidget(self.preview, 2)
        col.addWidget(self.clear_button)
        self._scale_digit(0)

        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.panel)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.installEventFilter(self)
        self.panel.installEventFilter(self)
        self.canvas.installEventFilter(self)
        self.toolbar.setMovable(False)
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter)

    # Layout: the canvas takes a square as tall as the tab, the panel the rest ------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize:
            if watched is self.splitter:
                self.fit_splitter()
            elif watched is self.panel:
                self._scale_digit(self.panel.height())
                if len(self._number) >= 2:
                    self._fit_label(self._number.text)
            elif watched is self.canvas and len(self._number) >= 2:
                # The drawing or picture is painted at the new size: the digits' boxes,
                # in canvas pixels, are read again so that they stay on their digits.
                self._schedule()
        return super().eventFilter(watched, event)

    def fit_splitter(self) -> None:
        """Give the canvas the widest square the height allows (no grey margins beside it)
        and the side panel everything else; the handle can still be dragged until the
        window is next resized."""
        total = self.splitter.width() - self.splitter.handleWidth()
        panel_min = max(self.panel.minimumSizeHint().width(), PANEL_MIN_WIDTH)
        canvas = max(self.canvas.minimumWidth(), min(self.splitter.height(), total - panel_min))
        self.splitter.setSizes([canvas, max(total - canvas, 0)])

    def _scale_digit(self, panel_height: int) -> None:
        """The big digit grows with the panel (36 to 150 pixels high)."""
        px = int(min(max(panel_height * DIGIT_HEIGHT_FRACTION, DIGIT_MIN_PX), DIGIT_MAX_PX))
        if self._digit_font.pixelSize() != px:
            self._digit_font.setPixelSize(px)
            self.digit_label.setFont(self._digit_font)
            self.digit_label.setMinimumHeight(int(px * 1.2))

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

    @property
    def number(self) -> NumberReading:
        """The digits read on the canvas when it holds two or more (else empty)."""
        return self._number

    def selected_digit(self) -> int | None:
        """Index of the digit the panel shows (``None`` unless a number is on display)."""
        if len(self._number) < 2:
            return None
        chosen = self._number.digit_of_member(self._chosen_stroke) if self._chosen_stroke is not None else None
        return 0 if chosen is None else chosen

    def select_digit(self, index: int) -> None:
        """Show digit ``index`` of the number in the chart and the preview."""
        if 0 <= index < len(self._number):
            self._chosen_stroke = self._number.digits[index].members[0]
            self._show_number(self._number)

    def number_text(self) -> str:
        """What Ctrl+C copies: the number, or the one digit, or "" when there is none."""
        if len(self._number) >= 2:
            return self._number.text
        p = self._prediction
        return str(p.digit) if p.digit is not None else ""

    def copy_number(self) -> None:
        text = self.number_text()
        if text:
            QGuiApplication.clipboard().setText(text)

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
        reading = self._read_number()
        if len(reading) >= 2:
            self._number = reading
            prediction = self._show_number(reading)
            if final:
                log.debug("prediction: number %s", reading.text)
            self.predicted.emit(prediction, final)
            return prediction
        self._number = NumberReading()
        self.overlay.set_reading(self._number, None)
        if self._same_as_one_digit(reading):
            # Strokes that make one digit: what read_strokes computed is what the strokes
            # route computes (render_strokes of all the strokes), so it is not done twice.
            vector, prediction = reading.digits[0].vector, reading.digits[0].prediction
        else:
            vector = canvas_vector(self.canvas)  # the one place the canvas becomes the model's input
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

    def _same_as_one_digit(self, reading: NumberReading) -> bool:
        if len(reading) != 1:
            return False
        extent = self.canvas.ink_extent()
        return len(reading.digits[0].members) == self._stroke_count and extent is not None and extent >= SPECK_FRACTION

    def _read_number(self) -> NumberReading:
        """The canvas's strokes read as a number (empty unless plain ink of 2+ strokes), or
        the opened picture's digits when nothing is drawn on it."""
        canvas = self.canvas
        finished = [s for s in canvas.strokes() if not s.erase]
        count = len(finished) + canvas.is_drawing()
        picture = canvas.picture()
        if picture is not None and not canvas.strokes() and not canvas.is_drawing():
            self._stroke_count = 0
            return self._read_picture(picture)
        if count > self._stroke_count or canvas.is_drawing():
            self._chosen_stroke = count - 1  # the digit last drawn on
        elif self._chosen_stroke is not None and self._chosen_stroke >= count:
            self._chosen_stroke = None
        self._stroke_count = count
        if count < 2 or not uses_strokes(canvas):
            return NumberReading()
        points = canvas.stroke_points(include_live=True)
        keys = tuple(finished) + (("live", len(points[-1])),) * canvas.is_drawing()
        side = canvas.side()
        cache, self._group_vectors = self._group_vectors, {}

        def vectorise(group: tuple[int, ...]) -> np.ndarray | None:
            ids = tuple(id(keys[i]) if i < len(finished) else -1 for i in group)
            hit = cache.get(ids) if -1 not in ids else None
            if hit is not None and all(a is keys[i] for a, i in zip(hit[0], group)):
                vector = hit[1]
            else:
                vector = render_group(points, group, side)
            if -1 not in ids:  # keep what the next update can use again
                self._group_vectors[ids] = (tuple(keys[i] for i in group), vector)
            return vector

        return read_strokes(points, self._predictor, frame_size=side, vectorise=vectorise)

    def _read_picture(self, picture) -> NumberReading:
        """An opened picture read as a number, the digits' boxes mapped from the image's
        pixels onto the canvas as the canvas draws it (scaled to fit, centred); each
        digit's member is its own index. Reading a picture takes up to about a second, so
        it runs once per picture and model on a worker thread: until it is done (and when
        the picture is one digit) the picture goes the single-digit way, as it always did."""
        cached = self._picture_reading
        if cached is not None and cached[0] is picture and cached[1] is self._predictor:
            reading = cached[2]
        else:
            self._start_picture_read(picture)
            return NumberReading()
        h, w = picture.ink.shape[:2]
        side = self.canvas.side()
        scale = side / max(w, h, 1)
        dx, dy = (side - w * scale) / 2, (side - h * scale) / 2
        return NumberReading(tuple(
            DigitReading((k,), (d.box[0] * scale + dx, d.box[1] * scale + dy, d.box[2] * scale + dx, d.box[3] * scale + dy),
                         d.prediction, d.vector)
            for k, d in enumerate(reading.digits)))

    def picture_pending(self) -> bool:
        """True while an opened picture is being read as a number (for tests)."""
        return self._picture_job is not None

    def _start_picture_read(self, picture) -> None:
        job = self._picture_job
        if job is not None and job[0] is picture and job[1] is self._predictor:
            return  # already being read
        self._picture_job = (picture, self._predictor)
        if self._picture_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._picture_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digitpad-picture")
        self._picture_pool.submit(self._picture_work, picture, self._predictor)

    def _picture_work(self, picture, predictor: Predictor) -> None:
        """Worker thread: the picture's number with a predictor of its own (a LiteRT
        interpreter is not to be shared between threads), handed back to the GUI thread."""
        try:
            own = self._worker_predictors.get(predictor)
            if own is None:
                own = Predictor(predictor.path, backend=predictor.backend)
                self._worker_predictors = {predictor: own}
            reading = read_image(picture.source, own)
            if len(reading) >= 2 and plainly_one_digit(picture.source, own, reading):
                reading = NumberReading()
        except Exception as exc:  # noqa: BLE001 - never a traceback: the single-digit answer stays
            log.debug("picture not read as a number: %s", exc)
            reading = NumberReading()
        try:
            self._picture_read.emit(picture, predictor, reading)
        except RuntimeError:  # the window closed meanwhile
            pass

    def _on_picture_read(self, picture, predictor, reading: NumberReading) -> None:
        if self._picture_job is not None and self._picture_job[0] is picture and self._picture_job[1] is predictor:
            self._picture_job = None
        if self.canvas.picture() is not picture or self._predictor is not predictor:
            return  # the canvas or the model changed meanwhile: that reading is stale
        previous = self._picture_reading
        if previous is None or previous[0] is not picture:
            self._chosen_stroke = None  # a new picture shows its first digit
        self._picture_reading = (picture, predictor, reading)
        if len(reading) >= 2:
            self.predict_now()

    def _show_number(self, reading: NumberReading) -> Prediction:
        index = self.selected_digit() or 0
        digit = reading.digits[index]
        prediction = digit.prediction
        self._prediction = prediction
        self._vector = digit.vector
        self.digit_label.setText(reading.text)
        self._fit_label(reading.text)
        if prediction.state == DIGIT:
            detail = f"{prediction.digit}, confidence {prediction.confidence:.1%}"
        elif prediction.state == NOT_DIGIT:
            detail = NOT_DIGIT_TEXT.lower()
        else:
            detail = prediction.reason or UNSURE_TEXT.lower()
        self.confidence_label.setText(f"{len(reading)} digits · digit {index + 1}: {detail}")
        self.chart.set_probabilities(prediction.probabilities, highlight=prediction.state == DIGIT)
        self.digit_label.setProperty("state", "number")
        self.digit_label.setStyleSheet("")
        self.preview.set_vector(digit.vector)
        # A number on the canvas with a picture is the picture's: its boxes hold the ink.
        self.overlay.set_reading(reading, index, ink_boxes=self.canvas.picture() is not None)
        return prediction

    def _fit_label(self, text: str) -> None:
        """A long number shrinks to the panel's width instead of widening it."""
        self._scale_digit(self.panel.height())
        font = QFont(self._digit_font)
        width = max(self.panel.width() - 16, 1)
        needed = QFontMetrics(font).horizontalAdvance(text)
        if needed > width:
            font.setPixelSize(max(DIGIT_MIN_PX // 2, int(font.pixelSize() * width / needed)))
        if self.digit_label.font() != font:
            self.digit_label.setFont(font)

    def _show(self, prediction: Prediction, vector: np.ndarray | None) -> None:
        self._prediction = prediction
        self._vector = vector
        if self.digit_label.font() != self._digit_font:
            self.digit_label.setFont(self._digit_font)
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


def plainly_one_digit(source: np.ndarray, predictor: Predictor, reading: NumberReading | None = None) -> bool:
    """The whole picture read as one digit (the single-digit route) with at least
    PICTURE_ONE_DIGIT confidence: then it is shown as that digit, as before, even if its
    ink parts into pieces; not when the pieces found in it (``reading``) are together
    PICTURE_WIDE times as wide as tall or more."""
    if reading is not None and len(reading) and reading_aspect(reading) >= PICTURE_WIDE:
        return False
    prediction = predictor.predict(preprocess(source))
    return prediction.state == DIGIT and prediction.confidence >= PICTURE_ONE_DIGIT


def reading_aspect(reading: NumberReading) -> float:
    """Width over height of the box around all the digits of ``reading``."""
    x0, y0, x1, y1 = reading.box
    return float((x1 - x0) / max(y1 - y0, 1e-9))


def render_group(points: list[np.ndarray], group: tuple[int, ...], side: float) -> np.ndarray | None:
    """One group of canvas strokes as the model's input (the strokes route)."""
    from digitpad.strokes import render_strokes

    return render_strokes([points[i] for i in group], frame_size=side)
