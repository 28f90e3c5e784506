"""tools/tune_thresholds.py: what it counts for a rule (docs/accuracy.md's trade-off table
comes from it), and that it reads only tuning writers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import tune_thresholds as tool

from digitpad import pendata
from digitpad.predictor import Thresholds


def _out(digit: int, best: float, not_digit: float) -> np.ndarray:
    ten = np.full(10, (1 - best) / 9)
    ten[digit] = best
    return np.append(ten * (1 - not_digit), not_digit)


def _sources() -> list[tool.Source]:
    digits = np.stack([
        _out(3, 0.99, 0.0),  # read right (half A)
        _out(5, 0.99, 0.0),  # read, but as 5 (half A)
        _out(7, 0.99, 0.9),  # rejected: not a digit (half B)
        _out(1, 0.7, 0.7),  # a digit, unless the weak rule is on (half B)
    ])
    non = np.stack([_out(1, 0.99, 0.1), _out(0, 0.99, 0.95), _out(2, 0.6, 0.7)])
    return [
        tool.Source("m, UNIPEN digits", "digits", digits, np.array([3, 3, 7, 1]), np.array([True, True, False, False])),
        tool.Source("m, UNIPEN non-digits", "non-digits", non, np.full(3, -1), np.array([True, False, False])),
        tool.Source("m, pendigits 21-30", "digits", digits[:2], np.array([3, 5]), np.array([True, False])),
    ]


def test_counts_rejected_read_and_shown_per_half():
    plain = Thresholds(0.85, 0.85, 0.0, 0.1)
    sources = _sources()
    every = tool.figures(sources, plain, "all")
    assert every["m, UNIPEN digits"] == (1, 4, 2)  # one rejected; the 3 and the 1 read right
    assert every["m, UNIPEN non-digits"] == (2, 3, 0)
    assert every["m, pendigits 21-30"] == (0, 2, 2)
    assert tool.figures(sources, plain, "A")["m, UNIPEN digits"] == (0, 2, 1)
    assert tool.figures(sources, plain, "B")["m, UNIPEN digits"] == (1, 2, 1)
    pen, unipen, read, shown = tool.summary(every)
    assert (pen, unipen, read, shown) == pytest.approx((0.0, 0.25, 0.5, 2 / 3))


def test_the_weak_rule_moves_both_sides():
    weak = Thresholds(0.85, 0.6, 0.9, 0.1)
    every = tool.figures(_sources(), weak, "all")
    assert every["m, UNIPEN digits"] == (2, 4, 1)  # the weak 1 is now rejected too
    assert every["m, UNIPEN non-digits"] == (1, 3, 0)  # and the weak 2-like symbol


def test_reads_only_tuning_writers():
    assert set(tool.TUNE_PENDIGITS) == set(pendata.PENDIGITS_TUNE_WRITERS)
    assert not set(tool.TUNE_PENDIGITS) & set(range(31, 45))
    # halves split by writer, not by sample
    assert tool.half_a("site/w1") == tool.half_a("site/w1")
    assert {tool.half_a(f"pendigits/{w}") for w in tool.TUNE_PENDIGITS} == {True, False}
