"""tests/bench_personalise.py: how it judges a run (the README's personalise figures come
from it): the corrections split, the 5 worst writers, and the spread over seeds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_personalise as bench


def _row(writer, before, after, seed, mnist=0.995):
    return {"writer": str(writer), "errors_before": before, "errors_after": after, "seed": seed,
            "measured": 200, "corrections": 30, "mnist_before": 0.9955, "mnist_after": mnist, "seconds": 1.0}


def test_the_first_three_of_each_class_are_the_corrections():
    labels = np.array([1, 1, 2, 1, 1, 2, 2, 2, 1])
    corr, rest = bench.split(None, labels)
    assert corr == [0, 1, 2, 3, 5, 6] and rest == [4, 7, 8]


def test_the_spread_counts_a_seed_only_when_each_of_the_five_worst_is_cut_by_half(capsys):
    befores = {31: 0, 32: 2, 35: 5, 37: 1, 40: 1, 41: 3, 43: 34}
    afters = {1: {35: 3, 37: 1, 43: 5}, 2: {35: 1, 43: 8}, 3: {35: 2, 32: 1, 43: 17}}
    rows = [_row(w, b, afters[s].get(w, 0), s, mnist=0.99 + 0.001 * s) for s in (1, 2, 3) for w, b in befores.items()]
    five = bench.worst_five([r for r in rows if r["seed"] == 1])
    assert [r["writer"] for r in five] == ["43", "35", "41", "32", "37"]  # ties: the first drawn
    bench.spread(rows, [1, 2, 3])
    out = capsys.readouterr().out
    # seed 1: 35 5 -> 3 (40 %); seed 2: all cut by half or more; seed 3: 43 34 -> 17 (exactly 50 %), 32 2 -> 1
    assert "the 5 worst writers each cut >= 50 % in 2 of 3 seeds" in out
    assert "errors 46 -> 9 / 9 / 20: cut >= 50 % in 3 of 3 seeds (80 %, 80 %, 57 %)" in out
    assert "        35      5    3   1   2" in out
    assert "MNIST after, lowest per seed: 99.10 %, 99.20 %, 99.30 %" in out
