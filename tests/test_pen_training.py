"""Real pen digits in training: rendering, augmentation, and that the training code only
ever loads writers 1-30 (31-44 are the honest test writers)."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.data import Mnist
from digitpad.pen_training import (
    PenMix,
    StrokeAugment,
    augment_strokes,
    balance_counts,
    pen_training_data,
    render_samples,
)
from digitpad.pendigits import PenDigits, save_pendigits
from digitpad.presets import get_preset
from digitpad.strokes import render_strokes
from digitpad.training import TrainConfig, train

SEVEN = [np.array([[100, 100], [200, 100], [140, 300]], np.float32)]
FOUR = [
    np.array([[120, 40], [100, 90], [80, 140], [70, 160], [150, 160], [190, 158]], np.float32),
    np.array([[160, 60], [158, 120], [157, 180], [156, 240]], np.float32),
]


def mixed_file(tmp_path):
    """A pen-digit file holding a training writer (3) and a test writer (40)."""
    data = PenDigits([SEVEN, FOUR, FOUR, SEVEN, FOUR], np.array([7, 4, 4, 7, 4]), np.array([3, 3, 40, 40, 40]))
    path = tmp_path / "pen.npz"
    save_pendigits(data, path)
    return path


def render(copies: int, seed: int):
    xs, ys = render_samples([SEVEN, FOUR], [7, 4], copies, np.random.default_rng(seed))
    return np.stack(xs), np.asarray(ys)


def test_render_samples_shapes_labels_and_the_unaugmented_copy():
    x, y = render(copies=3, seed=0)
    assert x.shape == (8, 784) and x.dtype == np.uint8
    assert y.tolist() == [7, 7, 7, 7, 4, 4, 4, 4]
    assert (x.max(axis=1) == 255).all()
    # The first rendering of each sample is exactly what the canvas's strokes route gives.
    np.testing.assert_array_equal(x[0], np.rint(render_strokes(SEVEN) * 255).astype(np.uint8))
    np.testing.assert_array_equal(x[4], np.rint(render_strokes(FOUR) * 255).astype(np.uint8))
    assert len({row.tobytes() for row in x[4:]}) == 4  # the augmented ones differ
    again, _ = render(copies=3, seed=0)
    np.testing.assert_array_equal(x, again)  # reproducible with the same seed


def test_augment_keeps_strokes_and_stays_close():
    rng = np.random.default_rng(1)
    for _ in range(20):
        out = augment_strokes(FOUR, rng)
        assert [len(s) for s in out] == [len(s) for s in FOUR]
        assert all(np.isfinite(s).all() for s in out)
        # Still recognisably the same drawing: images overlap strongly.
        a, b = render_strokes(FOUR), render_strokes(out)
        assert float(np.minimum(a, b).sum() / np.maximum(a, b).sum()) > 0.2
    none = StrokeAugment(0, 0, 0, 0, 0, 0)
    same = augment_strokes(FOUR, rng, none)
    np.testing.assert_allclose(render_strokes(same), render_strokes(FOUR), atol=1e-5)


def test_only_training_writers_are_loaded(tmp_path):
    x, y = pen_training_data(copies=2, seed=0, path=mixed_file(tmp_path), mix=PenMix(copies=2, style_share=0))
    assert len(x) == 2 * 3 and sorted(set(y.tolist())) == [4, 7]  # writer 3's two samples only


def test_writers_31_to_44_never_train_even_without_the_test_flag(tmp_path):
    """A pendigits file (no writer names) is recognised as pendigits even when a copy lost
    is_test, so writers 31-44 stay out."""
    only_test = PenDigits([SEVEN, FOUR], np.array([7, 4]), np.array([31, 44]))
    save_pendigits(only_test, tmp_path / "test_only.npz")
    x, y = pen_training_data(copies=1, seed=0, path=tmp_path / "test_only.npz")
    assert len(x) == 0


def test_styles_and_not_a_digit_from_a_folder(tmp_path, monkeypatch):
    folder = tmp_path / "pen"
    folder.mkdir()
    save_pendigits(PenDigits([SEVEN] * 4 + [FOUR] * 4, np.array([7] * 4 + [4] * 4), np.ones(8, int)),
                   folder / "pendigits_strokes.npz")
    letters = [[np.array([[0, 0], [5, 10], [10, 0]], np.float32), np.array([[2, 5], [8, 5]], np.float32)]] * 3
    write_strokes(folder / "unipen_nondigits_train_strokes.npz", letters + [[np.array([[0, 0], [0, 10]], np.float32)]],
                  np.array(["A", "A", "A", "I"]), ["x/a", "x/a", "x/a", "x/a"])
    monkeypatch.setenv("DIGITPAD_PEN_DATA", str(folder))
    mix = PenMix(copies=0, style_share=1.0, scribbles=5)
    x, y = pen_training_data(copies=0, seed=0, not_digit=True, mix=mix, paths=None)
    counts = np.bincount(y, minlength=11)
    assert counts[7] == 4 + 4 and counts[4] >= 4  # every seven crossed; fours opened where they can be
    assert counts[10] == 3 + 5  # the three A's (the "I" is ambiguous) and five scribbles
    x2, y2 = pen_training_data(copies=0, seed=0, not_digit=False, mix=mix, paths=None)
    assert 10 not in y2.tolist()


def test_balance_counts_tops_up_rare_classes_to_the_minimum_within_the_cap():
    labels = ["e"] * 50 + ["$"] * 10 + ["~"] * 2
    extra = balance_counts(labels, 1, 30, 4, np.random.default_rng(0))
    lab = np.array(labels)
    assert extra[lab == "e"].sum() == 0  # common enough already
    assert extra[lab == "$"].sum() == 20 and set(extra[lab == "$"].tolist()) == {2}  # 10 -> 30, spread evenly
    assert extra[lab == "~"].sum() == 6  # capped at 4x its 2 samples, not 30
    assert balance_counts(labels, 1, 0, 4, np.random.default_rng(0)).sum() == 0  # off by default
    # Images a sample already has count: with 2 each, "$" needs 10 more to reach 30.
    assert balance_counts(labels, 2, 30, 4, np.random.default_rng(0))[lab == "$"].sum() == 10
    odd = balance_counts(["a"] * 4, 1, 7, 4, np.random.default_rng(0))
    assert odd.sum() == 3 and odd.max() == 1  # the remainder goes to a few, one each


def test_rare_letters_and_symbols_get_augmented_renderings(tmp_path, monkeypatch):
    folder = tmp_path / "pen"
    folder.mkdir()
    a = [np.array([[0, 0], [5, 10], [10, 0]], np.float32), np.array([[2, 5], [8, 5]], np.float32)]
    gt = [np.array([[0, 0], [10, 5], [0, 10]], np.float32)]
    write_strokes(folder / "unipen_nondigits_train_strokes.npz", [a] * 6 + [gt],
                  np.array(["A"] * 6 + [">"]), ["x/a"] * 7)
    monkeypatch.setenv("DIGITPAD_PEN_DATA", str(folder))
    plain = PenMix(copies=0, scribbles=0)
    x0, y0 = pen_training_data(copies=0, seed=0, not_digit=True, mix=plain, paths=None)
    assert len(x0) == 7  # the default renders each letter or symbol once
    mix = PenMix(copies=0, scribbles=0, nondigit_min_per_class=5)
    x, y = pen_training_data(copies=0, seed=0, not_digit=True, mix=mix, paths=None)
    assert len(x) == 7 + 3 and set(y.tolist()) == {10}  # the lone ">" gets 3 more (cap 4x), "A" none
    np.testing.assert_array_equal(x[:7], x0)
    gt_plain = np.rint(render_strokes(gt) * 255).astype(np.uint8)
    extra = x[7:].astype(int)
    assert all(np.abs(e - gt_plain).sum() > 0 for e in extra)  # augmented, not repeats of the plain one
    assert all(np.minimum(e, gt_plain).sum() / np.maximum(e, gt_plain).sum() > 0.2 for e in extra)  # of the ">"


def test_nondigit_min_reaches_the_training_config_from_the_command_line():
    import argparse

    from digitpad.train_cli import add_train_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_train_arguments(parser, default_output="x")
    assert config_from_args(parser.parse_args([])).nondigit_min == 0
    assert config_from_args(parser.parse_args(["--nondigit-min", "800"])).nondigit_min == 800
    with pytest.raises(ValueError, match="nondigit min"):
        config_from_args(parser.parse_args(["--nondigit-min", "-1"]))


def test_tune_writers_reach_the_training_config_only_with_hold_out_pendigits():
    import argparse

    from digitpad.train_cli import add_train_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_train_arguments(parser, default_output="x")
    assert config_from_args(parser.parse_args(["--hold-out-pendigits"])).tune_writers == "21-30"
    config = config_from_args(parser.parse_args(["--hold-out-pendigits", "--tune-writers", "11-30"]))
    assert config.tune_writers == "11-30" and config.settings()["tune_writers"] == "11-30"  # kept in the model's .json
    with pytest.raises(ValueError, match="give both"):
        config_from_args(parser.parse_args(["--tune-writers", "11-30"]))
    with pytest.raises(ValueError, match="tune writers"):
        config_from_args(parser.parse_args(["--hold-out-pendigits", "--tune-writers", "31-44"]))


def write_strokes(path, samples, labels, writer_names):
    """A stroke file in the UNIPEN layout (y up, writer names)."""
    strokes = [s for sample in samples for s in sample]
    points = np.concatenate(strokes)
    points[:, 1] = -points[:, 1]
    names = sorted(set(writer_names))
    np.savez(path, points=points.astype(np.int32),
             stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in strokes])]),
             sample_offsets=np.concatenate([[0], np.cumsum([len(s) for s in samples])]),
             labels=labels, writers=np.array([names.index(w) for w in writer_names], np.int16),
             writer_names=np.array(names), y_axis_up=np.bool_(True))


def test_default_preset_trains_with_pen_digits_the_tutorial_without():
    assert get_preset("cnn").pen_copies > 0 and TrainConfig().pen_copies == get_preset("cnn").pen_copies
    assert TrainConfig.for_preset("tutorial").pen_copies == 0
    assert TrainConfig.for_preset("cnn", pen_copies=0).pen_copies == 0
    with pytest.raises(ValueError, match="pen copies"):
        TrainConfig.for_preset("cnn", pen_copies=-1)


@pytest.mark.slow
def test_train_adds_the_pen_digits_of_training_writers_only(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    tiny = Mnist(rng.integers(0, 255, (60, 784), dtype=np.uint8), np.arange(60) % 10,
                 rng.integers(0, 255, (20, 784), dtype=np.uint8), np.arange(20) % 10)
    monkeypatch.setattr("digitpad.training.load_mnist", lambda path: tiny)
    monkeypatch.setenv("DIGITPAD_PEN_DATA", str(mixed_file(tmp_path)))
    monkeypatch.setattr("digitpad.styles.STYLES", {})  # no styled copies: exact counts
    config = TrainConfig.for_preset("tutorial", epochs=1, seed=0, pen_copies=3, validation_split=0.0)
    result = train(config)
    assert result.meta["extra_examples"] == 2 * 4  # writer 3: two samples x (1 + 3 copies)
    assert result.meta["training_examples"] == 60 + 8
    assert result.meta["pen_data_files"] == ["pen.npz"] and result.meta["outputs"] == 10
    passed_in = train(config, data=tiny)  # as tests and tools do with the MNIST they loaded
    assert passed_in.meta["extra_examples"] == 8
    without = train(TrainConfig.for_preset("tutorial", epochs=1, seed=0, pen_copies=0, validation_split=0.0), data=tiny)
    assert without.meta["extra_examples"] == 0
