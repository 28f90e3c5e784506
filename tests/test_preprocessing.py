"""Tests for digitpad.preprocessing: image -> MNIST 784 vector, blank detection, loading."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from conftest import real_mnist
from digitpad.preprocessing import (
    BOX,
    N_PIXELS,
    SIDE,
    ImageError,
    center_of_mass_frame,
    load_image,
    preprocess,
    preprocess_file,
    to_ink,
)
from raster import strokes_to_image

# A "2" in unit coordinates (y down): an arc on top, a diagonal, a base line.
_ARC = [(0.1 + 0.4 * (1 - np.cos(t)), 0.3 - 0.3 * np.sin(t)) for t in np.linspace(0.2, np.pi, 12)]
TWO = [np.array(_ARC[::-1] + [(0.05, 1.0), (0.75, 1.0)])]


def draw(strokes=TWO, canvas=280, size=200.0, at=(40.0, 40.0), pen=0.12) -> np.ndarray:
    """White-on-black float drawing of unit-box ``strokes`` scaled to ``size`` px at ``at``."""
    placed = [np.asarray(s) * size + at for s in strokes]
    return strokes_to_image(placed, canvas, pen * size)


def valid(vec) -> bool:
    return (
        isinstance(vec, np.ndarray)
        and vec.shape == (N_PIXELS,)
        and vec.dtype == np.float32
        and bool(np.all((vec >= 0) & (vec <= 1)))
    )


def com(vec: np.ndarray) -> tuple[float, float]:
    img = vec.reshape(SIDE, SIDE).astype(np.float64)
    idx = np.arange(SIDE)
    return float(img.sum(1) @ idx / img.sum()), float(img.sum(0) @ idx / img.sum())


def aligned_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean abs difference after the best shift by up to 1 px: centring is an integer
    shift (as in MNIST), so a centre of mass near x.5 may round either way."""
    a, b = a.reshape(SIDE, SIDE), b.reshape(SIDE, SIDE)
    return min(
        float(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
    )


def bbox_long_side(vec: np.ndarray) -> int:
    img = vec.reshape(SIDE, SIDE) > 0
    rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
    return int(max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    vec = preprocess(draw())
    assert valid(vec)
    return vec


# --------------------------------------------------------------------------- geometry


@pytest.mark.parametrize(
    "canvas, size, at",
    [(280, 200, (40, 40)), (280, 60, (10, 200)), (1000, 700, (250, 30)), (600, 40, (500, 520)), (64, 40, (12, 10))],
)
def test_same_digit_anywhere_any_size_gives_same_vector(reference, canvas, size, at):
    vec = preprocess(draw(canvas=canvas, size=size, at=at))
    assert valid(vec)
    assert aligned_diff(vec, reference) < 0.03


def test_mnist_contract_centre_of_mass_and_box(reference):
    cy, cx = com(reference)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert bbox_long_side(reference) == BOX
    assert reference.max() == pytest.approx(1.0)
    assert reference.reshape(SIDE, SIDE)[:, :3].max() == 0  # black margin


def test_wide_digit_keeps_aspect_ratio():
    wide = np.zeros((100, 300), np.uint8)
    wide[40:60, 10:290] = 255  # 280 x 20 bar -> 20 x ~1.4
    img = preprocess(wide).reshape(SIDE, SIDE)
    rows = np.flatnonzero(img.max(1) > 0.1)
    cols = np.flatnonzero(img.max(0) > 0)
    assert cols.size == BOX and 1 <= rows.size <= 3


@pytest.mark.mnist
def test_mnist_digits_come_back_nearly_unchanged():
    x = np.load(real_mnist())["x_test"][:200]
    diffs = [np.abs(preprocess(d) - d.ravel() / 255).mean() for d in x]
    assert np.median(diffs) < 0.05
    assert max(diffs) < 0.15


def test_center_of_mass_frame_places_mass_at_centre():
    dot = np.zeros((20, 20), np.float32)
    dot[3, 17] = 1
    frame = center_of_mass_frame(dot)
    assert frame.shape == (SIDE, SIDE) and frame[14, 14] == 1 and frame.sum() == 1
    # a digit whose mass sits on one edge is kept whole (shift clipped to the frame)
    edge = np.zeros((28, 28), np.float32)
    edge[:, 27] = 1
    edge[0, :] = 1
    placed = center_of_mass_frame(edge)
    assert placed.sum() == edge.sum() and placed[:, 27].sum() == 28
    assert center_of_mass_frame(np.zeros((3, 5))).sum() == 0
    with pytest.raises(ValueError):
        center_of_mass_frame(np.zeros((29, 5)))


# --------------------------------------------------------------------------- polarity, colour, alpha


def test_dark_on_light_equals_light_on_dark(reference):
    ink = draw()
    dark_on_light = np.rint((1 - ink) * 255).astype(np.uint8)
    assert np.abs(preprocess(dark_on_light) - reference).mean() < 0.01
    light_on_dark_float = ink.astype(np.float64)  # [0, 1] floats
    assert np.abs(preprocess(light_on_dark_float) - reference).mean() < 0.01
    as_0_255_floats = ink * 255.0
    assert np.abs(preprocess(as_0_255_floats) - reference).mean() < 0.01


def test_low_contrast_pencil_on_grey_paper(reference):
    ink = draw()
    rng = np.random.default_rng(1)
    paper = 215 - 45 * ink + rng.normal(0, 1.5, ink.shape)  # faint pencil, noisy paper
    vec = preprocess(np.clip(paper, 0, 255).astype(np.uint8))
    assert np.abs(vec - reference).mean() < 0.03


def test_colour_image(reference):
    ink = draw()[:, :, None]
    paper = np.array([250, 240, 160], np.float32)  # yellow paper, blue ink
    pen = np.array([20, 40, 200], np.float32)
    rgb = (paper * (1 - ink) + pen * ink).astype(np.uint8)
    assert np.abs(preprocess(rgb) - reference).mean() < 0.03


@pytest.mark.parametrize("hidden_rgb", [0, 255])
def test_black_ink_on_transparent_background(reference, hidden_rgb):
    ink = draw()
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., :3] = hidden_rgb
    rgba[ink > 0, :3] = 0
    rgba[..., 3] = np.rint(ink * 255)
    assert np.abs(preprocess(rgba) - reference).mean() < 0.02


def test_opaque_alpha_is_ignored(reference):
    grey = np.rint((1 - draw()) * 255).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    assert np.allclose(preprocess(rgba), preprocess(grey), atol=1e-5)
    assert np.array_equal(to_ink(grey[:, :, None]), to_ink(grey))


def test_to_ink_bright_on_black_with_unit_peak():
    img = np.full((50, 50), 200, np.uint8)
    img[20:30, 10:40] = 150  # faint dark mark on light paper
    ink = to_ink(img)
    assert ink.dtype == np.float32 and ink.shape == (50, 50)
    assert ink.max() == pytest.approx(1.0) and ink[0, 0] == 0 and ink[25, 25] == pytest.approx(1.0)


# --------------------------------------------------------------------------- blank and degenerate


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280), 255, np.uint8),
        np.full((100, 80, 3), 128, np.uint8),
        np.full((40, 40), 0.3),
        np.zeros((280, 280, 4), np.uint8),  # fully transparent
        np.clip(np.random.default_rng(0).normal(200, 2, (280, 280)), 0, 255).astype(np.uint8),
    ],
    ids=["black", "white", "grey-rgb", "float-grey", "transparent", "paper-noise"],
)
def test_blank_is_none(image):
    assert preprocess(image) is None


def test_speck_is_none():
    img = np.full((280, 280), 255, np.uint8)
    img[100:103, 150:153] = 0  # a 3-px speck on a 280-px canvas
    assert preprocess(img) is None


@pytest.mark.parametrize("kind", ["dot", "thin-diagonal", "horizontal", "vertical", "corner-pixel", "1x1", "1xN"])
def test_degenerate_drawings_do_not_crash(kind):
    img = np.zeros((280, 280), np.uint8)
    if kind == "dot":
        img[140, 140] = 255
    elif kind == "thin-diagonal":
        np.fill_diagonal(img, 255)
    elif kind == "horizontal":
        img[100, 20:200] = 255
    elif kind == "vertical":
        img[20:260, 7] = 255
    elif kind == "corner-pixel":
        img[0, 0] = 255
    elif kind == "1x1":
        img = np.array([[255]], np.uint8)
    elif kind == "1xN":
        img = np.array([[0, 0, 255, 255, 0, 0]], np.uint8)
    vec = preprocess(img)
    assert vec is None or valid(vec)
    if kind in ("horizontal", "vertical", "thin-diagonal"):
        assert valid(vec) and bbox_long_side(vec) == BOX
        assert vec.max() == pytest.approx(1.0)


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    "bad, words",
    [
        (np.zeros((0, 0)), "empty"),
        (np.zeros((0, 10, 3), np.uint8), "empty"),
        (np.full((5, 5), np.nan), "NaN"),
        (np.array([[0.0, np.inf], [0.0, 0.0]]), "infinite"),
        (np.zeros((2, 5, 5, 3)), "shape"),
        (np.zeros(10), "shape"),
        (np.zeros((5, 5, 5)), "channels"),
        (np.full((5, 5), "x"), "numeric"),
        (np.zeros((5, 5), complex), "numeric"),
    ],
)
def test_invalid_arrays_raise_value_error(bad, words):
    for fn in (to_ink, preprocess):
        with pytest.raises(ValueError, match=words):
            fn(bad)


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.float32, np.float64, np.uint16, np.int16, np.bool_]),
        shape=st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
            st.tuples(st.integers(1, 30), st.integers(1, 30), st.sampled_from([1, 2, 3, 4])),
        ),
        elements={"allow_nan": False, "allow_infinity": False, "allow_subnormal": False},
    )
)
def test_random_arrays_give_none_or_valid_vector(arr):
    vec = preprocess(arr)
    assert vec is None or valid(vec)


# --------------------------------------------------------------------------- files


def test_load_image_modes(tmp_path):
    ink = draw(canvas=64, size=40, at=(12, 10))
    grey = np.rint((1 - ink) * 255).astype(np.uint8)
    reference = preprocess(grey)
    cases = {
        "grey.png": (Image.fromarray(grey), (64, 64)),
        "rgb.jpg": (Image.fromarray(grey).convert("RGB"), (64, 64, 3)),
        "rgba.png": (Image.fromarray(np.dstack([grey] * 3 + [np.full_like(grey, 255)])), (64, 64, 4)),
        "la.png": (Image.fromarray(grey).convert("LA"), (64, 64, 4)),
        "palette.gif": (Image.fromarray(grey).convert("P"), (64, 64, 3)),
        "onebit.png": (Image.fromarray(grey).convert("1"), (64, 64)),
        "deep.png": (Image.fromarray(grey.astype(np.uint16) * 257), (64, 64)),
        "cmyk.tiff": (Image.fromarray(grey).convert("RGB").convert("CMYK"), (64, 64, 3)),
    }
    for name, (im, shape) in cases.items():
        im.save(tmp_path / name)
        arr = load_image(tmp_path / name)
        assert arr.dtype == np.uint8 and arr.shape == shape, name
        vec = preprocess_file(tmp_path / name)
        tolerance = 0.08 if name == "onebit.png" else 0.03  # 1-bit dithering changes strokes
        assert np.abs(vec - reference).mean() < tolerance, name


def test_palette_transparency_kept_as_alpha(tmp_path):
    im = Image.new("P", (30, 30), 0)
    im.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    im.paste(1, (10, 5, 14, 25))
    im.save(tmp_path / "t.png", transparency=0)
    arr = load_image(tmp_path / "t.png")
    assert arr.shape == (30, 30, 4) and arr[0, 0, 3] == 0 and arr[10, 12, 3] == 255
    assert valid(preprocess(arr))


def _assert_one_line_error(path, *words):
    with pytest.raises(ImageError) as info:
        load_image(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert any(w in message for w in words), message
    with pytest.raises(ImageError):
        preprocess_file(path)


def test_load_image_errors(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image\n")
    _assert_one_line_error(text, "not an image")
    _assert_one_line_error(tmp_path / "missing.png", "no such file")
    _assert_one_line_error(tmp_path, "directory")
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _assert_one_line_error(truncated, "truncated", "corrupt")


@pytest.mark.parametrize("pixels", [60 * 60, 200 * 200], ids=["warning", "error"])
def test_decompression_bomb_is_an_error(tmp_path, monkeypatch, pixels):
    side = int(pixels**0.5)
    path = tmp_path / "bomb.png"
    Image.new("L", (side, side), 255).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # 3600 warns, 40000 > 2x errors
    _assert_one_line_error(path, "too large")


# --------------------------------------------------------------------------- huge images


def _huge_drawing(side: int) -> np.ndarray:
    small = np.rint((1 - draw(canvas=side // 8, size=side // 16, at=(side // 40, side // 30))) * 255)
    return np.asarray(Image.fromarray(small.astype(np.uint8)).resize((side, side), Image.Resampling.NEAREST))


def test_huge_image_is_processed(reference):
    big = _huge_drawing(8000)
    vec = preprocess(big)
    assert valid(vec) and np.abs(vec - reference).mean() < 0.04


@pytest.mark.benchmark
def test_benchmark_preprocess_timings():
    cases = {
        "280x280 grey canvas": np.rint((1 - draw()) * 255).astype(np.uint8),
        "8000x8000 grey": _huge_drawing(8000),
    }
    cases["8000x8000 RGB"] = np.repeat(cases["8000x8000 grey"][:, :, None], 3, axis=2)
    for name, img in cases.items():
        preprocess(img)
        runs = 20 if img.size < 1e6 else 3
        t0 = time.perf_counter()
        for _ in range(runs):
            preprocess(img)
        per = (time.perf_counter() - t0) / runs
        print(f"\npreprocess {name}: {per * 1e3:.1f} ms")
        assert per < 5.0


@pytest.mark.parametrize(
    "shape, dtype", [((2, 5000), np.uint8), ((5000, 3, 3), np.float32), ((3000, 2100, 2), np.uint16), ((2100, 1030), bool)]
)
def test_elongated_and_large_arrays_are_reduced_safely(shape, dtype):
    img = np.zeros(shape, dtype)
    img[..., : shape[1] // 2] = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1
    vec = preprocess(img)
    assert vec is None or valid(vec)
