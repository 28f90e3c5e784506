"""Render ``resources/icon.svg`` to every icon the app and its bundles use:

- ``resources/icon-SIZE.png`` at the usual sizes (the window icon, the Linux desktop icons),
- ``packaging/icon.ico`` (Windows executable: 16-256 px),
- ``packaging/icon.icns`` (macOS .app bundle: up to 1024 px, Retina sizes included).

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

Re-run after editing the SVG; the results are committed, so neither the app nor a bundle
build needs an SVG renderer.  Every size is rendered from the SVG, not scaled from another
bitmap; Pillow only packs them into .ico and .icns.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from digitpad.fileio import atomic_write_bytes

SIZES = (16, 24, 32, 48, 64, 128, 256)  # committed PNGs and the .ico
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # what an .icns holds (@1x and @2x)
ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
ICO = ROOT / "packaging" / "icon.ico"
ICNS = ROOT / "packaging" / "icon.icns"


def render(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels, as PNG bytes (needs a QGuiApplication)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

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


def _images(pngs: dict[int, bytes], sizes: tuple[int, ...]) -> list[Image.Image]:
    missing = [size for size in sizes if size not in pngs]
    if missing:
        raise ValueError(f"no rendering at {missing} px")
    images = [Image.open(io.BytesIO(pngs[size])).convert("RGBA") for size in sorted(sizes, reverse=True)]
    for image, size in zip(images, sorted(sizes, reverse=True), strict=True):
        if image.size != (size, size):
            raise ValueError(f"the {size} px rendering is {image.size[0]}x{image.size[1]}")
    return images


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding each of :data:`SIZES` as its own bitmap."""
    largest, *others = _images(pngs, SIZES)
    out = io.BytesIO()
    largest.save(out, format="ICO", sizes=[(s, s) for s in SIZES], append_images=others)
    return out.getvalue()


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding each of :data:`ICNS_SIZES` as its own bitmap."""
    largest, *others = _images(pngs, ICNS_SIZES)
    out = io.BytesIO()
    largest.save(out, format="ICNS", append_images=others)
    return out.getvalue()


def main() -> None:
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])  # QImage/QPainter need a GUI application
    svg = RESOURCES / "icon.svg"
    pngs = {size: render(svg, size) for size in sorted(set(SIZES) | set(ICNS_SIZES))}
    for size in SIZES:
        atomic_write_bytes(RESOURCES / f"icon-{size}.png", pngs[size])
    atomic_write_bytes(ICO, ico_bytes(pngs))
    atomic_write_bytes(ICNS, icns_bytes(pngs))


if __name__ == "__main__":
    main()
