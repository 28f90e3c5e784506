"""The user's own digits: corrections and confirmations kept in SQLite.

Every time the user corrects (or confirms) what the model read, the drawing is stored
with its label: the strokes, the 784-value model input, the time, the model that
predicted and what it said. The window, ``digitpad digits ...`` and ``digitpad
personalise`` all go through :class:`DigitStore`, on the same file in the user data
folder. Qt-free: the standard library's ``sqlite3`` and numpy.

How the file is kept safe (SQLite's "atomic commit" and "how to corrupt" pages):

- WAL journal, ``synchronous=NORMAL``: one transaction per correction, so a killed app
  loses at most the correction it was writing and the file always opens afterwards. (In
  WAL mode NORMAL syncs at checkpoints, not at every commit: a power cut may lose the
  last corrections but never damages the file. FULL's fsync per commit measured a p95 of
  57 ms a correction on the shared 2-core machine, NORMAL's well under the 20 ms goal.)
- ``PRAGMA application_id`` marks the file as ours, ``PRAGMA user_version`` is the schema
  version (migrations step through it). A file that is not a database, is corrupt, belongs
  to something else or comes from a newer digitpad is *moved aside* (never deleted) with
  a one-line :attr:`DigitStore.notice`, and a fresh database is made.

Strokes are stored normalised per sample: integer points, y down, in a ``FRAME`` x
``FRAME`` box with the drawing's longer side ``FIT`` units long and centred. That makes
a drawing's identity (its :func:`fingerprint`) independent of where on the canvas, or on
which tablet, it was drawn, so importing a file twice, or re-importing an export, adds
nothing twice.

The exchange format is the stroke layout of the shared pen-digit files (``points``,
``stroke_offsets``, ``sample_offsets``, ``labels``, ``writers``, ``y_axis_up``), plus
``inputs`` (N, 784) uint8 so that a drawing without strokes (an opened picture) survives
the round trip.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.errors import npz_problem, one_line
from digitpad.fileio import atomic_path

log = logging.getLogger(__name__)

DB_NAME = "my_digits.sqlite3"
APPLICATION_ID = 0x64706164  # "dpad"
SCHEMA_VERSION = 1
FRAME = 1000  # stored strokes live in a FRAME x FRAME box, y down
FIT = 800  # ... with the longer side of the drawing this long, centred
N_INPUTS = 784
NPZ_KEYS = ("points", "stroke_offsets", "sample_offsets", "labels")
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE digits (
    id           INTEGER PRIMARY KEY,
    label        INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    strokes      TEXT,             -- JSON [[[x, y], ...], ...], see FRAME, NULL for a picture
    input        BLOB NOT NULL,    -- the 784-value model input, uint8 0..255, MNIST layout
    created      REAL NOT NULL,    -- Unix time
    model        TEXT,             -- the model that predicted
    predicted    INTEGER,          -- what it said: its best digit (NULL: nothing)
    state        TEXT,             -- digit / unsure / not_digit / empty
    confidence   REAL,
    source       TEXT NOT NULL DEFAULT 'window',   -- window / import
    fingerprint  TEXT NOT NULL UNIQUE
);
CREATE INDEX digits_label ON digits (label);
"""


class DigitStoreError(Exception):
    """The database cannot be opened or written, or a file to import is unusable (one line)."""


@dataclass
class Digit:
    """One stored drawing. ``strokes``: int32 (n, 2) arrays in the FRAME box, y down (empty
    for a picture); ``input``: uint8 (784,)."""

    label: int
    strokes: list[np.ndarray]
    input: np.ndarray
    created: float = field(default_factory=time.time)
    model: str | None = None
    predicted: int | None = None
    state: str | None = None
    confidence: float | None = None
    source: str = "window"
    id: int | None = None
    fingerprint: str = ""

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.label, self.strokes, self.input)

    @property
    def wrong_before(self) -> bool:
        """The model did not read it as its label when it was stored (False when what the
        model said is unknown, as for an import)."""
        return self.predicted is not None and (self.predicted != self.label or self.state not in (None, "digit"))

    def vector(self) -> np.ndarray:
        """The model input as float32 in [0, 1]."""
        return self.input.astype(np.float32) / 255.0


# --------------------------------------------------------------------------- strokes
def normalise_strokes(strokes: Sequence[Any]) -> list[np.ndarray]:
    """Strokes ((n, 2) points, y down, any units) -> int32 arrays in the FRAME box, the
    longer side FIT long and centred. Idempotent on its own output. Empty strokes go."""
    parts = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    parts = [p for p in parts if len(p)]
    if not parts:
        return []
    allp = np.concatenate(parts)
    if not np.isfinite(allp).all():
        raise ValueError("strokes contain NaN or infinite coordinates")
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    extent = hi - lo
    longest = float(extent.max())
    scale = FIT / longest if longest > 0 else 0.0
    out = [np.rint((p - lo) * scale).astype(np.int64) for p in parts]
    # Centre by the rounded extent, in whole units: a second pass then moves nothing.
    size = np.concatenate(out).max(axis=0)
    offset = (FRAME - size) // 2
    return [(p + offset).astype(np.int32) for p in out]


def fingerprint(label: int, strokes: Sequence[np.ndarray], vector: np.ndarray) -> str:
    """What makes two stored digits the same: the label and the normalised strokes (or,
    for a drawing without strokes, the model input)."""
    h = hashlib.sha256(bytes([int(label)]))
    if strokes:
        for s in strokes:
            h.update(np.int32(len(s)).tobytes())
            h.update(np.ascontiguousarray(s, np.int32).tobytes())
    else:
        h.update(b"input")
        h.update(np.ascontiguousarray(vector, np.uint8).tobytes())
    return h.hexdigest()


def to_uint8(vector: np.ndarray) -> np.ndarray:
    """A 784-value input (float in [0, 1], or uint8) as uint8 0..255."""
    v = np.asarray(vector).reshape(-1)
    if v.size != N_INPUTS:
        raise ValueError(f"a model input has {N_INPUTS} values, got {v.size}")
    if v.dtype == np.uint8:
        return v.copy()
    v = v.astype(np.float32)
    if not np.isfinite(v).all():
        raise ValueError("the model input contains NaN or infinite values")
    return np.clip(np.rint(v * 255), 0, 255).astype(np.uint8)


def render(strokes: Sequence[np.ndarray]) -> np.ndarray | None:
    """The model input of stored strokes (uint8 784), as the canvas renders a drawing."""
    from digitpad.strokes import render_strokes

    vec = render_strokes(strokes)
    return None if vec is None else to_uint8(vec)


def make_digit(
    label: int,
    strokes: Sequence[Any] | None,
    vector: np.ndarray | None,
    *,
    model: str | None = None,
    predicted: int | None = None,
    state: str | None = None,
    confidence: float | None = None,
    source: str = "window",
    created: float | None = None,
) -> Digit:
    """A :class:`Digit` from what the canvas has: its strokes (any units, y down; ``None``
    or empty for a picture) and/or the model input it was predicted from."""
    label = _check_label(label)
    norm = normalise_strokes(strokes or [])
    if vector is None:
        if not norm:
            raise ValueError("nothing to store: no strokes and no model input")
        vector = render(norm)
        if vector is None:
            raise ValueError("nothing to store: the strokes are empty")
    return Digit(
        label=label,
        strokes=norm,
        input=to_uint8(vector),
        created=time.time() if created is None else float(created),
        model=model,
        predicted=None if predicted is None else int(predicted),
        state=state,
        confidence=None if confidence is None else float(confidence),
        source=source,
    )


def _check_label(label: Any) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise ValueError(f"a digit's label must be 0..9 (got {label!r})")
    return int(label)


# --------------------------------------------------------------------------- the store
class DigitStore:
    """The SQLite file of the user's digits. Open with ``DigitStore(path)``; a file that
    cannot be used is moved aside and :attr:`notice` says so in one line."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.notice: str | None = None
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigitStoreError(f"cannot create {self.path.parent}: {exc.strerror or exc}") from None
        problem = self._try_open()
        if problem is not None:
            moved = self._move_aside()
            self.notice = f"Your digits file {self.path.name} {problem}; it was moved aside to {moved.name} and a new one started"
            log.warning("%s", self.notice)
            problem = self._try_open()
            if problem is not None:
                raise DigitStoreError(f"cannot create the digits database {self.path}: {problem}")

    # Opening --------------------------------------------------------------------------
    def _try_open(self) -> str | None:
        """Open (creating or migrating); None when usable, else why not (words)."""
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            return f"cannot be opened ({one_line(exc)})"
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
            if existed and (app_id != APPLICATION_ID and (tables or app_id)):
                conn.close()
                return "is not a digitpad database"
            if version > SCHEMA_VERSION:
                conn.close()
                return f"was written by a newer digitpad (schema {version}, this one knows {SCHEMA_VERSION})"
            if existed and tables:
                ok = conn.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    conn.close()
                    return f"is damaged ({' '.join(str(ok).split())})"
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(conn, version)
        except sqlite3.DatabaseError as exc:
            conn.close()
            return f"is unreadable ({one_line(exc)})"
        self._conn = conn
        return None

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        if version == SCHEMA_VERSION:
            return
        with _transaction(conn):
            if version < 1:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            # Future versions: `if version < 2: ALTER TABLE ...`.
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _move_aside(self) -> Path:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.unusable-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.unusable-{stamp}-{n}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                try:
                    os.replace(src, Path(str(target) + suffix))
                except OSError as exc:
                    raise DigitStoreError(f"cannot move the unusable {src} aside: {exc.strerror or exc}") from None
        return target

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise DigitStoreError("the digits database is closed")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> DigitStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # Writing --------------------------------------------------------------------------
    def add(self, digit: Digit) -> int | None:
        """Store one digit in its own transaction; its id, or ``None`` when the same
        drawing with the same label is already stored."""
        ids = self._insert([digit])
        return ids[0]

    def add_many(self, digits: Iterable[Digit]) -> list[int | None]:
        """Store several digits in one transaction (an import: all or nothing)."""
        return self._insert(list(digits))

    def _insert(self, digits: list[Digit]) -> list[int | None]:
        out: list[int | None] = []
        try:
            with _transaction(self.conn):
                for d in digits:
                    cur = self.conn.execute(
                        "INSERT OR IGNORE INTO digits (id, label, strokes, input, created, model, predicted,"
                        " state, confidence, source, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            d.id,
                            _check_label(d.label),
                            _strokes_json(d.strokes),
                            sqlite3.Binary(to_uint8(d.input).tobytes()),
                            d.created,
                            d.model,
                            d.predicted,
                            d.state,
                            d.confidence,
                            d.source,
                            d.fingerprint,
                        ),
                    )
                    if cur.rowcount == 1:
                        d.id = cur.lastrowid
                        out.append(d.id)
                    else:
                        out.append(None)
        except sqlite3.Error as exc:
            raise DigitStoreError(f"cannot write to {self.path}: {one_line(exc)}") from None
        return out

    def delete(self, ids: Iterable[int]) -> list[Digit]:
        """Delete digits (one transaction); returns them, for :meth:`restore` (undo)."""
        ids = [int(i) for i in ids]
        gone = self.get_many(ids)
        try:
            with _transaction(self.conn):
                self.conn.executemany("DELETE FROM digits WHERE id = ?", [(i,) for i in ids])
        except sqlite3.Error as exc:
            raise DigitStoreError(f"cannot write to {self.path}: {one_line(exc)}") from None
        return gone

    def restore(self, digits: Iterable[Digit]) -> int:
        """Put deleted digits back with their ids (undo of :meth:`delete`); how many."""
        return sum(1 for i in self._insert(list(digits)) if i is not None)

    # Reading --------------------------------------------------------------------------
    _COLUMNS = "id, label, strokes, input, created, model, predicted, state, confidence, source, fingerprint"

    def get(self, digit_id: int) -> Digit | None:
        found = self.get_many([digit_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[int]) -> list[Digit]:
        out = []
        for i in ids:
            row = self.conn.execute(f"SELECT {self._COLUMNS} FROM digits WHERE id = ?", (int(i),)).fetchone()
            if row is not None:
                out.append(_from_row(row))
        return out

    def digits(self, label: int | None = None, wrong_before: bool = False) -> list[Digit]:
        """Stored digits, oldest first; only ``label``'s, only those the model got wrong."""
        sql = f"SELECT {self._COLUMNS} FROM digits"
        where, args = [], []
        if label is not None:
            where.append("label = ?")
            args.append(_check_label(label))
        if wrong_before:
            where.append(_WRONG_SQL)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [_from_row(r) for r in self.conn.execute(sql, args)]

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM digits").fetchone()[0])

    def counts(self, wrong_before: bool = False) -> list[int]:
        """How many of each digit 0..9."""
        sql = "SELECT label, count(*) FROM digits" + (f" WHERE {_WRONG_SQL}" if wrong_before else "") + " GROUP BY label"
        out = [0] * 10
        for label, n in self.conn.execute(sql):
            out[int(label)] = int(n)
        return out

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All model inputs (N, 784) uint8 and labels (N,) int64, oldest first."""
        rows = self.conn.execute("SELECT input, label FROM digits ORDER BY id").fetchall()
        if not rows:
            return np.zeros((0, N_INPUTS), np.uint8), np.zeros(0, np.int64)
        x = np.stack([np.frombuffer(r[0], np.uint8) for r in rows])
        return x, np.array([r[1] for r in rows], np.int64)

    # Exchange -------------------------------------------------------------------------
    def export_npz(self, path: str | os.PathLike) -> int:
        """Write every stored digit to ``path`` in the shared stroke layout (atomically);
        returns how many."""
        return write_npz(self.digits(), path)

    def import_npz(self, path: str | os.PathLike) -> tuple[int, int]:
        """Merge a stroke-layout npz into the store (one transaction). Returns (added,
        already there). Raises :class:`DigitStoreError` for an unusable file."""
        digits = read_npz(path)
        ids = self.add_many(digits)
        added = sum(1 for i in ids if i is not None)
        return added, len(ids) - added


# What the model said is known (not for an import) and was not the label.
_WRONG_SQL = "(predicted IS NOT NULL AND (predicted != label OR (state IS NOT NULL AND state != 'digit')))"


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection):
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _strokes_json(strokes: Sequence[np.ndarray]) -> str | None:
    if not strokes:
        return None
    return json.dumps([np.asarray(s, np.int64).tolist() for s in strokes], separators=(",", ":"))


def _from_row(row: tuple) -> Digit:
    (digit_id, label, strokes, blob, created, model, predicted, state, confidence, source, fp) = row
    parts = [np.asarray(s, np.int32).reshape(-1, 2) for s in json.loads(strokes)] if strokes else []
    return Digit(
        label=int(label),
        strokes=parts,
        input=np.frombuffer(blob, np.uint8).copy(),
        created=float(created),
        model=model,
        predicted=None if predicted is None else int(predicted),
        state=state,
        confidence=None if confidence is None else float(confidence),
        source=source,
        id=int(digit_id),
        fingerprint=fp,
    )


# --------------------------------------------------------------------------- npz files
def write_npz(digits: Sequence[Digit], path: str | os.PathLike) -> int:
    """``digits`` as a stroke-layout npz (y up, FRAME box), written atomically."""
    strokes = [s for d in digits for s in d.strokes]
    if strokes:
        points = np.concatenate(strokes).astype(np.int32)
        points[:, 1] = FRAME - points[:, 1]  # y down -> y up, as the layout has it
    else:
        points = np.zeros((0, 2), np.int32)
    stroke_offsets = np.concatenate([[0], np.cumsum([len(s) for s in strokes], dtype=np.int64)]).astype(np.int64)
    sample_offsets = np.concatenate([[0], np.cumsum([len(d.strokes) for d in digits], dtype=np.int64)]).astype(np.int64)
    inputs = np.stack([to_uint8(d.input) for d in digits]) if digits else np.zeros((0, N_INPUTS), np.uint8)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                points=points.astype(np.int16),
                stroke_offsets=stroke_offsets,
                sample_offsets=sample_offsets,
                labels=np.array([d.label for d in digits], np.int8),
                writers=np.zeros(len(digits), np.int16),
                y_axis_up=np.bool_(True),
                inputs=inputs,
                created=np.array([d.created for d in digits], np.float64),
            )
    return len(digits)


def read_npz(path: str | os.PathLike) -> list[Digit]:
    """Digits from a stroke-layout npz (ours, the pen-digit or the UNIPEN files): labels
    0..9 (others are refused), y axis as flagged by ``y_axis_up`` (up when absent), any
    units (normalised per sample). Model inputs come from ``inputs`` when present, else the
    strokes are rendered as the canvas does."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing and not ("inputs" in npz.files and "labels" in npz.files):
                raise DigitStoreError(f"{path} is not a stroke file: missing {', '.join(missing)}")
            raw = {k: npz[k] for k in npz.files if k in (*NPZ_KEYS, "y_axis_up", "inputs", "created")}
    except DigitStoreError:
        raise
    except FileNotFoundError:
        raise DigitStoreError(f"{path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - zip, npy and OS errors of every kind
        raise DigitStoreError(f"{path} is unreadable ({npz_problem(exc)})") from None

    labels = raw["labels"]
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DigitStoreError(f"{path}: labels must be integers 0..9 (got {labels.dtype} {labels.shape})")
    n = len(labels)
    if n and (labels.min() < 0 or labels.max() > 9):
        raise DigitStoreError(f"{path}: labels must be 0..9 (found {int(labels.min())}..{int(labels.max())})")
    inputs = raw.get("inputs")
    if inputs is not None:
        inputs = inputs.reshape(len(inputs), -1) if inputs.ndim >= 2 else inputs
        if inputs.shape != (n, N_INPUTS):
            raise DigitStoreError(f"{path}: inputs must be ({n}, {N_INPUTS}), got {inputs.shape}")
    created = raw.get("created")
    if created is not None and created.shape != (n,):
        created = None
    have_strokes = all(k in raw for k in ("points", "stroke_offsets", "sample_offsets"))
    if have_strokes:
        points = raw["points"]
        so, sa = raw["stroke_offsets"].astype(np.int64), raw["sample_offsets"].astype(np.int64)
        if points.ndim != 2 or points.shape[1] != 2 or len(sa) != n + 1 or len(so) < 1:
            raise DigitStoreError(f"{path}: points, stroke_offsets and sample_offsets do not fit together")
        strokes_ok = so[0] == 0 and so[-1] == len(points) and not np.any(np.diff(so) < 0)
        samples_ok = sa[0] == 0 and sa[-1] == len(so) - 1 and not np.any(np.diff(sa) < 0)
        if not (strokes_ok and samples_ok):
            raise DigitStoreError(f"{path}: stroke_offsets or sample_offsets are out of order or out of range")
        y_up = bool(raw["y_axis_up"]) if "y_axis_up" in raw else True
        pts = points.astype(np.float64)
        if y_up:
            pts[:, 1] = -pts[:, 1]  # any flip will do: strokes are normalised per sample
    digits = []
    for i in range(n):
        parts = [pts[so[k] : so[k + 1]] for k in range(sa[i], sa[i + 1])] if have_strokes else []
        vector = inputs[i] if inputs is not None else None
        if not parts and vector is None:
            log.warning("%s: sample %d has neither strokes nor an input; skipped", path, i)
            continue
        try:
            digits.append(
                make_digit(
                    int(labels[i]),
                    parts,
                    vector,
                    source="import",
                    created=None if created is None else float(created[i]),
                )
            )
        except ValueError as exc:
            raise DigitStoreError(f"{path}: sample {i}: {exc}") from None
    return digits


# --------------------------------------------------------------------------- location
def default_path(data_dir: str | os.PathLike) -> Path:
    """The database's place in the user data folder."""
    return Path(data_dir) / DB_NAME
