"""Render the real window offscreen answering "not a digit" and "not sure", side by side.

    QT_QPA_PLATFORM=offscreen python tools/screenshot_states.py [docs/states.png]

Left: an X drawn in two strokes. Right: a one whose flag is as long as a seven's bar
(made-up strokes, no data file). Both are replayed through the canvas as a mouse would
draw them, with the bundled model. Settings are kept in a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage, QPainter
from shots import offscreen_window, save_png

from digitpad.ui.replay import replay

SIZE = (900, 560)
DRAWINGS = {
    "not_digit": [np.array([[0, 0], [100, 120]], np.float32), np.array([[100, 0], [0, 120]], np.float32)],
    "unsure": [np.array([[18, 14.2], [60, 0], [40, 120]], np.float32)],
}


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/states.png")
    shots, states = [], []
    with offscreen_window(SIZE) as (app, window):
        for strokes in DRAWINGS.values():
            window.canvas.clear()
            replay(window.canvas, strokes)
            app.processEvents()
            shots.append(window.grab().toImage())
            states.append(window.draw_tab.prediction.state)
    if states != list(DRAWINGS):
        raise SystemExit(f"expected the states {list(DRAWINGS)}, the window showed {states}")
    both = QImage(sum(s.width() for s in shots) + 12, max(s.height() for s in shots), QImage.Format.Format_RGB32)
    both.fill(0xFFFFFF)
    painter = QPainter(both)
    x = 0
    for shot in shots:
        painter.drawImage(x, 0, shot)
        x += shot.width() + 12
    painter.end()
    save_png(both, out)
    sys.stderr.write(f"wrote {out}: {', '.join(states)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
