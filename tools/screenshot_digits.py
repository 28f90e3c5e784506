"""Render the My digits tab offscreen, with digits corrected on the real canvas, as a PNG.

    QT_QPA_PLATFORM=offscreen DIGITPAD_PEN_DATA=../shared/data python tools/screenshot_digits.py [docs/my-digits.png]

Real pen trajectories of a tuning writer (pendigits, writers 1-30) are replayed through the
canvas as a mouse would draw them, and each is stored with its digit key, as a user
confirming or correcting would. Settings and the data folder are temporary.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from digitpad.fileio import atomic_path
from digitpad.pendigits import load_pendigits
from digitpad.predictor import Predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.replay import replay
from digitpad.ui.settings import use_throwaway_settings

WRITER = 7
PER_CLASS = 4
SIZE = (940, 680)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/my-digits.png")
    app = QApplication.instance() or QApplication(["digitpad"])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DIGITPAD_DATA_DIR"] = str(Path(tmp) / "data")
        use_throwaway_settings(tmp)
        window = MainWindow(Predictor.bundled())
        window.resize(*SIZE)
        window.show()
        app.processEvents()
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
        with atomic_path(out) as tmp_png:
            if not window.grab().save(str(tmp_png), "PNG"):
                raise SystemExit(f"could not write {out}")
        count = window.digits_tab.store.count()
        window.close()
    sys.stderr.write(f"wrote {out}: {count} digits stored through the canvas\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
