"""Numbers on the canvas: a light box around each recognised digit, the chosen one marked.

The overlay is a child of the canvas that lets every mouse event through and paints over
it; the drawing itself (and Save drawing…) never sees the boxes. It shows boxes only while
the canvas holds a number of two digits or more: a single digit looks as it always did.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from digitpad.numbers import NumberReading
from digitpad.ui.canvas import REFERENCE_SIDE

BOX_COLOR = QColor(70, 130, 200, 110)
BOX_FILL = QColor(70, 130, 200, 18)
SELECTED_COLOR = QColor(217, 72, 15, 190)  # the chart's highlight colour
SELECTED_FILL = QColor(217, 72, 15, 22)
PAD = 3.0  # logical pixels around the ink (half the pen's width is added)


class NumberOverlay(QWidget):
    """Paints ``reading``'s digit boxes (canvas logical pixels) over ``canvas``; emits
    ``hovered(index)`` when the mouse, not drawing, moves over another digit's box."""

    hovered = Signal(int)

    def __init__(self, canvas: QWidget):
        super().__init__(canvas)
        self._canvas = canvas
        self._reading = NumberReading()
        self._selected: int | None = None
        self._ink_boxes = False
        self._hover: int | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.setMouseTracking(True)
        canvas.installEventFilter(self)
        self.hide()

    def set_reading(self, reading: NumberReading, selected: int | None, ink_boxes: bool = False) -> None:
        """``ink_boxes``: the boxes already hold the ink (an opened picture's digits), not
        the pen's centre line, so they get no pen-width margin."""
        self._reading = reading
        self._selected = selected
        self._ink_boxes = ink_boxes
        self.setVisible(len(reading) >= 2)
        self.update()

    def reading(self) -> NumberReading:
        return self._reading

    def selected(self) -> int | None:
        return self._selected

    def _pad(self) -> float:
        if self._ink_boxes:
            return PAD
        canvas = self._canvas
        return canvas.pen_width() * canvas.side() / REFERENCE_SIDE / 2 + PAD

    def box_rect(self, index: int) -> QRectF:
        """The painted box of digit ``index`` (its strokes, the pen and a margin), in this
        widget's (= the canvas widget's) coordinates."""
        x0, y0, x1, y1 = self._reading.digits[index].box
        pad = self._pad()
        origin = -self._canvas.to_canvas(QPointF(0, 0))
        return QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad).translated(origin)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.setGeometry(self._canvas.rect())
        elif kind == QEvent.Type.MouseMove and not event.buttons() and len(self._reading) >= 2:
            pos = self._canvas.to_canvas(event.position())
            index = self._reading.digit_at(pos.x(), pos.y(), margin=self._pad())
            if index is not None and index != self._hover:
                self._hover = index
                self.hovered.emit(index)
            elif index is None:
                self._hover = None
        return False

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if len(self._reading) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for i in range(len(self._reading)):
            chosen = i == self._selected
            painter.setPen(QPen(SELECTED_COLOR if chosen else BOX_COLOR, 1.6 if chosen else 1.0))
            painter.setBrush(SELECTED_FILL if chosen else BOX_FILL)
            painter.drawRoundedRect(self.box_rect(i), 4, 4)
        painter.end()
