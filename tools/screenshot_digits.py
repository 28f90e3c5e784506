"""Render the My digits tab offscreen, with digits corrected on the real canvas, as a PNG.

    QT_QPA_PLATFORM=offscreen DIGITPAD_PEN_DATA=../shared/data python tools/screenshot_digits.py [docs/my-digits.png]

Real pen trajectories of a tuning writer (pendigits, writers 1-30) are replayed through the
canvas as a mouse would draw them, and each is stored with its digit key, as a user
confirming or correcting would. Settings and the data folder are temporary.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from shots import offscreen_window, save_png

from digitpad.pendigits import load_pendigits
from digitpad.ui.replay import replay

WRITER = 7
PER_CLASS = 4
SIZE = (940, 680)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/my-digits.png")
    with offscreen_window(SIZE, persist=True, data_dir=True) as (app, window):
        data = load_pendigits(writers=[WRITER])
        seen = [0] * 10
        for strokes, label in zip(data.strokes, data.labels):
            if seen[label] >= PER_CLASS:
                continue
            seen[label] += 1
            replay(window.canvas, strokes)
            window.canvas.setFocus()
            QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{label}"))
        window.tabs.setCurrentWidget(window.digits_tab)
        app.processEvents()
        save_png(window, out)
        count = window.digits_tab.store.count()
    sys.stderr.write(f"wrote {out}: {count} digits stored through the canvas\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
