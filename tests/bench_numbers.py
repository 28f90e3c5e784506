"""Numbers written with real pen digits: how well strokes (and images) are read as numbers.

    python tests/bench_numbers.py [--writers test|train] [--numbers N] [--photos N] [--long-images N]
                                  [--seed S] [--model BASE]

Each number is composed from real pendigits samples (Alpaydin and Alimoglu, 1998) of ONE
writer, 1-8 digits, written left to right: every digit keeps its own strokes and stroke
order, is scaled by a size variation of +-10 % and put on a baseline jittered by
N(0, 4 % of the writer's digit height); the gap to the previous digit's box is drawn from
a realistic range in units of the writer's median digit width: 15 % touching (0), 15 %
overlapping by 10 % (-0.10), the rest uniform in [-0.05, 0.6].

Printed (writers 31-44 by default: never tuned on; ``--writers train`` tunes on 1-30):

- digits grouped exactly right (their stroke set is one group), 4- and 8-digit numbers;
- numbers read exactly (strokes), per length, with p (the single-digit accuracy of the
  same digits, each read alone) and p^n beside it, so segmentation's cost shows apart
  from recognition's;
- single digits of the writers split into two or more groups;
- digits grouped right from images (the same 4-digit numbers rendered dark on white,
  digit height ~120 px, a pen of 7 % of it (a 0.5 mm pen on 7 mm digits)): a digit is right when one segment holds at
  least 90 % of its ink and at least 90 % of that segment's ink is the digit's; and the
  time to segment one such image (its cut pieces read by the model included);
- time of segmentation + recognition of a 4-digit number, per update (one thread): as the
  window does while the last stroke grows (the model inputs of finished strokes' groups
  kept from the update before), and cold (everything rendered afresh).
- 4-digit numbers photographed (``--photos``, default 200; drawn from their own generator,
  seed + 1000, after everything above, which is drawn as before): each number drawn as dark
  ink on paper and "photographed" by tests/bench_photos.py's photograph() (uneven light, a
  shadow band in half, the sheet turned by up to 8 degrees, blur, noise, JPEG) with the pen
  sized by a digit's height (3.5-7 % of it, as a person writes; digits about 30-160 px
  tall), and the same numbers drawn clean at the same digit height and pen: digits grouped
  right (the ink as found; see photo_reading), numbers read exactly and the time per image,
  so the photo's cost shows apart from the pen's and the size's.

- numbers of 8, 12 and 16 digits rendered as the 4-digit ones are (``--long-images``,
  default 100 of each; drawn from their own generator, seed + 2000, after everything
  above): digits grouped right per length, and the time per image.

Needs the full stroke file (y axis up; read, never copied into the project):
$DIGITPAD_PENDIGITS, pendigits_strokes.npz in $DIGITPAD_PEN_DATA, or
../shared/data/pendigits_strokes.npz.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pendigits import load_samples

WRITER_SETS = {"test": range(31, 45), "train": range(1, 31)}
SIZE_VARIATION = 0.10
BASELINE_JITTER = 0.04
P_TOUCH = 0.15
P_OVERLAP = 0.15
OVERLAP = -0.10
GAP_RANGE = (-0.05, 0.6)
IMAGE_DIGIT_HEIGHT = 120
IMAGE_PEN = 0.07
IMAGE_SHARE = 0.90
PHOTO_SEED = 1000  # the photos' numbers: seed + this
LONG_SEED = 2000  # the long numbers': seed + this
LONG_LENGTHS = (8, 12, 16)
IMAGE_TIMES: list[float] = []  # seconds per image read (segmentation + recognition)


def load(writers):
    return load_samples(tuple(writers), None)


def _box(strokes):
    p = np.concatenate(strokes)
    return p.min(axis=0), p.max(axis=0)


def compose(data, idx, rng):
    """One number from samples ``idx`` (one writer): (strokes, truth groups, labels, digit height)."""
    writer = data.writers[idx[0]]
    mine = np.flatnonzero(data.writers == writer)
    ref_w = float(np.median([np.ptp(np.concatenate(data.strokes[i])[:, 0]) for i in mine[:60]]))
    ref_h = float(np.median([np.ptp(np.concatenate(data.strokes[i])[:, 1]) for i in mine[:60]]))
    strokes, groups, labels = [], [], []
    x_right = 0.0
    for k, i in enumerate(idx):
        s = rng.uniform(1 - SIZE_VARIATION, 1 + SIZE_VARIATION)
        lo, hi = _box(data.strokes[i])
        r = rng.random()
        gap = 0.0 if r < P_TOUCH else OVERLAP if r < P_TOUCH + P_OVERLAP else rng.uniform(*GAP_RANGE)
        x0 = 0.0 if k == 0 else x_right + gap * ref_w
        base = 1000.0 + rng.normal(0, BASELINE_JITTER * ref_h)
        placed = [np.column_stack([(p[:, 0] - lo[0]) * s + x0, (p[:, 1] - hi[1]) * s + base]) for p in data.strokes[i]]
        groups.append(tuple(range(len(strokes), len(strokes) + len(placed))))
        strokes.extend(placed)
        labels.append(int(data.labels[i]))
        x_right = x0 + (hi[0] - lo[0]) * s
    return strokes, groups, labels, ref_h


def numbers(data, n_digits, count, rng):
    writers = np.unique(data.writers)
    for _ in range(count):
        w = rng.choice(writers)
        mine = np.flatnonzero(data.writers == w)
        idx = rng.choice(mine, n_digits, replace=False)
        yield compose(data, idx, rng)


def single_accuracy(predictor, strokes, groups, labels):
    from digitpad.strokes import render_strokes

    vecs = np.stack([render_strokes([strokes[j] for j in g]) for g in groups])
    return predictor.probabilities(vecs).argmax(axis=1) == np.array(labels)


def render_image(strokes, groups, ref_h, height=IMAGE_DIGIT_HEIGHT, pen_share=IMAGE_PEN):
    """The number as a dark-on-white uint8 image, and each digit's ink mask (digits
    ``height`` px tall, a pen ``pen_share`` of that wide)."""
    from raster import strokes_to_image  # tests/raster.py: scripts run from tests/

    scale = height / ref_h
    pen = pen_share * height
    allp = np.concatenate(strokes)
    lo = allp.min(axis=0) - pen * 2 / scale
    placed = [(s - lo) * scale for s in strokes]
    span = np.concatenate(placed).max(axis=0) + 2 * pen
    size = int(np.ceil(span.max()))
    ink = strokes_to_image(placed, size, pen)[: int(np.ceil(span[1])), : int(np.ceil(span[0]))]
    masks = []
    for g in groups:
        d = strokes_to_image([placed[j] for j in g], size, pen)[: ink.shape[0], : ink.shape[1]]
        masks.append(d)
    return (255 - np.rint(ink * 255)).astype(np.uint8), masks


def image_grouping(predictor, strokes, groups, ref_h):
    from digitpad.numbers import segment_image, working_mask

    image, masks = render_image(strokes, groups, ref_h)
    t0 = time.perf_counter()
    seg = segment_image(image, predictor)
    IMAGE_TIMES.append(time.perf_counter() - t0)
    right = []
    for m in masks:
        m = working_mask(m, seg.factor, seg.ink.shape)
        total = m.sum()
        ok = False
        for _, piece in seg.pieces:
            both = (piece & m).sum()
            if both >= IMAGE_SHARE * total and both >= IMAGE_SHARE * piece.sum():
                ok = True
        right.append(ok)
    return right


def photo_pair(strokes, groups, ref_h, rng):
    """The number "photographed" (tests/bench_photos.py: paper, uneven light, a shadow in
    half, the sheet turned by up to 8 degrees, blur, noise, JPEG) with the pen sized by a
    digit's height (3.5-7 % of it, as a person writes), and the same number drawn clean at
    the same digit height and pen: ((clean image, digit masks), (photo, digit masks))."""
    from bench_photos import photograph

    photo, how = photograph(strokes, rng, pen_height=ref_h, groups=groups)
    clean = render_image(strokes, groups, ref_h, height=ref_h * how["scale"], pen_share=how["pen_share"])
    return clean, (photo, how["masks"])


def photo_reading(predictor, image, masks):
    """Read ``image`` as a number: (each digit grouped right?, the text read, seconds).

    A photo's ink as found is not the ink drawn (blur widens strokes, a faint stretch may
    be lost), so a digit's ink is the ink found within a pixel (at the working resolution)
    of its drawn ink: the digit is right when one segment holds at least 90 % of it, and
    at least 90 % of that segment's ink near any digit is near this one (speckle far from
    every digit is not counted); a digit with no ink found is wrong."""
    from digitpad.numbers import _grow, read_segments, segment_image, working_mask

    t0 = time.perf_counter()
    seg = segment_image(image, predictor)
    text = read_segments(seg, predictor).text
    seconds = time.perf_counter() - t0
    near = [_grow(working_mask(m, seg.factor, seg.ink.shape)) for m in masks]
    anywhere = np.logical_or.reduce(near)
    found = np.logical_or.reduce([p for _, p in seg.pieces]) if seg.pieces else np.zeros_like(anywhere)
    right = []
    for nr in near:
        mine = (found & nr).sum()
        right.append(bool(mine) and any((piece & nr).sum() >= IMAGE_SHARE * mine
                                        and (piece & nr).sum() >= IMAGE_SHARE * (piece & anywhere).sum()
                                        for _, piece in seg.pieces))
    return right, text, seconds


def photo_figures(predictor, data, count, seed):
    """``count`` 4-digit numbers, each photographed and drawn clean (:func:`photo_pair`), read
    as numbers: {"clean"/"photo": (digits grouped right, numbers read exactly, seconds per
    image)}. Their own generator: the other figures' draws stay as they were."""
    rng = np.random.default_rng(seed)
    out = {"clean": ([], [], []), "photo": ([], [], [])}
    for strokes, groups, labels, ref_h in numbers(data, 4, count, rng):
        truth = "".join(map(str, labels))
        for name, (image, masks) in zip(("clean", "photo"), photo_pair(strokes, groups, ref_h, rng)):
            right, text, seconds = photo_reading(predictor, image, masks)
            out[name][0].extend(right)
            out[name][1].append(text == truth)
            out[name][2].append(seconds)
    return {k: tuple(np.array(v) for v in vs) for k, vs in out.items()}


def render_single(strokes):
    """One digit drawn alone as render_image draws a number's digits (its own height
    IMAGE_DIGIT_HEIGHT): the image and the digit's ink mask, in a list."""
    return render_image(strokes, [list(range(len(strokes)))], float(np.ptp(np.concatenate(strokes)[:, 1])))


def image_split(predictor, strokes) -> bool:
    """One digit drawn as an image (:func:`render_single`): read as two or more?"""
    from digitpad.numbers import segment_image

    image, _ = render_single(strokes)
    return len(segment_image(image, predictor).pieces) >= 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writers", choices=sorted(WRITER_SETS), default="test")
    ap.add_argument("--numbers", type=int, default=400, help="numbers per length (default 400)")
    ap.add_argument("--images", type=int, default=300, help="4-digit numbers rendered as images (0: strokes only)")
    ap.add_argument("--image-singles", type=int, default=None, metavar="N",
                    help="single digits rendered as images (default: every digit of the writers)")
    ap.add_argument("--photos", type=int, default=200, metavar="N",
                    help="4-digit numbers photographed, and the same drawn clean (default 200; 0: none)")
    ap.add_argument("--long-images", type=int, default=100, metavar="N",
                    help="numbers of 8, 12 and 16 digits rendered as images, N of each (default 100; 0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--model", help="model base (default: the bundled one)")
    args = ap.parse_args(argv)

    from digitpad.numbers import group_strokes, read_strokes
    from digitpad.predictor import Predictor
    from digitpad.strokes import render_strokes

    predictor = Predictor(args.model) if args.model else Predictor.bundled()
    writers = WRITER_SETS[args.writers]
    data = load(writers)
    rng = np.random.default_rng(args.seed)
    print(f"model: {predictor.name}; pendigits writers {min(writers)}-{max(writers)} "
          f"({len(data)} digits); {args.numbers} numbers per length, seed {args.seed}")
    print()
    print(f"{'digits':>6} {'grouped right':>14} {'read exactly':>13} {'p (alone)':>10} {'p^n':>8}")
    grouped_48, total_48 = 0, 0
    summary = {}
    for n in range(1, 9):
        g_ok = d_total = exact = 0
        alone = []
        for strokes, groups, labels, _ in numbers(data, n, args.numbers, rng):
            reading = read_strokes(strokes, predictor)
            found = {d.members for d in reading.digits}
            g_ok += sum(g in found for g in groups)
            d_total += len(groups)
            exact += reading.text == "".join(map(str, labels))
            alone.extend(single_accuracy(predictor, strokes, groups, labels))
        p = float(np.mean(alone))
        summary[n] = (g_ok / d_total, exact / args.numbers, p)
        if n in (4, 8):
            grouped_48 += g_ok
            total_48 += d_total
        print(f"{n:>6} {100 * g_ok / d_total:13.2f}% {100 * exact / args.numbers:12.2f}% "
              f"{100 * p:9.2f}% {100 * p ** n:7.2f}%")

    split = 0
    for strokes in data.strokes:
        split += len(group_strokes(strokes, predictor)) >= 2
    # Images: 4-digit numbers, and single digits.
    img_right = []
    for strokes, groups, _, ref_h in numbers(data, 4, args.images, rng):
        img_right.extend(image_grouping(predictor, strokes, groups, ref_h))
    singles = np.arange(len(data))
    if args.image_singles is not None:
        singles = rng.permutation(singles)[: args.image_singles]
    img_split = [image_split(predictor, data.strokes[i]) for i in singles] if args.images else []
    # Time per update: a 4-digit number, segmentation + recognition, one thread. Cold:
    # every group rendered afresh. Live (as the window does while the last stroke grows):
    # the model inputs of groups of finished strokes are kept from the update before.
    cold, live = [], []
    for strokes, *_ in numbers(data, 4, 200, rng):
        t0 = time.perf_counter()
        read_strokes(strokes, predictor)
        cold.append(time.perf_counter() - t0)
        kept = {}

        def vectorise(g, strokes=strokes, kept=kept):
            last = len(strokes) - 1
            if last not in g and g in kept:
                return kept[g]
            v = render_strokes([strokes[i] for i in g])
            if last not in g:
                kept[g] = v
            return v

        read_strokes(strokes, predictor, vectorise=vectorise)  # the update before
        t0 = time.perf_counter()
        read_strokes(strokes, predictor, vectorise=vectorise)
        live.append(time.perf_counter() - t0)
    cold, live = np.array(cold) * 1e3, np.array(live) * 1e3

    g4, e4, p4 = summary[4]
    g8, e8, p8 = summary[8]
    print()
    print("| figure | measured | goal |")
    print("|---|---|---|")
    print(f"| digits grouped exactly right (strokes), 4- and 8-digit numbers | "
          f"{100 * grouped_48 / total_48:.2f} % (4: {100 * g4:.2f} %, 8: {100 * g8:.2f} %) | ≥ 99.5 % |")
    print(f"| 4-digit numbers read exactly (strokes) | {100 * e4:.2f} % (p = {100 * p4:.2f} %, "
          f"p⁴ = {100 * p4 ** 4:.2f} %) | within 1 point of p⁴ |")
    print(f"| 8-digit numbers read exactly (strokes) | {100 * e8:.2f} % (p = {100 * p8:.2f} %, "
          f"p⁸ = {100 * p8 ** 8:.2f} %) | within 2 points of p⁸ |")
    print(f"| single digits split into two or more | {100 * split / len(data):.2f} % "
          f"({split} of {len(data)}) | ≤ 0.2 % |")
    if img_right:
        print(f"| digits grouped right from images (4-digit) | {100 * np.mean(img_right):.2f} % "
              f"({len(img_right)} digits; read in median {1e3 * np.median(IMAGE_TIMES):.0f} ms, p95 "
              f"{1e3 * np.percentile(IMAGE_TIMES, 95):.0f} ms per image) | ≥ 98.5 % |")
        if img_split:
            print(f"| single digits drawn as images read as two or more | {100 * np.mean(img_split):.2f} % "
                  f"({int(np.sum(img_split))} of {len(img_split)}) | ≤ 0.2 % (the strokes' goal) |")
    else:
        print("| digits grouped right from images (4-digit) | not measured (--images 0) | ≥ 98.5 % |")
    print(f"| segmentation + recognition of a 4-digit number, per update | median "
          f"{np.median(live):.2f} ms, p95 {np.percentile(live, 95):.2f} ms (cold: median "
          f"{np.median(cold):.2f} ms, p95 {np.percentile(cold, 95):.2f} ms) | ≤ 5 ms |")
    if args.photos:
        # Photos last, from their own generator: the figures above are drawn as before.
        figures = photo_figures(predictor, data, args.photos, args.seed + PHOTO_SEED)
        print()
        print(f"4-digit numbers photographed ({args.photos}, pen 3.5-7 % of a digit's height; seed "
              f"{args.seed + PHOTO_SEED}) and the same numbers drawn clean at the same size and pen:")
        print("| the same numbers | digits grouped right | numbers read exactly | per image (median, p95) |")
        print("|---|---|---|---|")
        for name, label in (("clean", "drawn clean"), ("photo", "photographed")):
            right, exact, seconds = figures[name]
            print(f"| {label} | {100 * right.mean():.2f} % | {100 * exact.mean():.2f} % | "
                  f"{1e3 * np.median(seconds):.0f} ms, {1e3 * np.percentile(seconds, 95):.0f} ms |")
    if args.long_images:
        # Long numbers as images, from their own generator too: a phone or card number.
        rng_long = np.random.default_rng(args.seed + LONG_SEED)
        print()
        print(f"long numbers as images ({args.long_images} per length, seed {args.seed + LONG_SEED}; "
              f"digits {IMAGE_DIGIT_HEIGHT} px tall as above, so a number over 1,024 px wide is first halved):")
        print("| digits | digits grouped right | read in (median, p95) |")
        print("|---|---|---|")
        for n in LONG_LENGTHS:
            IMAGE_TIMES.clear()
            right = []
            for strokes, groups, _, ref_h in numbers(data, n, args.long_images, rng_long):
                right.extend(image_grouping(predictor, strokes, groups, ref_h))
            print(f"| {n} | {100 * np.mean(right):.2f} % ({len(right)} digits) | "
                  f"{1e3 * np.median(IMAGE_TIMES):.0f} ms, {1e3 * np.percentile(IMAGE_TIMES, 95):.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
