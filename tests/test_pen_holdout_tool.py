"""tools/pen_holdout.py: the test writers stay out, and MNIST redrawn with uniform strokes
really has uniform strokes (the experiment in docs/accuracy.md relies on both)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest

from test_strokes import MNIST_SAMPLE, stroke_width

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import pen_holdout


def test_only_writers_1_to_30():
    assert pen_holdout.writer_range("1-10") == tuple(range(1, 11))
    assert pen_holdout.writer_range("7") == (7,)
    for bad in ("30-31", "31-44", "44"):
        with pytest.raises(argparse.ArgumentTypeError, match="31-44"):
            pen_holdout.writer_range(bad)


def test_uniform_strokes_have_one_width():
    x = np.load(MNIST_SAMPLE)["x"].astype(np.float32) / 255
    redrawn = pen_holdout.uniform_strokes(x)
    assert redrawn.shape == x.shape and 0 <= redrawn.min() and redrawn.max() <= 1
    before, after = stroke_width(x), stroke_width(redrawn)
    assert np.median(after) == pytest.approx(2.66, rel=0.1)
    iqr = lambda w: np.subtract(*np.percentile(w, [75, 25]))  # noqa: E731
    assert iqr(after) < 0.5 * iqr(before)
    # same digit, same place: the ink's centre moves by well under a pixel
    yy = np.arange(28)[None, :, None]
    cy = lambda im: (im * yy).sum((1, 2)) / im.sum((1, 2))  # noqa: E731
    assert np.median(np.abs(cy(redrawn) - cy(x))) < 0.5
