"""Choose training settings without touching the test writers: train on MNIST plus the pen
digits of some of writers 1-30, measure the rest of writers 1-30 and MNIST test.

    python tools/pen_holdout.py [--hold-writers 11-30] [--data mnist.npz] [--out DIR] \
        run NAME [--train-writers 1-10] [--epochs 8] [--pen-copies 3] [--seed 1]
        [--stroke-augment default|strong|stronger] [--elastic PX] [--mnist-only]
        [--uniform-mnist FRACTION]
    python tools/pen_holdout.py [--hold-writers 11-30] ensemble NAME NAME ...

``run`` trains the default preset with the given changes, prints one JSON line (also
appended to ``OUT/results.jsonl``) and saves the model as ``OUT/NAME.keras``; ``ensemble``
averages saved models' probabilities, every subset of them. OUT is ``--out``
(default ``experiments/`` in the current folder).

Only pendigits writers 1-30 are read (from $DIGITPAD_PENDIGITS or the pen-data chain,
``DIGITPAD_PEN_DATA``): writers 31-44, the honest test, are never loaded here. docs/accuracy.md lists what was measured;
each ``run`` takes 8-10 minutes on 2 cores at 8 epochs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digitpad import pen_training, pendigits
from digitpad.pendigits import TRAIN_WRITERS
from digitpad.strokes import render_strokes
from digitpad.tfload import quiet_environment
from digitpad.thinning import thin

# Ranges of the stroke-level augmentation of the pen digits: the defaults and two stronger sets.
STROKE_AUGMENT = {
    "default": pen_training.StrokeAugment(),
    "strong": pen_training.StrokeAugment(15, 0.4, 0.35, 0.06, 0.008, 0.05),
    "stronger": pen_training.StrokeAugment(20, 0.5, 0.45, 0.06, 0.008, 0.06),
}


def writer_range(text: str) -> tuple[int, ...]:
    lo, _, hi = text.partition("-")
    writers = tuple(range(int(lo), int(hi or lo) + 1))
    if not set(writers) <= set(TRAIN_WRITERS):
        raise argparse.ArgumentTypeError("only writers 1-30 may be used here (31-44 are the test)")
    return writers


def pen_set(writers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    data = pendigits.load_pendigits(writers=writers)  # writers 1-30 only (writer_range checks)
    return np.stack([render_strokes(s) for s in data.strokes]).astype(np.float32), data.labels


def elastic_augmenter(make, alpha: float, grid: int = 3):
    """Wrap digitpad.augment.make_augmenter: after its warp, a smooth random displacement
    (a grid x grid field of +-alpha px, bicubically upsampled) resampled bilinearly."""

    def make_elastic(seed, settings=None):
        import tensorflow as tf

        base = make(seed, settings)

        def fn(index, batch):
            x, y = base(index, batch)
            b = tf.shape(x)[0]
            key = tf.stack([tf.constant(seed + 7, tf.int64), tf.cast(index, tf.int64)])
            field = tf.random.stateless_uniform([b, grid, grid, 2], key, -1.0, 1.0)
            field = tf.image.resize(field, [28, 28], method="bicubic") * alpha
            gy, gx = tf.meshgrid(tf.range(28.0), tf.range(28.0), indexing="ij")
            sx = tf.reshape(tf.clip_by_value(gx[None] + field[..., 0], 0.0, 27.0), [b, 784])
            sy = tf.reshape(tf.clip_by_value(gy[None] + field[..., 1], 0.0, 27.0), [b, 784])
            x0, y0 = tf.floor(sx), tf.floor(sy)
            fx, fy = sx - x0, sy - y0
            x0, y0 = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
            x1, y1 = tf.minimum(x0 + 1, 27), tf.minimum(y0 + 1, 27)

            def at(yi, xi):
                return tf.gather(x, yi * 28 + xi, batch_dims=1)

            out = (at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x1) * fx * (1 - fy)
                   + at(y1, x0) * (1 - fx) * fy + at(y1, x1) * fx * fy)  # fmt: skip
            return out, y

        return fn

    return make_elastic


# ----------------------------------------------------------- MNIST with uniform strokes
def upsample2(x: np.ndarray) -> np.ndarray:
    """(N, 28, 28) -> (N, 56, 56), bilinear (each output pixel 9:3:3:1 of its neighbours)."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    out = np.empty((len(x), 56, 56), np.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            rows, cols = slice(2 * dy, 28 + 2 * dy), slice(2 * dx, 28 + 2 * dx)
            out[:, dy::2, dx::2] = (9 * x + 3 * p[:, rows, 1:-1] + 3 * p[:, 1:-1, cols] + p[:, rows, cols]) / 16
    return out


def uniform_strokes(x: np.ndarray, width_px: float = 2.66, batch: int = 5000) -> np.ndarray:
    """MNIST digits (N, 28, 28) in [0, 1] redrawn with strokes of one width: at twice the
    resolution, thresholded, thinned to a skeleton and re-inked with an anti-aliased disk,
    then averaged back down (median stroke width 2.5 px against MNIST's 2.66)."""
    radius = 2 * width_px / 2 - 0.5  # at 2x; a 1 px skeleton adds half a pixel each side
    r = math.ceil(radius + 1)
    sub = (np.arange(4) + 0.5) / 4 - 0.5
    kernel = np.array([[np.mean(((i + sub)[:, None] ** 2 + (j + sub)[None] ** 2) <= radius**2)
                        for j in range(-r, r + 1)] for i in range(-r, r + 1)], np.float32)  # fmt: skip
    out = np.empty(x.shape, np.float32)
    for s in range(0, len(x), batch):
        up = upsample2(x[s : s + batch].astype(np.float32))
        skeleton = np.pad(thin(up > 0.5).astype(np.float32), ((0, 0), (r, r), (r, r)))
        ink = np.zeros_like(up)
        for (i, j), k in np.ndenumerate(kernel):
            if k > 0:
                np.maximum(ink, k * skeleton[:, i : i + 56, j : j + 56], out=ink)
        out[s : s + batch] = ink.reshape(-1, 28, 2, 28, 2).mean(axis=(2, 4))
    return out


# --------------------------------------------------------------------------- commands
def run(args: argparse.Namespace) -> dict:
    from digitpad import augment, training
    from digitpad.data import Mnist, load_mnist

    if not args.mnist_only and set(args.train_writers) & set(args.hold_writers):
        raise SystemExit("pen_holdout: training and held-out writers overlap")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.elastic:
        augment.make_augmenter = elastic_augmenter(augment.make_augmenter, args.elastic)
    settings = STROKE_AUGMENT[args.stroke_augment]
    render = pen_training.render_samples
    pen_training.render_samples = lambda samples, labels, copies, rng, _s=None: render(samples, labels, copies, rng, settings)

    mnist = load_mnist(args.data)
    xtr = mnist.x_train
    if args.uniform_mnist:
        pick = np.random.default_rng(0).random(len(xtr)) < args.uniform_mnist
        xtr = xtr.copy()
        xtr[pick] = np.rint(uniform_strokes(xtr[pick] / 255.0) * 255).astype(xtr.dtype)
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "pen.npz"
        pendigits.save_pendigits(pendigits.load_pendigits(writers=args.train_writers), subset)
        config = training.TrainConfig.for_preset(
            "cnn",
            epochs=args.epochs,
            pen_copies=0 if args.mnist_only else args.pen_copies,
            pen_data=[str(subset)],
            validation_split=0.0,
            seed=args.seed,
        )
        started = time.time()
        result = training.train(config, data=Mnist(xtr, mnist.y_train, mnist.x_test, mnist.y_test, mnist.source))
    x_hold, y_hold = pen_set(args.hold_writers)
    wrong = int((result.model.predict(x_hold, batch_size=1000, verbose=0)[:, :10].argmax(1) != y_hold).sum())
    line = {
        "name": args.name,
        "settings": {k: v for k, v in vars(args).items() if k not in ("name", "out", "func", "data")}
        | ({"train_writers": [], "pen_copies": 0} if args.mnist_only else {}),
        "mnist_test": result.test_accuracy,
        "hold_accuracy": 1 - wrong / len(y_hold),
        "hold_wrong": wrong,
        "hold_n": len(y_hold),
        "seconds": round(time.time() - started),
    }
    with open(out_dir / "results.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")
    result.model.save(out_dir / f"{args.name}.keras")
    return line


def ensemble(args: argparse.Namespace) -> None:
    from digitpad.data import load_mnist
    from digitpad.tfload import import_keras

    keras = import_keras()
    x_hold, y_hold = pen_set(args.hold_writers)
    mnist = load_mnist(args.data)
    xte, yte = mnist.x_test, mnist.y_test
    xte = (xte.reshape(-1, 784) / 255.0).astype(np.float32)
    probs = {}
    for name in args.names:
        model = keras.models.load_model(Path(args.out) / f"{name}.keras")
        probs[name] = [model.predict(x, batch_size=1000, verbose=0) for x in (x_hold, xte)]
    for k in range(1, len(args.names) + 1):
        for combo in itertools.combinations(args.names, k):
            hold, test = (sum(probs[n][i] for n in combo) for i in (0, 1))
            wrong = int((hold[:, :10].argmax(1) != y_hold).sum())
            print(f"{' + '.join(combo)}: held-out writers {1 - wrong / len(y_hold):.2%} ({wrong} wrong of"
                  f" {len(y_hold)}), MNIST test {np.mean(test[:, :10].argmax(1) == yte):.2%}")  # fmt: skip


def main(argv: list[str]) -> int:
    quiet_environment()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="experiments", help="folder for models and results.jsonl")
    parser.add_argument("--data", default=None, help="MNIST .npz (default: $DIGITPAD_MNIST or the usual places)")
    parser.add_argument("--hold-writers", type=writer_range, default=writer_range("11-30"))
    sub = parser.add_subparsers(required=True)
    p = sub.add_parser("run", help="train one setting and measure it")
    p.add_argument("name")
    p.add_argument("--train-writers", type=writer_range, default=writer_range("1-10"))
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--pen-copies", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stroke-augment", choices=sorted(STROKE_AUGMENT), default="default")
    p.add_argument("--elastic", type=float, default=0.0, help="elastic warp amplitude in pixels (0 = off)")
    p.add_argument("--mnist-only", action="store_true", help="no pen digits in training")
    p.add_argument("--uniform-mnist", type=float, default=0.0, help="share of MNIST redrawn with uniform strokes")
    p.set_defaults(func=lambda a: print(json.dumps(run(a))))
    e = sub.add_parser("ensemble", help="average saved models, every subset")
    e.add_argument("names", nargs="+")
    e.set_defaults(func=ensemble)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
