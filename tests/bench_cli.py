"""Benchmark of the command line: accuracy on image files, start-up, per-digit latency.

    python tests/bench_cli.py [--n 10000]        (or: pytest -m benchmark tests/bench_cli.py -s)

Prints:
- `digitpad predict --json` accuracy on MNIST test digits saved as PNG files, both as
  28x28 white-on-black and as 280x280 black-on-white canvases with the digit enlarged
  (x4 to x9) and off-centre — one process for all the files, like a user's batch;
- whole-process time of `digitpad predict one.png` (median of 7 runs);
- per-digit latency: preprocessing of a 280x280 canvas + LiteRT, and LiteRT alone.
Needs the real MNIST ($DIGITPAD_MNIST or ../shared/data/mnist.npz).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def mnist_path() -> Path:
    env = os.environ.get("DIGITPAD_MNIST")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "mnist.npz"


def write_files(x, folder: Path, rng) -> tuple[list[str], list[str]]:
    small, big = [], []
    for i, digit in enumerate(x):
        p = folder / f"m{i:05d}.png"
        Image.fromarray(digit).save(p)
        small.append(str(p))
        scale = int(rng.integers(4, 10))
        side = 28 * scale
        enlarged = Image.fromarray(digit).resize((side, side), Image.BILINEAR)
        canvas = Image.new("L", (280, 280), 0)
        ox, oy = rng.integers(-side // 6, 280 - side + side // 6 + 1, size=2)
        canvas.paste(enlarged, (int(ox), int(oy)))
        q = folder / f"c{i:05d}.png"
        Image.fromarray(255 - np.asarray(canvas)).save(q)
        big.append(str(q))
    return small, big


def predict_files(paths: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "digitpad", "predict", "--json", *paths],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def whole_process_seconds(path: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "digitpad", "predict", path], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def latency(x) -> tuple[float, float]:
    from digitpad.predictor import Predictor
    from digitpad.preprocessing import preprocess

    predictor = Predictor.bundled()
    canvases = []
    for digit in x[:200]:
        big = np.asarray(Image.fromarray(255 - digit).resize((280, 280), Image.BILINEAR))
        canvases.append(big)
    for c in canvases[:20]:
        predictor.predict(preprocess(c))
    t0 = time.perf_counter()
    for c in canvases:
        predictor.predict(preprocess(c))
    full = (time.perf_counter() - t0) / len(canvases)
    vectors = [preprocess(c) for c in canvases]
    t0 = time.perf_counter()
    for v in vectors:
        predictor.probabilities(v)
    model_only = (time.perf_counter() - t0) / len(vectors)
    return full, model_only


def run(n: int) -> dict:
    with np.load(mnist_path()) as d:
        x, y = d["x_test"][:n], d["y_test"][:n].astype(int)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        small, big = write_files(x, Path(tmp), rng)
        acc_small = np.mean([r["digit"] == t for r, t in zip(predict_files(small), y)])
        acc_big = np.mean([r["digit"] == t for r, t in zip(predict_files(big), y)])
        process_s = whole_process_seconds(small[0])
    full, model_only = latency(x)
    result = {
        "n": n,
        "accuracy_28x28_png": round(float(acc_small), 4),
        "accuracy_280x280_canvas_png": round(float(acc_big), 4),
        "predict_one_png_process_s": round(process_s, 3),
        "per_digit_ms_preprocess_plus_litert": round(full * 1e3, 3),
        "per_digit_ms_litert_only": round(model_only * 1e3, 4),
    }
    print(json.dumps(result, indent=2))
    return result


@pytest.mark.benchmark
def test_benchmark_cli():
    result = run(2000)
    assert result["accuracy_28x28_png"] > 0.9  # sanity only; the figures are the output


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="how many MNIST test digits (default all 10,000)")
    run(ap.parse_args().n)
