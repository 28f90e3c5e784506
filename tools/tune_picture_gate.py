"""Choose when the window shows an opened picture whose ink parts into pieces as one
digit or as a number (digitpad/ui/draw_tab.py: PICTURE_ONE_DIGIT, PICTURE_WIDE), on
pendigits writers 21-30 and the shipped MNIST slice only (writers 31-44 only measure).

    python tools/tune_picture_gate.py [--singles 600] [--numbers 200] [--wide 9,2,1.6,1.4,1.3,1.2,1.1,1.0]

Reads, as the window does (numbers.read_image; the whole picture through the single-digit
route): photos of single digits (tests/bench_photos.py's camera), the same writers' single
digits drawn clean (tests/bench_numbers.py's render_single), the 250 test digits of the
MNIST slice (scans), and 2- and 3-digit numbers drawn clean and photographed
(bench_numbers.photo_pair). For each width ratio given, a picture is shown as a number
when it parts into two or more digits and the whole reads as one digit below
PICTURE_ONE_DIGIT confidence, or the digits found are together at least that many times
as wide as tall. Prints per set how many single digits are shown as a number (and how
many of those the single-digit route had right), and the share of numbers shown as the
number and read right.

Needs DIGITPAD_PENDIGITS (or ../shared/data/pendigits_strokes.npz).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import tune_numbers  # noqa: E402

import bench_numbers as bench  # noqa: E402
from bench_photos import _pen_file, photograph  # noqa: E402


def reading(image, predictor) -> dict:
    """What the window weighs for a picture: pieces, the whole's confidence, the width ratio."""
    from digitpad.numbers import read_image
    from digitpad.preprocessing import preprocess
    from digitpad.ui.draw_tab import reading_aspect

    number = read_image(image, predictor)
    whole = predictor.predict(preprocess(image))
    return {"parts": len(number), "text": number.text, "aspect": reading_aspect(number) if len(number) else 0.0,
            "whole": str(whole.digit) if whole.digit is not None else None,
            "confidence": whole.confidence if whole.digit is not None else 0.0}


def as_number(r: dict, sure: float, wide: float) -> bool:
    return r["parts"] >= 2 and (r["confidence"] < sure or r["aspect"] >= wide)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--singles", type=int, default=600, help="single digits per kind (photos, clean)")
    ap.add_argument("--numbers", type=int, default=200, help="numbers per length (2, 3 digits)")
    ap.add_argument("--wide", default="9,2,1.6,1.4,1.3,1.2,1.1,1.0", help="width ratios to try")
    args = ap.parse_args(argv)
    from digitpad.paths import resource_path
    from digitpad.pendigits import load_pendigits
    from digitpad.predictor import Predictor
    from digitpad.ui.draw_tab import PICTURE_ONE_DIGIT, PICTURE_WIDE

    predictor = Predictor.bundled()
    pen = load_pendigits(_pen_file(), writers=list(range(21, 31)))
    sets: dict[str, list[tuple[dict, str]]] = {}
    rng = np.random.default_rng(6)
    sets["single digits photographed"] = [(reading(photograph(pen.strokes[i], rng)[0], predictor), str(pen.labels[i]))
                                          for i in rng.permutation(len(pen.labels))[: args.singles]]
    with np.load(resource_path("mnist_slice.npz")) as f:
        sets["MNIST slice test digits"] = [(reading(255 - x, predictor), str(int(y))) for x, y in zip(f["x_test"], f["y_test"])]
    rng = np.random.default_rng(7)
    sets["single digits drawn clean"] = [(reading(bench.render_single(pen.strokes[i])[0], predictor), str(pen.labels[i]))
                                         for i in rng.permutation(len(pen.labels))[: args.singles]]
    data = tune_numbers._subset(bench.load(range(1, 31)), range(21, 31))
    for n in (2, 3):
        rng = np.random.default_rng(11)
        clean, photo = [], []
        for strokes, groups, labels, ref_h in bench.numbers(data, n, args.numbers, rng):
            truth = "".join(map(str, labels))
            (clean_image, _), (photo_image, _) = bench.photo_pair(strokes, groups, ref_h, rng)
            clean.append((reading(clean_image, predictor), truth))
            photo.append((reading(photo_image, predictor), truth))
        sets[f"{n}-digit numbers drawn clean"] = clean
        sets[f"{n}-digit numbers photographed"] = photo
    for name, rows in sets.items():
        parted = sorted(r["aspect"] for r, _ in rows if r["parts"] >= 2)
        print(f"{name} ({len(rows)}): {len(parted)} part into two or more"
              + (f", the widest {parted[-1]:.2f} times as wide as tall" if parted and "numbers" not in name else ""))
    print(f"\nshown as a number (PICTURE_ONE_DIGIT {PICTURE_ONE_DIGIT}; now PICTURE_WIDE {PICTURE_WIDE}):")
    for wide in (float(v) for v in args.wide.split(",")):
        cells = []
        for name, rows in sets.items():
            shown = [as_number(r, PICTURE_ONE_DIGIT, wide) for r, _ in rows]
            if "digits" in name and "numbers" not in name:
                lost = sum(s and r["whole"] == t for (r, t), s in zip(rows, shown))
                cells.append(f"{name}: {sum(shown)} ({lost} read right as one)")
            else:
                right = sum((r["text"] if s else r["whole"]) == t for (r, t), s in zip(rows, shown))
                cells.append(f"{name}: {100 * np.mean(shown):.1f} %, read right {100 * right / len(rows):.1f} %")
        print(f"  width >= {wide}: " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
