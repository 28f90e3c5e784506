"""Photos of a digit on paper: real pen ink under bad light, through `digitpad predict`'s
preprocessing.

    python tests/bench_photos.py [--limit N] [--seed S] [--writers A-B] [--no-illumination] [--save DIR]

Each pendigits sample of writers 31-44 (real pen trajectories, never trained or tuned on;
``--writers 21-30`` to choose settings on writers the model learnt from but never tuned on)
is drawn as dark ink on paper and "photographed": paper reflectance and ink darkness vary,
paper texture (smooth blotches and grain), a lighting gradient in a random direction, a
vignette, in half the images a shadow band over one edge, a warm tint, the sheet rotated
by up to ±8°, a slight blur, sensor noise and JPEG compression (quality 55-90). The image goes
through :func:`digitpad.preprocessing.preprocess` (as an image file does) and the bundled
model; "no digit" counts as wrong.

Printed: accuracy over all images, with and without a shadow band, by strength of the
lighting gradient; ``--no-illumination`` measures the same images with the background
taken as uniform (the preprocessing before illumination was estimated), for comparison.
``--save DIR`` writes the first 40 images as JPEG to look at.

Needs the full stroke file (never shipped, never committed): $DIGITPAD_PENDIGITS, the
pen-data chain ($DIGITPAD_PEN_DATA), or ../shared/data/pendigits_strokes.npz.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"


def _pen_file() -> Path:
    """$DIGITPAD_PENDIGITS, the pen-data search chain, else ../shared/data beside the clone."""
    from digitpad.pendigits import PenDigitsError, default_path

    try:
        return default_path()
    except PenDigitsError:
        return SHARED / "pendigits_strokes.npz"
TEST_WRITERS = range(31, 45)


def photograph(strokes: list[np.ndarray], rng: np.random.Generator, pen_height: float | None = None,
               groups=None) -> tuple[np.ndarray, dict]:
    """A photo-like RGB uint8 image of ``strokes`` (y down) drawn on paper, and what was done.

    The pen is 3.5-7 % of the drawing's height, or of ``pen_height`` (in the strokes' units)
    when given: for a number, a digit's height, as a person's pen is sized by the digits, not
    by the whole number. With ``groups`` (the strokes of each digit), what was done also
    holds ``"masks"``: each digit's ink coverage (float 0-1) on the photo's pixels, the sheet
    turned as the photo's is. Either leaves the random draws as they were."""
    from raster import strokes_to_image

    side = int(rng.integers(240, 480))
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    height = float(rng.uniform(0.45, 0.75)) * side
    scale = height / max(float((hi - lo).max()), 1e-6)
    centre = np.array([side / 2, side / 2]) + rng.uniform(-0.08, 0.08, 2) * side
    placed = [(s - (lo + hi) / 2) * scale + centre for s in strokes]
    pen_share = float(rng.uniform(0.035, 0.07))
    pen = pen_share * (height if pen_height is None else pen_height * scale)
    coverage = strokes_to_image(placed, side, pen)
    # The sheet lies slightly rotated under the camera (the paper fills the frame).
    rotation = float(rng.uniform(-8, 8))

    def turned(a):
        return np.asarray(Image.fromarray(a, mode="F").rotate(rotation, resample=Image.BILINEAR))

    coverage = turned(coverage)
    masks = [turned(strokes_to_image([placed[j] for j in g], side, pen)) for g in groups or ()]

    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    paper = float(rng.uniform(0.72, 0.95))
    ink = float(rng.uniform(0.04, 0.35))
    blotch = np.asarray(Image.fromarray(rng.normal(0, 1, (8, 8)).astype(np.float32)).resize((side, side), Image.BICUBIC))
    grain = rng.normal(0, 1, (side, side)).astype(np.float32)
    reflect = (paper * (1 - coverage) + ink * coverage) * (1 + 0.03 * blotch + 0.015 * grain)

    angle = rng.uniform(0, 2 * np.pi)
    gradient = float(rng.uniform(0, 0.6))
    along = (xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle)  # -0.7..0.7
    light = float(rng.uniform(0.65, 1.0)) * (1 - gradient * (along + 0.71) / 1.42)
    vignette = float(rng.uniform(0, 0.45))
    light = light * (1 - vignette * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) / 0.5)
    shadow = bool(rng.random() < 0.5)
    if shadow:
        edge = int(rng.integers(4))
        width = float(rng.uniform(0.12, 0.3))
        depth = float(rng.uniform(0.35, 0.65))
        coord = [xx, 1 - xx, yy, 1 - yy][edge]
        soft = float(rng.uniform(0.005, 0.03))
        inside = 1 / (1 + np.exp(np.clip((coord - width) / soft, -50, 50)))
        light = light * (1 - (1 - depth) * inside)
    grey = reflect * light
    tint = np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.75, 0.95)], np.float32)
    rgb = np.clip(grey[:, :, None] * tint, 0, 1)
    im = Image.fromarray((rgb * 255).astype(np.uint8))
    blur = float(rng.uniform(0, 1.2))
    if blur > 0.2:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    noise = float(rng.uniform(2, 9))
    noisy = np.asarray(im).astype(np.float32) + rng.normal(0, noise, (side, side, 1))
    im = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    quality = int(rng.integers(55, 91))
    im.save(buf, "JPEG", quality=quality)
    photo = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    how = {"shadow": shadow, "gradient": gradient, "vignette": vignette, "scale": scale, "pen": pen,
           "pen_share": pen_share, "rotation": rotation, "blur": blur, "noise": noise, "quality": quality}
    if groups is not None:
        how["masks"] = masks
    return photo, how


def main(argv=None) -> int:
    from bench_pendigits import parse_writers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--writers", type=parse_writers, default=TEST_WRITERS, metavar="A-B",
                        help="pendigits writers (default 31-44; settings are chosen on 21-30)")
    parser.add_argument("--model", default=None, help="model base (default: the bundled one)")
    parser.add_argument("--no-illumination", action="store_true",
                        help="take the background as uniform (the preprocessing before illumination was estimated)")
    parser.add_argument("--save", metavar="DIR", default=None, help="write the first 40 photos as JPEG")
    args = parser.parse_args(argv)

    from digitpad import preprocessing
    from digitpad.pendigits import PenDigitsError, load_pendigits
    from digitpad.predictor import load_predictor

    try:
        pen = load_pendigits(_pen_file(), writers=args.writers)
    except PenDigitsError as exc:
        print(f"bench_photos: {exc}", file=sys.stderr)
        return 2
    if args.no_illumination:
        preprocessing.ILLUMINATION = False
    predictor, _ = load_predictor(args.model, fallback=False)
    n = len(pen) if args.limit is None else min(args.limit, len(pen))
    rng = np.random.default_rng(args.seed)
    right = np.zeros(n, bool)
    shadow = np.zeros(n, bool)
    gradient = np.zeros(n)
    seconds = 0.0
    for i in range(n):
        photo, how = photograph(pen.strokes[i], rng)
        if args.save and i < 40:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            Image.fromarray(photo).save(Path(args.save) / f"{i:02d}-label{pen.labels[i]}.jpg", quality=90)
        t0 = time.perf_counter()
        vector = preprocessing.preprocess(photo)
        seconds += time.perf_counter() - t0
        right[i] = predictor.predict(vector).digit == int(pen.labels[i])
        shadow[i], gradient[i] = how["shadow"], how["gradient"]

    which = "uniform background (no illumination estimate)" if args.no_illumination else "illumination estimated"
    writers = f"{min(args.writers)}-{max(args.writers)}"
    print(f"photos of real pen digits, writers {writers}, {which}: {n} images, model {predictor.name}")
    print(f"  accuracy                {right.mean():.2%}")
    print(f"  with a shadow band      {right[shadow].mean():.2%} ({shadow.sum()})")
    print(f"  without                 {right[~shadow].mean():.2%} ({(~shadow).sum()})")
    strong = gradient >= 0.3
    print(f"  gradient >= 30 %        {right[strong].mean():.2%} ({strong.sum()})")
    print(f"  preprocessing per image {1000 * seconds / n:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
