"""Fit the scores of candidate stroke groups (digitpad.numbers),
on pendigits writers 1-30 only (writers 31-44 only measure: tests/bench_numbers.py).

    python tools/tune_numbers.py [--numbers 400] [--seed 0]
    python tools/tune_numbers.py --images [--numbers 200] [--seed 7]

Strokes: the examples are the links between neighbouring sure-groups (see digitpad.numbers.group)
in every multi-stroke single digit and in 3-digit numbers composed as the benchmark
composes them (tests/bench_numbers.py): "one digit" when both sides belong to the same
digit, "two digits" otherwise. Prints the weights for GROUP_WEIGHTS and the errors
on the fitting data.

Images (``--images``): 4-digit numbers composed and rendered as the benchmark does; every
group's candidate pieces (digitpad.numbers._lattice) are scored once, then the cut costs
CUT_COST and CUT_INK are chosen on a grid by the digits grouped right (the benchmark's
90 % / 90 % rule). Prints the best few and the ceiling: the digits right if the best
pieces of the lattice were always chosen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bench_numbers as bench
from digitpad import numbers as N
from digitpad.predictor import Predictor
from digitpad.strokes import render_strokes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=int, default=None,
                    help="numbers per length (2, 3, 4, 6, 8; default 400), with --images 4-digit numbers (default 200)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="default 0 (strokes), 7 (images)")
    ap.add_argument("--images", action="store_true", help="tune the cut costs of touching digits in images")
    args = ap.parse_args(argv)
    predictor = Predictor.bundled()
    data = bench.load(range(1, 31))
    if args.images:
        return tune_images(predictor, data, args.numbers or 200, 7 if args.seed is None else args.seed)
    args.numbers = args.numbers or 400
    args.seed = 0 if args.seed is None else args.seed

    def logconf(strokes, g):
        return float(N._log_confidence(predictor.outputs(render_strokes([strokes[i] for i in g]))[None])[0])

    cases = []  # per number: candidate runs, their features, the index set of the truth

    def collect(strokes, truth):
        b = N.boxes_of(strokes)
        gs = N.sure_groups(b)
        height, baseline = N.reference(b, gs)
        digits = {tuple(sorted(g)) for g in truth}
        runs = N.candidate_runs(b, gs, height)
        feats, members = [], []
        for i, j in runs:
            parts = gs[i:j]
            m = tuple(sorted(x for p in parts for x in p))
            members.append(m)
            feats.append(N.group_features(b, parts, height, baseline, logconf(strokes, m)))
        right = [k for k, m in enumerate(members) if m in digits]
        if len(right) == len(digits):  # otherwise a sure-group already spans two digits
            cases.append((runs, np.array(feats), set(right), len(gs)))

    rng = np.random.default_rng(args.seed)
    for strokes in data.strokes:
        if len(strokes) > 1:
            collect(strokes, [tuple(range(len(strokes)))])
    for n in (2, 3, 4, 6, 8):
        for strokes, groups, _, _ in bench.numbers(data, n, args.numbers, rng):
            collect(strokes, groups)

    def best(runs, scores, n):
        top = [0.0] + [-np.inf] * n
        back = [0] * (n + 1)
        for k in sorted(range(len(runs)), key=lambda k: runs[k][1]):
            i, j = runs[k]
            if top[i] + scores[k] > top[j]:
                top[j], back[j] = top[i] + scores[k], k
        chosen, j = set(), n
        while j > 0:
            chosen.add(back[j])
            j = runs[back[j]][0]
        return chosen

    dim = cases[0][1].shape[1]
    w = np.zeros(dim)
    w[N.LOGCONF] = 1.0
    total = np.zeros(dim)
    steps = 0
    for epoch in range(args.epochs):
        errors = 0
        for c in rng.permutation(len(cases)):
            runs, feats, right, n = cases[c]
            got = best(runs, feats @ w, n)
            if got != right:
                errors += 1
                w += feats[list(right)].sum(axis=0) - feats[list(got)].sum(axis=0)
            total += w
            steps += 1
        print(f"epoch {epoch + 1}: {errors} of {len(cases)} numbers grouped wrong")
    avg = total / steps
    avg = avg / abs(avg[N.LOGCONF])  # scale-free: the model's log-confidence weighs 1
    wrong = sum(best(r, f @ avg, n) != right for r, f, right, n in cases)
    print("GROUP_WEIGHTS = np.array([" + ", ".join(f"{v:.3f}" for v in avg) + "])")
    print(f"with the averaged weights: {wrong} of {len(cases)} numbers grouped wrong")
    return 0


def _lattices(predictor, image, masks):
    """Per group of the image: (lattice or None, which digit each piece is (or None))."""
    ink, factor = N._work_ink(image)
    f = int(factor)
    truth = []
    for m in masks:
        if f > 1:
            h, w = m.shape
            m = m[: h - h % f, : w - w % f].reshape(h // f, f, w // f, f).mean(axis=(1, 3))
        truth.append(m[: ink.shape[0], : ink.shape[1]] > N.INK_THRESHOLD)

    def which(piece):
        for k, m in enumerate(truth):
            both = (piece & m).sum()
            if both >= bench.IMAGE_SHARE * m.sum() and both >= bench.IMAGE_SHARE * piece.sum():
                return k
        return None

    out = []
    seg = N.segment_image(image, predictor, split=False)
    mask = seg.ink > N.INK_THRESHOLD
    boxes = np.array([N._mask_box(p) for _, p in seg.pieces])
    height, baseline = N.reference(boxes)
    pen = N._pen_width(mask)
    for _, piece in seg.pieces:
        lat = N._lattice(piece, seg.ink, height, baseline, pen, predictor)
        if lat is None:
            out.append((None, which(piece)))
        else:
            out.append((lat, {k: which(v[1]) for k, v in lat.pieces.items()}))
    return out, len(masks)


def tune_images(predictor, data, count, seed) -> int:
    rng = np.random.default_rng(seed)
    cases = [_lattices(predictor, *bench.render_image(strokes, groups, ref_h))
             for strokes, groups, _, ref_h in bench.numbers(data, 4, count, rng)]

    def right(params):
        ok = total = 0
        for groups, n in cases:
            for lat, which in groups:
                if lat is None:
                    ok += which is not None
                else:
                    ok += sum(which[k] is not None for k in N._best_cut(lat, params))
            total += n
        return ok / total

    def ceiling():
        ok = total = 0
        for groups, n in cases:
            for lat, which in groups:
                if lat is None:
                    ok += which is not None
                    continue
                m = len(lat.cut_ink) - 1
                top = [0] + [-1] * m
                for a, b in sorted(lat.pieces, key=lambda k: k[1]):
                    if top[a] >= 0:
                        top[b] = max(top[b], top[a] + (which[(a, b)] is not None))
                ok += top[m]
            total += n
        return ok / total

    grid = [(c, i) for c in (0.0, 0.15, 0.3, 0.6, 1.0, 2.0) for i in (0.0, 0.25, 0.5, 0.75, 1.0)]
    results = sorted(((right(p), p) for p in grid), reverse=True)
    print(f"{len(cases)} numbers, {sum(n for _, n in cases)} digits; now (CUT_COST {N.CUT_COST}, "
          f"CUT_INK {N.CUT_INK}): {100 * right((N.CUT_COST, N.CUT_INK)):.2f} % grouped right; "
          f"ceiling of the candidate cuts {100 * ceiling():.2f} %")
    for r, (c, i) in results[:8]:
        print(f"CUT_COST = {c}, CUT_INK = {i}: {100 * r:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
