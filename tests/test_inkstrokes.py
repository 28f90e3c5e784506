"""digitpad.inkstrokes: pen strokes recovered from ink and followed through crossings, and
candidate pieces of a cut made to own whole strokes. Synthetic strokes only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from digitpad import inkstrokes as I
from raster import strokes_to_image

PEN = 4.5  # about the pen of the working ink (numbers.WORK_HEIGHT = 64 px high)


def ink(strokes, h=64, w=64):
    return strokes_to_image([np.asarray(s, float) for s in strokes], max(h, w), PEN)[:h, :w] > 0.25


def far_from(mask, point, radius):
    ys, xs = np.indices(mask.shape)
    return mask & ((xs - point[0]) ** 2 + (ys - point[1]) ** 2 > radius**2)


def owners(strokes, mask, where):
    """The pseudo-strokes owning the pixels of ``where`` (junction ink, 0, left out)."""
    got = np.unique(strokes.owner[where & mask])
    return set(got[got > 0].tolist())


@pytest.fixture
def chaining(monkeypatch):
    """Edges go on through crossings and 3-way junctions (off by default: see CROSS_TURN)."""
    monkeypatch.setattr(I, "CROSS_TURN", 60.0)
    monkeypatch.setattr(I, "MAX_TURN", 25.0)


@pytest.mark.parametrize("scale", [1, 2])
def test_an_x_is_four_edges_by_default_each_owning_its_arm(scale):
    a, b = [(8, 8), (56, 56)], [(8, 56), (56, 8)]
    ma, mb = ink([a]), ink([b])
    s = I.ink_strokes(ma | mb, PEN, scale=scale)
    assert s.owner.shape == ma.shape and s.skeleton.shape == ma.shape
    assert not s.owner[~(ma | mb)].any() and (s.owner[ma | mb] > 0).mean() > 0.8
    assert s.count == 4
    arms = far_from(ma | mb, (32, 32), 2 * PEN)
    got = [owners(s, arms, arms & (np.sign(np.indices(arms.shape)[0] - 32) == sy)
                  & (np.sign(np.indices(arms.shape)[1] - 32) == sx))
           for sy in (-1, 1) for sx in (-1, 1)]
    assert all(len(g) == 1 for g in got) and len(set().union(*got)) == 4
    # the ink at the very crossing is nobody's (a piece keeps it as the cut has it)
    assert s.owner[32, 32] == 0


def test_an_x_is_two_strokes_each_owning_its_arms(chaining):
    a, b = [(8, 8), (56, 56)], [(8, 56), (56, 8)]
    ma, mb = ink([a]), ink([b])
    s = I.ink_strokes(ma | mb, PEN)
    assert s.count == 2
    arms_a, arms_b = far_from(ma, (32, 32), 2 * PEN), far_from(mb, (32, 32), 2 * PEN)
    (oa,), (ob,) = owners(s, ma, arms_a), owners(s, mb, arms_b)  # one owner each, both arms
    assert oa != ob
    assert not s.closed[oa - 1] and not s.closed[ob - 1]


def test_a_flat_crossing_still_pairs_the_straight_arms(chaining):
    # at 40 degrees apart (two 3-way junctions joined by a short edge)
    a = [(4, 32), (60, 32)]
    t = math.radians(40)
    b = [(32 - 28 * math.cos(t), 32 + 28 * math.sin(t)), (32 + 28 * math.cos(t), 32 - 28 * math.sin(t))]
    ma, mb = ink([a]), ink([b])
    s = I.ink_strokes(ma | mb, PEN)
    (oa,) = owners(s, ma, far_from(ma & ~mb, (32, 32), 3 * PEN))
    (ob,) = owners(s, mb, far_from(mb & ~ma, (32, 32), 3 * PEN))
    assert oa != ob


def test_a_stroke_ending_on_another_is_apart(monkeypatch):
    bar, stem = [(6, 16), (58, 16)], [(32, 16), (32, 58)]
    mbar, mstem = ink([bar]), ink([stem])
    s = I.ink_strokes(mbar | mstem, PEN)
    (ostem,) = owners(s, mstem, far_from(mstem, (32, 16), 2 * PEN))
    assert ostem not in owners(s, mbar, far_from(mbar, (32, 16), 2 * PEN))
    assert s.count == 3  # by default nothing goes on through a junction
    # allowed to, the bar goes on through the T and the stem still ends there
    monkeypatch.setattr(I, "MAX_TURN", 25.0)
    s = I.ink_strokes(mbar | mstem, PEN)
    (obar,) = owners(s, mbar, far_from(mbar, (32, 16), 2 * PEN))
    (ostem,) = owners(s, mstem, far_from(mstem, (32, 16), 2 * PEN))
    assert obar != ostem and s.count == 2


def test_a_ring_is_one_closed_stroke():
    t = np.linspace(0, 2 * np.pi, 60)
    ring = np.column_stack([32 + 20 * np.cos(t), 32 + 24 * np.sin(t)])
    m = ink([ring])
    s = I.ink_strokes(m, PEN)
    assert s.count == 1 and s.closed == [True]
    assert (s.owner[m] == 1).mean() > 0.95
    # an open arc is not closed
    arc = ink([ring[:40]])
    assert I.ink_strokes(arc, PEN).closed == [False]


SEVEN = [[(6, 8), (34, 8), (20, 58)]]
FOUR = [[(52, 6), (40, 38)], [(18, 38), (70, 38)], [(58, 16), (58, 60)]]  # its bar crosses the 7's stem


def share(piece, digit):
    """The share of the digit's ink in the piece, and of the piece's ink that is the digit's."""
    both = (piece & digit).sum()
    return both / digit.sum(), both / max(piece.sum(), 1)


def test_crossing_strokes_of_two_digits_are_apart(chaining):
    m7, m4 = ink(SEVEN, 64, 80), ink(FOUR, 64, 80)
    s = I.ink_strokes(m7 | m4, PEN)
    (o7,) = owners(s, m7, far_from(m7 & ~m4, (26, 38), 2 * PEN))
    assert o7 not in owners(s, m4, far_from(m4 & ~m7, (26, 38), 2 * PEN))


def test_refine_makes_a_piece_own_whole_strokes_through_a_crossing(chaining):
    m7, m4 = ink(SEVEN, 64, 80), ink(FOUR, 64, 80)
    group = m7 | m4
    s = I.ink_strokes(group, PEN)
    left = group & (np.arange(group.shape[1])[None, :] < 30)  # a top-to-bottom cut
    right = group & ~left
    # no straight cut parts them: the seven's top bar reaches past the four's bar's start
    assert min(share(left, m7)) < 0.9
    for piece, digit in ((left, m7), (right, m4)):
        got = I.refine(piece, s, share=0.7)  # the four's bar is 23 % left of the cut
        assert not (got & ~group).any()
        assert min(share(got, digit)) >= 0.9, (share(piece, digit), share(got, digit))


@pytest.mark.parametrize("scale", [1, 2])
def test_refine_gives_back_a_neighbours_scrap(scale):
    ell = ink([[(12, 8), (14, 56), (34, 56)]])  # an L whose foot runs under its neighbour
    one = ink([[(30, 10), (32, 54)]])  # a 1 standing on the end of that foot
    group = ell | one
    s = I.ink_strokes(group, PEN, scale=scale)
    left = group & (np.arange(group.shape[1])[None, :] < 26)
    right = group & ~left
    assert min(share(left, ell)) < 0.9 and min(share(right, one)) < 0.9  # the cut leaves the foot's end
    assert min(share(I.refine(left, s), ell)) >= 0.9
    assert min(share(I.refine(right, s), one)) >= 0.9


def test_a_finer_skeleton_maps_back_to_the_masks_pixels(monkeypatch):
    """At scale 2 the skeleton is found in the mask with each pixel doubled; each pixel
    then gets its 2x2 block's commonest owner, and the paths are in the mask's pixels."""
    t = np.linspace(0, 2 * np.pi, 60)
    m = ink([np.column_stack([32 + 20 * np.cos(t), 32 + 24 * np.sin(t)])])
    s = I.ink_strokes(m, PEN, scale=2)
    assert s.count == 1 and s.closed == [True] and (s.owner[m] == 1).mean() > 0.95
    for path in s.paths[0]:
        assert m[path[:, 0], path[:, 1]].all()  # on the ink, in the mask's coordinates
    line = ink([[(6, 50), (58, 10)]])
    (path,) = I.ink_strokes(line, PEN, scale=2).paths[0]
    assert line[path[:, 0], path[:, 1]].all()
    assert (np.abs(np.diff(path, axis=0)).max(axis=1) == 1).all()  # steps of one pixel, no repeats
    assert np.hypot(*(path[-1] - path[0])) > 40
    monkeypatch.setattr(I, "THIN_SCALE", 2)  # the module's setting is the default
    assert (I.ink_strokes(m, PEN).owner == s.owner).all()
    monkeypatch.setattr(I, "THIN_SCALE", 1)
    assert (I.ink_strokes(m, PEN).owner == I.ink_strokes(m, PEN, scale=1).owner).all()
    with pytest.raises(ValueError, match="scale"):
        I.ink_strokes(m, PEN, scale=0)
    # the work is done in the ink's box: the same strokes wherever the ink lies in the mask
    big = np.zeros((100, 120), bool)
    big[20:84, 40:104] = m
    for scale in (1, 2):
        a, b = I.ink_strokes(m, PEN, scale=scale), I.ink_strokes(big, PEN, scale=scale)
        assert (b.owner[20:84, 40:104] == a.owner).all() and b.owner.sum() == a.owner.sum()
        assert (b.skeleton[20:84, 40:104] == a.skeleton).all() and b.skeleton.sum() == a.skeleton.sum()
        assert all((q == p + [20, 40]).all() for pa, pb in zip(a.paths, b.paths) for p, q in zip(pa, pb))
    labels = np.array([[1, 1, 2, 0],
                       [1, 3, 0, 0],
                       [5, 5, 4, 4],
                       [0, 0, 4, 6]])  # fmt: skip
    assert (I._block_mode(labels, 2) == [[1, 0], [5, 4]]).all()  # a tie: the first in row order


def test_refine_takes_drops_or_keeps_by_share():
    owner = np.zeros((1, 20), np.int32)
    owner[0, :10] = 1  # 10 pixels of stroke 1
    owner[0, 10:20] = 2  # 10 pixels of stroke 2
    s = I.InkStrokes(owner, 2, np.zeros_like(owner, bool))
    piece = np.zeros((1, 20), bool)
    piece[0, :8] = True  # 80 % of stroke 1
    piece[0, 10:12] = True  # 20 % of stroke 2
    got = I.refine(piece, s, share=0.7)
    assert got[0, :10].all() and not got[0, 10:].any()
    got = I.refine(piece, s, share=0.9)  # neither is sure: the cut's pixels stay
    assert (got == piece).all()
    # junction ink (owner 0) is never added or removed
    owner[0, 9] = 0
    got = I.refine(piece, I.InkStrokes(owner, 2, np.zeros_like(owner, bool)), share=0.7)
    assert got[0, :9].all() and not got[0, 9]


def test_spurs_are_pruned_and_empty_ink_is_fine():
    assert I.ink_strokes(np.zeros((10, 10), bool), PEN).count == 0
    # a short bump on a line is not a stroke of its own: the line's edges own its ink
    line = ink([[(6, 32), (58, 32)], [(32, 32), (32, 27)]])
    s = I.ink_strokes(line, PEN)
    for k in range(1, s.count + 1):
        xs = np.nonzero(s.owner == k)[1]
        assert xs.max() - xs.min() > 15
    with pytest.raises(ValueError):
        I.ink_strokes(np.zeros(5, bool), PEN)


def test_the_cut_lattice_refines_its_pieces_when_switched_on(monkeypatch):
    from digitpad import numbers as N
    from digitpad.predictor import Predictor

    ell = ink([[(8, 8), (10, 56), (40, 56)]])  # its foot runs under the 1: no cut parts them
    one = ink([[(36, 10), (38, 54)]])
    group = ell | one
    predictor = Predictor.bundled()

    def parted(digit):
        lat = N._lattice(group, group.astype(np.float32), 50.0, 59.0, PEN, predictor)
        return any(min(share(m, digit)) >= 0.9 for _, m in lat.pieces.values())

    monkeypatch.setattr(N, "STROKE_PIECES", False)
    assert parted(ell) and not parted(one)
    monkeypatch.setattr(N, "STROKE_PIECES", True)
    assert parted(ell) and parted(one)
