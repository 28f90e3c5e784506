"""Render the real main window offscreen with a picture of a number opened; save it as a PNG.

    QT_QPA_PLATFORM=offscreen python tools/screenshot_picture.py [docs/number_picture.png]

The picture is made of handwritten MNIST digits of the shipped slice (resources/
mnist_slice.npz) side by side, four times their size, dark on white, saved as a PNG and
opened with File -> Open image... as a user would; then the mouse rests on the third
digit, so the chart and the preview show it. Settings are kept in a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from shots import hover_digit, offscreen_window, save_png

from digitpad.paths import resource_path

NUMBER = "2026"
SIZE = (940, 680)
GAP = 5  # blank columns between the digits' boxes, at 28 px a digit


def mnist_picture(indices, out: Path, gap: int, left: int, right: int = 0) -> str:
    """Test digits ``indices`` of the shipped MNIST slice side by side, each cropped to its
    ink's columns with ``gap`` blank columns after it (``left`` / ``right`` more at the
    ends), four times the size, dark on white, saved as a PNG at ``out``; their labels."""
    data = np.load(resource_path("mnist_slice.npz"))
    x, y = data["x_test"], data["y_test"]
    parts = [np.zeros((28, left), np.uint8)]
    for i in indices:
        cols = np.flatnonzero(x[i].max(axis=0) > 60)
        parts += [x[i][:, cols[0] : cols[-1] + 1], np.zeros((28, gap), np.uint8)]
    ink = np.concatenate(parts + [np.zeros((28, right), np.uint8)], axis=1)
    big = Image.fromarray(ink).resize((ink.shape[1] * 4, 112), Image.Resampling.BILINEAR)
    Image.fromarray(255 - np.asarray(big)).save(out)
    return "".join(str(int(y[i])) for i in indices)


def picture(text: str, out: Path) -> None:
    """The slice's first test digit of each character of ``text``, left to right."""
    y = np.load(resource_path("mnist_slice.npz"))["y_test"]
    used: list[int] = []
    for ch in text:
        used.append(next(k for k in range(len(y)) if y[k] == int(ch) and k not in used))
    mnist_picture(used, out, GAP, 8, 8)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/number_picture.png")
    with tempfile.TemporaryDirectory() as tmp, offscreen_window(SIZE) as (app, window):
        path = Path(tmp) / "number.png"
        picture(NUMBER, path)
        window.open_image(path)
        while window.draw_tab.picture_pending():  # the number is read on a worker thread
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()
        hover_digit(app, window, 2)
        save_png(window, out)
        text = window.draw_tab.number.text
    sys.stderr.write(f"wrote {out}: a picture of {NUMBER}, window reads {text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
