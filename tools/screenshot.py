"""Render the real main window offscreen with a drawn digit and save it as a PNG.

    QT_QPA_PLATFORM=offscreen python tools/screenshot.py [docs/screenshot.png]

The digit is a real pen trajectory (pendigits, a tuning writer from 1-30) replayed through
the canvas exactly as a mouse would draw it. Settings are kept in a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from digitpad.fileio import atomic_path
from digitpad.pendigits import load_pendigits
from digitpad.predictor import Predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.replay import replay
from digitpad.ui.settings import use_throwaway_settings

WRITER = 7
LABEL = 5
SIZE = (940, 680)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshot.png")
    app = QApplication.instance() or QApplication(["digitpad"])
    with tempfile.TemporaryDirectory() as tmp:
        use_throwaway_settings(tmp)
        window = MainWindow(Predictor.bundled(), persist=False)
        window.resize(*SIZE)
        window.show()
        app.processEvents()
        window.draw_tab.chart.build()  # built after the first frame; do not wait for it
        data = load_pendigits(writers=[WRITER])
        index = next(i for i, label in enumerate(data.labels) if label == LABEL)
        replay(window.canvas, data.strokes[index])
        app.processEvents()
        with atomic_path(out) as tmp_png:
            if not window.grab().save(str(tmp_png), "PNG"):
                raise SystemExit(f"could not write {out}")
        prediction = window.draw_tab.prediction
        window.close()
    sys.stderr.write(f"wrote {out}: drew a {LABEL}, window reads {prediction.digit} ({prediction.confidence:.1%})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
