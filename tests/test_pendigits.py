"""Pen trajectories: loading, orientation, and that no stroke data ships with digitpad."""

from pathlib import Path

import numpy as np
import pytest

from conftest import pen_file
from digitpad.paths import resource_dir
from digitpad.pendigits import (
    TEST_WRITERS,
    TRAIN_WRITERS,
    PenDigits,
    PenDigitsError,
    load_pendigits,
    save_pendigits,
)

REPO = Path(__file__).resolve().parents[1]


def test_no_stroke_data_ships_or_is_committed():
    """The pen trajectories (pendigits, UNIPEN) are for training and measuring only: no
    file of the package's resources or the tests holds strokes, whole or in part."""
    npz = sorted(set(resource_dir().glob("*.npz")) | set((REPO / "tests").rglob("*.npz")))
    assert npz, "expected at least the MNIST slices"
    for path in npz:
        with np.load(path, allow_pickle=False) as d:
            assert "stroke_offsets" not in d.files and "points" not in d.files, path


def test_the_real_training_split_has_writers_1_to_30():
    data = load_pendigits(pen_file(), writers=TRAIN_WRITERS)
    assert len(data) == 7494  # the UCI training split
    assert set(np.unique(data.writers)) == set(TRAIN_WRITERS)
    assert not set(np.unique(data.writers)) & set(TEST_WRITERS)
    assert set(np.unique(data.labels)) == set(range(10))


def test_strokes_are_screen_oriented():
    # A "7" starts with its top bar: on screen (y down) the first point is near the top.
    data = load_pendigits(pen_file(), writers=TRAIN_WRITERS)
    sevens = [s for s, label in zip(data.strokes, data.labels) if label == 7][:50]
    first_y = np.array([s[0][0, 1] for s in sevens])
    mid_y = np.array([np.concatenate(s)[:, 1].mean() for s in sevens])
    assert (first_y < mid_y).mean() > 0.9


def test_round_trip_and_writer_filter(tmp_path):
    strokes = [
        [np.array([[0, 0], [10, 20]], np.float32)],
        [np.array([[5, 5]], np.float32), np.array([[1, 2], [3, 4]], np.float32)],
    ]
    data = PenDigits(strokes, np.array([1, 2]), np.array([3, 31]))
    path = tmp_path / "p.npz"
    save_pendigits(data, path)
    back = load_pendigits(path)
    assert back.labels.tolist() == [1, 2] and back.writers.tolist() == [3, 31]
    for a, b in zip(back.strokes, strokes):
        assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    only = load_pendigits(path, writers=[31])
    assert only.labels.tolist() == [2] and len(only.strokes[0]) == 2


def test_missing_and_corrupt_files_are_one_line_errors(tmp_path):
    with pytest.raises(PenDigitsError, match="nope.npz"):
        load_pendigits(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(PenDigitsError, match="bad.npz"):
        load_pendigits(bad)
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(PenDigitsError, match="not a pen-digit file"):
        load_pendigits(tmp_path / "other.npz")
