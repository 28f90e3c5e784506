"""Real pen digits through the real canvas: the accuracy users feel.

    python tests/bench_pendigits.py [--writers test|train|all|21-30] [--limit N] [--model BASE]
    pytest -m benchmark tests/bench_pendigits.py -s

Each pendigits sample (UCI "Pen-Based Recognition of Handwritten Digits": 44 writers, a
500x500 tablet box, y up) is replayed on a real :class:`DrawCanvas` (offscreen
QApplication): the writer's box is mapped onto the whole canvas, so every digit keeps the
placement and size its writer gave it, y flipped to screen orientation; each stroke goes
through ``canvas.replay_stroke`` (the mouse's own code path), then the app's
``model_input.canvas_vector`` and the bundled :class:`Predictor` (LiteRT) classify it.

Printed: accuracy for writers 31-44 (the UCI test writers: the honest figure, never
trained or tuned on) and for writers 1-30, per pen width (the app's default, a thin pen
of about half, a thick one of about 1.5x), per class with the confusion matrix, the five
worst writers, the MNIST test accuracy of the same model and the time per digit
(canvas -> model input, and LiteRT) on one thread.

Needs the full stroke file (never shipped): $DIGITPAD_PENDIGITS, pendigits_strokes.npz in
$DIGITPAD_PEN_DATA, or ../shared/data/pendigits_strokes.npz; and MNIST ($DIGITPAD_MNIST or
../shared/data/mnist.npz). Missing data is a one-line error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent
# ../shared/data from a clone next to it, or from a worktree one level deeper.
SHARED = next((p / "shared" / "data" for p in HERE.parents[1:3] if (p / "shared" / "data").is_dir()),
              HERE.parents[1] / "shared" / "data")
def _pen_file() -> Path:
    """$DIGITPAD_PENDIGITS, else pendigits_strokes.npz in $DIGITPAD_PEN_DATA, else ../shared/data."""
    if os.environ.get("DIGITPAD_PENDIGITS"):
        return Path(os.environ["DIGITPAD_PENDIGITS"])
    for part in os.environ.get("DIGITPAD_PEN_DATA", "").split(os.pathsep):
        if part and Path(part).is_dir() and (Path(part) / "pendigits_strokes.npz").is_file():
            return Path(part) / "pendigits_strokes.npz"
    return SHARED / "pendigits_strokes.npz"


PEN_FILE = _pen_file()
MNIST_FILE = Path(os.environ.get("DIGITPAD_MNIST", SHARED / "mnist.npz"))
CANVAS_SIDE = 280  # the window's default canvas size (REFERENCE_SIDE)
TABLET_BOX = 500.0
PEN_SCALES = {"default": 1.0, "thin": 0.5, "thick": 1.5}
WRITER_SETS = {"test": range(31, 45), "train": range(1, 31), "all": range(1, 45)}


@dataclass
class Run:
    """Predictions for one pen width: true labels, predicted labels (-1 = no digit),
    writers, and the per-digit seconds spent in canvas_vector and in the model."""

    pen: str
    labels: np.ndarray
    predicted: np.ndarray
    writers: np.ndarray
    input_s: np.ndarray
    model_s: np.ndarray
    states: np.ndarray | None = None  # per sample: the Prediction's state

    def rejected(self, mask: np.ndarray | None = None) -> float:
        """Share of the digits answered "not a digit" or "not sure"."""
        bad = np.isin(self.states, ["not_digit", "unsure"])
        return float(bad[mask].mean()) if mask is not None else float(bad.mean())

    def accuracy(self, mask: np.ndarray | None = None) -> float:
        ok = self.predicted == self.labels
        return float(ok[mask].mean()) if mask is not None else float(ok.mean())


def parse_writers(text: str) -> tuple[int, ...]:
    """``test``, ``train``, ``all`` or a range ``A-B`` / a single writer id."""
    if text in WRITER_SETS:
        return tuple(WRITER_SETS[text])
    try:
        lo, _, hi = text.partition("-")
        ids = tuple(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"writers must be test, train, all or A-B, got {text!r}") from None
    if not ids or ids[0] < 1 or ids[-1] > 44:
        raise argparse.ArgumentTypeError(f"writers must lie in 1-44, got {text!r}")
    return ids


def load_samples(writers: tuple[int, ...], limit: int | None, seed: int = 0):
    from digitpad.pendigits import PenDigitsError, load_pendigits

    try:
        data = load_pendigits(PEN_FILE, writers=writers)
    except PenDigitsError as exc:
        raise SystemExit(f"bench_pendigits: {exc}") from None
    if len(data) == 0:
        raise SystemExit(f"bench_pendigits: no samples for writers {writers[0]}-{writers[-1]} in {PEN_FILE}")
    if limit is not None and limit < len(data):
        pick = np.sort(np.random.default_rng(seed).choice(len(data), limit, replace=False))
        data = data.subset(np.isin(np.arange(len(data)), pick))
    return data


INPUTS = ("app", "raster", "strokes")


def input_function(route: str):
    """``app``: model_input.canvas_vector, what the window uses; ``raster`` / ``strokes``:
    force one of its two routes (to compare them)."""
    from digitpad.ui import model_input

    return {"app": model_input.canvas_vector, "raster": model_input.raster_vector,
            "strokes": model_input.stroke_vector}[route]


def replay_through_canvas(data, predictor, pen_width: float, label: str, side: int = CANVAS_SIDE,
                          route: str = "app") -> Run:
    """Replay every sample on one canvas and classify what ``canvas_vector`` makes of it."""
    from PySide6.QtWidgets import QApplication

    from digitpad.ui.canvas import DrawCanvas

    canvas_vector = input_function(route)

    app = QApplication.instance() or QApplication(["bench_pendigits"])
    canvas = DrawCanvas()
    canvas.resize(side, side)
    canvas.show()
    app.processEvents()
    canvas.set_pen_width(pen_width)
    scale = canvas.side() / TABLET_BOX
    n = len(data)
    predicted = np.full(n, -1, np.int64)
    states = np.empty(n, dtype=object)
    input_s, model_s = np.zeros(n), np.zeros(n)
    for i, strokes in enumerate(data.strokes):
        canvas.clear()
        for stroke in strokes:
            canvas.replay_stroke(stroke * scale)
        t0 = time.perf_counter()
        vector = canvas_vector(canvas)
        t1 = time.perf_counter()
        prediction = predictor.predict(vector)
        t2 = time.perf_counter()
        input_s[i], model_s[i] = t1 - t0, t2 - t1
        states[i] = prediction.state
        if prediction.digit is not None:
            predicted[i] = prediction.digit
    canvas.close()
    canvas.deleteLater()
    app.processEvents()
    return Run(label, data.labels, predicted, data.writers, input_s, model_s, states)


def mnist_accuracy(predictor) -> float:
    try:
        with np.load(MNIST_FILE) as d:
            x, y = d["x_test"], d["y_test"]
    except OSError as exc:
        raise SystemExit(f"bench_pendigits: cannot read MNIST {MNIST_FILE}: {exc}") from None
    probs = predictor.probabilities(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    return float((probs.argmax(axis=1) == y).mean())


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 11): rows true digit, columns predicted digit, last column "no digit"."""
    m = np.zeros((10, 11), np.int64)
    np.add.at(m, (labels, np.where(predicted < 0, 10, predicted)), 1)
    return m


def report(runs: list[Run], mnist: float | None, model_name: str, route: str = "app", out=sys.stdout) -> None:
    def say(line: str = "") -> None:
        out.write(line + "\n")

    base = runs[0]
    test = base.writers >= 31
    train = ~test
    say(f"model: {model_name}")
    say(f"canvas {CANVAS_SIDE}x{CANVAS_SIDE}; writers' 500x500 box mapped onto it; input route: {route}")
    say()
    say(f"{'pen':<22}{'writers 31-44':>16}{'writers 1-30':>16}")
    for run in runs:
        cells = []
        for mask in (test, train):
            cells.append(f"{100 * run.accuracy(mask):6.2f} % ({mask.sum()})" if mask.any() else "-")
        say(f"{run.pen:<22}{cells[0]:>16}{cells[1]:>16}")
    if mnist is not None:
        say(f"MNIST test (10,000): {100 * mnist:.2f} %")

    focus = test if test.any() else train
    which = "31-44" if test.any() else "1-30"
    m = confusion(base.labels[focus], base.predicted[focus])
    say()
    say(f"per class, {base.pen}, writers {which} (rows: true digit; columns: predicted, '-' = no digit)")
    say("      " + "".join(f"{d:>6}" for d in range(10)) + f"{'-':>6}{'acc':>9}")
    for d in range(10):
        acc = m[d, d] / max(m[d].sum(), 1)
        say(f"{d:>6}" + "".join(f"{v:>6}" for v in m[d]) + f"{100 * acc:8.2f}%")

    say()
    say(f"five worst writers ({base.pen}, writers {which})")
    ids = np.unique(base.writers[focus])
    accs = sorted((base.accuracy(base.writers == w), w) for w in ids)
    for acc, w in accs[:5]:
        n = int((base.writers == w).sum())
        wrong = (base.predicted != base.labels) & (base.writers == w)
        pairs = ", ".join(f"{t}->{p if p >= 0 else '-'}" for t, p in zip(base.labels[wrong][:8], base.predicted[wrong][:8]))
        say(f"  writer {w:>2}: {100 * acc:6.2f} % of {n}   {pairs}")

    inp = np.concatenate([r.input_s for r in runs]) * 1e3
    mod = np.concatenate([r.model_s for r in runs]) * 1e3
    tot = inp + mod
    say()
    say(f"per digit (ms, median / 95th pct): canvas -> input {np.median(inp):.3f} / {np.percentile(inp, 95):.3f}, "
        f"LiteRT {np.median(mod):.3f} / {np.percentile(mod, 95):.3f}, total {np.median(tot):.3f} / {np.percentile(tot, 95):.3f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    say(f"(load average {load:.1f} on {os.cpu_count()} CPUs)")


def run_benchmark(writers: tuple[int, ...], limit: int | None, model: str | None, pens: list[str], with_mnist: bool,
                  route: str = "app") -> list[Run]:
    from digitpad.predictor import Predictor
    from digitpad.ui.canvas import DEFAULT_PEN_WIDTH

    predictor = Predictor(model) if model else Predictor.bundled()
    data = load_samples(writers, limit)
    runs = []
    for pen in pens:
        width = DEFAULT_PEN_WIDTH * PEN_SCALES[pen]
        runs.append(replay_through_canvas(data, predictor, width, f"{pen} ({width:g} px)", route=route))
    mnist = mnist_accuracy(predictor) if with_mnist else None
    name = f"{predictor.name} ({predictor.path})"
    report(runs, mnist, name, route)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_pendigits.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=parse_writers, default="test",
                        help="test (31-44), train (1-30), all, or a range A-B; default test")
    parser.add_argument("--limit", type=int, default=None, help="a random subset of N samples (seed 0)")
    parser.add_argument("--model", default=None, help="model base/.tflite (default: the bundled model)")
    parser.add_argument("--pens", default="default,thin,thick", help="comma-separated: default, thin, thick")
    parser.add_argument("--input", choices=INPUTS, default="app",
                        help="app: model_input.canvas_vector (default); raster or strokes: force one route")
    parser.add_argument("--no-mnist", action="store_true", help="skip the MNIST test accuracy")
    args = parser.parse_args(argv)
    pens = [p.strip() for p in args.pens.split(",") if p.strip()]
    unknown = [p for p in pens if p not in PEN_SCALES]
    if unknown or not pens:
        parser.error(f"--pens takes {', '.join(PEN_SCALES)}; got {args.pens!r}")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    run_benchmark(args.writers, args.limit, args.model, pens, not args.no_mnist, args.input)
    return 0


def test_benchmark_pendigits_through_canvas():
    import pytest

    pytest.importorskip("PySide6")
    if not PEN_FILE.is_file():
        pytest.fail(f"{PEN_FILE} is missing: set DIGITPAD_PENDIGITS to the full pendigits_strokes.npz")
    runs = run_benchmark(tuple(range(1, 45)), None, os.environ.get("DIGITPAD_TEST_MODEL"), list(PEN_SCALES), True)
    assert all(len(r.labels) == 10992 for r in runs)


try:
    import pytest as _pytest

    pytestmark = _pytest.mark.benchmark
except ImportError:  # run as a script without pytest
    pass


if __name__ == "__main__":
    sys.exit(main())
