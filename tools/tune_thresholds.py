"""Choose when a drawing is "not a digit" or "not sure", on held-out writers only.

    python tools/tune_thresholds.py --holdout-model experiments/holdout/model

The model must have been trained with ``--hold-out`` (it never saw the held-out fifth of
the UNIPEN writers). Those writers are split again in two by a second hash of their names:
the :class:`digitpad.predictor.Thresholds` are chosen on half A (the fewest non-digits shown
as a digit while at most ``--max-rejected`` of the digits are rejected) and the figures of
half B are printed beside, so the choice can be checked on writers it was not chosen on. Pendigits writers 31-44 are
never read here. Needs DIGITPAD_PEN_DATA (the folder of the UNIPEN files).
"""

from __future__ import annotations

import argparse
import sys
import zlib

import numpy as np


def half_a(writer: str) -> bool:
    return zlib.crc32(("tune:" + writer).encode("utf-8")) % 2 == 0


def outputs(model, samples) -> np.ndarray:
    from digitpad.strokes import render_strokes

    vecs = [render_strokes(s) for s in samples]
    x = np.stack([v if v is not None else np.zeros(784, np.float32) for v in vecs])
    return model.outputs(x)


def rates(digit_out, labels, non_out, thresholds) -> tuple[float, float, float]:
    """(digits read right, digits rejected, non-digits shown as a digit)."""
    from digitpad.predictor import DIGIT, Prediction

    d = [Prediction.from_probabilities(o, thresholds) for o in digit_out]
    n = [Prediction.from_probabilities(o, thresholds) for o in non_out]
    right = np.mean([p.digit == t for p, t in zip(d, labels, strict=True)])
    rejected = np.mean([p.state != DIGIT for p in d])
    shown = np.mean([p.state == DIGIT for p in n])
    return float(right), float(rejected), float(shown)


def grid(margin: float):
    from digitpad.predictor import Thresholds

    for strong in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95):
        for weak in (0.3, 0.5, 0.7):
            for confidence in (0.0, 0.8, 0.9, 0.95):
                if weak <= strong:
                    yield Thresholds(strong, weak, confidence, margin)


def main(argv: list[str] | None = None) -> int:
    from digitpad import pendata
    from digitpad.predictor import Predictor

    parser = argparse.ArgumentParser(prog="tune_thresholds.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--holdout-model", required=True)
    parser.add_argument("--max-rejected", type=float, default=0.004, help="digits rejected at most (half A)")
    parser.add_argument("--unsure-margin", type=float, default=0.1,
                        help="'not sure' when the two best digits are closer than this (a choice, not tuned)")
    args = parser.parse_args(argv)
    model = Predictor(args.holdout_model)
    if model.meta.get("training", {}).get("hold_out") is not True or model.n_outputs != 11:
        raise SystemExit("tune_thresholds: the model must be an 11-output model trained with --hold-out")
    files = {p.name: p for p in pendata.find_pen_data()}
    digits = pendata.held_out_part(pendata.load_stroke_set(files[pendata.UNIPEN_DIGITS_FILE]))
    non = pendata.held_out_part(pendata.load_stroke_set(files[pendata.UNIPEN_NONDIGITS_FILE]))
    d_out, n_out = outputs(model, digits.strokes), outputs(model, non.strokes)
    da = np.array([half_a(w) for w in digits.writers])
    na = np.array([half_a(w) for w in non.writers])
    print(f"half A: {da.sum()} digits / {na.sum()} non-digits; half B: {(~da).sum()} / {(~na).sum()}")
    rows = []
    for t in grid(args.unsure_margin):
        a = rates(d_out[da], digits.labels[da], n_out[na], t)
        b = rates(d_out[~da], digits.labels[~da], n_out[~na], t)
        rows.append((t, a, b))
    ok = [r for r in rows if r[1][1] <= args.max_rejected]
    if not ok:
        print("no setting keeps the rejections within the limit on half A")
        return 1
    for t, a, b in sorted(ok, key=lambda r: (r[1][2], -r[1][0]))[:10]:
        print(f"{t} | A: read {a[0]:.2%} rejected {a[1]:.2%} non-digits shown {a[2]:.2%} "
              f"| B: read {b[0]:.2%} rejected {b[1]:.2%} shown {b[2]:.2%}")
    t, a, b = min(ok, key=lambda r: (r[1][2], -r[1][0]))
    print(f"chosen on half A: {t}")
    print(f"  half A: read {a[0]:.2%}, rejected {a[1]:.2%}, non-digits shown {a[2]:.2%}")
    print(f"  half B: read {b[0]:.2%}, rejected {b[1]:.2%}, non-digits shown {b[2]:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
