"""Train the digit-centre network of image numbers (digitpad.numbers.DigitCentres).

    python tools/train_digit_centres.py [--numbers 4000] [--distorted 6000] [--unipen 0] [--thick 0]
                                        [--check 800] [--epochs 5] [--init NPZ] [--epoch-files]
                                        [--border-weight 1] [--border-radius 2]
                                        [--output resources/digit_centres.npz]

Numbers of 1-5 digits are composed from pendigits writers 1-20 as tests/bench_numbers.py
composes them (and, for --distorted, from the same writers' digits slanted, turned and
stretched a little, as tools/tune_numbers.py does: a new writer's hand); for --unipen,
from the UNIPEN digits' writers that training may see (not the held-out fifth; writers
with at least 10 digits, none far from its writer's size; the file found as train_model.py
finds pen data); for --thick, from writers 1-20 drawn with a pen of THICK of a digit's
height, as scans are. They are rendered as images, each brought to the working resolution
as digitpad.numbers reads an image, then the writing to HEIGHT pixels (a box filter).
Every ink pixel's target is the offset from
it to the middle of its digit's box, in CENTRE_UNIT pixels; a pixel of several digits
belongs to the one with the most ink there. Training sees one window of WINDOW pixels per
number; the loss is the Huber loss (DELTA) over ink pixels only, those within
--border-radius pixels of another digit's ink weighing --border-weight times as much
(where the votes must part two digits; 1: no more than the rest). Numbers from writers
21-30 are the validation set (printed per epoch: the offsets' median error, and how many
of those numbers' digits the votes' parts hold, 90 % of the digit's ink in a part that is
90 % that digit's); writers 31-44 are never read (they are the benchmark's). The weights
are written after every epoch (the learning rate falls to 5 % over --epochs on a cosine);
--init starts from weights written before (to train on, with a fresh schedule).

Needs TensorFlow/Keras (training only) and the pendigits stroke file, as the benchmark.
The weights are written as a numpy archive (the Keras weights in layer order), read by
digitpad without TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

import train_ink_separator as separator  # noqa: E402
import tune_numbers as tune  # noqa: E402

import bench_numbers as bench  # noqa: E402
from digitpad import numbers as N  # noqa: E402
from digitpad.fileio import atomic_path  # noqa: E402

LENGTHS = (1, 2, 3, 4, 4, 5)  # single digits too: one digit, one centre
HEIGHT = 32  # the writing's height in the training images (pixels)
WINDOW = (48, 192)  # rows, columns
CHANNELS = 32
THICK = (0.10, 0.18)  # --thick: the pen's share of a digit's height (MNIST's scans: about 0.15)
DELTA = 0.05


def _shrink(a: np.ndarray, s: float) -> np.ndarray:
    h, w = a.shape
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(np.asarray(a, np.float32)).resize(size, Image.Resampling.BOX), np.float32)


def example(strokes, groups, ref_h, pen: float = bench.IMAGE_PEN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A composed number as the network learns it: (ink, owner digit per pixel or -1, offset)."""
    image, masks = bench.render_image(strokes, groups, ref_h, pen_share=pen)
    ink, factor, mask, _ = N._work_image(image)
    digits = [N.working_mask(m, factor, ink.shape) for m in masks]
    rows = np.flatnonzero(mask.any(axis=1))
    s = HEIGHT / max(rows[-1] - rows[0] + 1, 1)
    small_ink, small_mask = _shrink(ink, s), _shrink(mask, s) > 0
    share = np.stack([_shrink(d, s) for d in digits])
    owner = np.where(share.max(axis=0) > 0, share.argmax(axis=0), -1)
    owner[~small_mask] = -1
    centres = np.array([(c[0] + c[-1] + 1) / 2 * s for c in (np.flatnonzero(d.any(axis=0)) for d in digits)])
    xs = np.arange(small_ink.shape[1])[None, :] + 0.5
    offset = np.where(owner >= 0, (centres[np.maximum(owner, 0)] - xs) / N.CENTRE_UNIT, 0)
    return small_ink, owner.astype(np.int8), offset.astype(np.float32)


def border_weights(owner: np.ndarray, radius: int, weight: float) -> np.ndarray:
    """Each pixel's weight in the loss: 0 off the ink, ``weight`` on a digit's ink within
    ``radius`` pixels of another digit's (where the votes must part two digits), else 1."""
    owner = np.asarray(owner)
    near = np.zeros(owner.shape, bool)
    h, w = owner.shape[-2:]
    pad = [(0, 0)] * (owner.ndim - 2) + [(radius, radius), (radius, radius)]
    padded = np.pad(owner, pad, constant_values=-1)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            other = padded[..., dy : dy + h, dx : dx + w]
            near |= (other >= 0) & (other != owner)
    return np.where(owner >= 0, np.where(near, weight, 1.0), 0.0).astype(np.float32)


def window(ink, owner, offset, rng):
    rows, cols = WINDOW
    h, w = ink.shape
    planes = [np.zeros((rows, max(w, cols)), np.float32), np.full((rows, max(w, cols)), -1, np.int8),
              np.zeros((rows, max(w, cols)), np.float32)]
    top, kept = max(0, (rows - h) // 2), min(h, rows)
    for plane, a in zip(planes, (ink, owner, offset)):
        plane[top : top + kept, :w] = a[:kept]
    x0 = int(rng.integers(0, planes[0].shape[1] - cols + 1))
    return [p[:, x0 : x0 + cols] for p in planes]


def collect(data, count: int, rng, pens: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One window of each of ``count`` numbers: ink (float16), owner (int8), offset (float16)."""
    out: list[list[np.ndarray]] = [[], [], []]
    for n_digits in LENGTHS:
        for strokes, groups, _, ref_h in bench.numbers(data, n_digits, count // len(LENGTHS), rng):
            pen = bench.IMAGE_PEN if pens is None else rng.uniform(*pens)
            for acc, a in zip(out, window(*example(strokes, groups, ref_h, pen), rng)):
                acc.append(a)
    return np.stack(out[0]).astype(np.float16), np.stack(out[1]), np.stack(out[2]).astype(np.float16)


def unipen_digits(min_digits: int = 10) -> SimpleNamespace:
    """The UNIPEN digits training may see, as bench_numbers composes numbers from them:
    strokes (y down), labels, writers as numbers; writers with fewer than ``min_digits``
    digits left out (a number takes several digits of one writer)."""
    from digitpad import pendata

    try:
        found = [p for p in pendata.find_pen_data() if p.name == pendata.UNIPEN_DIGITS_FILE]
        if not found:
            raise pendata.PenDataError(f"no {pendata.UNIPEN_DIGITS_FILE}: set {pendata.ENV_VAR} to its folder")
        data = pendata.training_part(pendata.load_stroke_set(found[0]), hold_out=True)
    except pendata.PenDataError as exc:
        raise SystemExit(f"train_digit_centres: {exc}") from None
    names, who = np.unique(data.writers, return_inverse=True)
    size = np.array([np.ptp(np.concatenate(s), axis=0) if sum(map(len, s)) > 1 else (0.0, 0.0) for s in data.strokes])
    typical = np.array([np.median(size[who == w, 1]) for w in range(len(names))])[who]
    # a sample far from its writer's size is source noise (a neighbour's stroke, a slip)
    keep = (size[:, 1] >= 0.3 * typical) & (size[:, 1] <= 2 * typical) & (size[:, 0] <= 2 * typical)
    keep &= np.bincount(who[keep], minlength=len(names))[who] >= min_digits
    return SimpleNamespace(strokes=[s for s, k in zip(data.strokes, keep) if k],
                           labels=data.labels[keep], writers=who[keep] + 1000)


def build():
    return separator.build(N.CENTRE_DILATIONS, CHANNELS)


def _loss(truth, offsets):
    from keras import ops

    target, ink = truth[..., 0:1], truth[..., 1:2]  # ink: each pixel's weight
    e = ops.abs(offsets - target)
    huber = ops.where(e < DELTA, 0.5 * e * e / DELTA, e - 0.5 * DELTA)
    return ops.sum(huber * ink) / (ops.sum(ink) + 1.0)


def held(ink: np.ndarray, owner: np.ndarray, offsets: np.ndarray) -> tuple[int, int]:
    """Of one window's digits: how many one part of the votes holds (90 % both ways), how many."""
    mask = owner >= 0
    if not mask.any():
        return 0, 0
    votes = np.arange(mask.shape[1])[None, :] + 0.5 + offsets * N.CENTRE_UNIT
    parts, k = N._vote_clusters(mask, ink, votes)
    right = total = 0
    for d in np.unique(owner[mask]):
        digit = owner == d
        total += 1
        right += any((both := (parts == p) & digit).sum() >= 0.9 * digit.sum() and both.sum() >= 0.9 * (parts == p).sum()
                     for p in range(1, k + 1))
    return right, total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=tune.COUNT, default=4000, help="numbers from writers 1-20 as written")
    ap.add_argument("--distorted", type=tune.COUNT, default=6000, help="numbers from writers 1-20, each digit distorted")
    ap.add_argument("--unipen", type=tune.COUNT, default=0, help="numbers from UNIPEN digits' writers (training part)")
    ap.add_argument("--thick", type=tune.COUNT, default=0, help="numbers from writers 1-20 with a thick pen (as scans)")
    ap.add_argument("--check", type=tune.SOME, default=800, help="numbers from writers 21-30 (validation)")
    ap.add_argument("--epochs", type=tune.SOME, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--learning-rate", type=tune.RATE, default=2e-3)
    ap.add_argument("--border-weight", type=tune.at_least(1.0, float), default=1.0,
                    help="weight in the loss of a digit's ink near another digit's (default 1: as any ink)")
    ap.add_argument("--border-radius", type=tune.SOME, default=2, help="how near, in training pixels (default 2)")
    ap.add_argument("--init", metavar="NPZ", help="start from these weights (digit centres written before)")
    ap.add_argument("--output", default=str(ROOT / "resources" / N.DIGIT_CENTRES))
    ap.add_argument("--epoch-files", action="store_true", help="also keep each epoch's weights (OUTPUT.epochN.npz)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    (x, o, d), (xc, oc, dc) = separator.draws(collect, args)
    print(f"{len(x)} windows from writers 1-20, {len(xc)} from writers 21-30 to check", flush=True)
    if args.unipen:
        more = collect(unipen_digits(), args.unipen, np.random.default_rng(args.seed + 2))
        x, o, d = (np.concatenate([a, b]) for a, b in zip((x, o, d), more))
        print(f"{len(more[0])} windows from UNIPEN writers", flush=True)
    if args.thick:
        more = collect(bench.load(range(1, 21)), args.thick, np.random.default_rng(args.seed + 3), THICK)
        x, o, d = (np.concatenate([a, b]) for a, b in zip((x, o, d), more))
        print(f"{len(more[0])} windows drawn with a thick pen", flush=True)

    import keras

    keras.utils.set_random_seed(args.seed)
    model = build()
    if args.init:
        try:
            model.set_weights(N.DigitCentres.load(args.init).weights)
        except (OSError, ValueError, KeyError) as exc:
            raise SystemExit(f"train_digit_centres: {args.init}: {exc}".splitlines()[0]) from None
    steps = args.epochs * (len(x) // 32 + 1)
    rate = keras.optimizers.schedules.CosineDecay(args.learning_rate, steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=_loss)
    y = np.stack([d.astype(np.float32), border_weights(o, args.border_radius, args.border_weight)], -1)
    x32, xc32, dc32 = x.astype(np.float32)[..., None], xc.astype(np.float32), dc.astype(np.float32)

    def check(name: str, t0: float) -> None:
        pred = model.predict(xc32[..., None], verbose=0)[..., 0]
        err = np.abs(pred - dc32)[oc >= 0]
        right, total = map(sum, zip(*(held(a, b, c) for a, b, c in zip(xc32, oc, pred))))
        print(f"{name}: median offset error {np.median(err):.4f}, digits held by one part "
              f"{right}/{total} = {100 * right / max(total, 1):.2f} % ({time.perf_counter() - t0:.0f} s)", flush=True)

    if args.init:
        check("before (--init)", time.perf_counter())
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.fit(x32, y, batch_size=32, epochs=1, verbose=0)
        check(f"epoch {epoch + 1}", t0)
        outputs = [Path(args.output)]
        if args.epoch_files:
            outputs.append(Path(args.output).with_suffix(f".epoch{epoch + 1}.npz"))
        for out in outputs:
            with atomic_path(out) as tmp:
                with open(tmp, "wb") as f:
                    np.savez(f, *model.get_weights())
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
