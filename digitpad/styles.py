"""Writing styles the training data barely has, and shapes that are no digit at all.

Style synthesis adds strokes to real pen digits, as a writer of that style would:

- a slashed zero (Ø): a straight stroke across the loop, usually bottom-left to top-right;
- a one with a flag (the European 1), sometimes with a base serif;
- a crossed seven: a short bar across the stem at mid height;
- an open-top four: the left arm made upright, so the top does not close.

Scribbles are generated shapes that no one would read as a digit: zig-zags, hatching,
spirals, crosses, waves, stars, grids, dashes, circled crosses, tangled loops. They train the
"not a digit" output together with real letters and symbols.

Strokes are lists of (n, 2) float arrays, y down, any units (the canvas's rendering
normalises them). Pure numpy: no Qt, no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Strokes = list[np.ndarray]


def _bbox(strokes: Strokes) -> tuple[np.ndarray, np.ndarray]:
    allp = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
    return allp.min(axis=0), allp.max(axis=0)


def _line(a, b, n: int = 12) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (np.asarray(a, float) * (1 - t) + np.asarray(b, float) * t).astype(np.float32)


def _wobbly(p: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    return (p + rng.normal(0, amount, p.shape)).astype(np.float32)


def slash_zero(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    lo, hi = _bbox(strokes)
    w, h = hi - lo
    size = max(w, h) or 1.0
    over = rng.uniform(-0.05, 0.25, size=2)  # how far the slash reaches past the loop
    if rng.random() < 0.85:  # "/" direction: bottom-left to top-right
        a = (lo[0] - over[0] * w + rng.uniform(0, 0.2) * w, hi[1] + over[0] * h)
        b = (hi[0] + over[1] * w - rng.uniform(0, 0.2) * w, lo[1] - over[1] * h)
    else:
        a = (lo[0] - over[0] * w, lo[1] - over[0] * h)
        b = (hi[0] + over[1] * w, hi[1] + over[1] * h)
    slash = _wobbly(_line(a, b), rng, 0.01 * size)
    return [np.asarray(s, np.float32) for s in strokes] + [slash]


def flag_one(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    lo, hi = _bbox(strokes)
    h = (hi - lo)[1] or 1.0
    allp = np.concatenate(strokes)
    top = allp[np.argmin(allp[:, 1])]
    flag_len = rng.uniform(0.25, 0.55) * h
    angle = math.radians(rng.uniform(20, 60))  # below the horizontal, pointing left
    start = top + np.array([-math.cos(angle) * flag_len, math.sin(angle) * flag_len])
    out = [np.asarray(s, np.float32) for s in strokes]
    first = out[0]
    if np.hypot(*(first[0] - top)) < 0.15 * h:
        out[0] = np.concatenate([_line(start, first[0], 6)[:-1], first])  # one stroke, flag first
    else:
        out.append(_wobbly(_line(start, top, 6), rng, 0.005 * h))
    if rng.random() < 0.35:  # a base serif
        bottom = allp[np.argmax(allp[:, 1])]
        half = rng.uniform(0.15, 0.3) * h
        out.append(_wobbly(_line(bottom - (half, 0), bottom + (half, 0), 8), rng, 0.005 * h))
    return out


def cross_seven(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    lo, hi = _bbox(strokes)
    w, h = hi - lo
    y = lo[1] + rng.uniform(0.45, 0.62) * h
    allp = np.concatenate(strokes)
    near = allp[np.abs(allp[:, 1] - y) < 0.1 * h]
    x = float(np.median(near[:, 0])) if len(near) else (lo[0] + hi[0]) / 2
    half = rng.uniform(0.18, 0.32) * max(w, 0.6 * h)
    tilt = rng.uniform(-0.06, 0.06) * h
    bar = _wobbly(_line((x - half, y + tilt), (x + half, y - tilt), 8), rng, 0.005 * h)
    return [np.asarray(s, np.float32) for s in strokes] + [bar]


def open_four(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """Make the left arm of a four upright (its top no longer leans into the stem).
    ``None`` unless the first stroke is an arm going down-left to an elbow and then right."""
    out = [np.asarray(s, np.float32).copy() for s in strokes]
    first = out[0]
    lo, hi = _bbox(strokes)
    w, h = hi - lo
    if len(first) < 4:
        return None
    elbow = int(np.argmin(first[:, 0]))  # leftmost point: the corner
    arm = first[: elbow + 1]
    after = first[elbow:]
    arm_down_left = elbow > 0 and arm[0, 0] - arm[-1, 0] > 0.1 * w and arm[-1, 1] - arm[0, 1] > 0.2 * h
    goes_right = after[:, 0].max() - first[elbow, 0] > 0.3 * w
    if not (arm_down_left and goes_right):
        return None
    t = np.linspace(1.0, 0.0, len(arm))  # 1 at the top of the arm, 0 at the elbow
    lean = rng.uniform(0.0, 0.12) * (arm[-1, 1] - arm[0, 1])
    arm[:, 0] = arm[-1, 0] + t * lean
    first[: elbow + 1] = arm
    return out


STYLES: dict[int, Callable[[Strokes, np.random.Generator], Strokes | None]] = {
    0: slash_zero,
    1: flag_one,
    7: cross_seven,
    4: open_four,
}


def add_style(strokes: Strokes, label: int, rng: np.random.Generator) -> Strokes | None:
    """``strokes`` redrawn in a rarer style of ``label``, or ``None`` for other digits (and
    where the style does not apply to this drawing)."""
    fn = STYLES.get(int(label))
    return fn(strokes, rng) if fn else None


# ----------------------------------------------------------------------------- scribbles
def _zigzag(rng):
    n = rng.integers(5, 11)
    xs = np.linspace(0, 1, n) + rng.normal(0, 0.02, n)
    ys = np.where(np.arange(n) % 2 == 0, 0.0, rng.uniform(0.3, 1.0)) + rng.normal(0, 0.05, n)
    pts = np.stack([xs, ys], 1)
    if rng.random() < 0.5:
        pts = pts[:, ::-1]
    return [pts]


def _hatching(rng):
    n = rng.integers(3, 7)
    angle = rng.uniform(0, math.pi)
    d = np.array([math.cos(angle), math.sin(angle)])
    normal = np.array([-d[1], d[0]])
    out = []
    for i in range(n):
        c = normal * (i / (n - 1) - 0.5) + rng.normal(0, 0.03, 2)
        out.append(_line(c - d * 0.5, c + d * 0.5, 10))
    return out


def _spiral(rng):
    turns = rng.uniform(2.0, 4.0)
    t = np.linspace(0, 2 * math.pi * turns, 120)
    r = np.linspace(0.05, 0.5, t.size) * rng.uniform(0.8, 1.2)
    return [np.stack([r * np.cos(t), r * np.sin(t) * rng.uniform(0.6, 1.0)], 1)]


def _cross(rng):
    a = rng.uniform(0.3, 1.0)
    return [_line((0, 0), (1, a)), _line((1 - rng.uniform(0, 0.2), 0), (rng.uniform(0, 0.2), a))]


def _plus(rng):
    return [_line((0.5, 0), (0.5, 1)), _line((0, 0.5 + rng.normal(0, 0.05)), (1, 0.5))]


def _wave(rng):
    periods = rng.uniform(2.0, 4.0)
    x = np.linspace(0, 1, 80)
    return [np.stack([x, 0.12 * np.sin(2 * math.pi * periods * x + rng.uniform(0, 6))], 1)]


def _star(rng):
    n = rng.integers(3, 5)
    out = []
    for k in range(n):
        a = math.pi * k / n + rng.normal(0, 0.1)
        d = np.array([math.cos(a), math.sin(a)]) * 0.5
        out.append(_line(-d, d, 8))
    return out


def _grid(rng):
    return [
        _line((0.33, 0), (0.3, 1)),
        _line((0.66, 0), (0.63, 1)),
        _line((0, 0.33), (1, 0.36)),
        _line((0, 0.66), (1, 0.69)),
    ]


def _dash(rng):
    n = rng.integers(1, 3)  # a dash, or an equals sign
    return [_line((0, 0.4 * i), (1, 0.4 * i + rng.normal(0, 0.04)), 10) for i in range(n)]


def _circled_cross(rng):
    t = np.linspace(0, 2 * math.pi, 60)
    circle = np.stack([0.5 * np.cos(t), 0.5 * np.sin(t)], 1)
    return [circle, _line((-0.35, -0.35), (0.35, 0.35)), _line((-0.35, 0.35), (0.35, -0.35))]


def _tangle(rng):
    n = rng.integers(8, 16)
    pts = rng.uniform(0, 1, (n, 2))
    t = np.linspace(0, n - 1, n * 8)
    x = np.interp(t, np.arange(n), pts[:, 0])
    y = np.interp(t, np.arange(n), pts[:, 1])
    kernel = np.ones(5) / 5
    return [np.stack([np.convolve(x, kernel, "valid"), np.convolve(y, kernel, "valid")], 1)]


def _loops(rng):
    n = rng.uniform(3, 6)
    t = np.linspace(0, 2 * math.pi * n, 200)
    x = t / t[-1] + 0.12 * np.cos(t)
    y = 0.15 * np.sin(t)
    return [np.stack([x, y], 1)]


def _scratch(rng):
    n = rng.integers(6, 14)
    y = np.repeat(np.linspace(0, 1, n // 2 + 1), 2)[:n] + rng.normal(0, 0.02, n)
    x = np.where(np.arange(n) % 2 == 0, 0.0, 1.0) + rng.normal(0, 0.05, n)
    return [np.stack([x, y], 1)]


SCRIBBLES: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "zigzag": _zigzag,
    "hatching": _hatching,
    "spiral": _spiral,
    "cross": _cross,
    "plus": _plus,
    "wave": _wave,
    "star": _star,
    "grid": _grid,
    "dash": _dash,
    "circled_cross": _circled_cross,
    "tangle": _tangle,
    "loops": _loops,
    "scratch": _scratch,
}


def scribble(rng: np.random.Generator, kind: str | None = None) -> Strokes:
    """One generated non-digit, randomly rotated, stretched and jittered."""
    kind = kind or str(rng.choice(sorted(SCRIBBLES)))
    parts = [np.asarray(p, np.float64) for p in SCRIBBLES[kind](rng)]
    angle = rng.uniform(-0.35, 0.35) if kind in ("dash", "wave", "loops") else rng.uniform(-math.pi, math.pi)
    c, s = math.cos(angle), math.sin(angle)
    m = np.array([[c, -s], [s, c]]) @ np.diag([1.0, rng.uniform(0.7, 1.3)])
    return [((p @ m.T) + rng.normal(0, 0.006, p.shape)).astype(np.float32) for p in parts]


# ----------------------------------------------------------------------------- detection
def is_slashed_zero(strokes: Strokes) -> bool:
    """Whether a drawing of a zero carries a slash: one of two or more strokes is nearly
    straight (chord / path > 0.9), at least half the drawing's size long, diagonal
    (20-80 degrees off the horizontal) and passes within a fifth of the size of the centre.
    Used to measure how slashed zeros are read."""
    if len(strokes) < 2:
        return False
    allp = np.concatenate(strokes)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    size = float(max(hi - lo)) or 1.0
    centre = (lo + hi) / 2
    for s in strokes:
        s = np.asarray(s, np.float64)
        if len(s) < 2:
            continue
        d = s[-1] - s[0]
        chord = float(np.hypot(*d))
        path = float(np.hypot(*np.diff(s, axis=0).T).sum())
        if chord < 0.5 * size or chord < 0.9 * path:
            continue
        angle = abs(math.degrees(math.atan2(d[1], d[0]))) % 180
        if not (20 < angle < 80 or 100 < angle < 160):
            continue
        u = d / chord
        w = centre - s[0]
        if abs(w[0] * u[1] - w[1] * u[0]) < 0.2 * size:
            return True
    return False
