"""Numbers, not just digits: strokes (or an image's ink) grouped into digits, each read.

A number is written left to right on one line, so its digits share a height and a
baseline. Grouping strokes into digits:

1. **Sure groups**: strokes whose horizontal overlap, divided by the narrower one's width
   (floored at NARROW_FLOOR of the writing's height, so a thin "1" is not swallowed by a
   neighbour it touches), reaches MERGE_SURE are one digit: a five's top bar, most fours'
   second strokes, a seven's crossbar sit over their digit's body whatever order they
   were drawn in.
2. **Best grouping**: the sure groups, left to right, are cut into runs of 1-3 neighbours.
   Each candidate run gets a score, linear in what it looks like (too short for a digit,
   off the baseline, too wide, gaps between its parts; for strokes also how far its
   parts' ink is from touching and whether another digit's stroke was written between
   its strokes) and in the model's log-confidence in it read as one digit; the grouping
   with the highest total wins (dynamic programming). A run is only shown to the model
   when, read with full confidence, it could beat its parts read alone, so a number
   costs little more than its digits.
   The weights were fitted on pendigits writers 1-30 only (tools/tune_numbers.py);
   writers 31-44 only measure (tests/bench_numbers.py).

Images: the connected components of the ink are grouped by the same scores; a group wide
enough to hold two touching digits may be cut along top-to-bottom paths through the
least ink (each near a column; paths that part the ink alike kept once): every piece
between two candidate paths is scored as a digit (geometry, the model's confidence and a
small verifier's judgement of whether the piece is exactly one whole digit, with weights
of their own, CUT_WEIGHTS), and the same dynamic programming picks the pieces, each cut
paying for the ink it crosses.

Pure numpy (the verifier too): no Qt, no TensorFlow. Works with any Predictor (10 or 11 outputs): a group the
model calls "not a digit" reads as "?" in place.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image

from digitpad import inkstrokes
from digitpad.predictor import EMPTY, NOT_DIGIT, Prediction
from digitpad.preprocessing import (
    BBOX_THRESHOLD,
    BOX,
    MIN_INK_MASS,
    _reduce,
    _validate,
    center_of_mass_frame,
    to_ink,
)
from digitpad.strokes import render_strokes

# Horizontal overlap / narrower width at or above which two groups are one digit, and at
# or below which they are two (tuned on pendigits writers 1-30).
MERGE_SURE = 0.5
# ... unless their ink votes for digit centres this many writing heights apart (see DigitCentres).
CENTRE_APART = 0.15
# Neighbours further apart than this (in writing heights) are two digits, surely.
SPLIT_GAP = 0.3
# Widths are floored at this fraction of the writing's height before dividing, so a nearly
# vertical stroke (a "1") overlapping a neighbour by a few units is not "all overlap".
NARROW_FLOOR = 0.35
# Weights of a candidate group's score (see group_features; images, whose ink components
# have no time order, use the first eight), fitted on pendigits writers 1-30 by
# tools/tune_numbers.py (an averaged structured perceptron), with the bundled model's
# confidences: refit them when the bundled model changes.
GROUP_WEIGHTS = np.array([-0.568, -0.566, -2.013, -0.996, -1.092, 0.245, 1.000, 0.877])
# The same for strokes, which also know the order they were written in and whether their
# ink touches (the last two features), fitted by tools/tune_numbers.py on pendigits
# writers 1-30 whose digits were each slanted, turned and stretched a little: the model
# knows these writers' own digits too well to show how much to trust it on a new hand.
STROKE_WEIGHTS = np.array([-3.952, -1.092, -10.175, -4.511, -3.872, 0.384, 1.000, 3.241, -1.377, -2.231])
# How far apart (in writing heights) a group's parts may be before it stops mattering more.
APART_CAP = 0.5
# A digit is made of at most this many sure-groups.
MAX_PARTS = 3
# The model's log-confidence counts down to this (a hopeless reading is hopeless enough).
MAX_PENALTY = 8.0
# Ink components whose box is smaller than this fraction of the writing's height in both
# directions are specks (dust, a dot of noise) and join their nearest neighbour.
SPECK = 0.08

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (y down)
Vectorise = Callable[[tuple[int, ...]], "np.ndarray | None"]


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number: which strokes (or ink components) it is made of, its box
    (x0, y0, x1, y1, y down, in the input's units), the model input and the prediction."""

    members: tuple[int, ...]
    box: Box
    prediction: Prediction
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def char(self) -> str:
        """The digit as text; "?" when it is not a digit (or nothing)."""
        p = self.prediction
        if p.state in (NOT_DIGIT, EMPTY) or p.best is None:
            return "?"
        return str(p.digit if p.digit is not None else p.best)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin

    def to_json(self) -> dict[str, Any]:
        return {"box": [round(float(v), 2) for v in self.box], **self.prediction.to_json()}


@dataclass(frozen=True)
class NumberReading:
    """The digits of a number, left to right."""

    digits: tuple[DigitReading, ...] = ()

    @property
    def text(self) -> str:
        return "".join(d.char for d in self.digits)

    @property
    def box(self) -> np.ndarray:
        """The box (x0, y0, x1, y1) around all the digits; the reading must not be empty."""
        return _union(np.array([d.box for d in self.digits], np.float64), range(len(self.digits)))

    def __len__(self) -> int:
        return len(self.digits)

    def digit_at(self, x: float, y: float, margin: float = 0.0) -> int | None:
        """Index of the digit whose box holds (x, y) (the nearest centre if boxes overlap)."""
        hits = [i for i, d in enumerate(self.digits) if d.contains(x, y, margin)]
        if not hits:
            return None

        def dist(i: int) -> float:
            x0, y0, x1, y1 = self.digits[i].box
            return math.hypot(x - (x0 + x1) / 2, y - (y0 + y1) / 2)

        return min(hits, key=dist)

    def digit_of_member(self, member: int) -> int | None:
        for i, d in enumerate(self.digits):
            if member in d.members:
                return i
        return None

    def to_json(self) -> dict[str, Any]:
        return {"number": self.text, "digits": [d.to_json() for d in self.digits]}


# --------------------------------------------------------------------------- geometry


def boxes_of(strokes: Sequence[ArrayLike]) -> np.ndarray:
    """(n, 4) boxes x0, y0, x1, y1 of each stroke."""
    out = np.zeros((len(strokes), 4))
    for i, s in enumerate(strokes):
        a = np.asarray(s, np.float64).reshape(-1, 2)
        out[i] = (*a.min(axis=0), *a.max(axis=0))
    return out


def _union(boxes: np.ndarray, members: Sequence[int]) -> np.ndarray:
    b = boxes[list(members)]
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


def overlap_ratio(a: np.ndarray, b: np.ndarray, floor: float) -> float:
    """Horizontal overlap of boxes ``a`` and ``b`` divided by the narrower width (floored
    at ``floor``); negative for a gap."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    narrow = max(min(a[2] - a[0], b[2] - b[0]), floor, 1e-9)
    return float(overlap / narrow)


def writing_height(boxes: np.ndarray) -> float:
    """The scale of the writing: the tallest stroke (a digit's body; bars are shorter)."""
    if len(boxes) == 0:
        return 0.0
    return float(max((boxes[:, 3] - boxes[:, 1]).max(), (boxes[:, 2] - boxes[:, 0]).max() * 0.25, 1e-9))


def reference(boxes: np.ndarray, groups: Sequence[Sequence[int]] = ()) -> tuple[float, float]:
    """The writing's height and baseline: a number is one line, so the height of all the
    ink together and its bottom (a four's parts, stacked, are together as tall as a digit)."""
    height = max(float(boxes[:, 3].max() - boxes[:, 1].min()), 1e-9)
    return height, float(boxes[:, 3].max())


def _point_segment(p: np.ndarray, s0: np.ndarray, d: np.ndarray) -> float:
    """The least distance from points ``p`` to the segments s0[k] + t d[k], t in [0, 1]."""
    rel = p[:, None, :] - s0[None]
    t = np.clip((rel * d[None]).sum(axis=2) / np.maximum((d * d).sum(axis=1), 1e-12), 0, 1)
    return float(np.sqrt(((rel - t[..., None] * d[None]) ** 2).sum(axis=2).min()))


def stroke_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The least distance between two polylines (0 where they cross)."""
    a0, da = (a[:-1], np.diff(a, axis=0)) if len(a) > 1 else (a, np.zeros_like(a))
    b0, db = (b[:-1], np.diff(b, axis=0)) if len(b) > 1 else (b, np.zeros_like(b))
    # Segments cross when each one's ends lie on both sides of the other.
    rel = b0[None] - a0[:, None]  # (A, B, 2)
    o1 = da[:, None, 0] * rel[..., 1] - da[:, None, 1] * rel[..., 0]
    o2 = o1 + da[:, None, 0] * db[None, :, 1] - da[:, None, 1] * db[None, :, 0]
    o3 = db[None, :, 0] * rel[..., 1] - db[None, :, 1] * rel[..., 0]
    o4 = o3 - (db[None, :, 0] * da[:, None, 1] - db[None, :, 1] * da[:, None, 0])
    if ((o1 * o2 < 0) & (o3 * o4 < 0)).any():
        return 0.0
    return min(_point_segment(a, b0, db), _point_segment(b, a0, da))


def _thin(stroke: np.ndarray, most: int = 24) -> np.ndarray:
    """At most about ``most`` of a stroke's points, evenly spread, its ends kept (a pen's
    path is smooth: its distances hardly change, and they cost far less)."""
    if len(stroke) <= most:
        return stroke
    step = -(-len(stroke) // most)
    return np.vstack([stroke[::step], stroke[-1:]])


class StrokeDistances:
    """Least distances between strokes, each pair computed once when first asked; pairs
    whose boxes are ``far`` apart or more get the distance between their boxes (a lower
    bound, which is all a capped feature needs)."""

    def __init__(self, strokes: Sequence[np.ndarray], far: float = math.inf):
        self._strokes = [_thin(np.asarray(s, np.float64).reshape(-1, 2)) for s in strokes]
        self._boxes = boxes_of(self._strokes) if self._strokes else np.zeros((0, 4))
        self._far = far
        self._known: dict[tuple[int, int], float] = {}

    def __call__(self, i: int, j: int) -> float:
        key = (min(i, j), max(i, j))
        if key not in self._known:
            a, b = self._boxes[key[0]], self._boxes[key[1]]
            dx = max(a[0] - b[2], b[0] - a[2], 0.0)
            dy = max(a[1] - b[3], b[1] - a[3], 0.0)
            gap = math.hypot(dx, dy)
            self._known[key] = gap if gap >= self._far else stroke_distance(
                self._strokes[key[0]], self._strokes[key[1]])
        return self._known[key]


def group_features(
    boxes: np.ndarray, parts: Sequence[Sequence[int]], height: float, baseline: float, logconf: float,
    ordered: bool = False, distance: Callable[[int, int], float] | None = None,
) -> np.ndarray:
    """What says whether ``parts`` (neighbouring sure-groups) together are one digit: its
    height short of a digit's, how far its bottom is from the baseline, its width beyond a
    digit's (in writing heights), the largest gap between its parts (negative: overlap),
    whether it has several parts, the model's log-confidence in it and, when the members
    are ``ordered`` in time (strokes, not ink components), whether another digit's stroke
    was written between two of its strokes (a digit's strokes are usually written one
    after the other; a stroke returning to an earlier digit pays this once) and, given the
    least ``distance`` between two members' ink, how far the loneliest part is from the
    rest (a digit's strokes touch: a four's cross, a five's bar on its body)."""
    members = [m for p in parts for m in p]
    u = _union(boxes, members)
    gap = apart = 0.0
    if len(parts) > 1:
        ub = [_union(boxes, p) for p in parts]
        gap = max(max(ub[k + 1][0] - ub[k][2] for k in range(len(ub) - 1)) / height, -0.5)
        if distance is not None:
            apart = min(max(min(distance(i, j) for q in parts if q is not p for i in p for j in q)
                            for p in parts) / height, APART_CAP)
    return np.array([
        max(0.0, 0.75 - (u[3] - u[1]) / height),  # too short for a digit
        max(0.0, 0.6 - (u[3] - u[1]) / height),  # far too short
        min(abs(u[3] - baseline) / height, 0.6),  # off the baseline
        max(0.0, min((u[2] - u[0]) / height, 3.0) - 0.8),  # too wide for one digit
        gap,
        float(len(parts) > 1),
        max(logconf, -MAX_PENALTY),
        1.0,
        float(ordered and max(members) - min(members) + 1 > len(members)),  # interleaved in time
        apart,  # the loneliest part's distance to the rest
    ])


LOGCONF = 6  # index of the model's log-confidence in group_features
INTERLEAVED = 8  # index of "another digit's stroke was written between its strokes"


def digit_score(features: np.ndarray, weights: np.ndarray | None = None) -> float:
    """How much a grouping gains by taking these parts as one digit (linear in
    :func:`group_features`, by default with GROUP_WEIGHTS); the best grouping has the
    highest sum over its groups."""
    w = GROUP_WEIGHTS if weights is None else weights
    return float(np.dot(w, features[: len(w)]))


def sure_groups(boxes: np.ndarray, height: float | None = None,
                votes: tuple[np.ndarray, np.ndarray] | None = None) -> list[list[int]]:
    """Groups of members that certainly belong together (overlap >= MERGE_SURE), sorted
    left to right by their centres; each group's members in input order. ``votes``: per
    member, the digit centre its ink votes for and its ink's mass (see :class:`DigitCentres`);
    two groups whose votes (mass-weighted means) lie CENTRE_APART writing heights apart or
    more are never surely one digit, however much they overlap."""
    n = len(boxes)
    if n == 0:
        return []
    height = writing_height(boxes) if height is None else height
    floor = NARROW_FLOOR * height
    groups = [[i] for i in range(n)]

    def vote(g: list[int]) -> float:
        centre, mass = votes[0][g], votes[1][g]  # type: ignore[index]
        return float((centre * mass).sum() / max(float(mass.sum()), 1e-9))

    merged = True
    while merged and len(groups) > 1:
        merged = False
        ub = [_union(boxes, g) for g in groups]
        gv = [vote(g) for g in groups] if votes is not None else None
        best, pair = MERGE_SURE, None
        for i, j in itertools.combinations(range(len(groups)), 2):
            r = overlap_ratio(ub[i], ub[j], floor)
            if gv is not None and abs(gv[i] - gv[j]) >= CENTRE_APART * height:
                continue
            if r >= best:
                best, pair = r, (i, j)
        if pair is not None:
            i, j = pair
            groups[i] = sorted(groups[i] + groups[j])
            del groups[j]
            merged = True
    return _left_to_right(boxes, groups)


def _left_to_right(boxes: np.ndarray, groups: list[list[int]]) -> list[list[int]]:
    def centre(g: list[int]) -> float:
        u = _union(boxes, g)
        return (u[0] + u[2]) / 2

    return sorted(groups, key=centre)


def candidate_runs(boxes: np.ndarray, groups: Sequence[Sequence[int]], height: float) -> list[tuple[int, int]]:
    """Runs groups[i:j] of up to MAX_PARTS neighbours with no wide gap inside."""
    ub = [_union(boxes, g) for g in groups]
    runs = []
    for i in range(len(groups)):
        for j in range(i + 1, min(len(groups), i + MAX_PARTS) + 1):
            if j - i > 1 and ub[j - 1][0] - max(u[2] for u in ub[i : j - 1]) >= SPLIT_GAP * height:
                break
            runs.append((i, j))
    return runs


def group(
    boxes: np.ndarray,
    score: Callable[[list[tuple[int, ...]]], list[float]] | None = None,
    height: float | None = None,
    ordered: bool = False,
    distance: Callable[[int, int], float] | None = None,
    weights: np.ndarray | None = None,
    votes: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[int, ...]]:
    """Group members (strokes or ink components, given by their boxes) into digits, left
    to right. ``score(groups)`` returns the model's log-confidence of each candidate group;
    without it, the choice rests on geometry alone. ``ordered``: the members are in the
    order they were written (strokes), which the scores then use; ``distance(i, j)`` the
    least distance between two members' ink (see :class:`StrokeDistances`); ``weights``
    those of :func:`digit_score` (GROUP_WEIGHTS; strokes use STROKE_WEIGHTS); ``votes``
    see :func:`sure_groups`.

    The sure-groups (see :func:`sure_groups`), left to right, are cut into runs of up to
    MAX_PARTS neighbours; the best cut maximises the sum of log P(one digit) of its runs
    (dynamic programming) of its runs' scores (:func:`digit_score`)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    groups = [tuple(g) for g in sure_groups(boxes, height, votes)]
    if len(groups) <= 1:
        return groups
    h, baseline = reference(boxes, groups)
    height = h if height is None else height
    n = len(groups)
    runs = candidate_runs(boxes, groups, height)
    geometry = {r: group_features(boxes, groups[r[0] : r[1]], height, baseline, 0.0, ordered, distance)
                for r in runs}
    members = {r: tuple(sorted(m for g in groups[r[0] : r[1]] for m in g)) for r in runs}
    value: dict[tuple[int, int], float] = {}

    def evaluate(todo: list[tuple[int, int]]) -> None:
        confs = score([members[r] for r in todo]) if score is not None else [0.0] * len(todo)
        for r, v in zip(todo, confs):
            f = geometry[r].copy()
            f[LOGCONF] = max(v, -MAX_PENALTY)
            value[r] = digit_score(f, weights)

    # Each sure-group alone first; a run of several is shown to the model only when, even
    # read with full confidence, it could beat its parts read alone (the model's
    # log-confidence is at most 0, so this prunes nothing the search would choose).
    evaluate([r for r in runs if r[1] - r[0] == 1])
    evaluate([
        r for r in runs
        if r[1] - r[0] > 1 and digit_score(geometry[r], weights) > sum(value[(k, k + 1)] for k in range(*r))
    ])
    runs = [r for r in runs if r in value]
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for (i, j) in sorted(runs, key=lambda r: r[1]):
        total = best[i] + value[(i, j)]
        if total > best[j]:
            best[j], back[j] = total, i
    out, j = [], n
    while j > 0:
        i = back[j]
        out.append(members[(i, j)])
        j = i
    return out[::-1]


def _log_confidence(outputs: np.ndarray) -> np.ndarray:
    """log(top digit probability x P(a digit)) per row of model outputs (10 or 11)."""
    out = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    digits = out[:, :10]
    total = np.maximum(digits.sum(axis=1), 1e-12)
    conf = digits.max(axis=1) / total
    if out.shape[1] > 10:
        conf = conf * np.clip(1 - out[:, 10], 1e-6, 1)
    return np.log(np.clip(conf, 1e-6, 1))


class _Vectors:
    """Model inputs and outputs of candidate groups, each computed once."""

    def __init__(self, vectorise: Vectorise, predictor):
        self._vectorise = vectorise
        self._predictor = predictor
        self.vectors: dict[tuple[int, ...], np.ndarray | None] = {}
        self.outputs: dict[tuple[int, ...], np.ndarray] = {}

    def run(self, groups: Sequence[tuple[int, ...]]) -> None:
        todo = [g for g in groups if g not in self.vectors]
        for g in todo:
            self.vectors[g] = self._vectorise(g)
        batch = [g for g in todo if self.vectors[g] is not None]
        if batch:
            outs = self._predictor.outputs(np.stack([self.vectors[g] for g in batch]))
            self.outputs.update(zip(batch, outs))

    def score(self, groups: list[tuple[int, ...]]) -> list[float]:
        self.run(groups)
        values = []
        for g in groups:
            out = self.outputs.get(g)
            values.append(-30.0 if out is None else float(_log_confidence(out[None])[0]))
        return values

    def reading(self, g: tuple[int, ...], box: Box) -> DigitReading:
        self.run([g])
        out = self.outputs.get(g)
        pred = Prediction.none() if out is None else Prediction.from_probabilities(out)
        return DigitReading(g, box, pred, self.vectors[g])


# --------------------------------------------------------------------------- strokes


def group_strokes(strokes: Sequence[ArrayLike], predictor=None) -> list[tuple[int, ...]]:
    """Stroke indices grouped into digits, left to right (the model breaks ties when given)."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    keep = [i for i, s in enumerate(strokes) if len(s)]
    if not keep:
        return []
    boxes = boxes_of([strokes[i] for i in keep])
    score = None
    if predictor is not None:
        vec = _Vectors(lambda g: render_strokes([strokes[keep[i]] for i in g]), predictor)
        score = vec.score
    distance = StrokeDistances([strokes[i] for i in keep], APART_CAP * reference(boxes)[0])
    groups = group(boxes, score, ordered=True, distance=distance, weights=STROKE_WEIGHTS)
    return [tuple(keep[i] for i in g) for g in groups]


def read_strokes(
    strokes: Sequence[ArrayLike],
    predictor,
    frame_size: float | None = None,
    vectorise: Vectorise | None = None,
) -> NumberReading:
    """Group the strokes into digits and recognise each. ``frame_size`` (the canvas side)
    lets a speck read as nothing, as for one digit. ``vectorise(indices)`` may replace how
    a group of strokes becomes the model's input (default :func:`render_strokes`)."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    keep = [i for i, s in enumerate(strokes) if len(s)]
    if not keep:
        return NumberReading()
    boxes = boxes_of([strokes[i] for i in keep])
    if vectorise is None:
        def vectorise(g: tuple[int, ...]) -> np.ndarray | None:
            return render_strokes([strokes[i] for i in g], frame_size=frame_size)
    vec = _Vectors(lambda g: vectorise(tuple(keep[i] for i in g)), predictor)
    distance = StrokeDistances([strokes[i] for i in keep], APART_CAP * reference(boxes)[0])
    groups = group(boxes, vec.score, ordered=True, distance=distance, weights=STROKE_WEIGHTS)
    digits = [vec.reading(g, tuple(float(v) for v in _union(boxes, g))) for g in groups]
    digits = [
        DigitReading(tuple(keep[i] for i in d.members), d.box, d.prediction, d.vector)
        for d in digits
        if d.prediction.state != EMPTY or len(digits) == 1
    ]
    return NumberReading(tuple(digits))


# --------------------------------------------------------------------------- images

# Ink is looked at with the writing scaled to about this many pixels high.
WORK_HEIGHT = 64
# A pixel is ink when above this (relative to the strongest ink).
INK_THRESHOLD = 0.25
# A photo's ink comes out of to_ink grey and uneven: it is scaled by its strongest pixel,
# an outlier of noise or of a shadow divided out, so the strokes' cores lie at 0.4-0.7 and
# thin strokes fray at the threshold (the model and the piece verifier know drawn ink,
# full strength in the core). Where the ink's cores (this percentile of the ink above
# INK_THRESHOLD) are below FULL_STROKES, the ink is divided by their level and clipped:
# a drawing's cores are at full strength already, and it is left as it was. Chosen on
# photos of 4-digit numbers of pendigits writers 21-30 (tests/bench_numbers.py's photos):
# numbers read exactly 76 -> 85 % of 100 (the 50th, 75th and 90th percentiles within a
# number of each other).
STROKE_LEVEL = 75
FULL_STROKES = 0.95
# A photo's thin strokes still fade below INK_THRESHOLD for a pixel or two, and a digit
# falls apart into pieces read as extra digits, or a 4's arm parts from its stem. In ink
# that full_strokes brought up (a photo's; a drawing's is left as it is) drawn with a
# thin pen (its width, the median run of the ink, under THIN_PEN of the writing's height),
# a pixel above FAINT_LOW next to ink is ink too (hysteresis, one pixel). Chosen on photos
# of 4-digit numbers of pendigits writers 21-30 (tools/tune_numbers.py --images --photos N
# --seed S): digits grouped right / numbers read exactly 89.25 / 85 -> 90.75 / 88 % (100,
# seed 21), 87.62 / 81 -> 88.88 / 83 % (200, seed 22); at 0.1 90.25 / 86 % (seed 21); a
# wider hysteresis (any pixel above FAINT_LOW joined to ink through others) 90.50 / 88 %
# and 88.88 / 83 % at 0.15, 90.75 / 86 % and 87.25 / 81.5 % at 0.1, 87.62 / 81 % at 0.2
# (seed 22); only the pixels that bridge two pieces of ink (within two pixels of both)
# 89.25 / 85 % and 87.75 / 81 %: the gain is as much the thin strokes' blurred rim as the
# fades. The thin pen: those photos' pens are 0.014-0.12 of the writing's height (all but
# one under 0.08), the MNIST slice's 0.10 and more; upscaled MNIST digits, soft-edged and
# not full strength either, are thicker, and there the rim made touching digits harder to
# cut (tests/test_number_images.py: 9 -> 2 of 25 pairs cut).
FAINT_LOW: float | None = 0.15
THIN_PEN = 0.09


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean image: (labels int32, 1..n; 0 is background), n."""
    mask = np.asarray(mask, bool)
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    parent = [0]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    prev_runs: list[tuple[int, int, int]] = []
    for y in range(h):
        row = mask[y]
        if not row.any():
            prev_runs = []
            continue
        d = np.diff(np.concatenate([[0], row.view(np.int8), [0]]))
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        runs = []
        j = 0
        for s, e in zip(starts.tolist(), ends.tolist()):
            label = 0
            while j < len(prev_runs) and prev_runs[j][1] < s:  # prev run ends before s-1
                j += 1
            k = j
            while k < len(prev_runs) and prev_runs[k][0] <= e:  # touches (8-connected)
                other = find(prev_runs[k][2])
                if label == 0:
                    label = other
                elif other != label:
                    lo, hi = sorted((label, other))
                    parent[hi] = lo
                    label = lo
                k += 1
            if label == 0:
                label = len(parent)
                parent.append(label)
            labels[y, s:e] = label
            runs.append((s, e, label))
        prev_runs = runs
    roots = np.array([find(a) for a in range(len(parent))], np.int32)
    uniq, compact = np.unique(roots, return_inverse=True)
    compact = compact.astype(np.int32)
    return compact[labels], len(uniq) - 1


def _crop_vector(ink: np.ndarray) -> np.ndarray | None:
    """Ink (already isolated) -> 784 vector, as preprocess() does after its ink step."""
    if float(ink.sum(dtype=np.float64)) < MIN_INK_MASS:
        return None
    mask = ink > BBOX_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    crop = np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], np.float32)
    bh, bw = crop.shape
    scale = BOX / max(bh, bw)
    size = (max(1, round(bw * scale)), max(1, round(bh * scale)))
    digit = np.clip(np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR)), 0, None)
    peak = float(digit.max())
    if peak <= 0:
        return None
    return center_of_mass_frame(np.clip(digit / peak, 0, 1)).ravel()


def _work_ink(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image's ink, box-reduced so the writing is about WORK_HEIGHT px high (a huge
    image first as preprocess() reduces it); the factor back to the image's pixels."""
    ink, factor, _, _ = _work_image(image)
    return ink, factor


def _work_image(image: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """:func:`_work_ink`, the ink's mask (see :func:`ink_mask`) and whether it is a
    photo's thin-pen ink (see :func:`_thin_photo`)."""
    arr = np.asarray(image)
    reduced = _reduce(_validate(arr))
    first = arr.shape[0] / reduced.shape[0] if reduced.shape[0] else 1.0
    raw = to_ink(reduced)
    ink = full_strokes(raw)
    faint = ink is not raw
    mask = ink > INK_THRESHOLD
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return ink, first, mask, False
    factor = max(1, int((rows[-1] - rows[0] + 1) // WORK_HEIGHT))
    if factor > 1:
        ink = box_reduce(ink, factor)
        ink = ink / max(float(ink.max()), 1e-6)
    ink = ink.astype(np.float32)
    mask = ink > INK_THRESHOLD
    thin = _thin_photo(mask, faint)
    return ink, float(factor) * first, _faint_joined(ink, mask) if thin else mask, thin


def _thin_photo(mask: np.ndarray, faint: bool) -> bool:
    """Whether ink brought to full strength (``faint``) with this mask was drawn with a
    thin pen: its width (the median run) under THIN_PEN of the writing's height."""
    if not faint:
        return False
    rows = np.flatnonzero(mask.any(axis=1))
    return rows.size > 0 and _pen_width(mask) < THIN_PEN * (rows[-1] - rows[0] + 1)


def ink_mask(ink: np.ndarray, faint: bool = False) -> np.ndarray:
    """The pixels that are ink: above INK_THRESHOLD and, for ``faint`` ink (a photo's,
    brought to full strength by :func:`full_strokes`) drawn with a thin pen (narrower
    than THIN_PEN of the writing's height), also those above FAINT_LOW next to them (8
    neighbours): a stroke that fades for a pixel or two stays whole."""
    mask = ink > INK_THRESHOLD
    return _faint_joined(ink, mask) if _thin_photo(mask, faint) else mask


def _faint_joined(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` and the pixels above FAINT_LOW next to it (none when FAINT_LOW is None)."""
    if FAINT_LOW is None:
        return mask
    return mask | (_grow(mask) & (ink > FAINT_LOW))


def full_strokes(ink: np.ndarray) -> np.ndarray:
    """Ink (0-1) whose strokes' cores are faint (a photo's) brought to full strength: divided
    by the cores' level (see STROKE_LEVEL) and clipped; other ink is returned as it is."""
    above = ink[ink > INK_THRESHOLD]
    if above.size == 0:
        return ink
    level = float(np.percentile(above, STROKE_LEVEL))
    if level >= FULL_STROKES:
        return ink
    return np.clip(ink * np.float32(1 / level), 0, 1).astype(np.float32, copy=False)


def box_reduce(a: np.ndarray, factor: int) -> np.ndarray:
    """``a`` averaged over factor x factor blocks, the ragged right and bottom edges
    dropped (how :func:`_work_ink` brings an image to the working resolution)."""
    if factor <= 1:
        return a
    h, w = a.shape
    return a[: h - h % factor, : w - w % factor].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def working_mask(ink: np.ndarray, factor: float, shape: tuple[int, int]) -> np.ndarray:
    """Ink (0-1, at the image's resolution, e.g. one digit's alone) as a mask at the
    working resolution of an :class:`ImageSegments` with this ``factor`` and ink ``shape``."""
    return box_reduce(ink, int(factor))[: shape[0], : shape[1]] > INK_THRESHOLD


@dataclass
class ImageSegments:
    """What :func:`segment_image` found: the ink at working resolution, the reduction
    factor back to the image's pixels, and per digit the components it holds and its
    ink mask (bool, working resolution), left to right; ``taken``: the ink the separator
    took out before the components were found (see :func:`_contacts`), given back to the
    pieces at the end."""

    ink: np.ndarray
    factor: float
    pieces: list[tuple[tuple[int, ...], np.ndarray]]
    taken: np.ndarray | None = None


def segment_image(image: np.ndarray, predictor, split: bool = True, separate: bool | None = None,
                  centres: bool | None = None) -> ImageSegments:
    """The ink parted by the digit centres its pixels vote for (see :class:`DigitCentres`;
    ``centres``, by default as ``split``, when the network is bundled), grouped by the same
    rules and scores as strokes. Without the centres: the ink's connected components, where
    the ink separator finds two digits touching parted first (see :func:`_contacts`;
    ``separate``, by default as ``split``), grouped so; then a group wide enough to hold
    touching digits is cut into the pieces that score best (see :func:`_lattice` and
    :func:`_best_cut`; not with ``split=False``). ValueError for arrays that are not images."""
    ink, factor, mask, photo = _work_image(np.asarray(image))
    net = DigitCentres.bundled() if (split if centres is None else centres) else None
    if photo and not CENTRES_PHOTOS:
        net = None
    votes_at = None
    if net is not None and mask.any():
        labels, n, votes_at = _centre_parts(net, ink, mask)
        taken = np.zeros_like(mask)
        split = False  # the parts are digits or pieces of one: grouped, never cut
    else:
        separating = (split if separate is None else separate) and not (photo and not SEPARATE_PHOTOS)
        taken = _contacts(ink, mask) if separating else np.zeros_like(mask)
        labels, n = label_components(mask & ~taken)
    if n == 0:
        return ImageSegments(ink, factor, [], taken)
    cboxes = _component_boxes(labels, n)
    boxes = np.array([cboxes[c] for c in range(1, n + 1)], np.float64)
    height, baseline = reference(boxes)
    size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    small = size < SPECK * height
    if small.all():
        return ImageSegments(ink, factor, [], taken)
    big = [c for c in range(1, n + 1) if not small[c - 1]]
    masks = [labels == c for c in big]
    centres = [(boxes[c - 1, 0] + boxes[c - 1, 2]) / 2 for c in big]
    for c in range(1, n + 1):
        if small[c - 1]:  # a speck joins the nearest component
            cx = (boxes[c - 1, 0] + boxes[c - 1, 2]) / 2
            k = int(np.argmin([abs(x - cx) for x in centres]))
            masks[k] = masks[k] | (labels == c)
    mboxes = np.array([_mask_box(m) for m in masks], np.float64)
    votes = None
    if votes_at is not None:
        votes = (np.array([float(votes_at[m].mean()) for m in masks]), np.array([float(m.sum()) for m in masks]))

    def union(g: tuple[int, ...]) -> np.ndarray:
        return np.logical_or.reduce([masks[k] for k in g])

    vec = _Vectors(lambda g: _crop_vector(np.where(union(g), ink, 0)), predictor)
    pen = _pen_width(mask)
    weights = CUT_WEIGHTS_PHOTO if photo and PieceVerifier.bundled() is not None else None
    pieces = []
    for g in group(mboxes, vec.score, votes=votes):
        for piece in _split(union(g), ink, height, baseline, pen, predictor, weights) if split else [union(g)]:
            pieces.append((tuple(big[k] for k in g), piece))
    return ImageSegments(ink, factor, _give_back(pieces, taken), taken)


def _piece_features(pieces: list[np.ndarray], ink: np.ndarray, height: float, baseline: float,
                    cut_ink: list[float | None], predictor) -> np.ndarray:
    """What says whether each ink mask is one digit of a cut group (see CUT_FEATURES), one
    row per piece; ``cut_ink[k]``: the ink crossed by the cut at piece k's right end (None
    at the group's end)."""
    vectors = [_crop_vector(np.where(p, ink, 0)) for p in pieces]
    ok = [k for k, v in enumerate(vectors) if v is not None]
    top = np.full(len(pieces), 1e-12)  # nothing to read: hopeless
    digit = np.ones(len(pieces))
    if ok:
        out = np.asarray(predictor.outputs(np.stack([vectors[k] for k in ok])), np.float64)
        top[ok] = out[:, :10].max(axis=1) / np.maximum(out[:, :10].sum(axis=1), 1e-12)
        if out.shape[1] > 10:
            digit[ok] = 1.0 - out[:, 10]
    whole = np.zeros(len(pieces))
    verifier = PieceVerifier.bundled()
    if verifier is not None and pieces:
        contexts = np.stack([piece_context(p, ink, height) for p in pieces])
        whole = np.maximum(-np.logaddexp(0.0, -verifier.logits(contexts)), -MAX_PENALTY)
    feats = np.zeros((len(pieces), len(CUT_FEATURES)))
    for k, p in enumerate(pieces):
        x0, y0, x1, y1 = _mask_box(p)
        h, w = (y1 - y0) / height, (x1 - x0) / height
        feats[k] = [
            max(0.0, 0.75 - h),  # too short for a digit
            max(0.0, 0.6 - h),  # far too short
            min(abs(y1 - baseline) / height, 0.6),  # off the baseline
            max(0.0, min(w, 3.0) - 0.8),  # too wide for one digit
            max(math.log(max(top[k], 1e-12)), -MAX_PENALTY),  # the model's top digit
            max(math.log(max(digit[k], 1e-12)), -MAX_PENALTY),  # a digit at all (11 outputs)
            float(cut_ink[k] is not None),  # a cut at its right end
            cut_ink[k] or 0.0,  # the ink that cut crosses (pen widths)
            1.0,  # one more digit
            whole[k],  # the piece verifier's log P(exactly one whole digit)
        ]
    return feats


# A cut's pieces score the sum of CUT_WEIGHTS . features (see _piece_features): the
# stroke groups' weights (GROUP_WEIGHTS as fitted on writers 1-30, the model's
# log-confidence split in two) and a price per cut and per pen width of ink it crosses
# (chosen on pendigits writers 1-30), then the piece verifier's log P(one whole digit) at
# 0.75 and a price of a digit of 2.5: the best of a grid on half of 400 numbers of writers
# 21-30, whom the verifier never saw, among the weights that read at most 0.2 % of 1,000
# single digits of the same writers as two (tools/tune_numbers.py --images; 92.50 / 91.38 %
# of the digits right on the fit / check half, 0.20 % of the single digits split; the
# verifier and weights before them: 93.25 / 91.38 %, 1.00 % split). Twelve sets of weights
# tied at 92.50 % on the fit half and the check half chose among them, so it does not check
# this choice; writers 31-44 do (tests/bench_numbers.py). Kept apart from GROUP_WEIGHTS so that refitting the strokes
# does not move the images. Without the verifier the model alone is sure of nearly every
# candidate piece, the right one and its neighbours alike.
CUT_FEATURES = ("too short", "far too short", "off baseline", "too wide", "log p top", "log p digit",
                "cut", "cut ink", "bias", "log p whole")
CUT_WEIGHTS = np.array([-0.568, -0.566, -2.013, -0.996, 1.0, 1.0, -0.15, -0.5, 2.5, 0.75])
# A photo's thin-pen ink (see THIN_PEN) is cut with a lower price of a digit: its pieces
# were cut more often than the same numbers drawn clean (a 4 in three, an 8 in two, a
# 2's tail cut off as a 1). Chosen on photos of 4-digit numbers of pendigits writers 21-30
# (tools/tune_numbers.py --images --photos N --seed S): digits grouped right / read
# exactly at 2.5 90.75 / 88 % (100, seed 21) and 88.88 / 83 % (200, seed 22), at 2.0 91.00
# / 89 % and 89.62 / 86 %; the verifier at 1.0 instead: 90.50 / 88 % and 89.25 / 84 %.
CUT_WEIGHTS_PHOTO = CUT_WEIGHTS.copy()
CUT_WEIGHTS_PHOTO[CUT_FEATURES.index("bias")] = 2.0
# Without a verifier (its file missing or unreadable) the weights before it: the price of
# a digit above is paid back only by the verifier's doubt.
CUT_WEIGHTS_ALONE = np.array([-0.568, -0.566, -2.013, -0.996, 1.0, 1.0, -0.15, -0.5, 0.877, 0.0])


# The piece verifier: a small CNN that looks at a candidate piece with its surroundings
# (the piece's ink, and the other ink around it, in a window of CONTEXT_SPAN writing
# heights centred on the piece, CONTEXT_SHAPE cells) and says whether the piece is exactly
# one whole digit: no part of it cut off, no scrap of a neighbour in it. Trained on pieces
# of composed numbers of 1-5 digits (single digits too: a verifier that never saw a lone
# digit called the halves of a wide one whole) of pendigits writers 1-20 by
# tools/train_piece_verifier.py; runs in
# numpy (resources/piece_verifier.npz: the Keras weights in order). Without a usable file
# the feature is 0 and CUT_WEIGHTS_ALONE score the pieces.
PIECE_VERIFIER = "piece_verifier.npz"
CONTEXT_SHAPE = (28, 32)  # rows, columns
CONTEXT_SPAN = (1.4, 1.6)  # height, width in writing heights


def piece_context(piece: np.ndarray, ink: np.ndarray, height: float) -> np.ndarray:
    """The verifier's input for one piece: (rows, columns, 2) float32, channel 0 the
    piece's ink, channel 1 all other ink, in a window centred on the piece's box."""
    x0, y0, x1, y1 = _mask_box(piece)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hh, hw = CONTEXT_SPAN[0] / 2 * height, CONTEXT_SPAN[1] / 2 * height
    left, right, top, bottom = (int(round(v)) for v in (cx - hw, cx + hw, cy - hh, cy + hh))
    h, w = ink.shape
    ys, ye, xs, xe = max(top, 0), min(bottom, h), max(left, 0), min(right, w)
    mine, seen = piece[ys:ye, xs:xe], ink[ys:ye, xs:xe]  # only the window is looked at
    out = []
    for layer in (np.where(mine, seen, 0), np.where(mine, 0, seen)):
        window = np.zeros((max(bottom - top, 1), max(right - left, 1)), np.float32)
        if ye > ys and xe > xs:
            window[ys - top : ye - top, xs - left : xe - left] = layer
        size = (CONTEXT_SHAPE[1], CONTEXT_SHAPE[0])
        out.append(np.asarray(Image.fromarray(window).resize(size, Image.Resampling.BILINEAR), np.float32))
    return np.stack(out, -1)


def _conv3(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """3x3 convolution, 'same' padding, NHWC (as Keras' Conv2D)."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # n, h, w, c, 3, 3
    return np.tensordot(windows, w.transpose(2, 0, 1, 3), axes=([3, 4, 5], [0, 1, 2])) + b


def _pool2(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    return x[:, : h - h % 2, : w - w % 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


class _BundledNet:
    """A small network shipped in resources/ as a numpy archive (the Keras weights in
    layer order), run in numpy. Subclasses name the file (FILE), check the weights'
    shapes in __init__ and give a probe input for :meth:`load`."""

    FILE = ""
    WHAT = "network"
    _bundled: _BundledNet | None | bool = False  # False: not looked for yet

    def __init__(self, weights: Sequence[np.ndarray]):
        self.weights = [np.asarray(a, np.float32) for a in weights]

    @classmethod
    def _probe(cls) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def load(cls, path):
        """ValueError (OSError if unreadable) unless the file holds a working network."""
        with np.load(path) as f:
            net = cls([f[f"arr_{i}"] for i in range(len(f.files))])
        probe = cls._probe()
        out = net.logits(probe)  # the shapes fit together
        if out.shape != probe.shape[: out.ndim] or not np.isfinite(out).all():
            raise ValueError(f"not a {cls.WHAT}: it gives no usable answer")
        return net

    @classmethod
    def bundled(cls):
        """The network shipped in resources/, once; None if it is missing or unreadable."""
        if cls._bundled is False:
            from digitpad.paths import resource_path

            try:
                cls._bundled = cls.load(resource_path(cls.FILE))
            except (OSError, ValueError, KeyError):
                cls._bundled = None
        return cls._bundled

    def logits(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class PieceVerifier(_BundledNet):
    """conv 3x3 (relu) / max-pool 2, twice; dense (relu); dense -> one logit."""

    FILE = PIECE_VERIFIER
    WHAT = "piece verifier"
    _bundled: PieceVerifier | None | bool = False

    def __init__(self, weights: Sequence[np.ndarray]):
        super().__init__(weights)
        w = self.weights
        if len(w) != 8 or w[0].shape[:2] != (3, 3) or w[0].shape[2] != 2 or w[6].shape[1:] != (1,):
            raise ValueError("not a piece verifier: expected 2 convolutions and 2 dense layers")

    @classmethod
    def _probe(cls) -> np.ndarray:
        return np.zeros((1, *CONTEXT_SHAPE, 2), np.float32)

    def logits(self, contexts: np.ndarray) -> np.ndarray:
        c1, b1, c2, b2, d1, e1, d2, e2 = self.weights
        x = np.asarray(contexts, np.float32).reshape(-1, *CONTEXT_SHAPE, 2)
        x = _pool2(np.maximum(_conv3(x, c1, b1), 0))
        x = _pool2(np.maximum(_conv3(x, c2, b2), 0))
        x = np.maximum(x.reshape(len(x), -1) @ d1 + e1, 0)
        return (x @ d2 + e2)[:, 0]


# The ink separator: a small fully convolutional network that looks at the ink at working
# resolution and says, per pixel, whether it is where two digits' inks touch (within a
# pixel of both); those pixels are taken out before the ink is parted into connected
# components, so touching digits come apart as separate components, and given back to the
# pieces found next to them at the end (see segment_image). Cut paths alone could not part
# the ink there: where two digits touch end to end or run along each other, no path between
# them crosses little ink. With the true contact pixels taken out (the digits' own ink
# known), 98.0 % of the digits of writers 21-30's 4-digit numbers drawn as images are
# grouped right, against 92.5 % without. Trained on numbers of 1-5 digits of pendigits
# writers 1-20 by tools/train_ink_separator.py; runs in numpy
# (resources/ink_separator.npz). Without a usable file nothing is taken out.
INK_SEPARATOR = "ink_separator.npz"
SEPARATOR_DILATIONS = (1, 1, 2, 4, 8, 16, 1)
# A pixel is taken out when the separator's logit is above this.
SEPARATE_AT = 0.0
# Pixels of ink around a blob the separator looks at with it.
SEPARATOR_CONTEXT = 8
# The separator learnt from clean drawn ink; a photo's thin-pen ink (see THIN_PEN) is
# blurred and frayed, and there it took out ink within digits.
SEPARATE_PHOTOS = False


class InkSeparator(_BundledNet):
    """3x3 convolutions (relu) dilated by SEPARATOR_DILATIONS, then a 1x1 convolution ->
    one logit per pixel ("two digits touch here")."""

    FILE = INK_SEPARATOR
    WHAT = "ink separator"
    DILATIONS = SEPARATOR_DILATIONS
    _bundled: InkSeparator | None | bool = False

    def __init__(self, weights: Sequence[np.ndarray]):
        super().__init__(weights)
        w = self.weights
        n = len(self.DILATIONS)
        if (len(w) != 2 * n + 2 or w[0].shape[:3] != (3, 3, 1) or w[-2].shape[:2] != (1, 1)
                or w[-2].shape[3:] != (1,) or any(a.ndim != 4 for a in w[0::2])):
            article = "an" if self.WHAT[0] in "aeiou" else "a"
            raise ValueError(f"not {article} {self.WHAT}: expected {n} 3x3 convolutions and a 1x1 one")

    @classmethod
    def _probe(cls) -> np.ndarray:
        return np.zeros((8, 8), np.float32)

    def logits(self, ink: np.ndarray) -> np.ndarray:
        """Per pixel of ``ink`` (rows, columns; 0-1), the logit that two digits touch there."""
        x = np.asarray(ink, np.float32)[:, :, None]
        h, w = ink.shape
        for k, d in enumerate(self.DILATIONS):
            kernel, bias = self.weights[2 * k], self.weights[2 * k + 1]
            padded = np.pad(x, ((d, d), (d, d), (0, 0)))
            out = np.empty((h, w, kernel.shape[3]), np.float32)
            out[:] = bias
            for ky in range(3):
                for kx in range(3):
                    out += padded[ky * d : ky * d + h, kx * d : kx * d + w] @ kernel[ky, kx]
            x = np.maximum(out, 0, out=out)
        return (x @ self.weights[-2][0, 0] + self.weights[-1])[:, :, 0]


# Digit centres: a fully convolutional network like the ink separator, deeper and wider
# (32 channels, dilated up to 32), that looks at the ink at half the working resolution
# and says, per pixel, how far its digit's centre (the middle of the digit's box) lies to
# the right or left, in CENTRE_UNIT pixels. Every ink pixel thus votes for a centre; the
# votes of one digit pile up at one place whatever its strokes (a five's bar, a four's two
# strokes, a 1 inside a 4's arms votes for its own centre, not the 4's). The ink is parted
# where the votes' density has a valley (see _vote_clusters), not where it is disconnected,
# and those parts are then grouped by the same scores as components (the model's
# confidence decides whether two parts are one digit), without cut paths. Trained on
# numbers of 1-5 digits of pendigits writers 1-20, then of UNIPEN's training writers and
# drawn with a scan's thick pen too, by tools/train_digit_centres.py; runs in numpy
# (resources/digit_centres.npz). Without a usable file, images are read as before it (the
# ink separator and cut paths).
DIGIT_CENTRES = "digit_centres.npz"
CENTRE_DILATIONS = (1, 1, 2, 4, 8, 16, 32, 1)
CENTRE_UNIT = 32.0  # half-resolution pixels: half a writing height of 64 working pixels
# The votes' density: votes binned by half-resolution pixel, smoothed by a Gaussian of
# CENTRE_SIGMA; two modes stay apart when the valley between them is below CENTRE_VALLEY
# of the lower one, and a part with less than CENTRE_LEAST of the ink joins its neighbour
# (a sliver of votes, no digit of its own) -- or, in a long number, less than
# CENTRE_LEAST_MEDIAN of the median part's: 0.04 of the whole ink is a whole digit's share
# once a number has 25 digits, and a 1's (a third of an 8's ink) from about 12. With the
# whole-ink rule alone, a row of 26 ones was read as two parts, and 16-digit numbers of
# pendigits writers 21-30 drawn as images had 90.56 % of their digits grouped right
# (100 numbers, seeds 7 and 8), 12-digit ones 95.58 %; with the median's share, 95.38 and
# 95.96 %, 4-digit ones unchanged (3,114 of 3,200, seeds 7-10; their single digits
# split: 4 of 2,000 both ways).
CENTRE_SIGMA = 1.5
CENTRE_VALLEY = 0.5
CENTRE_LEAST = 0.04
CENTRE_LEAST_MEDIAN = 0.16  # for four equal parts, the same as CENTRE_LEAST of the whole
# A connected piece of a part smaller than this share of the part's largest piece goes to
# the part it touches most (a stray vote at a crossing).
CENTRE_SCRAP = 0.25
# Learnt from clean drawn ink, as the ink separator; not used on a photo's thin-pen ink.
CENTRES_PHOTOS = False


class DigitCentres(InkSeparator):
    """3x3 convolutions (relu) dilated by CENTRE_DILATIONS, then a 1x1 convolution -> per
    pixel the offset to its digit's centre, in CENTRE_UNIT pixels (positive: to the right)."""

    FILE = DIGIT_CENTRES
    WHAT = "digit-centre network"
    DILATIONS = CENTRE_DILATIONS
    _bundled: DigitCentres | None | bool = False


def _half(a: np.ndarray, reduce) -> np.ndarray:
    h, w = a.shape
    a = np.pad(a, ((0, h % 2), (0, w % 2)))
    return reduce(a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2), axis=(1, 3))


def _double(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A half-resolution array (see :func:`_half`) back at ``shape``: each value on its 2x2 pixels."""
    return np.repeat(np.repeat(a, 2, 0), 2, 1)[: shape[0], : shape[1]]


def _vote_clusters(mask: np.ndarray, weight: np.ndarray, votes: np.ndarray) -> tuple[np.ndarray, int]:
    """Each pixel of ``mask`` labelled 1..k by the part of the votes' density its vote
    falls in (see CENTRE_SIGMA), left to right; 0 off the mask."""
    v = votes[mask]
    if v.size == 0:
        return np.zeros(mask.shape, np.int32), 0
    lo = int(np.floor(v.min())) - 4
    size = int(np.ceil(v.max())) + 5 - lo
    hist = np.bincount(np.clip(np.round(v - lo).astype(int), 0, size), weight[mask].astype(np.float64), size + 1)
    r = int(3 * CENTRE_SIGMA) + 1
    kernel = np.exp(-0.5 * (np.arange(-r, r + 1) / CENTRE_SIGMA) ** 2)
    dens = np.convolve(hist, kernel / kernel.sum(), mode="same")
    peaks = [i for i in range(1, len(dens) - 1) if dens[i] > 0 and dens[i] >= dens[i - 1] and dens[i] > dens[i + 1]]
    parts = [[p] for p in peaks]
    total = hist.sum()

    def valleys() -> list[int]:
        return [int(np.argmin(dens[a[-1] : b[0] + 1]) + a[-1]) for a, b in zip(parts, parts[1:])]

    while len(parts) > 1:
        cuts = valleys()
        depth = [dens[c] / max(min(dens[a].max(), dens[b].max()), 1e-12) for c, a, b in zip(cuts, parts, parts[1:])]
        edges = [0] + [c + 1 for c in cuts] + [len(dens)]
        mass = [hist[edges[i] : edges[i + 1]].sum() / total for i in range(len(parts))]
        least = min(CENTRE_LEAST, CENTRE_LEAST_MEDIAN * float(np.median(mass)))
        if max(depth) > CENTRE_VALLEY:
            i = int(np.argmax(depth))
        elif min(mass) < least:  # a sliver: to the neighbour it is least apart from
            i = int(np.argmin(mass))
            left = dens[cuts[i - 1]] if i > 0 else -1.0
            right = dens[cuts[i]] if i < len(cuts) else -1.0
            i = i - 1 if left >= right else i
        else:
            break
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    bins = np.clip(np.round(votes - lo).astype(int), 0, size)
    labels = np.searchsorted(np.array(valleys(), int), bins, side="right") + 1
    return np.where(mask, labels, 0).astype(np.int32), len(parts)


def _centre_parts(net: DigitCentres, ink: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """The ink parted by the digit centres its pixels vote for (working resolution):
    labels 1..k (0 off the ink), k, and each pixel's vote (working pixels)."""
    hmask, hink = _half(mask, np.any), _half(ink, np.mean)
    votes = np.arange(hmask.shape[1])[None, :] + 0.5 + net.logits(hink) * CENTRE_UNIT
    half_labels, k = _vote_clusters(hmask, hink, votes)
    labels = np.where(mask, _double(half_labels, mask.shape), 0)
    out = labels.copy()
    for part in range(1, k + 1):
        pieces, n = label_components(labels == part)
        if n <= 1:
            continue
        sizes = np.bincount(pieces.ravel())[1:]
        for c in range(1, n + 1):
            if sizes[c - 1] >= CENTRE_SCRAP * sizes.max():
                continue
            piece = pieces == c
            around = out[_grow(piece) & ~piece]
            around = around[(around > 0) & (around != part)]
            if around.size:
                out[piece] = np.bincount(around).argmax()
    return out, k, _double(votes * 2, mask.shape)


def _grow(mask: np.ndarray) -> np.ndarray:
    """``mask`` and its 8 neighbours."""
    h, w = mask.shape
    p = np.pad(mask, 1)
    return np.logical_or.reduce([p[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)])


def _contacts(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ink pixels where the bundled separator says two digits touch (none without it),
    looked for only in connected ink wide enough to be two digits (CUT_MIN_WIDTH writing
    heights, as a group is cut), in its box and SEPARATOR_CONTEXT pixels around it."""
    out = np.zeros_like(mask)
    separator = InkSeparator.bundled()
    if separator is None or not mask.any():
        return out
    labels, n = label_components(mask)
    cboxes = _component_boxes(labels, n)
    boxes = np.array([cboxes[c] for c in range(1, n + 1)], np.float64)
    height, _ = reference(boxes)
    h, w = mask.shape
    for c in range(1, n + 1):
        x0, y0, x1, y1 = (int(v) for v in cboxes[c])
        if x1 - x0 < CUT_MIN_WIDTH * height:
            continue
        y0, x0 = max(y0 - SEPARATOR_CONTEXT, 0), max(x0 - SEPARATOR_CONTEXT, 0)
        y1, x1 = min(y1 + SEPARATOR_CONTEXT, h), min(x1 + SEPARATOR_CONTEXT, w)
        found = separator.logits(ink[y0:y1, x0:x1]) > SEPARATE_AT
        out[y0:y1, x0:x1] |= found & (labels[y0:y1, x0:x1] == c)
    return out


def _give_back(pieces: list[tuple[tuple[int, ...], np.ndarray]], taken: np.ndarray
               ) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The pixels ``taken`` out before the components were found, each given to the piece
    it touches (through other taken pixels: the nearest; a tie goes to the first)."""
    if not taken.any() or not pieces:
        return pieces
    owner = np.zeros(taken.shape, np.int32)
    for k, (_, piece) in enumerate(pieces):
        owner[piece & (owner == 0)] = k + 1
    todo = taken & (owner == 0)
    h, w = owner.shape
    while todo.any():
        padded = np.pad(owner, 1)
        near = np.zeros_like(owner)
        for dy in range(3):
            for dx in range(3):
                v = padded[dy : dy + h, dx : dx + w]
                near = np.where((near == 0) & (v > 0), v, near)
        grown = todo & (near > 0)
        if not grown.any():
            break  # taken pixels touching no piece (a speck of its own) stay out
        owner[grown] = near[grown]
        todo &= ~grown
    return [(members, owner == k + 1) for k, (members, _) in enumerate(pieces)]


@dataclass
class _Lattice:
    """The ways to cut one group's ink into digits: boundaries 0..m+1 (0 its left end,
    m+1 its right end, between them cut paths left to right), and every piece between
    two boundaries narrow enough to be one digit, with its features
    (:func:`_piece_features`, the cut at its right end included) and mask."""

    cut_ink: list[float]  # per boundary, the ink its path crosses in pen widths (0 at the ends)
    pieces: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # (a, b) -> features, mask


def _lattice(piece: np.ndarray, ink: np.ndarray, height: float, baseline: float, pen: float,
             predictor) -> _Lattice | None:
    """Candidate cuts of a group (see :func:`_cut_paths`) and the features of the pieces
    between them; None when the group is too narrow to hold two digits."""
    x0, _, x1, _ = (int(v) for v in _mask_box(piece))
    paths = _cut_paths(piece, x0, x1, height, pen)
    if not paths:
        return None
    lefts = [np.zeros_like(piece)] + [left for left, _, _ in paths] + [np.ones_like(piece)]
    cols = [x0] + [c for _, _, c in paths] + [x1]
    cut_ink = [0.0] + [c for _, c, _ in paths] + [0.0]
    end = len(lefts) - 1
    strokes = inkstrokes.ink_strokes(piece, pen) if STROKE_PIECES else None
    wide, short = CUT_MAX_WIDTH * height, CUT_MIN_HEIGHT * height
    keys, masks = [], []
    for a in range(len(lefts)):
        for b in range(a + 1, len(lefts)):
            if cols[b] - cols[a] > wide and not (a == 0 and b == end):
                continue
            m = piece & lefts[b] & ~lefts[a]
            if strokes is not None and not (a == 0 and b == end):
                m = inkstrokes.refine(m, strokes)
            rows = np.flatnonzero(m.any(axis=1))
            if rows.size and (rows[-1] - rows[0] + 1 >= short or (a == 0 and b == end)):
                keys.append((a, b))
                masks.append(m)
    feats = _piece_features(masks, ink, height, baseline,
                            [None if b == end else cut_ink[b] for _, b in keys], predictor)
    return _Lattice(cut_ink, {k: (f, m) for k, m, f in zip(keys, masks, feats)})


def _best_cut(lat: _Lattice, weights: np.ndarray | None = None) -> list[tuple[int, int]]:
    """The pieces (a, b) of the best way to cut: the highest sum of the pieces' scores
    (``weights`` . features; by default CUT_WEIGHTS, or CUT_WEIGHTS_ALONE without a piece
    verifier; dynamic programming over the boundaries)."""
    if weights is None:
        w = CUT_WEIGHTS if PieceVerifier.bundled() is not None else CUT_WEIGHTS_ALONE
    else:
        w = np.asarray(weights, np.float64)
    n = len(lat.cut_ink) - 1
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for (a, b), (f, _) in sorted(lat.pieces.items(), key=lambda kv: kv[0][1]):
        if best[a] == -math.inf:
            continue
        v = best[a] + float(f @ w)
        if v > best[b]:
            best[b], back[b] = v, a
    out, b = [], n
    while b > 0:
        out.append((back[b], b))
        b = back[b]
    return out[::-1]


def _split(piece: np.ndarray, ink: np.ndarray, height: float, baseline: float, pen: float,
           predictor, weights: np.ndarray | None = None) -> list[np.ndarray]:
    """A group's mask as one digit or, if cutting it scores better, several (``weights``
    those of :func:`_best_cut`)."""
    lat = _lattice(piece, ink, height, baseline, pen, predictor)
    if lat is None:
        return [piece]
    return [lat.pieces[k][1] for k in _best_cut(lat, weights)]


def _path_cuts(mask: np.ndarray, columns: Sequence[int], band: int, slope: int = 1) -> list[tuple[np.ndarray, int]]:
    """Per start column c: the top-to-bottom path through the fewest ink pixels that stays
    within ``band`` columns of c and moves at most ``slope`` columns per row (touching
    digits part along a curve, not a straight line), a small pull towards c breaking ties.
    Returns per column the path's column per row and the ink pixels it crosses (all the
    columns' dynamic programmes run together, row by row)."""
    h, w = mask.shape
    cols = np.asarray(columns, np.int64)
    offs = np.arange(-band, band + 1)
    xs_all = cols[:, None] + offs[None, :]  # (n, window)
    inside = (xs_all >= 0) & (xs_all < w)
    safe = np.clip(xs_all, 0, w - 1)
    pull = 0.05 * np.abs(offs)[None, :] / max(band, 1)
    cost = np.where(inside[None], mask[:, safe].astype(np.float64) + pull[None], np.inf)  # (h, n, window)
    n, win = xs_all.shape
    total = cost[0].copy()
    back = np.zeros((h, n, win), np.int64)
    idx = np.arange(win)
    pad = np.full((n, slope), np.inf)
    rows = np.arange(n)[:, None]
    for y in range(1, h):
        padded = np.concatenate([pad, total, pad], axis=1)
        options = np.stack([padded[:, k : k + win] for k in range(2 * slope + 1)])  # (steps, n, win)
        step = options.argmin(axis=0)
        back[y] = idx[None, :] + step - slope
        total = np.take_along_axis(options, step[None], axis=0)[0] + cost[y]
    at = np.empty((h, n), np.int64)
    at[-1] = total.argmin(axis=1)
    for y in range(h - 1, 0, -1):
        at[y - 1] = back[y][rows[:, 0], at[y]]
    out = []
    for j in range(n):
        xs = xs_all[j, at[:, j]]
        out.append((xs, int(mask[np.arange(h), xs].sum())))
    return out


def _mask_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)


def _pen_width(mask: np.ndarray) -> float:
    """The pen's width in pixels: the median length of the ink's horizontal runs."""
    d = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    lengths = np.nonzero(d == -1)[1] - np.nonzero(d == 1)[1]
    return float(np.median(lengths)) if lengths.size else 1.0


# A group is cut only if at least CUT_MIN_WIDTH wide (in writing heights), at paths that
# start CUT_MARGIN pen widths from its ends (a "1" is about one pen wide); CUT_PATHS are
# (how far a path may wander from its column, in writing heights; how many columns it
# may move per row): a straight-ish and a freer family. A piece is at most CUT_MAX_WIDTH
# wide and at least CUT_MIN_HEIGHT tall (shorter, it is a scrap, not a digit: on writers
# 1-30 leaving those out cut the pieces shown to the model by a third, same figure).
CUT_MIN_WIDTH = 0.55
CUT_MARGIN = 1.2
CUT_PATHS = [(0.15, 1), (0.25, 2)]
CUT_MAX_WIDTH = 1.2
CUT_MIN_HEIGHT = 0.4
# Candidate pieces own whole strokes of the ink's skeleton (see digitpad.inkstrokes.refine):
# a cut no longer leaves a scrap of a neighbour's stroke in a piece. On writers 1-30 (seeds
# 7, 8) it raised the digits grouped right from 86.50 / 85.75 % to 90.25 / 88.75 % and the
# ceiling from 91.62 / 92.00 % to 94.50 / 93.62 % (tools/tune_numbers.py --images --strokes).
STROKE_PIECES = True
# Cut paths that put all but this fraction of a group's ink on the same sides are one.
CUT_SAME = 0.005


def _cut_paths(comp: np.ndarray, x0: int, x1: int, height: float, pen: float) -> list[tuple[np.ndarray, float, int]]:
    """Where a group may be two touching digits: least-ink paths started every half pen
    width away from its ends, each (mask left of it, ink crossed in pen widths, mean
    column), left to right, without repeats and keeping only the paths that cross less ink
    than their neighbours within a pen width; none for a group too narrow for two digits."""
    if x1 - x0 < CUT_MIN_WIDTH * height:
        return []
    margin = max(2, round(CUT_MARGIN * pen))
    step = max(1, int(pen / 2))
    reach = max(1.0, pen)
    out: dict[bytes, tuple[np.ndarray, float, int]] = {}
    for band_h, slope in CUT_PATHS:
        band = max(2, int(band_h * height))
        found: dict[bytes, tuple[np.ndarray, float, int]] = {}
        starts = list(range(x0 + margin, x1 - margin, step))
        for xs, crossed in _path_cuts(comp, starts, band, slope) if starts else []:
            left = np.arange(comp.shape[1])[None, :] < xs[:, None]
            key = np.packbits(left[comp]).tobytes()  # paths that part the ink alike are one
            if key not in found and left[comp].any() and (~left)[comp].any():
                found[key] = (left, crossed / max(pen, 1.0), int(round(xs.mean())))
        out.update(_least_ink(found, reach))
    # Paths that part the ink nearly alike (all but CUT_SAME of it) are one: the cheapest.
    tol = CUT_SAME * comp.sum()
    kept: list[tuple[np.ndarray, float, int]] = []
    sides: list[np.ndarray] = []
    for p in sorted(out.values(), key=lambda p: p[1]):
        side = p[0][comp]
        if all(np.count_nonzero(side != q) > tol for q in sides):
            kept.append(p)
            sides.append(side)
    return sorted(kept, key=lambda p: p[2])


def _least_ink(found: dict[bytes, tuple[np.ndarray, float, int]], reach: float) -> dict:
    """The paths that cross no more ink than any other within ``reach`` columns."""
    paths = list(found.values())
    return {k: p for k, p in found.items()
            if all(p[1] <= q[1] for q in paths if q is not p and abs(q[2] - p[2]) <= reach)}


def read_image(image: np.ndarray, predictor) -> NumberReading:
    """Read a number from an image (see :func:`segment_image`); boxes in image pixels."""
    return read_segments(segment_image(image, predictor), predictor)


def read_segments(seg: ImageSegments, predictor) -> NumberReading:
    """The digits of an image's segments (:func:`segment_image`); boxes in image pixels."""
    digits = []
    for members, piece in seg.pieces:
        v = _crop_vector(np.where(piece, seg.ink, 0))
        if v is None:
            continue
        rows, cols = np.flatnonzero(piece.any(axis=1)), np.flatnonzero(piece.any(axis=0))
        f = seg.factor
        box = (float(cols[0] * f), float(rows[0] * f), float((cols[-1] + 1) * f), float((rows[-1] + 1) * f))
        digits.append(DigitReading(members, box, Prediction.from_probabilities(predictor.outputs(v)), v))
    return NumberReading(tuple(digits))


def _component_boxes(labels: np.ndarray, n: int) -> dict[int, tuple[float, float, float, float]]:
    ys, xs = np.nonzero(labels)
    lab = labels[ys, xs]
    out = {}
    x0 = np.full(n + 1, np.inf)
    y0 = np.full(n + 1, np.inf)
    x1 = np.full(n + 1, -np.inf)
    y1 = np.full(n + 1, -np.inf)
    np.minimum.at(x0, lab, xs)
    np.minimum.at(y0, lab, ys)
    np.maximum.at(x1, lab, xs + 1)
    np.maximum.at(y1, lab, ys + 1)
    for c in range(1, n + 1):
        out[c] = (float(x0[c]), float(y0[c]), float(x1[c]), float(y1[c]))
    return out
