"""Render the real main window offscreen with a number written on it; save it as a PNG.

    QT_QPA_PLATFORM=offscreen python tools/screenshot_number.py [docs/number.png]

The number is written with real pen digits of one writer (pendigits, a tuning writer from
1-30, never a measuring one), placed left to right as a person writes a year, replayed
through the canvas stroke by stroke as the mouse draws; then the mouse rests on the second
digit, so the chart and the preview show it. Needs the pen-digit file (see
tests/bench_numbers.py); settings are kept in a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from shots import hover_digit, offscreen_window, save_png

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_pendigits import PEN_FILE
from digitpad.pendigits import load_pendigits

WRITER = 7
NUMBER = "2026"
GAP = 0.22  # of the writer's median digit width
SIZE = (940, 680)
PEN_WIDTH = 9


def compose(data, text: str) -> list[np.ndarray]:
    """The writer's first sample of each digit, left to right on one baseline (y down)."""
    widths = [np.ptp(np.concatenate(s)[:, 0]) for s in data.strokes]
    gap = GAP * float(np.median(widths))
    out, x = [], 0.0
    used: set[int] = set()
    for ch in text:
        i = next(k for k, label in enumerate(data.labels) if label == int(ch) and k not in used)
        used.add(i)
        pts = np.concatenate(data.strokes[i])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        out += [np.column_stack([p[:, 0] - lo[0] + x, p[:, 1] - hi[1]]) for p in data.strokes[i]]
        x += hi[0] - lo[0] + gap
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/number.png")
    with offscreen_window(SIZE) as (app, window):
        canvas = window.canvas
        window.draw_tab.pen_width_box.setValue(PEN_WIDTH)  # four digits on one canvas: a finer pen
        strokes = compose(load_pendigits(PEN_FILE, writers=[WRITER]), NUMBER)
        pts = np.concatenate(strokes)
        side = canvas.side()
        scale = 0.86 * side / np.ptp(pts[:, 0])
        offset = np.array([0.07 * side, 0.5 * side]) - [pts[:, 0].min() * scale, pts[:, 1].mean() * scale]
        for s in strokes:
            canvas.replay_stroke(s * scale + offset)
        app.processEvents()
        hover_digit(app, window, 1)
        save_png(window, out)
        text = window.draw_tab.number.text
    sys.stderr.write(f"wrote {out}: wrote {NUMBER}, window reads {text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
