"""Pen strokes recovered from an ink mask, so that a cut's pieces own whole strokes.

When two neighbouring digits' strokes cross or touch (a 7's stem through a 4's bar, a 0
over a 6), a top-to-bottom cut of the ink leaves scraps of one digit's stroke on the
other's side. The skeleton of the ink tells where its strokes run, so:

1. the mask is thinned to a one-pixel skeleton (Guo-Hall, :func:`digitpad.thinning.thin`,
   without the corners of its staircases, so that a pixel with three neighbours is a
   junction);
2. the skeleton becomes a graph: free ends, junctions (junction pixels closer than
   JUNCTION_MERGE pen widths, or joined by an edge shorter than BRIDGE pen widths, are one
   junction: an X of thick strokes often thins to two 3-way junctions joined by a short
   edge), the edges between them and rings without a junction; spurs (an edge from a
   junction to a free end) shorter than SPUR pen widths are dropped;
3. edges may chain into pseudo-strokes through junctions by good continuation, their
   directions measured between DIRECTION_NEAR and DIRECTION_FAR pen widths away from it:
   at a 4-way crossing the two pairs that together go straightest, if neither turns by
   more than CROSS_TURN degrees; at a junction of two or three edges (a spur pruned, a
   stroke ending on another) the straightest pair, if it turns by at most MAX_TURN. By
   default nothing chains (see CROSS_TURN): a pseudo-stroke is a skeleton edge, from
   junction to junction or end;
4. each ink pixel belongs to the pseudo-stroke of its nearest skeleton pixel (nearest
   through the ink); the ink around a junction belongs to none.

:func:`refine` then makes a candidate piece of a cut own whole pseudo-strokes: those
with at least SHARE of their ink inside are taken whole, those with at most 1 - SHARE
inside are left out whole, the rest keep the cut's pixels.

Pure numpy (the graph is small: a few hundred skeleton pixels per group of digits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from digitpad.thinning import thin

# Junction pixels closer than this (pen widths) are one junction, and so are junctions
# joined by an edge shorter than BRIDGE pen widths.
JUNCTION_MERGE = 1.0
BRIDGE = 2.0
# An edge from a junction to a free end shorter than this (pen widths) is a spur: dropped.
SPUR = 1.0
# An edge's direction at a junction: from this far along it to that far (pen widths).
DIRECTION_NEAR = 0.5
DIRECTION_FAR = 2.0
# Two edges go on through a crossing of four or more edges if they turn by at most
# CROSS_TURN degrees, through a junction of two or three if they turn by at most
# MAX_TURN; 0: never. Measured on pendigits writers 1-30 (tools/tune_numbers.py --images
# --strokes, three sets of 200 4-digit numbers, seeds 7-9): chaining costs. The ceiling (SHARE 0.85)
# was 94.38 / 93.38 / 94.62 % with no chaining, 93.25 / 92.75 / 93.88 % through
# crossings turning by at most 15 degrees, 92.62 / 92.50 / 93.75 % at 30 degrees (91.62 /
# 92.00 / 93.75 % without refine). Where two digits meet, the arm that goes straight on
# is as often the neighbour's (a 7's crossbar and the 4's stroke that crosses its stem
# beyond it, a 5's bar running into a 2's start) as the same digit's; at 3-way
# junctions, chaining at 25 degrees also lowered it; at 2-way ones (a spur pruned, as
# where one digit's stroke ends just past another's) chaining always gave 94.50 / 93.75
# / 94.38 % (SHARE 0.8) against 94.50 / 93.62 / 94.75 % without, with more numbers worse.
MAX_TURN = 0.0
CROSS_TURN = 0.0
# A piece takes a pseudo-stroke whole when it holds at least this share of its ink, and
# leaves it out whole when it holds at most 1 - SHARE. Chosen on writers 1-30 (seeds 7,
# 8): digits grouped right 90.25 / 88.75 % at 0.8 (86.50 / 85.75 % without refine); with
# 2-way junctions chaining, 90.13 / 88.88 % at 0.8, 89.75 / 88.25 % at 0.85, 88.38 / 87.63 %
# at 0.9. Ceiling 94.50 / 93.62 / 94.75 % at 0.8 (seeds 7-9), lower at 0.75 and 0.7.
SHARE = 0.8
# The skeleton is found in the mask upscaled THIN_SCALE times (each pixel a block, pen
# widths scaled alike), and the ownership mapped back (each pixel: its block's commonest
# owner). At the working resolution (numbers.WORK_HEIGHT) the pen is about 4.5 pixels,
# and a skeleton found at that scale places junctions and the edges' ends coarsely. On
# pendigits writers 21-30 (tools/tune_numbers.py --images --numbers 400, fit / check
# half, the CUT_WEIGHTS fitted at scale 1): digits grouped right at seed 7 92.75 / 90.75 %
# at 1, 93.25 / 91.38 % at 2 (ceiling 94.88 / 93.38 -> 95.25 / 93.88 %); at seed 8 92.25 /
# 92.25 -> 92.25 / 92.38 % (ceiling 94.25 / 94.62 -> 94.75 / 94.88 %); 8 ms more per
# 4-digit image (the work is done in the ink's box only). (Zhang-Suen thinning, before,
# gave 92.25 / 91.25 % and 92.00 / 91.75 % at 1 and could not be used at 2: it erased
# whole diagonal strokes of a doubled mask.) At 3: 93.12 / 91.62 % and 92.38 / 92.75 %
# (ceiling 95.25 / 94.12 and 94.75 / 95.00 %), within a few digits of 2, at 33 ms per
# image for finding the strokes instead of 13.
THIN_SCALE = 2

_STEPS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))  # N, NE, E, ... clockwise


@dataclass
class InkStrokes:
    """The pseudo-strokes of an ink mask: ``owner`` (int32, the mask's shape) is per
    pixel the pseudo-stroke (1..count) it belongs to, 0 for no ink or the ink around a
    junction; ``paths`` per pseudo-stroke (index k-1) its edges, each an (n, 2) array of
    skeleton pixels (y, x) in order; ``closed`` per pseudo-stroke whether it has no end
    (a ring)."""

    owner: np.ndarray
    count: int
    skeleton: np.ndarray
    paths: list[list[np.ndarray]] = field(default_factory=list)
    closed: list[bool] = field(default_factory=list)
    sizes: np.ndarray | None = None  # pixels per pseudo-stroke (index 0: the rest), once needed


@dataclass
class _Edge:
    pixels: list[tuple[int, int]]  # in order along the edge
    dist: list[int]  # steps from the first pixel
    ends: list[int | None] = field(default_factory=lambda: [None, None])  # junction at each end

    @property
    def length(self) -> int:
        return self.dist[-1] if self.dist else 0

    def direction(self, side: int, near: float, far: float) -> np.ndarray:
        """Unit vector along the edge pointing away from its end ``side`` (0 first, 1 last)."""
        n = self.length
        d = np.asarray(self.dist, np.float64)
        if side == 1:
            d = n - d
        pts = np.asarray(self.pixels, np.float64)
        a, b = min(near, n), min(far, n)
        if b - a < 1:
            a = 0.0
        pa = pts[np.abs(d - a) <= 0.5].mean(axis=0) if np.any(np.abs(d - a) <= 0.5) else pts[np.argmin(np.abs(d - a))]
        pb = pts[np.abs(d - b) <= 0.5].mean(axis=0) if np.any(np.abs(d - b) <= 0.5) else pts[np.argmin(np.abs(d - b))]
        v = pb - pa
        norm = math.hypot(*v)
        return v / norm if norm > 0 else np.zeros(2)


def _neighbour_code(skel: np.ndarray) -> np.ndarray:
    """Per pixel the 8-bit code of its skeleton neighbours (bit i: _STEPS[i])."""
    p = np.pad(skel, 1).astype(np.int32)
    h, w = skel.shape
    code = np.zeros((h, w), np.int32)
    for i, (dy, dx) in enumerate(_STEPS):
        code |= p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] << i
    return code


def _pieces_table() -> np.ndarray:
    """Per neighbour code: how many groups of neighbours touch each other (8-connected)."""
    out = np.zeros(256, np.int8)
    for code in range(256):
        on = [i for i in range(8) if code >> i & 1]
        seen: set[int] = set()
        for s in on:
            if s in seen:
                continue
            out[code] += 1
            stack = [s]
            seen.add(s)
            while stack:
                a = stack.pop()
                for b in on:
                    if b not in seen and max(abs(_STEPS[a][0] - _STEPS[b][0]), abs(_STEPS[a][1] - _STEPS[b][1])) <= 1:
                        seen.add(b)
                        stack.append(b)
    return out


_GROUPS = _pieces_table()
_BITS = np.array([bin(c).count("1") for c in range(256)], np.int8)
# A pixel with two straight neighbours at a right angle (N and E, ...): a corner of a
# 4-connected staircase, redundant when its neighbours touch each other without it.
_CORNER = np.array([any((c >> a & 1) and (c >> b & 1) for a, b in ((0, 2), (2, 4), (4, 6), (6, 0)))
                    for c in range(256)])


def _minimal(skel: np.ndarray) -> np.ndarray:
    """The skeleton without its redundant staircase corners, so that a pixel with three
    or more neighbours is a junction (removed one at a time: two neighbours may each be
    redundant only while the other is there)."""
    skel = skel.copy()
    code = _neighbour_code(skel)
    todo = np.argwhere(skel & _CORNER[code] & (_GROUPS[code] == 1))
    if not len(todo):
        return skel
    p = np.pad(skel, 1)
    for y, x in todo.tolist():
        c = 0
        for i, (dy, dx) in enumerate(_STEPS):
            c |= int(p[1 + y + dy, 1 + x + dx]) << i
        if _CORNER[c] and _GROUPS[c] == 1:
            p[1 + y, 1 + x] = False
    return p[1:-1, 1:-1]


def _components(pixels: set[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    seen: set[tuple[int, int]] = set()
    out = []
    for start in sorted(pixels):
        if start in seen:
            continue
        seen.add(start)
        comp, stack = [], [start]
        while stack:
            y, x = stack.pop()
            comp.append((y, x))
            for dy, dx in _STEPS:
                q = (y + dy, x + dx)
                if q in pixels and q not in seen:
                    seen.add(q)
                    stack.append(q)
        out.append(comp)
    return out


def _distances(comp: set[tuple[int, int]], start: tuple[int, int]) -> dict[tuple[int, int], int]:
    dist = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for y, x in frontier:
            for dy, dx in _STEPS:
                q = (y + dy, x + dx)
                if q in comp and q not in dist:
                    dist[q] = dist[(y, x)] + 1
                    nxt.append(q)
        frontier = nxt
    return dist


def _ordered(comp: list[tuple[int, int]], hint: tuple[int, int] | None) -> _Edge:
    """The component's pixels in order from one end to the other (the two pixels farthest
    apart along it, the search started at ``hint``)."""
    s = set(comp)
    d0 = _distances(s, hint if hint in s else comp[0])
    e1 = max(d0, key=lambda q: (d0[q], q))
    d1 = _distances(s, e1)
    order = sorted(d1, key=lambda q: (d1[q], q))
    return _Edge(order, [d1[q] for q in order])


class _DisjointSets:
    """Union-find over 0..n-1 (path halving): junction pixels into junctions, edges into strokes."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def join(self, a: int, b: int) -> None:
        """a's set joins b's (b's root stays the root)."""
        self.parent[self.find(a)] = self.find(b)


def ink_strokes(mask: np.ndarray, pen: float, scale: int | None = None) -> InkStrokes:
    """The pseudo-strokes of a boolean ink mask written with a pen ``pen`` pixels wide,
    its skeleton found at ``scale`` times the mask's resolution (THIN_SCALE by default)."""
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f"ink_strokes() wants a 2-D mask, got shape {mask.shape}")
    k = int(THIN_SCALE if scale is None else scale)
    if k < 1:
        raise ValueError(f"ink_strokes() wants a scale of at least 1, got {scale}")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size and (rows[0] > 0 or cols[0] > 0 or rows[-1] < mask.shape[0] - 1 or cols[-1] < mask.shape[1] - 1):
        # the work is done in the ink's box only (a group's mask spans the whole image)
        y0, x0 = int(rows[0]), int(cols[0])
        inner = _scaled(mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1], pen, k)
        owner = np.zeros(mask.shape, np.int32)
        skeleton = np.zeros(mask.shape, bool)
        owner[y0 : rows[-1] + 1, x0 : cols[-1] + 1] = inner.owner
        skeleton[y0 : rows[-1] + 1, x0 : cols[-1] + 1] = inner.skeleton
        at = np.array([y0, x0])
        return InkStrokes(owner, inner.count, skeleton, [[e + at for e in edges] for edges in inner.paths],
                          inner.closed)
    return _scaled(mask, pen, k)


def _scaled(mask: np.ndarray, pen: float, k: int) -> InkStrokes:
    if k == 1:
        return _ink_strokes(mask, pen)
    big = _ink_strokes(mask.repeat(k, 0).repeat(k, 1), pen * k)
    h, w = mask.shape
    paths = []
    for edges in big.paths:
        paths.append([])
        for e in edges:
            e = e // k
            keep = np.ones(len(e), bool)
            keep[1:] = (e[1:] != e[:-1]).any(axis=1)
            paths[-1].append(e[keep])
    return InkStrokes(_block_mode(big.owner, k), big.count, big.skeleton.reshape(h, k, w, k).any(axis=(1, 3)),
                      paths, big.closed)


def _block_mode(labels: np.ndarray, k: int) -> np.ndarray:
    """Per k x k block of ``labels``: its commonest label (the first in row order on a tie)."""
    h, w = labels.shape[0] // k, labels.shape[1] // k
    blocks = labels.reshape(h, k, w, k).transpose(0, 2, 1, 3).reshape(h, w, k * k)
    votes = (blocks[..., :, None] == blocks[..., None, :]).sum(axis=-1)
    return np.take_along_axis(blocks, votes.argmax(axis=-1)[..., None], axis=-1)[..., 0]


def _ink_strokes(mask: np.ndarray, pen: float) -> InkStrokes:
    pen = max(float(pen), 1.0)
    skel = _minimal(thin(mask[None])[0])
    count = _BITS[_neighbour_code(skel)]
    junction = skel & (count >= 3)
    jpix = [tuple(map(int, q)) for q in np.argwhere(junction)]
    # Junction pixels closer than JUNCTION_MERGE pen widths are one junction.
    clusters = _DisjointSets(len(jpix))
    find = clusters.find
    if jpix:
        arr = np.asarray(jpix, np.float64)
        close = ((arr[:, None, :] - arr[None, :, :]) ** 2).sum(-1) <= (JUNCTION_MERGE * pen) ** 2
        for i, j in zip(*np.nonzero(np.triu(close, 1))):
            clusters.join(int(i), int(j))
    cluster_of = {q: find(i) for i, q in enumerate(jpix)}

    edges: list[_Edge] = []
    rest = set(map(tuple, np.argwhere(skel & ~junction).tolist()))
    for comp in _components(rest):
        touching = [q for q in comp if any((q[0] + dy, q[1] + dx) in cluster_of for dy, dx in _STEPS)]
        edge = _ordered(comp, touching[0] if touching else None)
        for side, q in ((0, edge.pixels[0]), (1, edge.pixels[-1])):
            near = [(dy * dy + dx * dx, cluster_of[(q[0] + dy, q[1] + dx)])
                    for dy in range(-2, 3) for dx in range(-2, 3) if (q[0] + dy, q[1] + dx) in cluster_of]
            if near:
                edge.ends[side] = min(near)[1]
        edges.append(edge)
    # A junction's lone pixel with no edge at all (two junctions side by side) is still a junction.
    shared = set(cluster_of)
    edges = [e for e in edges if not ((e.ends[0] is None) != (e.ends[1] is None) and e.length < SPUR * pen)]
    # (a spur's ink goes to its neighbours) Junctions joined by an edge shorter than BRIDGE
    # pen widths are one: two strokes crossing at a small angle thin to two 3-way junctions.
    bridge = BRIDGE * pen
    for e in edges:
        if None not in e.ends and e.length <= bridge:
            clusters.join(e.ends[0], e.ends[1])
    kept: list[_Edge] = []
    for e in edges:
        e.ends = [None if c is None else find(c) for c in e.ends]
        if e.ends[0] is not None and e.ends[0] == e.ends[1] and e.length <= bridge:
            shared.update(e.pixels)  # the short edge inside a crossing
        else:
            kept.append(e)
    edges = kept

    # Good continuation at each junction.
    at: dict[int, list[tuple[int, int, np.ndarray]]] = {}
    near, far = DIRECTION_NEAR * pen, DIRECTION_FAR * pen
    for k, e in enumerate(edges):
        for side in (0, 1):
            if e.ends[side] is not None:
                at.setdefault(e.ends[side], []).append((k, side, e.direction(side, near, far)))
    strokes = _DisjointSets(len(edges))
    paired: set[tuple[int, int]] = set()
    for ends in at.values():
        straight = {(i, j): -float(ends[i][2] @ ends[j][2])  # 1 when going straight on
                    for i in range(len(ends)) for j in range(i + 1, len(ends))}
        turn = MAX_TURN if len(ends) <= 3 else CROSS_TURN
        if turn <= 0:
            chosen = []
        elif len(ends) == 4:  # a crossing: the two pairs that together go straightest
            best = max(((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2)),
                       key=lambda m: straight[m[0]] + straight[m[1]])
            chosen = [m for m in best if straight[m] >= math.cos(math.radians(turn))]
        else:  # the straightest pair (then the next, through five or more)
            chosen, used = [], set()
            for (i, j), v in sorted(straight.items(), key=lambda kv: -kv[1]):
                if i not in used and j not in used and v >= math.cos(math.radians(turn)):
                    used.update((i, j))
                    chosen.append((i, j))
                    if len(ends) <= 3:
                        break
        for i, j in chosen:
            (ki, si, _), (kj, sj, _) = ends[i], ends[j]
            paired.update(((ki, si), (kj, sj)))
            strokes.join(ki, kj)

    ids: dict[int, int] = {}
    labels = np.zeros(mask.shape, np.int32)
    paths: list[list[np.ndarray]] = []
    open_end: list[bool] = []
    for k, e in enumerate(edges):
        r = strokes.find(k)
        if r not in ids:
            ids[r] = len(ids) + 1
            paths.append([])
            open_end.append(False)
        s = ids[r]
        paths[s - 1].append(np.asarray(e.pixels, np.int64))
        ys, xs = np.asarray(e.pixels).T
        labels[ys, xs] = s
        ring = e.ends == [None, None] and not any(count[q] <= 1 for q in e.pixels)
        if not ring and any((k, side) not in paired for side in (0, 1)):
            open_end[s - 1] = True
    for q in shared:
        if labels[q] == 0:
            labels[q] = -1
    owner = _grow(labels, mask)
    return InkStrokes(np.where(owner > 0, owner, 0).astype(np.int32), len(ids), skel, paths,
                      [not o for o in open_end])


def _grow(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Labels spread through the mask from the seeds (nearest through the ink; straight
    neighbours first)."""
    labels = np.where(mask, labels, 0)
    h, w = labels.shape
    order = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    while True:
        todo = mask & (labels == 0)
        if not todo.any():
            break
        p = np.pad(labels, 1)
        got = np.zeros_like(labels)
        for dy, dx in order:
            n = p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
            got = np.where(got == 0, n, got)
        new = todo & (got != 0)
        if not new.any():
            break
        labels = np.where(new, got, labels)
    return labels


def refine(piece: np.ndarray, strokes: InkStrokes, share: float | None = None) -> np.ndarray:
    """A candidate piece (bool mask, one side of cuts) owning whole pseudo-strokes: each
    with at least ``share`` of its ink inside the piece is taken whole, each with at most
    1 - ``share`` inside is left out whole (``share`` SHARE by default); the rest, and the
    ink around junctions, stay as the piece has them."""
    share = SHARE if share is None else share
    own = strokes.owner
    n = strokes.count + 1
    if strokes.sizes is None:
        strokes.sizes = np.bincount(own.ravel(), minlength=n)
    total = strokes.sizes
    inside = np.bincount(own[piece], minlength=n)
    frac = inside / np.maximum(total, 1)
    take, drop = frac >= share, frac <= 1 - share
    take[0] = drop[0] = False
    return (piece | take[own]) & ~drop[own]
