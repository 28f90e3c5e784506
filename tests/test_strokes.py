"""Tests for digitpad.strokes: point lists -> MNIST 784 vector, and the PEN_FRACTION measurement."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import pen_file, real_mnist
from digitpad.pendigits import TRAIN_WRITERS, load_pendigits
from digitpad.preprocessing import BOX, SIDE, preprocess
from digitpad.strokes import PEN_FRACTION, render_strokes
from digitpad.thinning import thin
from raster import strokes_to_image
from test_preprocessing import aligned_diff, com, valid

HERE = Path(__file__).resolve().parent
MNIST_SAMPLE = HERE / "data" / "mnist_sample.npz"

# A "4" as a canvas would record it: two strokes, y down, canvas pixels.
FOUR = [
    np.array([[120, 40], [100, 90], [80, 140], [70, 160], [150, 160], [190, 158]], float),
    np.array([[160, 60], [158, 120], [157, 180], [156, 240]], float),
]


def stroke_width(images: np.ndarray) -> np.ndarray:
    """Per image: ink mass / skeleton length (pixels), a pen-width estimate that does not
    depend on how long the digit's path is. ``images``: (N, 28, 28) floats in [0, 1]."""
    skeleton = thin(images > 0.5).sum(axis=(1, 2))
    return images.sum(axis=(1, 2)) / np.maximum(skeleton, 1)


@pytest.fixture(scope="module")
def pen_samples(pen_training_writers):
    data = pen_training_writers  # writers 1-30 only, never 31-44
    assert set(np.unique(data.writers)) <= set(TRAIN_WRITERS)
    pick = np.random.default_rng(0).choice(len(data), 300, replace=False)
    return [data.strokes[i] for i in pick]


# --------------------------------------------------------------------------- geometry


def test_contract_box_and_centre_of_mass():
    vec = render_strokes(FOUR)
    assert valid(vec) and vec.max() == pytest.approx(1.0)
    img = vec.reshape(SIDE, SIDE) > 0
    rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == BOX
    cy, cx = com(vec)
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6  # integer shift


@pytest.mark.parametrize("scale, shift", [(1, (0, 0)), (0.01, (5, -3)), (37.5, (1e4, 2e4)), (3, (-900, 0.25))])
def test_translation_and_scale_do_not_change_the_vector(scale, shift):
    reference = render_strokes(FOUR)
    moved = render_strokes([s * scale + shift for s in FOUR])
    assert np.allclose(moved, reference, atol=1e-4)


def test_y_points_down():
    seven = [np.array([[0, 0], [10, 0], [4, 20]], float)]  # bar at the top
    img = render_strokes(seven).reshape(SIDE, SIDE)
    assert int(np.argmax(img.sum(axis=1))) < 12  # the bar's row is in the upper part
    flipped = render_strokes([seven[0] * (1, -1)]).reshape(SIDE, SIDE)
    assert int(np.argmax(flipped.sum(axis=1))) > 16


def test_thickness_is_a_fraction_of_the_box_whatever_the_input_scale():
    pen = PEN_FRACTION * BOX
    for length in (5.0, 500.0, 50_000.0):
        img = render_strokes([np.array([[0, 0], [length, 0]])]).reshape(SIDE, SIDE)
        row_profile = img.sum(axis=1)
        # a horizontal bar: (20 - pen) long plus round caps -> mass of a stadium shape
        expected = (BOX - pen) * pen + np.pi * pen**2 / 4
        assert img.sum() == pytest.approx(expected, rel=0.08)
        assert np.count_nonzero(row_profile > 0.5 * row_profile.max()) <= int(np.ceil(pen)) + 1


def test_dense_and_sparse_sampling_of_the_same_path_agree():
    t = np.linspace(0, 2 * np.pi, 2000)
    dense = [np.c_[50 + 30 * np.cos(t), 50 + 45 * np.sin(t)]]
    sparse = [dense[0][::40]]
    assert np.abs(render_strokes(dense) - render_strokes(sparse)).mean() < 0.02


def test_dot_and_empty():
    dot = render_strokes([np.array([[3.0, 4.0]])])
    assert valid(dot) and dot.max() == pytest.approx(1.0)
    assert dot.sum() == pytest.approx(np.pi * (PEN_FRACTION * BOX / 2) ** 2, rel=0.15)
    assert com(dot) == pytest.approx((14, 14), abs=0.5)
    assert render_strokes([(3.0, 4.0)]) is not None  # a bare point is a one-point stroke
    assert render_strokes([]) is None
    assert render_strokes([np.zeros((0, 2))]) is None


def test_frame_size_speck_is_none():
    speck = [np.array([[100, 100], [104, 101]], float)]
    assert render_strokes(speck, frame_size=280) is None  # 4 px < 3 % of 280
    assert render_strokes(speck) is not None
    assert render_strokes(FOUR, frame_size=280) is not None
    assert render_strokes([np.array([[5.0, 5.0]])], frame_size=280) is None


@pytest.mark.parametrize(
    "bad",
    [[np.zeros((3, 3))], [np.array([[0.0, np.nan]])], [np.array([[0.0, np.inf], [1, 1]])], [["a", "b"]]],
)
def test_bad_strokes_raise_value_error(bad):
    with pytest.raises(ValueError):
        render_strokes(bad)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        hnp.arrays(
            np.float64,
            st.tuples(st.integers(1, 30), st.just(2)),
            elements=st.floats(-1e6, 1e6, allow_nan=False),
        ),
        max_size=4,
    ),
    st.one_of(st.none(), st.floats(1, 1e7)),
)
def test_random_strokes_give_none_or_valid_vector(strokes, frame_size):
    vec = render_strokes(strokes, frame_size=frame_size)
    assert vec is None or (valid(vec) and vec.max() == pytest.approx(1.0))


def test_a_subnormal_extent_is_drawn_as_a_dot():
    # Found by hypothesis: (BOX - pen) / 2.2e-308 overflowed to infinity.
    vec = render_strokes([np.array([[2.22507386e-308, 0.0], [0.0, 0.0]])])
    dot = render_strokes([np.array([[0.0, 0.0]])])
    assert valid(vec) and vec.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(vec, dot)


# --------------------------------------------------------------------------- raster helper, both pipelines


def test_strokes_to_image_disc_area():
    img = strokes_to_image([np.array([[16.0, 16.0]])], 32, 10)
    assert img.shape == (32, 32) and img.max() == 1
    assert img.sum() == pytest.approx(np.pi * 25, rel=0.03)
    assert strokes_to_image([], 8, 2).sum() == 0


def test_canvas_raster_and_direct_rendering_agree():
    """The same strokes drawn on a big canvas and run through preprocess() land on (nearly)
    the same vector as render_strokes(): one contract, two routes."""
    direct = render_strokes(FOUR)
    points = np.concatenate(FOUR)
    longest = float((points.max(0) - points.min(0)).max())
    pen = PEN_FRACTION * BOX / (BOX - PEN_FRACTION * BOX) * longest  # same pen relative to the box
    canvas = strokes_to_image(FOUR, 300, pen)
    via_image = preprocess(canvas)
    assert aligned_diff(direct, via_image) < 0.04


# --------------------------------------------------------------------------- real pen data


def test_pendigits_render_like_mnist(pen_samples):
    """Writers 1-30 rendered with PEN_FRACTION have MNIST-like ink and stroke width."""
    mnist = np.load(MNIST_SAMPLE)
    x = next(mnist[k] for k in mnist.files if k.startswith("x")).astype(np.float32) / 255
    rendered = np.stack([render_strokes(s, frame_size=500) for s in pen_samples]).reshape(-1, SIDE, SIDE)
    mnist_ink, pen_ink = x.sum(axis=(1, 2)), rendered.sum(axis=(1, 2))
    assert np.median(pen_ink) == pytest.approx(np.median(mnist_ink), rel=0.15)
    assert np.median(stroke_width(rendered)) == pytest.approx(np.median(stroke_width(x)), rel=0.15)
    lo, hi = np.percentile(mnist_ink, [1, 99])
    assert np.mean((pen_ink > lo) & (pen_ink < hi)) > 0.9


@pytest.mark.benchmark
def test_measure_pen_fraction():
    """How PEN_FRACTION was chosen. Run:
        pytest tests/test_strokes.py -m benchmark -s -k pen_fraction
    Stroke width (ink mass / skeleton length (digitpad.thinning), median) of 3,000 MNIST training
    digits vs 1,500 pendigits samples of writers 1-30 rendered at several pen fractions;
    the matching fraction is interpolated and PEN_FRACTION must sit within 0.01 of it."""
    x = np.load(real_mnist())["x_train"][:3000].astype(np.float32) / 255
    target = float(np.median(stroke_width(x)))
    target_ink = float(x.sum(axis=(1, 2)).mean())
    data = load_pendigits(pen_file(), writers=TRAIN_WRITERS)
    pick = np.random.default_rng(0).choice(len(data), 1500, replace=False)
    samples = [data.strokes[i] for i in pick]
    print(f"\nMNIST train: median stroke width {target:.3f} px, mean ink {target_ink:.1f}")
    fractions = np.round(np.arange(0.08, 0.161, 0.01), 2)
    widths, inks = [], []
    for f in fractions:
        imgs = np.stack([render_strokes(s, pen_fraction=f) for s in samples]).reshape(-1, SIDE, SIDE)
        widths.append(float(np.median(stroke_width(imgs))))
        inks.append(float(imgs.sum(axis=(1, 2)).mean()))
        print(f"pen_fraction {f:.2f}: median stroke width {widths[-1]:.3f} px, mean ink {inks[-1]:.1f}")
    by_width = float(np.interp(target, widths, fractions))
    by_ink = float(np.interp(target_ink, inks, fractions))
    print(f"match by stroke width: {by_width:.3f}; by mean ink: {by_ink:.3f}; PEN_FRACTION = {PEN_FRACTION}")
    assert abs(PEN_FRACTION - by_width) <= 0.01


@pytest.mark.benchmark
def test_benchmark_render_strokes(pen_samples):
    for s in pen_samples[:20]:
        render_strokes(s)
    t0 = time.perf_counter()
    for s in pen_samples:
        render_strokes(s, frame_size=500)
    per = (time.perf_counter() - t0) / len(pen_samples)
    points = np.mean([sum(len(p) for p in s) for s in pen_samples])
    t = np.linspace(0, 4 * np.pi, 200)
    mouse = [np.c_[100 + 60 * np.cos(t), 150 + 90 * np.sin(1.5 * t)]]
    t0 = time.perf_counter()
    for _ in range(200):
        render_strokes(mouse, frame_size=280)
    per_mouse = (time.perf_counter() - t0) / 200
    print(f"\nrender_strokes: {per * 1e3:.3f} ms per pendigits sample ({points:.0f} points on average),"
          f" {per_mouse * 1e3:.3f} ms for a 200-point mouse stroke")  # fmt: skip
    assert per < 0.05 and per_mouse < 0.05
