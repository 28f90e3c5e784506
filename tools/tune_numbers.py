"""Fit the scores of candidate stroke groups (digitpad.numbers),
on pendigits writers 1-30 only (writers 31-44 only measure: tests/bench_numbers.py).

    python tools/tune_numbers.py [--numbers 2000] [--seed 0] [--hold-out]
    python tools/tune_numbers.py --images [--numbers 200] [--seed 7] [--show DIR] [--no-strokes | --strokes [--share S]]
    python tools/tune_numbers.py --images --photos N [--seed S] [--faint-low X]

Strokes: every multi-stroke single digit and numbers of 2, 3, 4, 6 and 8 digits composed
as the benchmark composes them (tests/bench_numbers.py); each example is a whole number:
its candidate runs of sure-groups (see digitpad.numbers.group), their features and which
runs are its true digits. An averaged structured perceptron with a margin fits
STROKE_WEIGHTS (printed, with the digits grouped wrong before and after). The bundled
model was trained on these writers' digits, so it reads them more surely than a new
hand's: each digit is slanted, turned and stretched a little first (--distort), and a
few numbers get one digit's last stroke written after the whole number (--delayed).
--hold-out fits on writers 1-20 and checks on 21-30 (how these settings were chosen).

Images (``--images``): 4-digit numbers of pendigits writers 21-30 (``--image-writers``;
the piece verifier, tools/train_piece_verifier.py, learns from writers 1-20) composed and
rendered as the benchmark does; every
group's candidate pieces (digitpad.numbers._lattice) get their features once; the
weights CUT_WEIGHTS are fitted on the first half of the numbers (an averaged structured
perceptron: the target of each group is its cut with the most digits right by the
benchmark's 90 % / 90 % rule) and, beside them, the price per cut and per pen width of ink
it crosses are tried on a grid. Prints both halves' digits grouped right with the current,
the fitted and the grid's weights, and the ceiling: the digits right if the best pieces
of the lattice were always chosen; beside them, the share of ``--singles`` single digits of
the same writers, drawn as images, that each set of weights reads as two digits or more
(the best on the fit half is chosen among those that split at most SINGLES_SPLIT; ties
by the check half).
``--verifier NPZ`` scores the pieces with a candidate verifier instead of the bundled one.
With ``--show DIR`` it writes instead a PNG of each
number with a digit grouped wrong: the digits' ink, then the pieces found (one colour each).
With ``--photos N`` it reads instead N 4-digit numbers of the image writers photographed
and the same numbers drawn clean, as tests/bench_numbers.py's photo figures (seed S as
given, not S + 1000): how the image route's photo preprocessing was chosen; ``--faint-low``
sets digitpad.numbers.FAINT_LOW for them (``none``: no hysteresis).
Candidate pieces own whole strokes of the ink's skeleton (digitpad.numbers.STROKE_PIECES,
digitpad.inkstrokes) unless ``--no-strokes``; ``--share`` sets its SHARE.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bench_numbers as bench
from bench_pendigits import parse_writers
from digitpad import numbers as N
from digitpad.predictor import Predictor
from digitpad.strokes import render_strokes


def at_least(low: float, kind: type = int, above: bool = False):
    """An argparse type: a ``kind`` number of at least ``low`` (above it with ``above``),
    so that a count, an epoch count or a learning rate out of range stops with one line
    naming the option instead of a traceback deep in training."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < low or (above and value == low):
            raise argparse.ArgumentTypeError(f"must be {'above' if above else 'at least'} {low}, not {text}")
        return value

    return parse


COUNT = at_least(0)  # numbers to draw: none is fine
SOME = at_least(1)  # epochs, numbers to check on
RATE = at_least(0.0, float, above=True)  # a learning rate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=int, default=None,
                    help="numbers per length (2, 3, 4, 6, 8; default 2000), with --images 4-digit numbers (default 200)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=None, help="default 0 (strokes), 7 (images)")
    ap.add_argument("--margin", type=float, default=MARGIN,
                    help=f"each wrong candidate digit must score this much below the right ones (default {MARGIN})")
    ap.add_argument("--delayed", type=float, default=DELAYED,
                    help="share of numbers where one digit's last stroke is written after the whole "
                         f"number (a returning stroke; default {DELAYED})")
    ap.add_argument("--distort", type=float, default=DISTORT,
                    help="per-digit random slant/rotation/width change, as a share of the defaults "
                         f"(0 off; default {DISTORT})")
    ap.add_argument("--hold-out", action="store_true",
                    help="fit on writers 1-20 and also report writers 21-30 (choosing these settings)")
    ap.add_argument("--check-distort", type=float, default=None,
                    help="with --hold-out, the distortion of writers 21-30 (default: as --distort)")
    ap.add_argument("--images", action="store_true", help="tune the cut costs of touching digits in images")
    ap.add_argument("--image-writers", type=parse_writers, default="21-30", metavar="A-B",
                    help="with --images: the pendigits writers (within 1-30) whose numbers are used "
                         "(default 21-30: the piece verifier is trained on 1-20)")
    ap.add_argument("--show", metavar="DIR", help="with --images: write a PNG per number with a digit grouped "
                    "wrong (the digits' ink, then the pieces found, one colour each) instead of tuning")
    ap.add_argument("--strokes", action="store_true", help="with --images: candidate pieces own whole "
                    "strokes of the ink's skeleton (digitpad.numbers.STROKE_PIECES)")
    ap.add_argument("--no-strokes", action="store_true", help="with --images: pieces as the cuts part the ink "
                    "(STROKE_PIECES off)")
    ap.add_argument("--share", type=float, default=None, help="with --strokes: digitpad.inkstrokes.SHARE")
    ap.add_argument("--singles", type=int, default=1000, metavar="N",
                    help="with --images: also N single digits of the writers drawn as images, and how many "
                         "of them each set of weights reads as two or more (default 1000)")
    ap.add_argument("--photos", type=int, default=0, metavar="N",
                    help="with --images: read N photographed 4-digit numbers and the same drawn clean instead")
    ap.add_argument("--verifier", metavar="NPZ", help="with --images: this piece verifier instead of the bundled one")
    ap.add_argument("--faint-low", metavar="X", help="with --photos: digitpad.numbers.FAINT_LOW, the hysteresis "
                    f"threshold of a photo's ink ('none': off; default {N.FAINT_LOW})")
    args = ap.parse_args(argv)
    if args.faint_low is not None:
        N.FAINT_LOW = None if args.faint_low.lower() == "none" else float(args.faint_low)
    if args.verifier:
        N.PieceVerifier._bundled = N.PieceVerifier.load(args.verifier)
    if args.strokes or args.no_strokes:
        N.STROKE_PIECES = not args.no_strokes
    if args.share is not None:
        N.inkstrokes.SHARE = args.share
    predictor = Predictor.bundled()
    data = bench.load(range(1, 31))
    if args.images:
        if not set(args.image_writers) <= set(range(1, 31)):
            ap.error("--image-writers must lie within 1-30 (31-44 are the benchmark's)")
        data = _subset(data, args.image_writers)
    if args.images and args.photos:
        return photos(predictor, data, args.photos, 7 if args.seed is None else args.seed)
    if args.images and args.show:
        return show_images(predictor, data, args.numbers or 200, 7 if args.seed is None else args.seed, Path(args.show))
    if args.images:
        return tune_images(predictor, data, args.numbers or 200, 7 if args.seed is None else args.seed,
                           singles=args.singles)
    args.numbers = args.numbers or 2000
    args.seed = 0 if args.seed is None else args.seed
    rng = np.random.default_rng(args.seed)
    if args.hold_out:
        fit_w, check_w = range(1, 21), range(21, 31)
        fit = collect_cases(predictor, _subset(data, fit_w), args, rng)
        check_args = SimpleNamespace(**{**vars(args), "distort": args.check_distort
                                        if args.check_distort is not None else args.distort})
        check = collect_cases(predictor, _subset(data, check_w), check_args, np.random.default_rng(args.seed + 1))
    else:
        fit, check = collect_cases(predictor, data, args, rng), None
    w = fit_weights(fit, args.epochs, args.margin, rng)
    print("STROKE_WEIGHTS = np.array([" + ", ".join(f"{v:.3f}" for v in w) + "])")
    for name, cases in (("fitting", fit), ("held-out writers 21-30", check), ):
        if cases is None:
            continue
        dim = cases[0][1].shape[1]
        previous = np.concatenate([N.GROUP_WEIGHTS, np.zeros(dim - len(N.GROUP_WEIGHTS))])
        for label, weights in (("GROUP_WEIGHTS (images'; strokes' before the time and touch features)", previous),
                               ("STROKE_WEIGHTS now", N.STROKE_WEIGHTS), ("fitted", w)):
            if len(weights) != dim:
                continue
            nums, digits, total = _errors(cases, weights)
            print(f"{name}, {label}: {nums} of {len(cases)} numbers grouped wrong, "
                  f"digits grouped right {100 * (1 - digits / total):.2f} % ({digits} of {total} wrong)")
    return 0


# Tuning settings (chosen on writers 1-30 with --hold-out: fit 1-20, check 21-30).
MARGIN = 1.0
DELAYED = 0.05
DISTORT = 2.0


def photos(predictor, data, count, seed) -> int:
    """tests/bench_numbers.py's photo figures on these writers (seed as given)."""
    figures = bench.photo_figures(predictor, data, count, seed)
    print(f"{count} 4-digit numbers of pendigits writers {data.writers.min()}-{data.writers.max()}, seed {seed} "
          f"(FAINT_LOW {N.FAINT_LOW}):")
    for name, label in (("clean", "drawn clean"), ("photo", "photographed")):
        right, exact, seconds = figures[name]
        print(f"  {label:12} digits grouped right {100 * right.mean():.2f} %, numbers read exactly "
              f"{100 * exact.mean():.2f} %, per image median {1e3 * np.median(seconds):.0f} ms")
    return 0


def _subset(data, writers):
    keep = np.isin(data.writers, list(writers))
    return SimpleNamespace(strokes=[s for s, k in zip(data.strokes, keep) if k],
                           labels=data.labels[keep], writers=data.writers[keep])


def _distorted(data, rng, amount):
    """Each digit slanted, turned and made wider or narrower a little (a new writer's
    hand), about its centre; amount 1 = slant +-0.25, turn +-0.12 rad, width x e^+-0.2."""
    out = []
    for ss in data.strokes:
        a = rng.uniform(-0.12, 0.12) * amount
        m = (np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
             @ np.array([[np.exp(rng.uniform(-0.2, 0.2) * amount), rng.uniform(-0.25, 0.25) * amount], [0, 1]]))
        c = np.concatenate(ss).mean(axis=0)
        out.append([(s - c) @ m.T + c for s in ss])
    return SimpleNamespace(strokes=out, labels=data.labels, writers=data.writers)


def _delay(strokes, groups, rng):
    """One multi-stroke digit (not the last) gets its last stroke written after the number."""
    multi = [k for k, g in enumerate(groups[:-1]) if len(g) > 1]
    if not multi:
        return strokes, groups
    k = multi[rng.integers(len(multi))]
    moved = groups[k][-1]
    order = [i for i in range(len(strokes)) if i != moved] + [moved]
    where = {old: new for new, old in enumerate(order)}
    return [strokes[i] for i in order], [tuple(sorted(where[i] for i in g)) for g in groups]


def collect_cases(predictor, data, args, rng):
    """Per number (and per multi-stroke single digit): its candidate runs, their features,
    which runs are the true digits, the number of sure-groups and of digits."""
    if args.distort:
        data = _distorted(data, rng, args.distort)
    cases = []

    def collect(strokes, truth):
        b = N.boxes_of(strokes)
        gs = N.sure_groups(b)
        height, baseline = N.reference(b, gs)
        digits = {tuple(sorted(g)) for g in truth}
        runs = N.candidate_runs(b, gs, height)
        members = [tuple(sorted(x for p in gs[i:j] for x in p)) for i, j in runs]
        vecs = np.stack([render_strokes([strokes[i] for i in m]) for m in members])
        confs = N._log_confidence(predictor.outputs(vecs))
        distance = N.StrokeDistances(strokes)
        feats = [N.group_features(b, gs[i:j], height, baseline, float(c), ordered=True, distance=distance)
                 for (i, j), c in zip(runs, confs)]
        right = [k for k, m in enumerate(members) if m in digits]
        # (a sure-group spanning two digits leaves some digits without a right run: counted
        # as wrong, never learnt from)
        cases.append((runs, np.array(feats), set(right), len(gs), len(digits)))

    for strokes in data.strokes:
        if len(strokes) > 1:
            collect(strokes, [tuple(range(len(strokes)))])
    for n in (2, 3, 4, 6, 8):
        for strokes, groups, _, _ in bench.numbers(data, n, args.numbers, rng):
            if rng.random() < args.delayed:
                strokes, groups = _delay(strokes, groups, rng)
            collect(strokes, groups)
    return cases


def _best(runs, scores, n):
    top = [0.0] + [-np.inf] * n
    back = [0] * (n + 1)
    for k in sorted(range(len(runs)), key=lambda k: runs[k][1]):
        i, j = runs[k]
        if top[i] + scores[k] > top[j]:
            top[j], back[j] = top[i] + scores[k], k
    chosen, j = set(), n
    while j > 0:
        chosen.add(back[j])
        j = runs[back[j]][0]
    return chosen


def _errors(cases, w):
    """Numbers grouped wrong, digits grouped wrong, digits."""
    nums = digits = total = 0
    for runs, feats, right, n, d in cases:
        got = _best(runs, feats @ w, n)
        nums += got != right or len(right) < d
        digits += d - len(got & right)
        total += d
    return nums, digits, total


def fit_weights(cases, epochs, margin, rng):
    """An averaged structured perceptron; with a margin, each wrong run gets ``margin``
    added while looking for the worst grouping (loss-augmented), so the right grouping must
    win by at least that much per wrong digit. Scaled so the log-confidence weighs 1."""
    cases = [c for c in cases if len(c[2]) == c[4]]
    dim = cases[0][1].shape[1]
    w = np.zeros(dim)
    w[N.LOGCONF] = 1.0
    total = np.zeros(dim)
    steps = 0
    for epoch in range(epochs):
        errors = 0
        for c in rng.permutation(len(cases)):
            runs, feats, right, n, _ = cases[c]
            bonus = np.array([0.0 if k in right else margin for k in range(len(runs))])
            got = _best(runs, feats @ w + bonus, n)
            if got != right:
                errors += 1
                w += feats[list(right)].sum(axis=0) - feats[list(got)].sum(axis=0)
            total += w
            steps += 1
        print(f"epoch {epoch + 1}: {errors} of {len(cases)} numbers grouped wrong (with the margin)")
    avg = total / steps
    return avg / abs(avg[N.LOGCONF])  # scale-free: the model's log-confidence weighs 1


def _frame(predictor, image):
    """The image's groups before any cut, and what cutting them needs: (segments, writing
    height, baseline, pen width)."""
    seg = N.segment_image(image, predictor, split=False, separate=True)
    height, baseline = N.reference(np.array([N._mask_box(p) for _, p in seg.pieces]))
    return seg, height, baseline, N._pen_width(seg.ink > N.INK_THRESHOLD)


def _lattices(predictor, image, masks, frame=None):
    """Per group of the image: (lattice or None, which digit each piece is (or None));
    ``frame`` the image's :func:`_frame` if the caller has it already."""
    seg, height, baseline, pen = frame or _frame(predictor, image)
    truth = [N.working_mask(m, seg.factor, seg.ink.shape) for m in masks]

    def which(piece):
        for k, m in enumerate(truth):
            both = (piece & m).sum()
            if both >= bench.IMAGE_SHARE * m.sum() and both >= bench.IMAGE_SHARE * piece.sum():
                return k
        return None

    out = []
    for _, piece in seg.pieces:
        # cut as segment_image cuts it: without the ink the separator took out
        lat = N._lattice(piece & ~seg.taken, seg.ink, height, baseline, pen, predictor)
        if lat is None:
            out.append((None, which(piece)))
        else:
            out.append((lat, {k: which(v[1]) for k, v in lat.pieces.items()}))
    return out, len(masks)


def _target(lat, which):
    """The pieces of the cut that gets the most digits right (the fewest pieces on a tie)."""
    m = len(lat.cut_ink) - 1
    top = [(0, 0)] + [None] * m  # (digits right, -pieces)
    back = [0] * (m + 1)
    for a, b in sorted(lat.pieces, key=lambda k: k[1]):
        if top[a] is not None:
            v = (top[a][0] + (which[(a, b)] is not None), top[a][1] - 1)
            if top[b] is None or v > top[b]:
                top[b], back[b] = v, a
    out, b = [], m
    while b > 0:
        out.append((back[b], b))
        b = back[b]
    return out[::-1], top[m][0]


# Weights are chosen only among those that split at most this share of single digits (the
# issue's goal for strokes, and a picture of one digit must read as one).
SINGLES_SPLIT = 0.002


def _single_lattices(predictor, data, count):
    """``count`` single digits of ``data`` drawn as images, as :func:`_lattices` cases."""
    out = []
    for i in np.random.default_rng(0).permutation(len(data.strokes))[:count]:
        out.append(_lattices(predictor, *bench.render_single(data.strokes[i])))
    return out


def _split_share(cases, weights=None) -> float:
    """The share of single-digit cases read as two digits or more."""
    split = 0
    for groups, _ in cases:
        split += sum(1 if lat is None else len(N._best_cut(lat, weights)) for lat, _ in groups) >= 2
    return split / max(len(cases), 1)


def tune_images(predictor, data, count, seed, epochs=20, singles=0) -> int:
    rng = np.random.default_rng(seed)
    cases = [_lattices(predictor, *bench.render_image(strokes, groups, ref_h))
             for strokes, groups, _, ref_h in bench.numbers(data, 4, count, rng)]
    lone = _single_lattices(predictor, data, singles)
    half = len(cases) // 2
    fit, check = cases[:half], cases[half:]

    def right(cases, weights=None):
        ok = total = ceiling = 0
        for groups, n in cases:
            for lat, which in groups:
                if lat is None:
                    ok += which is not None
                    ceiling += which is not None
                else:
                    ok += sum(which[k] is not None for k in N._best_cut(lat, weights))
                    ceiling += _target(lat, which)[1]
            total += n
        return ok / total, ceiling / total

    lats = [(lat, _target(lat, which)[0]) for groups, _ in fit for lat, which in groups if lat is not None]

    def total_features(lat, cut):
        return sum(lat.pieces[k][0] for k in cut)

    w = N.CUT_WEIGHTS.copy()
    avg = np.zeros_like(w)
    steps = 0
    order = np.random.default_rng(0)
    for epoch in range(epochs):
        wrong = 0
        for i in order.permutation(len(lats)):
            lat, target = lats[i]
            got = N._best_cut(lat, w)
            if got != target:
                wrong += 1
                w = w + total_features(lat, target) - total_features(lat, got)
            avg += w
            steps += 1
        print(f"epoch {epoch + 1}: {wrong} of {len(lats)} cut groups cut otherwise than the best")
    avg = avg / steps
    avg = avg / abs(avg[N.CUT_FEATURES.index("log p top")])  # the model's log-confidence weighs 1
    print(f"{len(cases)} numbers, {sum(n for _, n in cases)} digits; fitted on {len(fit)}, checked on "
          f"{len(check)} (pendigits writers {data.writers.min()}-{data.writers.max()})")
    rows = [("now (CUT_WEIGHTS)", None), ("perceptron", avg)]
    cut, ink = N.CUT_FEATURES.index("cut"), N.CUT_FEATURES.index("cut ink")
    for c in (0.0, 0.15, 0.3, 0.6):
        for i in (0.25, 0.5, 0.75):
            w = N.CUT_WEIGHTS.copy()
            w[cut], w[ink] = -c, -i
            rows.append((f"cut {c}, cut ink {i}", w))
    # The piece verifier's weight against the rest: its log P(whole), the price of a digit
    # (bias) and the other scores scaled together (the grid CUT_WEIGHTS were chosen from).
    whole, bias = N.CUT_FEATURES.index("log p whole"), N.CUT_FEATURES.index("bias")
    for v in (0.5, 0.75, 1.0, 1.25, 1.5):
        for b in (1.5, 2.0, 2.5, 3.0, 3.5):
            for keep in (0.5, 0.75, 1.0):
                w = N.CUT_WEIGHTS.copy()
                w[:bias] = N.CUT_WEIGHTS_ALONE[:bias] * keep
                w[bias], w[whole] = b, v
                rows.append((f"verifier {v}, bias {b}, the rest x{keep}", w))
    # Best on the fit half; on a tie (common: a few digits of 800 separate the rows) the
    # check half decides, which then no longer checks that choice (writers 31-44 do).
    best = (-1.0, -1.0, "")
    for name, ws in rows:
        (f_ok, f_ceil), (c_ok, c_ceil) = right(fit, ws), right(check, ws)
        split = _split_share(lone, ws)
        if split <= SINGLES_SPLIT:
            best = max(best, (f_ok, c_ok, name))
        alone = f"; single digits split {100 * split:.2f} %" if lone else ""
        print(f"{name}: digits grouped right {100 * f_ok:.2f} % (fit half), {100 * c_ok:.2f} % (check half); "
              f"ceiling of the candidate cuts {100 * f_ceil:.2f} % / {100 * c_ceil:.2f} %{alone}")
    print(f"best on the fit half with at most {100 * SINGLES_SPLIT:.1f} % of single digits split: "
          f"{best[2] or 'none'} ({100 * best[0]:.2f} %; ties broken by the check half, {100 * best[1]:.2f} %)")
    print("perceptron: CUT_WEIGHTS = np.array([" + ", ".join(f"{v:.3f}" for v in avg) + "])")
    return 0


COLOURS = np.array([(230, 25, 25), (20, 150, 20), (30, 60, 230), (210, 130, 0), (150, 0, 200), (0, 150, 150)])


def show_images(predictor, data, count, seed, out: Path) -> int:
    """The numbers of tune_images with a digit grouped wrong, as PNGs in ``out``."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    wrong = 0
    for k, (strokes, groups, labels, ref_h) in enumerate(bench.numbers(data, 4, count, rng)):
        right = bench.image_grouping(predictor, strokes, groups, ref_h)
        if all(right):
            continue
        wrong += 1
        image, masks = bench.render_image(strokes, groups, ref_h)
        seg = N.segment_image(image, predictor)
        h, w = seg.ink.shape
        truth, found = np.full((h, w, 3), 255, np.uint8), np.full((h, w, 3), 255, np.uint8)
        for i, m in enumerate(masks):
            truth[N.working_mask(m, seg.factor, (h, w))] = COLOURS[i % len(COLOURS)]
        for i, (_, piece) in enumerate(seg.pieces):
            found[piece] = COLOURS[i % len(COLOURS)]
        both = np.concatenate([truth, np.full((h, 4, 3), 200, np.uint8), found], axis=1)
        name = f"{k:04d}_{''.join(map(str, labels))}_{''.join('+' if r else '-' for r in right)}.png"
        Image.fromarray(both).resize((both.shape[1] * 3, h * 3), Image.Resampling.NEAREST).save(out / name)
    print(f"{wrong} of {count} numbers with a digit grouped wrong: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
