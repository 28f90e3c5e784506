"""Pen data found through a chain (never shipped), the held-out writers, what counts as
"not a digit", and the styles and scribbles that are synthesised for training."""

from __future__ import annotations

import os

import numpy as np
import pytest

from digitpad import pendata, styles
from digitpad.pendigits import PenDigits, save_pendigits
from digitpad.strokes import render_strokes
from test_pen_training import FOUR, SEVEN, write_strokes

ZERO = [np.stack([50 + 30 * np.cos(t := np.linspace(0, 2 * np.pi, 40)), 60 + 50 * np.sin(t)], 1).astype(np.float32)]
ONE = [np.array([[100, 20], [100, 80], [100, 140]], np.float32)]


def folder_with_files(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    save_pendigits(PenDigits([SEVEN, FOUR], np.array([7, 4]), np.array([1, 40])), folder / pendata.PENDIGITS_FILE)
    write_strokes(folder / pendata.UNIPEN_DIGITS_FILE, [SEVEN, FOUR], np.array([7, 4], np.int8), ["s/a", "s/b"])
    return folder


def test_chain_explicit_then_environment_then_remembered(tmp_path, monkeypatch):
    folder = folder_with_files(tmp_path)
    monkeypatch.delenv(pendata.ENV_VAR, raising=False)
    assert pendata.find_pen_data() == []
    assert [p.name for p in pendata.find_pen_data(remembered=[str(folder), str(tmp_path / "gone")])] == [
        pendata.PENDIGITS_FILE,
        pendata.UNIPEN_DIGITS_FILE,
    ]
    monkeypatch.setenv(pendata.ENV_VAR, str(folder / pendata.UNIPEN_DIGITS_FILE))
    assert [p.name for p in pendata.find_pen_data(remembered=[str(folder)])] == [pendata.UNIPEN_DIGITS_FILE]
    explicit = pendata.find_pen_data([folder / pendata.PENDIGITS_FILE, folder / pendata.PENDIGITS_FILE])
    assert [p.name for p in explicit] == [pendata.PENDIGITS_FILE]  # once, however often named
    with pytest.raises(pendata.PenDataError, match="nowhere.npz"):
        pendata.find_pen_data([tmp_path / "nowhere.npz"])
    monkeypatch.setenv(pendata.ENV_VAR, str(tmp_path / "missing") + os.pathsep + str(folder))
    with pytest.raises(pendata.PenDataError, match="missing"):
        pendata.find_pen_data()


def test_describe_says_plainly_when_there_is_none():
    assert "MNIST alone" in pendata.describe([])
    assert pendata.describe([pendata.Path("a/unipen_train_strokes.npz")]) == "Pen data: unipen_train_strokes.npz"


def test_kinds_orientation_and_training_part(tmp_path):
    folder = folder_with_files(tmp_path)
    pen = pendata.load_stroke_set(folder / pendata.PENDIGITS_FILE)
    assert pen.kind == pendata.PENDIGITS and pen.writers.tolist() == ["pendigits/1", "pendigits/40"]
    assert pendata.training_part(pen, hold_out=False).labels.tolist() == [7]  # writer 40 never trains
    uni = pendata.load_stroke_set(folder / pendata.UNIPEN_DIGITS_FILE)
    assert uni.kind == pendata.DIGITS and uni.writers.tolist() == ["s/a", "s/b"]
    # y down again: the seven's top bar comes first and is on top
    assert uni.strokes[0][0][0, 1] < uni.strokes[0][0][-1, 1]
    np.testing.assert_allclose(render_strokes(uni.strokes[0]), render_strokes(SEVEN), atol=1e-5)


def test_tuning_model_leaves_pendigits_21_to_30_out(tmp_path):
    path = tmp_path / pendata.PENDIGITS_FILE
    save_pendigits(PenDigits([SEVEN, FOUR, SEVEN, FOUR], np.array([7, 4, 1, 9]), np.array([20, 21, 30, 31])), path)
    pen = pendata.load_stroke_set(path)
    assert pendata.training_part(pen, hold_out=False).labels.tolist() == [7, 4, 1]
    assert pendata.training_part(pen, hold_out=True, hold_out_pendigits=True).labels.tolist() == [7]
    # a larger tuning set: with writers 11-30 left out, none of these writers (20, 21, 30) trains
    wider = pendata.parse_tune_writers("11-30")
    assert wider == frozenset(range(11, 31))
    assert pendata.training_part(pen, hold_out=True, hold_out_pendigits=True, tune_writers=wider).labels.tolist() == []
    assert pendata.training_part(pen, hold_out=True, hold_out_pendigits=True,
                                 tune_writers=pendata.parse_tune_writers("25,30")).labels.tolist() == [7, 4]
    assert pendata.training_part(pen, hold_out=False, tune_writers=wider).labels.tolist() == [7, 4, 1]  # not asked


def test_default_tune_writers_agree_everywhere():
    from digitpad.training import TrainConfig

    assert pendata.parse_tune_writers(pendata.DEFAULT_TUNE_WRITERS) == pendata.PENDIGITS_TUNE_WRITERS
    assert TrainConfig().tune_writers == pendata.DEFAULT_TUNE_WRITERS


@pytest.mark.parametrize("text", ["31-44", "0-5", "1-30", "", "x", "25-20", "3,31"])
def test_tune_writers_must_be_some_training_writers(text):
    with pytest.raises(ValueError, match="tune writers must be some of pendigits writers 1-30"):
        pendata.parse_tune_writers(text)


def test_held_out_writers_are_a_fixed_fifth_by_name():
    names = [f"site/w{i}" for i in range(2000)]
    held = [n for n in names if pendata.is_held_out(n)]
    assert 0.17 < len(held) / len(names) < 0.23
    assert held == [n for n in names if pendata.is_held_out(n)]  # the same every time


def test_non_digits_leave_out_what_can_pass_for_a_digit(tmp_path):
    path = tmp_path / pendata.UNIPEN_NONDIGITS_FILE
    labels = np.array(["A", "O", "l", "x", "/", "#"])
    write_strokes(path, [SEVEN] * 6, labels, ["s/a"] * 6)
    data = pendata.load_stroke_set(path)
    assert data.kind == pendata.NONDIGITS
    assert pendata.training_part(data, hold_out=False).labels.tolist() == ["A", "x", "#"]
    for ch in "OoDQIl|SsZzBbGgqT":
        assert ch in pendata.AMBIGUOUS


def test_corrupt_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(pendata.PenDataError, match="bad.npz"):
        pendata.load_stroke_set(bad)
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(pendata.PenDataError, match="not a stroke file"):
        pendata.load_stroke_set(tmp_path / "other.npz")


# ------------------------------------------------------------------------------ styles
def ink(strokes):
    return render_strokes(strokes).reshape(28, 28)


def test_slashed_zero_crosses_the_middle_of_the_loop():
    rng = np.random.default_rng(0)
    plain = ink(ZERO)
    assert plain[12:16, 12:16].max() < 0.2  # an empty middle
    for _ in range(5):
        slashed = styles.slash_zero(ZERO, rng)
        assert len(slashed) == 2 and ink(slashed)[11:17, 11:17].max() > 0.5


def test_flagged_one_and_crossed_seven_add_ink_where_the_style_has_it():
    rng = np.random.default_rng(1)
    one = styles.flag_one(ONE, rng)
    pts = np.concatenate(one)
    assert pts[:, 0].min() < 100 - 10  # the flag reaches out to the left of the stem
    seven = styles.cross_seven(SEVEN, rng)
    bar = seven[-1]
    assert len(seven) == 2 and abs(bar[0, 1] - bar[-1, 1]) < 30 and 100 < bar[:, 1].mean() < 260


def test_open_four_only_where_it_applies():
    rng = np.random.default_rng(2)
    opened = styles.open_four(FOUR, rng)
    arm = opened[0][:4]
    assert np.ptp(arm[:, 0]) < np.ptp(FOUR[0][:4, 0])  # the arm stands more upright
    assert styles.open_four(ONE, rng) is None and styles.add_style(SEVEN, 3, rng) is None


@pytest.mark.parametrize("kind", sorted(styles.SCRIBBLES))
def test_every_scribble_renders(kind):
    rng = np.random.default_rng(3)
    vec = render_strokes(styles.scribble(rng, kind))
    assert vec is not None and vec.max() == pytest.approx(1.0)


def test_slashed_zero_detection():
    rng = np.random.default_rng(4)
    assert not styles.is_slashed_zero(ZERO)
    assert all(styles.is_slashed_zero(styles.slash_zero(ZERO, rng)) for _ in range(10))
    assert not styles.is_slashed_zero(SEVEN) and not styles.is_slashed_zero(styles.cross_seven(SEVEN, rng))
