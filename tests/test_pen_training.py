"""Real pen digits in training: rendering, augmentation, and that the training code only
ever loads writers 1-30 (31-44 are the honest test writers)."""

from __future__ import annotations

import numpy as np
import pytest

import digitpad.pen_training as pen_training
from digitpad.pen_training import StrokeAugment, augment_strokes, pen_training_data, render_pen_set
from digitpad.pendigits import TRAIN_WRITERS, PenDigits, load_pendigits, save_pendigits
from digitpad.presets import get_preset
from digitpad.strokes import render_strokes
from digitpad.training import Dataset, TrainConfig, train

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


def test_render_pen_set_shapes_labels_and_the_unaugmented_copy():
    data = PenDigits([SEVEN, FOUR], np.array([7, 4]), np.array([1, 2]))
    x, y = render_pen_set(data, copies=3, seed=0)
    assert x.shape == (8, 784) and x.dtype == np.uint8
    assert y.tolist() == [7, 7, 7, 7, 4, 4, 4, 4]
    assert (x.max(axis=1) == 255).all()
    # The first rendering of each sample is exactly what the canvas's strokes route gives.
    np.testing.assert_array_equal(x[0], np.rint(render_strokes(SEVEN) * 255).astype(np.uint8))
    np.testing.assert_array_equal(x[4], np.rint(render_strokes(FOUR) * 255).astype(np.uint8))
    assert len({row.tobytes() for row in x[4:]}) == 4  # the augmented ones differ
    again, _ = render_pen_set(data, copies=3, seed=0)
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


def test_only_training_writers_are_loaded(tmp_path, monkeypatch):
    asked = []
    real = pen_training.load_pendigits

    def spy(path=None, writers=None):
        asked.append(None if writers is None else tuple(writers))
        return real(path, writers=writers)

    monkeypatch.setattr(pen_training, "load_pendigits", spy)
    x, y = pen_training_data(copies=2, seed=0, path=mixed_file(tmp_path))
    assert asked == [TRAIN_WRITERS]
    assert len(x) == 2 * 3 and sorted(set(y.tolist())) == [4, 7]  # writer 3's two samples only


def test_the_bundled_pen_data_is_writers_1_to_30():
    data = load_pendigits(writers=TRAIN_WRITERS)
    assert set(np.unique(data.writers).tolist()) == set(TRAIN_WRITERS)


def test_default_preset_trains_with_pen_digits_the_tutorial_without():
    assert get_preset("cnn").pen_copies > 0 and TrainConfig().pen_copies == get_preset("cnn").pen_copies
    assert TrainConfig.for_preset("tutorial").pen_copies == 0
    assert TrainConfig.for_preset("cnn", pen_copies=0).pen_copies == 0
    with pytest.raises(ValueError, match="pen copies"):
        TrainConfig.for_preset("cnn", pen_copies=-1)


@pytest.mark.slow
def test_train_adds_the_pen_digits_of_training_writers_only(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    tiny = Dataset(rng.integers(0, 255, (60, 784), dtype=np.uint8), np.arange(60) % 10,
                   rng.integers(0, 255, (20, 784), dtype=np.uint8), np.arange(20) % 10)
    monkeypatch.setattr("digitpad.training._load", lambda config: tiny)
    monkeypatch.setenv("DIGITPAD_PENDIGITS", str(mixed_file(tmp_path)))
    config = TrainConfig.for_preset("tutorial", epochs=1, seed=0, pen_copies=3, validation_split=0.0)
    result = train(config)
    assert result.meta["extra_examples"] == 2 * 4  # writer 3: two samples x (1 + 3 copies)
    assert result.meta["training_examples"] == 60 + 8
    passed_in = train(config, data=tiny)  # as the Train tab does with the MNIST it loaded
    assert passed_in.meta["extra_examples"] == 8
    without = train(TrainConfig.for_preset("tutorial", epochs=1, seed=0, pen_copies=0, validation_split=0.0), data=tiny)
    assert without.meta["extra_examples"] == 0
