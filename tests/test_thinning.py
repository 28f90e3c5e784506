"""digitpad.thinning: Zhang-Suen skeletons of a batch of binary images."""

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
    # thinning never splits a piece of ink (it may drop a piece as small as a 2x2 block)
    assert components(skeleton[0]) <= components(img[0])
