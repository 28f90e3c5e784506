"""The drawing canvas: strokes kept as point lists, rendered into an off-screen image.

Every stroke, whether it comes from the mouse, a stylus or :meth:`DrawCanvas.replay_stroke`,
goes through the same three steps (``_begin`` / ``_extend`` / ``_end``) and the same
segment painter, so what tests and benchmarks replay is exactly what a user draws.

The off-screen image is a grey ``RGB32`` ``QImage`` (the format the screen copies fastest)
of ``side × devicePixelRatio`` physical pixels with its device pixel ratio set, so painting
happens in logical units and stays sharp on high-DPI screens; ``paintEvent`` only copies
it. Points are stored in units of the canvas side (0..1, y down) and pen widths in pixels
of a 280-pixel canvas, so resizing re-renders the same drawing at the new size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QImage, QPainter, QPen, QPixmap, QPointingDevice
from PySide6.QtWidgets import QSizePolicy, QWidget

REFERENCE_SIDE = 280  # pen widths are pixels of a canvas this big; larger canvases scale them
MIN_SIDE = 280
# A digit drawn to fill about half the canvas with this pen looks like an MNIST digit once it
# is fitted into the 20x20 box: ~2 px strokes out of 20, as in the database.
DEFAULT_PEN_WIDTH = 18
MIN_PEN_WIDTH = 4
MAX_PEN_WIDTH = 60
MIN_PRESSURE = 0.15  # a feather-light touch still leaves a visible line

PAPER = QColor(255, 255, 255)
INK = QColor(0, 0, 0)
_STYLUS_TYPES = (
    QPointingDevice.DeviceType.Stylus,
    QPointingDevice.DeviceType.Airbrush,
    QPointingDevice.DeviceType.Puck,
)


@dataclass(frozen=True)
class Stroke:
    """One finished stroke. ``points`` (N, 2) are in units of the canvas side, y down;
    ``pressures`` (N,) in 0..1 or ``None`` (full width); ``width`` in reference pixels."""

    points: np.ndarray
    pressures: np.ndarray | None
    width: float
    erase: bool = False


@dataclass(frozen=True)
class Picture:
    """An opened image: the array as loaded (what the model sees when nothing is drawn on
    top) and its ink (0..1, white on black) for display."""

    source: np.ndarray
    ink: np.ndarray


@dataclass(frozen=True)
class _State:
    strokes: tuple[Stroke, ...] = ()
    picture: Picture | None = None


class _LiveStroke:
    def __init__(self, width: float, erase: bool, with_pressure: bool):
        self.points: list[tuple[float, float]] = []
        self.pressures: list[float] | None = [] if with_pressure else None
        self.width = width
        self.erase = erase

    def freeze(self) -> Stroke:
        pressures = None if self.pressures is None else np.asarray(self.pressures, np.float32)
        return Stroke(np.asarray(self.points, np.float64), pressures, self.width, self.erase)


class DrawCanvas(QWidget):
    """A square drawing surface (the largest square that fits the widget).

    Signals: ``strokeChanged`` while a stroke grows (for live, throttled prediction);
    ``contentChanged`` when the drawing is final (stroke ended, undo, redo, clear, image);
    ``historyChanged`` when undo/redo availability may have changed; ``fileDropped(path)``.
    """

    strokeChanged = Signal()
    contentChanged = Signal()
    historyChanged = Signal()
    fileDropped = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_TabletTracking, False)
        self.setAcceptDrops(True)
        # Keys (undo, clear, eraser...) belong to the canvas: it takes the focus when drawn
        # on, and from Tab, so a spin box that had it does not keep swallowing them.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._history: list[_State] = [_State()]
        self._index = 0
        self._live: _LiveStroke | None = None
        self._tablet_down = False
        self._pen_width = float(DEFAULT_PEN_WIDTH)
        self._eraser = False
        self._picture_cache: tuple[Picture, QImage] | None = None
        self._image = QImage()
        self._rebuild()

    # Geometry -------------------------------------------------------------------------
    def side(self) -> int:
        """Logical side of the square drawing area."""
        return max(1, min(self.width(), self.height()))

    def _origin(self) -> QPointF:
        side = self.side()
        return QPointF((self.width() - side) / 2, (self.height() - side) / 2)

    def to_canvas(self, widget_pos: QPointF) -> QPointF:
        """Widget coordinates -> canvas coordinates (logical pixels from the square's corner)."""
        return widget_pos - self._origin()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        return width

    # Public state ---------------------------------------------------------------------
    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, width: float) -> None:
        self._pen_width = float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)
        self.setCursor(eraser_cursor() if self._eraser else Qt.CursorShape.CrossCursor)

    def strokes(self) -> tuple[Stroke, ...]:
        return self._state().strokes

    def picture(self) -> Picture | None:
        return self._state().picture

    def is_blank(self) -> bool:
        return not self.strokes() and self.picture() is None and self._live is None

    def is_drawing(self) -> bool:
        return self._live is not None

    def image(self) -> QImage:
        """A copy of the off-screen image (physical pixels, device pixel ratio set)."""
        return self._image.copy()

    def ink_array(self) -> np.ndarray:
        """The rendered drawing as uint8 ink, white (255) on black (0), physical pixels."""
        img = self._image
        rows = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        return 255 - rows[:, 0 : 4 * img.width() : 4]  # blue byte of grey RGB32 pixels

    def stroke_points(self, include_live: bool = False) -> list[np.ndarray]:
        """Finished ink strokes (erasing ones left out) as (N, 2) arrays in canvas logical
        pixels, y down: the input of :func:`digitpad.strokes.render_strokes`. With
        ``include_live`` the stroke being drawn is added (unless it erases)."""
        side = self.side()
        out = [s.points * side for s in self.strokes() if not s.erase]
        live = self._live
        if include_live and live is not None and live.points and not live.erase:
            out.append(np.asarray(live.points, np.float64) * side)
        return out

    def ink_extent(self) -> float | None:
        """The longer side of the box around every drawn point (live stroke included), in
        units of the canvas side; ``None`` when nothing is drawn or something was erased."""
        strokes = list(self.strokes())
        if any(s.erase for s in strokes) or (self._live is not None and self._live.erase):
            return None
        arrays = [s.points for s in strokes]
        if self._live is not None and self._live.points:
            arrays.append(np.asarray(self._live.points))
        if not arrays:
            return None
        points = np.concatenate(arrays)
        return float(np.ptp(points, axis=0).max())

    # History --------------------------------------------------------------------------
    def _state(self) -> _State:
        return self._history[self._index]

    def _push(self, state: _State) -> None:
        del self._history[self._index + 1 :]
        self._history.append(state)
        self._index += 1
        self.historyChanged.emit()

    def can_undo(self) -> bool:
        return self._index > 0 and self._live is None

    def can_redo(self) -> bool:
        return self._index < len(self._history) - 1 and self._live is None

    def undo(self) -> None:
        if self.can_undo():
            self._index -= 1
            self._after_history_move()

    def redo(self) -> None:
        if self.can_redo():
            self._index += 1
            self._after_history_move()

    def clear(self) -> None:
        """Empty the canvas (undoable). Does nothing on an already empty canvas."""
        self._live = None
        self._tablet_down = False
        if self._state() != _State():
            self._push(_State())
        self._rebuild()
        self.contentChanged.emit()

    def set_picture(self, source: np.ndarray, ink: np.ndarray) -> None:
        """Show an opened image (replacing the drawing, undoable). ``source`` is the array
        as loaded, ``ink`` its 0..1 white-on-black version for display."""
        self._live = None
        self._push(_State((), Picture(source, np.asarray(ink, np.float32))))
        self._rebuild()
        self.contentChanged.emit()

    def _after_history_move(self) -> None:
        self._rebuild()
        self.historyChanged.emit()
        self.contentChanged.emit()

    # Strokes: one path for mouse, stylus and replay --------------------------------------
    def replay_stroke(self, points, pressures=None, erase: bool = False) -> None:
        """Draw one stroke through exactly the code the mouse uses.

        ``points``: sequence of (x, y) in canvas logical pixels (y down, origin at the
        square's top-left corner); ``pressures``: optional 0..1 per point (as a stylus).
        Emits ``strokeChanged`` per point and ``contentChanged`` at the end.
        """
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        if len(pts) == 0:
            return
        prs = None if pressures is None else np.asarray(pressures, np.float64).reshape(-1)
        if prs is not None and len(prs) != len(pts):
            raise ValueError(f"{len(pts)} points but {len(prs)} pressures")
        self._begin(QPointF(*pts[0]), None if prs is None else float(prs[0]), erase)
        for i in range(1, len(pts)):
            self._extend(QPointF(*pts[i]), None if prs is None else float(prs[i]))
        self._end()

    def _begin(self, pos: QPointF, pressure: float | None, erase: bool) -> None:
        if self._live is not None:
            self._end()
        self._live = _LiveStroke(self._pen_width, erase, pressure is not None)
        self._add_point(pos, pressure)
        self.historyChanged.emit()

    def _extend(self, pos: QPointF, pressure: float | None) -> None:
        if self._live is not None:
            self._add_point(pos, pressure)

    def _end(self) -> None:
        live, self._live = self._live, None
        if live is None:
            return
        stroke = live.freeze()
        state = self._state()
        self._push(_State(state.strokes + (stroke,), state.picture))
        self.contentChanged.emit()

    def _add_point(self, pos: QPointF, pressure: float | None) -> None:
        live = self._live
        side = self.side()
        point = (pos.x() / side, pos.y() / side)
        if live.points and live.points[-1] == point:
            return
        live.points.append(point)
        if live.pressures is not None:
            live.pressures.append(1.0 if pressure is None else float(pressure))
        n = len(live.points)
        painter = self._painter()
        dirty = _paint_segments(painter, side, live.points, live.pressures, live.width, live.erase, n - 1, n)
        painter.end()
        self.update(dirty.translated(self._origin()).toAlignedRect())
        self.strokeChanged.emit()

    # Rendering ------------------------------------------------------------------------
    def _painter(self) -> QPainter:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        return painter

    def _rebuild(self) -> None:
        """Render the whole drawing at the current size and device pixel ratio."""
        side = self.side()
        dpr = self.devicePixelRatioF()
        physical = max(1, round(side * dpr))
        if self._image.width() != physical or self._image.devicePixelRatio() != dpr:
            self._image = QImage(physical, physical, QImage.Format.Format_RGB32)
            self._image.setDevicePixelRatio(dpr)
        self._image.fill(PAPER)
        painter = self._painter()
        state = self._state()
        if state.picture is not None:
            self._paint_picture(painter, state.picture, side)
        for s in state.strokes:
            prs = None if s.pressures is None else list(s.pressures)
            _paint_segments(painter, side, [tuple(p) for p in s.points], prs, s.width, s.erase, 0, len(s.points))
        if self._live is not None:
            lv = self._live
            _paint_segments(painter, side, lv.points, lv.pressures, lv.width, lv.erase, 0, len(lv.points))
        painter.end()
        self.update()

    def _paint_picture(self, painter: QPainter, picture: Picture, side: int) -> None:
        if self._picture_cache is None or self._picture_cache[0] is not picture:
            gray = np.ascontiguousarray(255 - np.clip(picture.ink, 0, 1) * 255, dtype=np.uint8)
            h, w = gray.shape
            qimg = QImage(gray.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
            self._picture_cache = (picture, qimg)
        qimg = self._picture_cache[1]
        scale = side / max(qimg.width(), qimg.height())
        w, h = qimg.width() * scale, qimg.height() * scale
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF((side - w) / 2, (side - h) / 2, w, h), qimg)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._image.devicePixelRatio() != self.devicePixelRatioF():
            self._rebuild()
        painter = QPainter(self)
        painter.fillRect(event.rect(), self.palette().window())
        origin = self._origin()
        # Copy only the part that changed (a stroke segment touches a few dozen pixels).
        target = QRectF(event.rect()).intersected(QRectF(origin.x(), origin.y(), self.side(), self.side()))
        dpr = self._image.devicePixelRatio()
        source = target.translated(-origin)
        source = QRectF(source.x() * dpr, source.y() * dpr, source.width() * dpr, source.height() * dpr)
        painter.drawImage(target, self._image, source)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        side = self.side()
        painter.drawRect(QRectF(origin.x(), origin.y(), side - 1, side - 1))
        painter.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._rebuild()
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._rebuild()
        super().changeEvent(event)

    # Mouse and stylus -----------------------------------------------------------------
    def _from_tablet(self, event) -> bool:
        """Mouse events Qt synthesises from a stylus must not draw a second time."""
        if self._tablet_down:
            return True
        device = event.pointingDevice()
        return device is not None and device.type() in _STYLUS_TYPES

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._from_tablet(event):
            event.accept()
            return
        button = event.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return super().mousePressEvent(event)
        erase = self._eraser or button == Qt.MouseButton.RightButton
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._begin(self.to_canvas(event.position()), None, erase)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._live is not None and not self._from_tablet(event):
            self._extend(self.to_canvas(event.position()), None)
            event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._live is not None and not self._from_tablet(event):
            self._extend(self.to_canvas(event.position()), None)
            self._end()
            event.accept()

    def tabletEvent(self, event) -> None:  # noqa: N802 - Qt API
        # Accepting the tablet event tells Qt not to synthesise mouse events from it; the
        # _tablet_down guard covers platforms that deliver them anyway.
        kind = event.type()
        pos = self.to_canvas(event.position())
        pressure = event.pressure()
        if kind == QEvent.Type.TabletPress:
            erase = self._eraser or event.pointerType() == QPointingDevice.PointerType.Eraser
            self._tablet_down = True
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._begin(pos, pressure, erase)
        elif kind == QEvent.Type.TabletMove and self._tablet_down:
            self._extend(pos, pressure)
        elif kind == QEvent.Type.TabletRelease and self._tablet_down:
            self._tablet_down = False
            self._end()
        event.accept()

    # Drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if _first_local_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        path = _first_local_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.fileDropped.emit(path)


_ERASER_CURSOR: QCursor | None = None


def eraser_cursor() -> QCursor:
    """A small eraser block (white with a dark outline), its hot spot at the centre."""
    global _ERASER_CURSOR
    if _ERASER_CURSOR is None:
        side = 24
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0), 1.5))
        painter.setBrush(QColor(255, 255, 255))
        painter.drawRoundedRect(QRectF(4.5, 4.5, side - 9, side - 9), 3, 3)
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(3.5, 3.5, side - 7, side - 7), 4, 4)
        painter.end()
        _ERASER_CURSOR = QCursor(pixmap, side // 2, side // 2)
    return _ERASER_CURSOR


def _first_local_file(mime) -> str | None:
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None


def _paint_segments(
    painter: QPainter,
    side: int,
    points: list[tuple[float, float]],
    pressures: list[float] | None,
    width: float,
    erase: bool,
    start: int,
    stop: int,
) -> QRectF:
    """Paint the stroke's points ``start..stop-1``: each as a round-capped segment from the
    point before (or a dot for a stroke's first point). Returns the area touched, in
    canvas logical pixels. The single painter shared by live drawing and re-rendering."""
    scale = side / REFERENCE_SIDE
    color = PAPER if erase else INK
    pen = QPen(color, 1.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    dirty = QRectF()
    for i in range(start, stop):
        pressure = 1.0 if pressures is None else max(pressures[i], MIN_PRESSURE)
        w = max(width * scale * pressure, 1.0)
        pen.setWidthF(w)
        painter.setPen(pen)
        x1, y1 = points[i][0] * side, points[i][1] * side
        x0, y0 = (points[i - 1][0] * side, points[i - 1][1] * side) if i > 0 else (x1, y1)
        if i == 0:
            painter.drawPoint(QPointF(x1, y1))
        else:
            painter.drawLine(QPointF(x0, y0), QPointF(x1, y1))
        pad = w / 2 + 2
        rect = QRectF(min(x0, x1) - pad, min(y0, y1) - pad, abs(x1 - x0) + 2 * pad, abs(y1 - y0) + 2 * pad)
        dirty = dirty.united(rect)
    return dirty

