"""Train the ink separator of image numbers (digitpad.numbers.InkSeparator).

    python tools/train_ink_separator.py [--numbers 1500] [--distorted 2500] [--check 600]
                                        [--epochs 10] [--output resources/ink_separator.npz]
                                        [--init NPZ --learning-rate 1e-3]

Numbers of 1-5 digits are composed from pendigits writers 1-20 as tests/bench_numbers.py
composes them (and, for --distorted, from the same writers' digits slanted, turned and
stretched a little, as tools/tune_numbers.py does: a new writer's hand) and rendered as
images; each is brought to the working resolution as digitpad.numbers reads an image, and
every ink pixel within CONTACT pixels of two digits' ink is a contact (what the separator
learns to find). Training sees windows of WINDOW pixels: one around a contact where the
number has one, one anywhere. The loss is the cross-entropy over ink pixels only, a
contact weighing POSITIVE_WEIGHT. Numbers from writers 21-30 are the validation set
(printed per epoch: the contacts found and how many of the pixels taken out are contacts);
writers 31-44 are never read (they are the benchmark's). ``--init`` goes on training from
a separator's weights (the same draws: give the same seed and counts for more epochs).

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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

import tune_numbers as tune  # noqa: E402

import bench_numbers as bench  # noqa: E402
from digitpad import numbers as N  # noqa: E402
from digitpad.fileio import atomic_path  # noqa: E402

LENGTHS = (1, 2, 3, 4, 4, 5)  # single digits too: a lone digit has no contact to find
CONTACT = 1  # pixels (working resolution) from two digits' ink
WINDOW = (96, 128)  # rows, columns
CHANNELS = 16
POSITIVE_WEIGHT = 4.0


def contacts(ink_mask: np.ndarray, digits: list[np.ndarray]) -> np.ndarray:
    """The ink pixels within CONTACT pixels of two digits' ink or more."""
    near = 0
    for d in digits:
        for _ in range(CONTACT):
            d = N._grow(d)
        near = near + d.astype(np.int32)
    return ink_mask & (near >= 2)


def example(strokes, groups, ref_h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A composed number as digitpad reads its image: (ink, ink mask, contacts), working resolution."""
    image, masks = bench.render_image(strokes, groups, ref_h)
    ink, factor, mask, _ = N._work_image(image)
    return ink, mask, contacts(mask, [N.working_mask(m, factor, ink.shape) for m in masks])


def windows(ink, mask, target, rng) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Two WINDOW-sized windows of a number (padded): around a contact if it has one, and anywhere."""
    rows, cols = WINDOW
    h, w = ink.shape
    width = max(w, cols)
    planes = [np.zeros((rows, width), a.dtype) for a in (ink, mask, target)]
    top, kept = max(0, (rows - h) // 2), min(h, rows)
    for plane, a in zip(planes, (ink, mask, target)):
        plane[top : top + kept, :w] = a[:kept]
    at = np.flatnonzero(planes[2].any(axis=0))
    starts = []
    if at.size:
        starts.append(int(np.clip(int(rng.choice(at)) - rng.integers(20, cols - 20), 0, width - cols)))
    starts.append(int(rng.integers(0, width - cols + 1)))
    return [tuple(p[:, x0 : x0 + cols] for p in planes) for x0 in starts]


def collect(data, count: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of ``count`` numbers: ink (n, rows, cols) float16, ink mask and contacts (bool)."""
    out: list[list[np.ndarray]] = [[], [], []]
    for n_digits in LENGTHS:
        for strokes, groups, _, ref_h in bench.numbers(data, n_digits, count // len(LENGTHS), rng):
            for win in windows(*example(strokes, groups, ref_h), rng):
                for acc, a in zip(out, win):
                    acc.append(a)
    return np.stack(out[0]).astype(np.float16), np.stack(out[1]), np.stack(out[2])


def build(dilations=N.SEPARATOR_DILATIONS, channels: int = CHANNELS):
    """3x3 convolutions (relu) of ``channels`` dilated by ``dilations``, then a 1x1 one: one
    output per pixel (the ink separator's; tools/train_digit_centres.py builds its own so)."""
    import keras
    from keras import layers

    inp = keras.Input((None, None, 1))
    x = inp
    for d in dilations:
        x = layers.Conv2D(channels, 3, padding="same", dilation_rate=d, activation="relu")(x)
    return keras.Model(inp, layers.Conv2D(1, 1)(x))


def draws(collect, args) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Training windows (``args.numbers`` numbers of writers 1-20 as written, then
    ``args.distorted`` distorted) and validation windows (``args.check`` of writers 21-30),
    each a tuple of arrays as ``collect(data, count, rng)`` gives them."""
    data = bench.load(range(1, 31))
    fit_w, check_w = tune._subset(data, range(1, 21)), tune._subset(data, range(21, 31))
    rng = np.random.default_rng(args.seed)
    parts = [collect(fit_w, args.numbers, rng)]
    if args.distorted:
        parts.append(collect(tune._distorted(fit_w, rng, 1.0), args.distorted, rng))
    fit = tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))
    return fit, collect(check_w, args.check, np.random.default_rng(args.seed + 1))


def _loss(truth, logits):
    from keras import ops

    target, ink = truth[..., 0:1], truth[..., 1:2]
    weight = ink * (1 + (POSITIVE_WEIGHT - 1) * target)
    return ops.sum(ops.binary_crossentropy(target, logits, from_logits=True) * weight) / (ops.sum(ink) + 1.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=tune.COUNT, default=1500, help="numbers from writers 1-20 as written")
    ap.add_argument("--distorted", type=tune.COUNT, default=2500, help="numbers from writers 1-20, each digit distorted")
    ap.add_argument("--check", type=tune.SOME, default=600, help="numbers from writers 21-30 (validation)")
    ap.add_argument("--epochs", type=tune.SOME, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", metavar="NPZ", help="start from these weights (an ink separator's)")
    ap.add_argument("--learning-rate", type=tune.RATE, default=2e-3)
    ap.add_argument("--output", default=str(ROOT / "resources" / N.INK_SEPARATOR))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    (x, m, t), (xc, mc, tc) = draws(collect, args)
    print(f"{len(x)} windows from writers 1-20 ({100 * t.sum() / m.sum():.2f} % of their ink pixels are "
          f"contacts), {len(xc)} from writers 21-30 to check", flush=True)

    import keras

    keras.utils.set_random_seed(args.seed)
    model = build()
    if args.init:
        model.set_weights(N.InkSeparator.load(args.init).weights)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss=_loss)
    y = np.stack([t, m], -1).astype(np.float32)
    x32, xc32 = x.astype(np.float32)[..., None], xc.astype(np.float32)[..., None]  # once, not per epoch
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.fit(x32, y, batch_size=32, epochs=1, verbose=0)
        taken = (model.predict(xc32, verbose=0)[..., 0] > N.SEPARATE_AT) & mc
        found = (taken & tc).sum()
        print(f"epoch {epoch + 1}: writers 21-30: {100 * found / max(tc.sum(), 1):.1f} % of the contacts found, "
              f"{100 * found / max(taken.sum(), 1):.1f} % of the pixels taken out are contacts "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    weights = [w.astype(np.float32) for w in model.get_weights()]
    probe = xc[0].astype(np.float32)
    check = np.abs(N.InkSeparator(weights).logits(probe) - model.predict(probe[None, ..., None], verbose=0)[0, ..., 0])
    if check.max() > 1e-3:
        raise SystemExit(f"the numpy separator disagrees with Keras by {check.max()}")
    out = Path(args.output)
    with atomic_path(out) as tmp:
        np.savez(tmp, *weights)
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
