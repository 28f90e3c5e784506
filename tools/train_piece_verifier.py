"""Train the piece verifier of image numbers (digitpad.numbers.PieceVerifier).

    python tools/train_piece_verifier.py [--numbers 1200] [--distorted 2000] [--epochs 3]
                                         [--lengths 1,2,3,4,4,5] [--output resources/piece_verifier.npz]

Numbers of 1-5 digits (``--lengths``: a length twice gets twice the numbers) are composed
from pendigits writers 1-20 as tests/bench_numbers.py
composes them (and, for --distorted, from the same writers' digits slanted, turned and
stretched a little, as tools/tune_numbers.py does: a new writer's hand), rendered as images,
and every candidate piece of their cut groups (digitpad.numbers._lattice) becomes one
example: its context (digitpad.numbers.piece_context) and whether it is exactly one digit
by the benchmark's rule (one digit's ink >= 90 % of the piece and >= 90 % of the digit).
Numbers from writers 21-30 are the validation set (printed AUC per epoch); they are left
for fitting CUT_WEIGHTS (tools/tune_numbers.py --images), so the weights see the verifier
on writers it was not trained on. Writers 31-44 are never read (they are the benchmark's).

Needs TensorFlow/Keras (training only) and the pendigits stroke file, as the benchmark.
The weights are written as a numpy archive (the Keras weights in layer order), read by
digitpad without TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

import tune_numbers as tune  # noqa: E402

import bench_numbers as bench  # noqa: E402
from digitpad import numbers as N  # noqa: E402
from digitpad.fileio import atomic_path  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402

# Single digits are among them: a wide one (an open 0, a 2 with a long tail) is cut into
# candidate pieces too, and a verifier that never saw a lone digit called their halves
# whole (writers 21-30: 1.0 % of single digits drawn as images were read as two).
LENGTHS = (1, 2, 3, 4, 4, 5)


def parse_lengths(text: str) -> tuple[int, ...]:
    try:
        lengths = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of digit counts: {text!r}") from None
    if not lengths or not all(1 <= n <= 8 for n in lengths):
        raise argparse.ArgumentTypeError(f"digit counts are 1-8: {text!r}")
    return lengths


# With --vary, half the numbers are drawn smaller and with other pens than the benchmark's
# (digits 28-120 px tall, a pen of 5-16 % of that: a scanned or MNIST-like digit is small
# and thick), so the verifier does not learn one pen only.
VARY_HEIGHT = (28, 120)
VARY_PEN = (0.05, 0.16)


def collect(predictor, data, count: int, rng, lengths=LENGTHS, vary=False) -> tuple[np.ndarray, np.ndarray]:
    """Contexts (n, rows, columns, 2) float16 and labels (n,) bool of every candidate piece."""
    xs, ys = [], []
    for n_digits in lengths:
        for strokes, groups, _, ref_h in bench.numbers(data, n_digits, count // len(lengths), rng):
            if vary and rng.random() < 0.5:
                height = float(np.exp(rng.uniform(*np.log(VARY_HEIGHT))))
                image, masks = bench.render_image(strokes, groups, ref_h, height, rng.uniform(*VARY_PEN))
            else:
                image, masks = bench.render_image(strokes, groups, ref_h)
            frame = tune._frame(predictor, image)
            seg, height = frame[0], frame[1]
            lattices, _ = tune._lattices(predictor, image, masks, frame)
            for lat, which in lattices:
                if lat is None:
                    continue
                for key, (_, mask) in lat.pieces.items():
                    xs.append(N.piece_context(mask, seg.ink, height).astype(np.float16))
                    ys.append(which[key] is not None)
    return np.stack(xs), np.array(ys)


def build():
    import keras
    from keras import layers

    inp = keras.Input((*N.CONTEXT_SHAPE, 2))
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(64, activation="relu")(x)
    return keras.Model(inp, layers.Dense(1)(x))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", type=tune.COUNT, default=1200, help="numbers from writers 1-20 as written")
    ap.add_argument("--distorted", type=tune.COUNT, default=2000, help="numbers from writers 1-20, each digit distorted")
    ap.add_argument("--check", type=tune.SOME, default=400, help="numbers from writers 21-30 (validation)")
    ap.add_argument("--epochs", type=tune.SOME, default=3)
    ap.add_argument("--vary", action="store_true", help="draw half the numbers smaller and with other pens")
    ap.add_argument("--lengths", type=parse_lengths, default=LENGTHS, metavar="N,N,...",
                    help="digits per number, comma-separated (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", default=str(ROOT / "resources" / N.PIECE_VERIFIER))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # The verifier being trained must not score its own training pieces.
    N.PieceVerifier._bundled = None
    predictor = Predictor.bundled()
    data = bench.load(range(1, 31))
    fit_w, check_w = tune._subset(data, range(1, 21)), tune._subset(data, range(21, 31))
    rng = np.random.default_rng(args.seed)
    parts = [collect(predictor, fit_w, args.numbers, rng, args.lengths, args.vary)]
    if args.distorted:
        parts.append(collect(predictor, tune._distorted(fit_w, rng, 1.0), args.distorted, rng, args.lengths,
                             args.vary))
    x = np.concatenate([p[0] for p in parts]).astype(np.float32)
    y = np.concatenate([p[1] for p in parts]).astype(np.float32)
    xc, yc = collect(predictor, check_w, args.check, np.random.default_rng(args.seed + 1), args.lengths)
    print(f"{len(x)} pieces from writers 1-20 ({100 * y.mean():.1f} % whole digits), "
          f"{len(xc)} from writers 21-30 to check")

    import keras

    keras.utils.set_random_seed(args.seed)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(from_logits=True, name="auc")])
    model.fit(x, y, batch_size=256, epochs=args.epochs, validation_data=(xc, yc.astype(np.float32)), verbose=2)
    weights = model.get_weights()
    verifier = N.PieceVerifier(weights)
    check = np.abs(verifier.logits(xc[:256]) - model.predict(xc[:256], verbose=0)[:, 0]).max()
    if check > 1e-3:
        raise SystemExit(f"the numpy verifier disagrees with Keras by {check}")
    out = Path(args.output)
    with atomic_path(out) as tmp:
        np.savez(tmp, *[w.astype(np.float32) for w in weights])
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
