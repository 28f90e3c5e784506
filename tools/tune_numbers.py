"""Fit the scores of candidate stroke groups (digitpad.numbers),
on pendigits writers 1-30 only (writers 31-44 only measure: tests/bench_numbers.py).

    python tools/tune_numbers.py [--pairs 3000] [--seed 0]

The examples are the links between neighbouring sure-groups (see digitpad.numbers.group)
in every multi-stroke single digit and in 3-digit numbers composed as the benchmark
composes them (tests/bench_numbers.py): "one digit" when both sides belong to the same
digit, "two digits" otherwise. Prints the weights for GROUP_WEIGHTS and the errors
on the fitting data.
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
    ap.add_argument("--numbers", type=int, default=400, help="numbers per length (2, 3, 4, 6, 8)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    predictor = Predictor.bundled()
    data = bench.load(range(1, 31))

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


if __name__ == "__main__":
    sys.exit(main())
