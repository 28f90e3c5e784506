"""digitpad.numbers: strokes and images grouped into digits and read as a number.

Synthetic strokes only (the pen-digit files are never committed); the real-writer figures
come from tests/bench_numbers.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitpad import numbers as N
from digitpad.predictor import Predictor
from raster import strokes_to_image


def arc(cx, cy, rx, ry, a0, a1, n=40):
    t = np.radians(np.linspace(a0, a1, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


# Digits about 60 wide and 100 tall, y down; several have two strokes.
DIGITS = {
    "0": [arc(30, 50, 30, 50, 0, 360)],
    "1": [np.array([[10.0, 0], [10, 100]])],
    "2": [np.vstack([arc(30, 28, 28, 28, 200, 405), [[5, 100], [62, 100]]])],
    "4": [np.array([[40.0, 0], [0, 65], [62, 65]]), np.array([[45.0, 25], [45, 100]])],
    "5": [np.vstack([[[6, 0], [3, 45]], arc(30, 70, 30, 30, -110, 150)]), np.array([[6.0, 0], [60, 0]])],
    "6": [np.vstack([[[50, 0], [20, 25]], arc(30, 72, 28, 28, 200, 560)])],
    "7": [np.array([[0.0, 0], [60, 0], [20, 100]]), np.array([[20.0, 50], [55, 50]])],
}


def write(text, gap=25.0, dy=None):
    """Strokes of ``text`` left to right with ``gap`` between boxes (negative: overlap);
    returns the strokes and the true groups of stroke indices."""
    strokes, groups, x = [], [], 0.0
    for k, ch in enumerate(text):
        parts = DIGITS[ch]
        lo = np.concatenate(parts).min(axis=0)
        hi = np.concatenate(parts).max(axis=0)
        shift = np.array([x - lo[0], 0.0 if dy is None else dy[k]])
        groups.append(tuple(range(len(strokes), len(strokes) + len(parts))))
        strokes.extend(p - [lo[0], 0] + shift for p in parts)
        x += hi[0] - lo[0] + gap
    return strokes, groups


@pytest.fixture(scope="module")
def predictor():
    return Predictor.bundled()


@pytest.mark.parametrize("text", ["2026", "417", "75", "1450", "4", "5", "7"])
def test_strokes_are_grouped_into_their_digits_and_read(predictor, text):
    strokes, groups = write(text)
    reading = N.read_strokes(strokes, predictor)
    assert [d.members for d in reading.digits] == groups
    assert reading.text == text


@pytest.mark.parametrize("gap", [0.0, -6.0])
def test_touching_and_slightly_overlapping_digits_are_still_split(predictor, gap):
    strokes, groups = write("2026", gap=gap)
    assert N.group_strokes(strokes, predictor) == groups
    assert N.read_strokes(strokes, predictor).text == "2026"


def test_a_digits_second_stroke_stays_with_it_whatever_the_order(predictor):
    # The seven's crossbar drawn last, after the next digit.
    strokes, _ = write("71")
    strokes = [strokes[0], strokes[2], strokes[1]]
    reading = N.read_strokes(strokes, predictor)
    assert reading.text == "71"
    assert reading.digits[0].members == (0, 2)


def test_baseline_jitter_and_order_left_to_right(predictor):
    strokes, _ = write("2026", dy=[0, 6, -5, 3])
    reading = N.read_strokes(strokes[::-1], predictor)  # drawn right to left
    assert reading.text == "2026"


def test_boxes_cover_their_strokes_and_digit_at_finds_them(predictor):
    strokes, groups = write("75")
    reading = N.read_strokes(strokes, predictor)
    for d, g in zip(reading.digits, groups):
        pts = np.concatenate([strokes[i] for i in g])
        assert d.box == pytest.approx((*pts.min(axis=0), *pts.max(axis=0)))
    x0, y0, x1, y1 = reading.digits[1].box
    assert reading.digit_at((x0 + x1) / 2, (y0 + y1) / 2) == 1
    assert reading.digit_at(-500, -500) is None
    assert reading.digit_of_member(groups[1][-1]) == 1


def test_json_has_the_number_and_a_box_and_probabilities_per_digit(predictor):
    strokes, _ = write("20")
    out = json.loads(json.dumps(N.read_strokes(strokes, predictor).to_json()))
    assert out["number"] == "20"
    assert len(out["digits"]) == 2
    for d in out["digits"]:
        assert len(d["box"]) == 4 and len(d["probabilities"]) == 10
        assert abs(sum(d["probabilities"]) - 1) < 1e-3


class _NotADigit:
    """A stand-in 11-output model: "not a digit" for everything (to check the "?")."""

    def outputs(self, x):
        x = np.atleast_2d(x)
        out = np.zeros((len(x), 11), np.float32)
        out[:, 3] = 0.1
        out[:, 10] = 0.9
        return out


def test_not_a_digit_groups_show_as_a_question_mark(predictor):
    strokes, _ = write("20", gap=60)
    reading = N.read_strokes(strokes, _NotADigit())
    assert reading.text == "??"
    assert reading.digits[0].prediction.state == "not_digit"
    # In place: the digits around a not-a-digit group keep their own characters.
    good = N.read_strokes(write("75")[0], predictor).digits
    mixed = N.NumberReading((good[0], reading.digits[0], good[1]))
    assert mixed.text == "7?5"
    assert mixed.to_json()["number"] == "7?5"


def test_nothing_drawn_is_an_empty_number(predictor):
    assert N.read_strokes([], predictor).text == ""
    assert N.group_strokes([np.zeros((0, 2))]) == []


def test_geometry_alone_groups_without_a_model():
    strokes, groups = write("2026", gap=30)
    assert N.group_strokes(strokes) == groups


def test_label_components_is_eight_connected():
    mask = np.array([
        [1, 0, 0, 0, 1],
        [0, 1, 0, 0, 1],
        [0, 0, 0, 0, 0],
        [1, 1, 0, 1, 0],
    ], bool)
    labels, n = N.label_components(mask)
    assert n == 4
    assert labels[0, 0] == labels[1, 1] != 0
    assert labels[0, 4] == labels[1, 4]
    assert labels[3, 0] == labels[3, 1]
    assert len({labels[0, 0], labels[0, 4], labels[3, 0], labels[3, 3]}) == 4
    assert (labels[~mask] == 0).all()


def test_label_components_u_shape_joins_late():
    mask = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 1]], bool)
    labels, n = N.label_components(mask)
    assert n == 1 and (labels[mask] == 1).all()


def _image(text, gap=25.0, scale=1.2, pen=10.0):
    strokes, _ = write(text, gap=gap)
    placed = [s * scale + 20 for s in strokes]
    size = int(np.concatenate(placed).max() + 30)
    ink = strokes_to_image(placed, size, pen)[: int(100 * scale + 40)]
    return (255 - np.rint(ink * 255)).astype(np.uint8)  # dark on white, like a scan


def test_read_image_finds_the_number(predictor):
    reading = N.read_image(_image("2026"), predictor)
    assert reading.text == "2026"
    xs = [d.box[0] for d in reading.digits]
    assert xs == sorted(xs)


def test_read_image_cuts_touching_digits_apart(predictor):
    image = _image("57", gap=0.0)
    _, n = N.label_components(N._work_ink(image)[0] > N.INK_THRESHOLD)
    assert n == 1  # one blob of ink
    reading = N.read_image(image, predictor)
    assert reading.text == "57"
    assert reading.digits[0].box[2] <= reading.digits[1].box[2]


@pytest.mark.parametrize("gap", [0.0, -4.0])
def test_read_image_cuts_a_blob_of_several_touching_digits(predictor, gap):
    image = _image("2026", gap=gap)
    _, n = N.label_components(N._work_ink(image)[0] > N.INK_THRESHOLD)
    assert n < 4  # some digits share a blob of ink
    reading = N.read_image(image, predictor)
    assert len(reading) == 4
    if gap == 0:  # overlapping, a cut piece may lose a little of its ink and read otherwise
        assert reading.text == "2026"
    xs = [d.box[0] for d in reading.digits]
    assert xs == sorted(xs)


def test_cut_lattice_pieces_lie_between_their_paths_and_the_best_cut_covers_the_ink(predictor):
    image = _image("57", gap=0.0)
    ink = N._work_ink(image)[0]
    mask = ink > N.INK_THRESHOLD
    lat = N._lattice(mask, ink, float(mask.any(axis=1).sum()), float(np.flatnonzero(mask.any(axis=1))[-1] + 1),
                     N._pen_width(mask), predictor)
    assert lat is not None and len(lat.cut_ink) >= 3
    chosen = N._best_cut(lat)
    assert [a for a, _ in chosen[1:]] == [b for _, b in chosen[:-1]]  # contiguous, left to right
    assert chosen[0][0] == 0 and chosen[-1][1] == len(lat.cut_ink) - 1
    covered = np.logical_or.reduce([lat.pieces[k][1] for k in chosen])
    assert (covered == mask).all()
    # A prohibitive price per cut keeps the blob whole.
    weights = N.CUT_WEIGHTS.copy()
    weights[N.CUT_FEATURES.index("cut")] = -1e6
    assert N._best_cut(lat, weights) == [(0, len(lat.cut_ink) - 1)]


def test_read_image_keeps_a_digits_separate_bar(predictor):
    reading = N.read_image(_image("5", scale=2.0), predictor)
    assert reading.text == "5"


def test_full_strokes_brings_a_photos_faint_cores_to_full_strength_and_leaves_a_drawing():
    drawn = strokes_to_image([s + 10 for s in DIGITS["7"]], 120, 8.0)
    assert N.full_strokes(drawn) is drawn  # its cores are at full strength already
    faint = drawn * np.float32(0.6)
    faint[115, 115] = 1.0  # the strongest pixel an outlier, as a photo's often is
    full = N.full_strokes(faint)
    core = drawn > 0.99
    assert np.allclose(full[core], 1.0)
    edge = (drawn > 0.3) & (drawn < 0.5)
    assert np.allclose(full[edge], drawn[edge])  # edges scaled as the cores were
    assert full.max() <= 1 and full[115, 115] == 1 and (full[:100, :100][drawn[:100, :100] == 0] == 0).all()
    assert N.full_strokes(np.zeros((9, 9), np.float32)).max() == 0


@pytest.mark.parametrize("seed", [3, 5])
def test_a_photographed_number_is_read(predictor, seed, monkeypatch):
    from bench_photos import photograph

    strokes, _ = write("2026")
    photo, how = photograph(strokes, np.random.default_rng(seed), pen_height=100.0)
    assert how["pen"] < 3.5  # a thin pen: the strokes fray at the threshold
    assert N.read_image(photo, predictor).text == "2026"
    # The fault this fixes: the photo's ink, scaled by its strongest pixel, frayed and a
    # 0 read as "1" and "2" (the number as 21226), as the ink is parted by its components
    # and cut (a photo's ink is; taken for a drawing's, it is parted by the digit centres,
    # which read these two right even so).
    monkeypatch.setattr(N, "full_strokes", lambda ink: ink)
    monkeypatch.setattr(N.DigitCentres, "_bundled", None)
    assert N.read_image(photo, predictor).text != "2026"


def test_ink_mask_bridges_a_fade_of_a_photos_thin_stroke_and_nothing_more():
    ink = np.zeros((50, 40), np.float32)
    ink[5:45, 10:13] = 1.0  # a pen 3 pixels wide, 40 high: thin
    ink[20:22, 10:13] = 0.2  # the stroke fades for two pixels (below INK_THRESHOLD, above FAINT_LOW)
    ink[30:36, 10:13] = 0.2  # and for six
    ink[10:14, 16:19] = 0.2  # faint grey three pixels off the stroke (a shadow's edge, grain)
    assert N.FAINT_LOW < 0.2 < N.INK_THRESHOLD and 3 < N.THIN_PEN * 40
    drawn = N.ink_mask(ink)
    assert (drawn == (ink > N.INK_THRESHOLD)).all()  # a drawing's ink: as before
    assert N.label_components(drawn)[1] == 3
    photo = N.ink_mask(ink, faint=True)
    assert photo[20:22, 10:13].all()  # the short fade is ink: the stroke above joins the one below
    assert photo[30, 10:13].all() and photo[35, 10:13].all() and not photo[31:35].any()  # a pixel from each end
    assert not photo[:, 15:].any()  # nothing off the stroke
    assert N.label_components(photo)[1] == 2
    # A thick pen (soft-edged scans, MNIST): its grey rim would only fatten it.
    thick = np.zeros((50, 40), np.float32)
    thick[5:45, 10:20] = 1.0
    thick[20:22, 10:20] = 0.2
    assert 10 >= N.THIN_PEN * 40
    assert (N.ink_mask(thick, faint=True) == (thick > N.INK_THRESHOLD)).all()


def test_a_photos_faint_stroke_stays_whole_and_a_drawings_mask_is_unchanged(monkeypatch):
    cover = strokes_to_image([s + 10 for s in DIGITS["1"]], 120, 6.0)
    fade = np.zeros_like(cover, bool)
    fade[60:62] = True  # two rows where the stroke fades
    for strength, faint in ((1.0, False), (0.6, True)):
        ink = cover * strength
        ink[fade] *= 0.2 if faint else 1.0
        ink[115, 115] = 1.0  # a photo's strongest pixel is an outlier: its cores are at 0.6
        image = np.rint(255 * (1 - ink)).astype(np.uint8)
        ink_found, _, mask, photo = N._work_image(image)
        assert photo == faint  # a thin pen, and only the photo's ink was brought to full strength
        assert (mask == (ink_found > N.INK_THRESHOLD)).all() != faint
        assert N.label_components(mask[:, :100])[1] == 1  # the stroke is whole
        if faint:  # without the hysteresis the faded stroke falls in two
            monkeypatch.setattr(N, "FAINT_LOW", None)
            assert N.label_components(N._work_image(image)[2][:, :100])[1] == 2


def _drawn_and_photographed():
    """A "2026" whose digits overlap by 5 units, drawn clean and photographed with a thin pen."""
    from bench_photos import photograph

    strokes, _ = write("2026", gap=-5.0)
    photo, _ = photograph(strokes, np.random.default_rng(3), pen_height=100.0)
    return _image("2026", gap=-5.0), photo


def test_a_photos_thin_pen_ink_is_cut_with_the_photo_weights(predictor, monkeypatch):
    drawn, photo = _drawn_and_photographed()
    seen = []
    split = N._split

    def spy(*args, **kwargs):
        seen.append(args[6] if len(args) > 6 else kwargs.get("weights"))
        return split(*args, **kwargs)

    monkeypatch.setattr(N, "_split", spy)
    N.segment_image(drawn, predictor)
    assert not seen  # a drawing: parted by the digit centres, never cut
    monkeypatch.setattr(N.DigitCentres, "_bundled", None)
    N.segment_image(drawn, predictor)
    assert seen and all(w is None for w in seen)  # ... and without them: CUT_WEIGHTS, as always
    seen.clear()
    N.segment_image(photo, predictor)
    assert seen and all(w is N.CUT_WEIGHTS_PHOTO for w in seen)
    bias = N.CUT_FEATURES.index("bias")
    assert N.CUT_WEIGHTS_PHOTO[bias] < N.CUT_WEIGHTS[bias]  # a lower price of a digit: fewer cuts


def test_read_image_of_a_blank_image_is_empty(predictor):
    assert N.read_image(np.full((50, 80), 255, np.uint8), predictor).text == ""


def test_cli_predict_number_plain_json_and_stroke_files(tmp_path, capsys):
    from PIL import Image

    from digitpad.cli import main

    png = tmp_path / "year.png"
    Image.fromarray(_image("2026")).save(png)
    strokes, _ = write("417")
    side = 500.0
    ink = tmp_path / "n.json"
    ink.write_text(json.dumps({"strokes": [(s / side).round(4).tolist() for s in strokes]}))
    missing = tmp_path / "missing.png"

    assert main(["predict", "--number", str(png), str(missing), str(ink)]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{png}: 2026", f"{ink}: 417"]
    assert str(missing) in err and len(err.splitlines()) == 1

    assert main(["predict", "--number", "--json", str(png)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["path"] == str(png) and obj["number"] == "2026"
    assert [d["digit"] for d in obj["digits"]] == [2, 0, 2, 6]
    boxes = [d["box"] for d in obj["digits"]]
    assert all(b[0] < b[2] and b[1] < b[3] for b in boxes)
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    assert all(b[2] <= Image.open(png).width + 1 for b in boxes)  # in the image's pixels

    blank = tmp_path / "blank.png"
    Image.new("L", (60, 40), 255).save(blank)
    assert main(["predict", "--number", str(blank)]) == 0
    assert capsys.readouterr().out.strip() == f"{blank}: no number"


def test_a_photos_thin_pen_ink_is_not_parted_by_the_separator(predictor, monkeypatch):
    drawn, photo = _drawn_and_photographed()
    looked = []
    contacts = N._contacts

    def spy(ink, mask):
        looked.append(mask.shape)
        return contacts(ink, mask)

    monkeypatch.setattr(N, "_contacts", spy)
    monkeypatch.setattr(N.DigitCentres, "_bundled", None)  # the separator's route
    N.segment_image(drawn, predictor)
    assert looked  # a drawing's touching digits are parted by the separator
    looked.clear()
    N.segment_image(photo, predictor)
    assert not looked  # it learnt clean ink: a photo's frayed strokes it would part within digits
    monkeypatch.setattr(N, "SEPARATE_PHOTOS", True)
    N.segment_image(photo, predictor)
    assert looked
