"""Pen data for training: real stroke files found through a chain, never shipped.

Three kinds of stroke file share one npz layout (``points``, ``stroke_offsets``,
``sample_offsets``, ``labels``, ``writers``; the y axis up):

- **pendigits** (UCI dataset 81, 44 writers; has ``is_test``): only writers 1-30 ever train;
  writers 31-44 are how real drawings are measured.
- **UNIPEN digits** (section 1a; ``writer_names``, raw tablet units): integer labels 0-9.
- **UNIPEN non-digits** (sections 1b-1d): letters and symbols, string labels. They teach the
  model's eleventh output, "not a digit", except the characters that can honestly pass for a
  digit (:data:`AMBIGUOUS`).

The files are found, in order, from paths given explicitly (``--pen-data``, repeatable),
the ``DIGITPAD_PEN_DATA`` environment variable (paths separated by ``os.pathsep``), and paths
remembered in the app's settings. Each path is a file or a folder holding files of the known
names. None of these data are part of the repository or the bundle.

A fixed fifth of the UNIPEN writers (by a hash of the writer's name, the same person in the
digit and the non-digit file) is the held-out split: a model trained with ``hold_out=True``
never sees them, so they measure writers it never saw. Pure numpy: no Qt, no TensorFlow.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import npz_problem

ENV_VAR = "DIGITPAD_PEN_DATA"
PENDIGITS_FILE = "pendigits_strokes.npz"
UNIPEN_DIGITS_FILE = "unipen_train_strokes.npz"
UNIPEN_NONDIGITS_FILE = "unipen_nondigits_train_strokes.npz"
KNOWN_FILES = (PENDIGITS_FILE, UNIPEN_DIGITS_FILE, UNIPEN_NONDIGITS_FILE)
KEYS = ("points", "stroke_offsets", "sample_offsets", "labels", "writers")

PENDIGITS_TRAIN_WRITERS = frozenset(range(1, 31))
# Training writers that a tuning model leaves out (``hold_out_pendigits``) so that they can
# play new writers when personalisation is tuned (tools/tune_personalise.py): 31-44 only measure.
DEFAULT_TUNE_WRITERS = "21-30"  # as train_model.py --tune-writers takes them
PENDIGITS_TUNE_WRITERS = frozenset(range(21, 31))  # the same, as writer ids
HOLD_OUT_BUCKETS = 5  # one writer in five is held out (crc32 of the name)

# Characters that can pass for a digit once fitted into the 20x20 box (the size is gone):
# the data's own list (O o D Q for 0, I l | for 1, S s for 5, Z z for 2, B for 8, b G for 6,
# g q for 9, T for 7), plus short straight or slightly curved marks that become a 1 when
# enlarged (' ` , . / ( )). They are neither trained nor counted as "not a digit".
AMBIGUOUS_DATA = frozenset("OoDQIl|SsZzBbGgqT")
AMBIGUOUS_MARKS = frozenset("'`,./()")
AMBIGUOUS = AMBIGUOUS_DATA | AMBIGUOUS_MARKS

DIGITS, PENDIGITS, NONDIGITS = "digits", "pendigits", "nondigits"


class PenDataError(ValueError):
    """A stroke file is missing or malformed (one-line message naming it)."""


@dataclass
class StrokeSet:
    """Samples of one stroke file: strokes in screen orientation (y down), labels (ints for
    digits, strings for non-digits), and a writer name per sample."""

    path: Path
    kind: str  # PENDIGITS | DIGITS | NONDIGITS
    strokes: list[list[np.ndarray]]
    labels: np.ndarray
    writers: np.ndarray  # (N,) str: "pendigits/7", "aga/ElsbthEy", ...
    is_test: np.ndarray | None = None  # pendigits only: writers 31-44

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> StrokeSet:
        idx = np.flatnonzero(mask)
        return StrokeSet(
            self.path,
            self.kind,
            [self.strokes[i] for i in idx],
            self.labels[idx],
            self.writers[idx],
            None if self.is_test is None else self.is_test[idx],
        )


def is_held_out(writer: str) -> bool:
    """True for the fixed fifth of writers held out of training (by name)."""
    return zlib.crc32(writer.encode("utf-8")) % HOLD_OUT_BUCKETS == 0


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return [path / name for name in KNOWN_FILES if (path / name).is_file()]
    return [path]


def find_pen_data(explicit: Sequence[str | os.PathLike] | None = None, remembered: Iterable[str] = ()) -> list[Path]:
    """The stroke files to train on: explicit paths, else $DIGITPAD_PEN_DATA, else the
    remembered ones. Folders are searched for the known file names. A named file that does
    not exist raises :class:`PenDataError`; missing remembered paths are skipped."""
    if explicit:
        found = []
        for p in map(Path, explicit):
            if not p.exists():
                raise PenDataError(f"{p}: no such pen-data file or folder")
            found += _expand(p)
        return _unique(found)
    env = os.environ.get(ENV_VAR)
    if env:
        parts = [Path(p) for p in env.split(os.pathsep) if p]
        missing = [str(p) for p in parts if not p.exists()]
        if missing:
            raise PenDataError(f"{ENV_VAR} names {', '.join(missing)}, which does not exist")
        return _unique([f for p in parts for f in _expand(p)])
    return _unique([f for p in map(Path, remembered) if p.exists() for f in _expand(p)])


def _unique(paths: list[Path]) -> list[Path]:
    seen, out = set(), []
    for p in paths:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def load_stroke_set(path: str | os.PathLike) -> StrokeSet:
    """Load one stroke file of any of the three kinds."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as d:
            raw = {k: d[k] for k in KEYS}
            names = d["writer_names"] if "writer_names" in d.files else None
            is_test = d["is_test"] if "is_test" in d.files else None
    except FileNotFoundError:
        raise PenDataError(f"{path}: no such pen-data file") from None
    except KeyError as exc:
        raise PenDataError(f"{path}: not a stroke file (missing {exc})") from None
    except Exception as exc:  # noqa: BLE001 - zip/format errors from np.load
        raise PenDataError(f"{path}: unreadable stroke file ({npz_problem(exc)})") from None

    labels = raw["labels"]
    if labels.dtype.kind in "US":
        kind = NONDIGITS
        labels = labels.astype(str)
    else:
        # pendigits has no writer names (its writers are numbers 1-44); its writers 31-44
        # are recognised by number even where a copy lost the is_test flag.
        kind = PENDIGITS if is_test is not None or names is None else DIGITS
        labels = labels.astype(np.int64)
        if len(labels) and (labels.min() < 0 or labels.max() > 9):
            raise PenDataError(f"{path}: digit labels outside 0-9")
    who = raw["writers"].astype(np.int64)
    if names is not None:
        writers = np.asarray(names).astype(str)[who]
    else:
        writers = np.asarray([f"pendigits/{w}" for w in who])

    points = raw["points"].astype(np.float32)
    points[:, 1] = -points[:, 1]  # y up (tablet) -> y down (screen); the offset does not matter
    so, sa = raw["stroke_offsets"], raw["sample_offsets"]
    if len(sa) != len(labels) + 1 or sa[-1] > len(so) - 1 or so[-1] > len(points):
        raise PenDataError(f"{path}: offsets do not match the points")
    samples = [[points[so[k] : so[k + 1]] for k in range(sa[i], sa[i + 1])] for i in range(len(labels))]
    return StrokeSet(path, kind, samples, labels, writers, None if is_test is None else is_test.astype(bool))


def parse_tune_writers(text: str) -> frozenset[int]:
    """Pendigits training writers that a tuning model leaves out, from "A-B" or "A,B,C"
    (ValueError with a one-line message unless they lie within 1-30 and leave some)."""
    try:
        if "," in str(text):
            ids = frozenset(int(w) for w in str(text).split(","))
        else:
            lo, _, hi = str(text).partition("-")
            ids = frozenset(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        ids = frozenset()
    if not ids or not ids < PENDIGITS_TRAIN_WRITERS:
        raise ValueError(f"tune writers must be some of pendigits writers 1-30, as A-B or A,B,C (got {text!r})")
    return ids


def training_part(data: StrokeSet, hold_out: bool, hold_out_pendigits: bool = False,
                  tune_writers: frozenset[int] | None = None) -> StrokeSet:
    """What of ``data`` may be trained on: pendigits writers 1-30 only (never 31-44,
    whatever the caller asks); non-digits without the ambiguous characters; with
    ``hold_out``, none of the held-out UNIPEN writers; with ``hold_out_pendigits``, none of
    the pendigits writers ``tune_writers`` (21-30 unless told)."""
    keep = np.ones(len(data), bool)
    if data.kind == PENDIGITS:
        ids = np.array([int(w.split("/")[1]) for w in data.writers]) if len(data) else np.zeros(0, int)
        left_out = PENDIGITS_TUNE_WRITERS if tune_writers is None else frozenset(tune_writers)
        allowed = PENDIGITS_TRAIN_WRITERS - (left_out if hold_out_pendigits else frozenset())
        keep &= np.isin(ids, sorted(allowed))
        if data.is_test is not None:
            keep &= ~data.is_test
    else:
        if data.kind == NONDIGITS:
            keep &= ~np.isin(data.labels, sorted(AMBIGUOUS))
        if hold_out:
            keep &= ~np.array([is_held_out(w) for w in data.writers], bool)
    return data.subset(keep)


def held_out_part(data: StrokeSet) -> StrokeSet:
    """The held-out UNIPEN writers' samples (ambiguous non-digits left out)."""
    if data.kind == PENDIGITS:
        raise ValueError("pendigits has its own test writers (31-44)")
    keep = np.array([is_held_out(w) for w in data.writers], bool)
    if data.kind == NONDIGITS:
        keep &= ~np.isin(data.labels, sorted(AMBIGUOUS))
    return data.subset(keep)


def describe(paths: Sequence[Path]) -> str:
    """One line for the Train tab and the logs: which pen data training will use."""
    if not paths:
        return (
            "No pen data found: training uses MNIST alone "
            f"(set {ENV_VAR} or choose the folder with the stroke files)"
        )
    return "Pen data: " + ", ".join(p.name for p in paths)
