"""Real pen trajectories: the UCI "Pen-Based Recognition of Handwritten Digits" strokes.

44 writers drew digits with a stylus inside a 500x500 tablet box (Alpaydin and Alimoglu,
1998; CC BY 4.0). Writers 1-30 (the UCI training split) may be used for training and
tuning; writers 31-44 are how we measure real drawings and are never trained or tuned on.

The npz layout (the one the UCI strokes are distributed in here): ``points`` (P, 2) int16 with the y axis UP,
``stroke_offsets`` (S+1), ``sample_offsets`` (N+1), ``labels``, ``writers``. Loaded
samples are lists of float32 (n, 2) stroke arrays in screen orientation (y DOWN), in tablet
units 0..500, ready for the canvas's replay or :func:`digitpad.strokes.render_strokes`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import one_line
from digitpad.fileio import atomic_path

BOX = 500.0
TRAIN_WRITERS = tuple(range(1, 31))
TEST_WRITERS = tuple(range(31, 45))
ENV_VAR = "DIGITPAD_PENDIGITS"
KEYS = ("points", "stroke_offsets", "sample_offsets", "labels", "writers")


class PenDigitsError(ValueError):
    """The pen-digit file is missing or malformed (one-line message naming it)."""


@dataclass
class PenDigits:
    strokes: list[list[np.ndarray]]  # per sample: its strokes, each (n, 2), y down
    labels: np.ndarray  # (N,) int
    writers: np.ndarray  # (N,) int

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> PenDigits:
        idx = np.flatnonzero(mask)
        return PenDigits([self.strokes[i] for i in idx], self.labels[idx], self.writers[idx])


def default_path() -> Path:
    """$DIGITPAD_PENDIGITS if set, else the pendigits file of the pen-data search chain
    (:func:`digitpad.pendata.find_pen_data`). The strokes are not shipped with digitpad."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from digitpad.pendata import PENDIGITS_FILE, PenDataError, find_pen_data

    try:
        found = [p for p in find_pen_data() if p.name == PENDIGITS_FILE]
    except PenDataError as exc:
        raise PenDigitsError(str(exc)) from None
    if not found:
        raise PenDigitsError(f"no pen-digit file: set {ENV_VAR} to {PENDIGITS_FILE} or DIGITPAD_PEN_DATA to its folder")
    return found[0]


def load_pendigits(path: str | os.PathLike | None = None, writers=None) -> PenDigits:
    """Load samples, optionally only those of ``writers`` (an iterable of writer ids)."""
    path = Path(path) if path is not None else default_path()
    try:
        with np.load(path) as d:
            raw = {k: d[k] for k in KEYS}
    except FileNotFoundError:
        raise PenDigitsError(f"{path}: no such pen-digit file (set {ENV_VAR})") from None
    except KeyError as exc:
        raise PenDigitsError(f"{path}: not a pen-digit file (missing {exc})") from None
    except Exception as exc:  # noqa: BLE001 - zip/pickle/format errors from np.load
        raise PenDigitsError(f"{path}: unreadable pen-digit file ({one_line(exc)})") from None

    points = raw["points"].astype(np.float32)
    points[:, 1] = BOX - points[:, 1]  # y up (tablet) -> y down (screen)
    so, sa = raw["stroke_offsets"], raw["sample_offsets"]
    labels, who = raw["labels"].astype(np.int64), raw["writers"].astype(np.int64)
    keep = np.ones(len(labels), bool) if writers is None else np.isin(who, list(writers))
    samples = []
    for i in np.flatnonzero(keep):
        samples.append([points[so[k] : so[k + 1]] for k in range(sa[i], sa[i + 1])])
    return PenDigits(samples, labels[keep], who[keep])


def save_pendigits(data: PenDigits, path: str | os.PathLike) -> None:
    """Write samples back in the same npz layout (y axis up), atomically."""
    strokes = [s for sample in data.strokes for s in sample]
    points = np.concatenate(strokes).astype(np.float32)
    points[:, 1] = BOX - points[:, 1]
    stroke_offsets = np.concatenate([[0], np.cumsum([len(s) for s in strokes])])
    sample_offsets = np.concatenate([[0], np.cumsum([len(s) for s in data.strokes])])
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                points=np.rint(points).astype(np.int16),
                stroke_offsets=stroke_offsets.astype(np.int64),
                sample_offsets=sample_offsets.astype(np.int64),
                labels=data.labels.astype(np.int8),
                writers=data.writers.astype(np.int16),
                y_axis_up=np.bool_(True),
            )
