"""digitpad.thinning: Guo-Hall skeletons of a batch of binary images."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from digitpad.thinning import thin


def components(mask: np.ndarray, eight: bool = True) -> int:
    """Connected components of a 2-D bool mask (flood fill), 8- or 4-connected."""
    steps = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if eight or dy * dx == 0]
    seen = np.zeros_like(mask)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for dy, dx in steps:
                q = (y + dy, x + dx)
                if 0 <= q[0] < mask.shape[0] and 0 <= q[1] < mask.shape[1] and mask[q] and not seen[q]:
                    seen[q] = True
                    stack.append(q)
    return count


def test_thick_bar_becomes_a_one_pixel_line():
    img = np.zeros((1, 20, 40), bool)
    img[0, 8:13, 5:35] = True  # 5 px thick, 30 px long
    skeleton = thin(img)[0]
    rows = np.flatnonzero(skeleton.any(1))
    assert len(rows) == 1 and 8 <= rows[0] <= 12  # one row, inside the bar
    assert 20 <= skeleton.sum() <= 30  # about the bar's length, ends shortened


def test_ring_stays_a_closed_loop():
    yy, xx = np.mgrid[:40, :40]
    r = np.hypot(yy - 19.5, xx - 19.5)
    img = ((r > 10) & (r < 15))[None]
    skeleton = thin(img)[0]
    assert components(skeleton) == 1
    assert components(~skeleton, eight=False) == 2  # inside and outside apart: the loop is closed
    assert skeleton.sum() == pytest.approx(2 * np.pi * 12.5, rel=0.2)


def test_batch_images_are_independent():
    a = np.zeros((12, 12), bool)
    a[3:9, 2:10] = True
    b = np.zeros((12, 12), bool)
    b[1:11, 5:8] = True
    both = thin(np.stack([a, b]))
    assert (both[0] == thin(a[None])[0]).all() and (both[1] == thin(b[None])[0]).all()


def test_empty_and_bad_shape():
    assert not thin(np.zeros((2, 5, 5), bool)).any()
    with pytest.raises(ValueError, match="batch"):
        thin(np.zeros((5, 5), bool))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(bool, (1, 16, 16)))
def test_skeleton_is_inside_the_ink_keeps_its_pieces_and_is_final(img):
    skeleton = thin(img)
    assert not (skeleton & ~img).any()
    assert (thin(skeleton) == skeleton).all()
    # thinning keeps the ink's pieces and holes: none split, none dropped, none opened
    assert components(skeleton[0]) == components(img[0])
    assert components(np.pad(~skeleton[0], 1, constant_values=True), eight=False) == components(
        np.pad(~img[0], 1, constant_values=True), eight=False)


def diagonal(width: int, anti: bool, length: int = 12) -> np.ndarray:
    """A ``width``-pixel-thick line of slope 1 (or -1) drawn in a square mask."""
    img = np.zeros((length + 4, length + 4), bool)
    for i in range(length):
        img[2 + i, 2 + i : 2 + i + width] = True
    return img[:, ::-1] if anti else img


@pytest.mark.parametrize("anti", [False, True])
@pytest.mark.parametrize("width", [1, 2, 3])
@pytest.mark.parametrize("factor", [1, 2, 3])
def test_diagonal_strokes_keep_their_length_at_any_scale(width, anti, factor):
    """Zhang-Suen deleted a two-pixel-thick diagonal whole (and a 1-pixel line of slope -1
    three pixels thick once doubled); the skeleton must run the line's whole length."""
    img = diagonal(width, anti).repeat(factor, 0).repeat(factor, 1)
    skeleton = thin(img[None])[0]
    assert components(skeleton) == 1
    rows = np.flatnonzero(skeleton.any(1))
    assert rows[-1] - rows[0] + 1 >= 12 * factor - 2 * factor - 1  # ends shortened by at most a pen width
    assert skeleton.sum() <= 1.2 * 12 * factor  # one pixel wide (8-connected, no staircase)


def test_doubled_x_keeps_both_strokes():
    """An X of two 3-pixel-thick strokes, upscaled 2x by pixel doubling: both strokes'
    skeletons reach all four corners."""
    img = diagonal(3, False, 20) | diagonal(3, True, 20)
    up = img.repeat(2, 0).repeat(2, 1)
    skeleton = thin(up[None])[0]
    assert components(skeleton) == 1
    h, w = skeleton.shape
    q = 10  # each corner's quadrant holds skeleton within q pixels of the corner
    for corner in (skeleton[: h // 2, : w // 2], skeleton[: h // 2, w // 2 :][:, ::-1],
                   skeleton[h // 2 :, : w // 2][::-1], skeleton[h // 2 :, w // 2 :][::-1, ::-1]):
        ys, xs = np.nonzero(corner)
        assert len(ys) >= 15 and (ys + xs).min() <= 2 * q


def test_two_by_two_block_keeps_one_pixel():
    img = np.zeros((1, 6, 6), bool)
    img[0, 2:4, 2:4] = True
    assert thin(img)[0].sum() == 1
