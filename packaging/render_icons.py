"""Render ``resources/icon.svg`` to ``resources/icon-SIZE.png`` at the usual sizes.

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

Re-run after editing the SVG; the PNGs are committed so the app needs no SVG renderer
to show its icon.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from digitpad.fileio import atomic_write_bytes

SIZES = (16, 24, 32, 48, 64, 128, 256)
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def render(svg: Path, size: int) -> bytes:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> None:
    _app = QGuiApplication([])  # noqa: F841 - QImage/QPainter need a GUI application
    for size in SIZES:
        atomic_write_bytes(RESOURCES / f"icon-{size}.png", render(RESOURCES / "icon.svg", size))


if __name__ == "__main__":
    main()
