"""What the screenshot tools share: the real main window, offscreen, with throwaway settings
(and optionally a throwaway data folder), and PNGs written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from digitpad.fileio import atomic_path
from digitpad.predictor import Predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import use_throwaway_settings


@contextlib.contextmanager
def offscreen_window(size: tuple[int, int], persist: bool = False, data_dir: bool = False) -> Iterator[tuple]:
    """``(app, window)``: the window with the bundled model, shown at ``size``, its charts built."""
    app = QApplication.instance() or QApplication(["digitpad"])
    with tempfile.TemporaryDirectory() as tmp:
        if data_dir:
            os.environ["DIGITPAD_DATA_DIR"] = str(Path(tmp) / "data")
        use_throwaway_settings(tmp)
        window = MainWindow(Predictor.bundled(), persist=persist)
        window.resize(*size)
        window.show()
        app.processEvents()
        window.draw_tab.chart.build()  # built after the first frame; do not wait for it
        try:
            yield app, window
        finally:
            window.close()


def save_png(picture, out: str | os.PathLike) -> None:
    """Write a QImage, or a grab of a widget, to ``out`` atomically."""
    image = picture.grab() if hasattr(picture, "grab") else picture
    with atomic_path(out) as tmp_png:
        if not image.save(str(tmp_png), "PNG"):
            raise SystemExit(f"could not write {out}")


def hover_digit(app, window, index: int) -> None:
    """Rest the mouse (no button) on the centre of digit ``index`` of the number on the
    canvas, so the chart and the preview show it."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtTest import QTest

    canvas = window.canvas
    x0, y0, x1, y1 = window.draw_tab.number.digits[index].box
    origin = -canvas.to_canvas(QPointF(0, 0))
    QTest.mouseMove(canvas, QPoint(round((x0 + x1) / 2 + origin.x()), round((y0 + y1) / 2 + origin.y())))
    app.processEvents()
