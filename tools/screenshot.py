"""Render the real main window offscreen with a drawn digit and save it as a PNG.

    QT_QPA_PLATFORM=offscreen python tools/screenshot.py [docs/screenshot.png]

The digit is a real pen trajectory (pendigits, a tuning writer from 1-30) replayed through
the canvas exactly as a mouse would draw it. Settings are kept in a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shots import offscreen_window, save_png

from digitpad.pendigits import load_pendigits
from digitpad.ui.replay import replay

WRITER = 7
LABEL = 5
SIZE = (940, 680)


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshot.png")
    with offscreen_window(SIZE) as (app, window):
        data = load_pendigits(writers=[WRITER])
        index = next(i for i, label in enumerate(data.labels) if label == LABEL)
        replay(window.canvas, data.strokes[index])
        app.processEvents()
        save_png(window, out)
        prediction = window.draw_tab.prediction
    sys.stderr.write(f"wrote {out}: drew a {LABEL}, window reads {prediction.digit} ({prediction.confidence:.1%})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
