"""The drawing canvas with real Qt events (offscreen): mouse, stylus, erasing, history."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.ui.canvas import DEFAULT_PEN_WIDTH


def drag(canvas, points, button=Qt.MouseButton.LeftButton):
    """A real mouse stroke: press at the first point, move through the rest, release."""
    pts = [QPoint(int(x), int(y)) for x, y in points]
    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, pts[-1])


def ink(canvas) -> int:
    return int(canvas.ink_array().astype(np.int64).sum())


def test_new_canvas_is_blank_and_square(canvas):
    assert canvas.is_blank()
    assert ink(canvas) == 0
    img = canvas.image()
    assert img.width() == img.height() == round(canvas.side() * canvas.devicePixelRatioF())
    assert canvas.pen_width() == DEFAULT_PEN_WIDTH


def test_mouse_stroke_draws_and_is_kept_as_points(canvas):
    drag(canvas, [(60, 60), (120, 120), (200, 140)])
    assert ink(canvas) > 0
    assert len(canvas.strokes()) == 1
    stroke = canvas.strokes()[0]
    assert stroke.points.shape == (3, 2)
    np.testing.assert_allclose(stroke.points[0] * canvas.side(), (60, 60))


def test_fast_stroke_is_continuous(canvas):
    # One move event across the canvas: the segment between samples must be inked.
    drag(canvas, [(30, 140), (250, 140)])
    row = canvas.ink_array()[140]
    assert (row[40:240] > 200).all()
    assert row[5] == 0


def test_right_button_and_eraser_toggle_erase(canvas):
    drag(canvas, [(40, 140), (240, 140)])
    assert canvas.ink_array()[140, 100] > 200
    drag(canvas, [(100, 100), (100, 180)], button=Qt.MouseButton.RightButton)
    assert canvas.ink_array()[140, 100] == 0
    canvas.set_eraser(True)
    drag(canvas, [(180, 100), (180, 180)])
    assert canvas.ink_array()[140, 180] == 0
    assert canvas.ink_array()[140, 140] > 200
    assert [s.erase for s in canvas.strokes()] == [False, True, True]


def test_undo_redo_clear(canvas):
    drag(canvas, [(50, 50), (100, 100)])
    one = canvas.ink_array().copy()
    drag(canvas, [(150, 200), (220, 220)])
    two = canvas.ink_array().copy()
    assert canvas.can_undo() and not canvas.can_redo()
    canvas.undo()
    np.testing.assert_array_equal(canvas.ink_array(), one)
    canvas.redo()
    np.testing.assert_array_equal(canvas.ink_array(), two)
    canvas.clear()
    assert canvas.is_blank() and ink(canvas) == 0
    canvas.undo()  # clearing can be undone
    np.testing.assert_array_equal(canvas.ink_array(), two)
    canvas.undo()
    canvas.undo()
    assert canvas.is_blank() and not canvas.can_undo()
    drag(canvas, [(10, 10), (40, 40)])  # a new stroke drops the redo branch
    assert not canvas.can_redo()


def test_replay_draws_exactly_like_the_mouse(qtbot, canvas):
    points = [(60, 200), (100, 80), (140, 60), (200, 190)]
    drag(canvas, points)
    by_mouse = canvas.ink_array().copy()
    canvas.clear()
    canvas.replay_stroke(points)
    np.testing.assert_array_equal(canvas.ink_array(), by_mouse)


def test_resize_rerenders_strokes_at_the_new_size(canvas):
    canvas.replay_stroke([(70, 70), (210, 210)])
    canvas.resize(560, 560)
    QApplication.processEvents()
    a = canvas.ink_array()
    assert a.shape[0] == round(560 * canvas.devicePixelRatioF())
    ys, xs = np.nonzero(a > 128)
    dpr = canvas.devicePixelRatioF()
    # The diagonal now spans 140..420 logical pixels (pen scaled too).
    assert xs.min() / dpr < 150 and xs.max() / dpr > 410


def test_pen_width_setting_changes_stroke_width(canvas):
    canvas.set_pen_width(6)
    canvas.replay_stroke([(40, 100), (240, 100)])
    thin = ink(canvas)
    canvas.clear()
    canvas.set_pen_width(30)
    canvas.replay_stroke([(40, 100), (240, 100)])
    assert ink(canvas) > 3 * thin


def _stylus() -> QPointingDevice:
    return QPointingDevice(
        "test stylus", 4242, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3,
    )


def _tablet(canvas, kind, pos, pressure, device):
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    event = QTabletEvent(
        kind, device, QPointF(*pos), QPointF(canvas.mapToGlobal(QPoint(*pos))), pressure,
        0.0, 0.0, 0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, buttons,
    )
    QApplication.sendEvent(canvas, event)
    return event


def _tablet_stroke(canvas, points, pressure, device, also_mouse=False):
    _tablet(canvas, QEvent.Type.TabletPress, points[0], pressure, device)
    if also_mouse:  # what Qt sends when it synthesises mouse events from the stylus
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0]))
    for p in points[1:]:
        _tablet(canvas, QEvent.Type.TabletMove, p, pressure, device)
        if also_mouse:
            QTest.mouseMove(canvas, QPoint(p[0] + 30, p[1] + 30))
    _tablet(canvas, QEvent.Type.TabletRelease, points[-1], pressure, device)
    if also_mouse:
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1]))


def test_tablet_pressure_sets_the_width(canvas):
    device = _stylus()
    points = [(40, 140), (140, 140), (240, 140)]
    event = _tablet(canvas, QEvent.Type.TabletPress, points[0], 0.3, device)
    assert event.isAccepted()  # accepted: Qt does not synthesise mouse events from it
    for p in points[1:]:
        _tablet(canvas, QEvent.Type.TabletMove, p, 0.3, device)
    _tablet(canvas, QEvent.Type.TabletRelease, points[-1], 0.3, device)
    light = ink(canvas)
    assert len(canvas.strokes()) == 1
    np.testing.assert_allclose(canvas.strokes()[0].pressures, 0.3, atol=1e-6)
    canvas.clear()
    _tablet_stroke(canvas, points, 1.0, device)
    assert ink(canvas) > 2 * light


def test_tablet_does_not_double_draw_synthesised_mouse_events(canvas):
    device = _stylus()
    points = [(40, 100), (120, 160), (220, 120)]
    _tablet_stroke(canvas, points, 0.8, device)
    alone = canvas.ink_array().copy()
    canvas.clear()
    _tablet_stroke(canvas, points, 0.8, device, also_mouse=True)
    assert len(canvas.strokes()) == 1
    np.testing.assert_array_equal(canvas.ink_array(), alone)


def test_dropping_a_file_asks_to_open_it(qtbot, canvas, tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(b"not really")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(canvas.fileDropped) as blocker:
        canvas.dropEvent(event)
    assert blocker.args == [str(path)]
