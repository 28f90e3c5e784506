"""digitpad.numbers: the order strokes were written in helps group them into digits.

Synthetic boxes and strokes only (the pen-digit files are never committed)."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad import numbers as N

# y down. B: a five's body, 60 wide; A: its top bar, sticking out to the right over the
# next digit's left edge (overlapping each neighbour too little to be sure); C: the
# next digit. The bar was written first: A = 0, B = 1, C = 2.
BAR, BODY, NEXT = (40.0, 0.0, 95.0, 4.0), (0.0, 0.0, 60.0, 100.0), (80.0, 0.0, 140.0, 100.0)
BOXES = np.array([BAR, BODY, NEXT])


def _score_preferring_the_bar_with_the_next_digit(groups):
    """A stand-in for the model: the bar with the next digit reads a little better than
    the bar with its own body (as an unfamiliar hand's digits can)."""
    conf = {(0, 2): -0.05, (0, 1): -0.8, (1,): -0.1, (2,): -0.1}
    return [conf.get(tuple(g), -6.0) for g in groups]


def test_the_boxes_are_ambiguous_by_overlap_alone():
    assert [sorted(g) for g in N.sure_groups(BOXES)] == [[1], [0], [2]]


def test_group_features_mark_a_group_with_another_digits_stroke_written_inside_it():
    h, base = N.reference(BOXES)
    interleaved = N.group_features(BOXES, [[0], [2]], h, base, 0.0, ordered=True)
    consecutive = N.group_features(BOXES, [[0], [1]], h, base, 0.0, ordered=True)
    unordered = N.group_features(BOXES, [[0], [2]], h, base, 0.0)  # ink components
    assert interleaved[N.INTERLEAVED] == 1.0
    assert consecutive[N.INTERLEAVED] == 0.0 and unordered[N.INTERLEAVED] == 0.0
    assert len(interleaved) == len(N.STROKE_WEIGHTS)
    assert N.STROKE_WEIGHTS[N.INTERLEAVED] < 0  # it costs


def test_time_order_keeps_a_bar_with_the_digit_written_around_it():
    score, w = _score_preferring_the_bar_with_the_next_digit, N.STROKE_WEIGHTS
    # Without the order (as for ink components), the better reading wins ...
    assert N.group(BOXES, score, weights=w) == [(1,), (0, 2)]
    # ... with it, the bar goes with the body written right after it, not with the next
    # digit written after that body.
    assert N.group(BOXES, score, ordered=True, weights=w) == [(0, 1), (2,)]


def _strokes(boxes):
    return [np.array([[x0, y0], [x1, y1]]) for x0, y0, x1, y1 in boxes]


class _Fixed:
    """A stand-in model reading every group as the same digit with the same confidence."""

    def outputs(self, x):
        x = np.atleast_2d(x)
        out = np.full((len(x), 10), 0.02, np.float32)
        out[:, 5] = 0.82
        return out


@pytest.mark.parametrize("read", ["group_strokes", "read_strokes"])
def test_strokes_are_grouped_with_their_time_order(read):
    score = _score_preferring_the_bar_with_the_next_digit
    strokes = _strokes(BOXES)
    seen = []
    real_group = N.group

    def spy(boxes, score_=None, height=None, ordered=False, distance=None, weights=None):
        seen.append((ordered, distance(1, 2), weights is N.STROKE_WEIGHTS))
        return real_group(boxes, score, height, ordered, weights=weights)

    N.group = spy
    try:
        if read == "group_strokes":
            got = N.group_strokes(strokes, _Fixed())
        else:
            got = [d.members for d in N.read_strokes(strokes, _Fixed()).digits]
    finally:
        N.group = real_group
    # In time order, with the strokes' distances, by the weights fitted for strokes.
    assert seen == [(True, pytest.approx(N.stroke_distance(strokes[1], strokes[2])), True)]
    assert got == [(0, 1), (2,)]


def test_stroke_distance_is_zero_where_polylines_cross_even_between_samples():
    # Pen samples are sparse (10 a second): two segments cross with no sample near.
    horizontal = np.array([[0.0, 50], [100, 50]])
    vertical = np.array([[50.0, 0], [50, 100]])
    assert N.stroke_distance(horizontal, vertical) == 0.0
    assert N.stroke_distance(horizontal, vertical + [0, 60]) == pytest.approx(10.0)
    assert N.stroke_distance(horizontal, np.array([[130.0, 90]])) == pytest.approx(50.0)
    d = N.StrokeDistances([horizontal, vertical, vertical + [200, 0]])
    assert d(2, 0) == d(0, 2) == pytest.approx(150.0) and d(1, 0) == 0.0


def test_parts_that_do_not_touch_are_marked_apart():
    # A four's two strokes cross; a "1" beside a "7" (boxes overlapping) does not touch it.
    four = [np.array([[40.0, 0], [0, 65], [62, 65]]), np.array([[45.0, 25], [45, 100]])]
    one_seven = [np.array([[10.0, 0], [10, 100]]), np.array([[5.0, 0], [65, 0], [25, 100]]) + [14, 0]]
    features = {}
    for name, strokes in (("four", four), ("one_seven", one_seven)):
        boxes = N.boxes_of(strokes)
        h, base = N.reference(boxes)
        features[name] = N.group_features(boxes, [[0], [1]], h, base, 0.0, True, N.StrokeDistances(strokes))
    assert features["four"][-1] == 0.0
    assert features["one_seven"][-1] > 0.05
    assert N.STROKE_WEIGHTS[-1] < 0  # apart costs
