"""Stroke files: ink as pen strokes, the way the canvas keeps a drawing.

Two formats:

- ``.json`` in the layout of ``resources/sample_digit.json``: an object with a
  ``"strokes"`` list, each stroke a list of ``[x, y]`` points (y down, any units; extra
  values after x and y, e.g. pressure, are ignored; other keys are ignored),
- W3C InkML ``.inkml``: every ``<trace>`` in document order, each point's first two
  channels as x and y (y down, as InkML's default screen coordinates).

Strokes are recognised through the canvas's strokes route,
:func:`digitpad.strokes.render_strokes` (as ``digitpad.ui.model_input`` does for a drawing),
so ``digitpad predict drawing.json`` gives what the window gives for the same strokes.

Read defensively: regular files only, at most :data:`MAX_BYTES`, :data:`MAX_STROKES`
strokes and :data:`MAX_POINTS` points; InkML with a DOCTYPE or entity declarations is
refused before parsing (no entity-expansion bombs, no external entities). Every failure is a
:class:`StrokeFileError` (an :class:`~digitpad.preprocessing.ImageError`) with a one-line
message naming the file. Pure Python + numpy: no Qt.
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from digitpad.errors import one_line
from digitpad.preprocessing import NAME_LIMIT, ImageError, open_regular_file, preprocess_file, shown_path
from digitpad.strokes import render_strokes

STROKE_SUFFIXES = (".json", ".inkml")
MAX_BYTES = 8 << 20
MAX_STROKES = 2_000
MAX_POINTS = 200_000

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class StrokeFileError(ImageError):
    """A stroke file cannot be used; the message is one line and names the file."""


def is_stroke_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in STROKE_SUFFIXES


def load_strokes(path: str | os.PathLike) -> list[np.ndarray]:
    """The strokes of a ``.json`` or ``.inkml`` file as float64 (N, 2) arrays (x, y; y down)."""
    name = shown_path(path, NAME_LIMIT)
    suffix = Path(path).suffix.lower()
    if suffix not in STROKE_SUFFIXES:
        raise StrokeFileError(f"{name}: not a stroke file (.json or .inkml)")
    try:
        with open_regular_file(path, MAX_BYTES, what="ink file") as f:
            data = f.read(MAX_BYTES + 1)
    except ImageError as exc:
        raise StrokeFileError(str(exc)) from None
    except OSError as exc:
        raise StrokeFileError(f"{name}: {one_line(exc)}") from None
    raw = _parse_json(data, name) if suffix == ".json" else _parse_inkml(data, name)
    return _checked(raw, name)


def strokes_vector(strokes: list[np.ndarray]) -> np.ndarray | None:
    """The model's input for strokes, exactly as the canvas computes it for a drawing;
    ``None`` ("no digit") for no points or a single dot."""
    if not strokes:
        return None
    points = np.concatenate(strokes)
    if float(np.ptp(points, axis=0).max()) == 0.0:
        return None  # a tap: the canvas calls it a speck
    return render_strokes(strokes)


def drawing_vector(path: str | os.PathLike) -> np.ndarray | None:
    """What ``digitpad predict`` feeds the model for one file: a stroke file through the
    strokes route, anything else as an image (:func:`preprocess_file`)."""
    if is_stroke_file(path):
        return strokes_vector(load_strokes(path))
    return preprocess_file(path)


# --------------------------------------------------------------------------- JSON
def _parse_json(data: bytes, name: str) -> list:
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise StrokeFileError(f"{name}: JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise StrokeFileError(f"{name}: not UTF-8 text") from None
    except ValueError as exc:
        raise StrokeFileError(f"{name}: not valid JSON ({one_line(exc)})") from None
    if not isinstance(doc, dict) or "strokes" not in doc:
        raise StrokeFileError(f'{name}: no "strokes" list (expected {{"strokes": [[[x, y], ...], ...]}})')
    strokes = doc["strokes"]
    if not isinstance(strokes, list):
        raise StrokeFileError(f'{name}: "strokes" is not a list')
    return strokes


# --------------------------------------------------------------------------- InkML
def _parse_inkml(data: bytes, name: str) -> list:
    if _DECLARATION.search(data):
        raise StrokeFileError(f"{name}: InkML with a DOCTYPE or entity declarations is not read (unsafe XML)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise StrokeFileError(f"{name}: not well-formed XML ({one_line(exc)})") from None
    except RecursionError:
        raise StrokeFileError(f"{name}: XML nested too deeply") from None
    if _local(root.tag) != "ink":
        raise StrokeFileError(f"{name}: not InkML (the root element is <{_local(root.tag)}>, expected <ink>)")
    strokes = []
    for k, trace in enumerate(el for el in root.iter() if _local(el.tag) == "trace"):
        strokes.append(_trace_points(trace.text or "", name, k))
        if len(strokes) > MAX_STROKES:
            break
    return strokes


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _trace_points(text: str, name: str, k: int) -> list:
    points = []
    for item in text.split(","):
        values = item.split()
        if not values:
            continue
        if len(values) < 2:
            raise StrokeFileError(f"{name}: trace {k} has a point without x and y ({item.strip()!r})")
        try:
            points.append([float(values[0].lstrip("!")), float(values[1].lstrip("!"))])
        except ValueError:
            if any(v[:1] in ("'", '"') for v in values[:2]):
                raise StrokeFileError(f"{name}: trace {k} uses InkML difference encoding (' or \"), which is not read") from None
            raise StrokeFileError(f"{name}: trace {k} has a value that is not a number ({values[0]!r} {values[1]!r})") from None
        if len(points) > MAX_POINTS:
            break
    return points


# --------------------------------------------------------------------------- checks
def _checked(raw: list, name: str) -> list[np.ndarray]:
    if len(raw) > MAX_STROKES:
        raise StrokeFileError(f"{name}: more than {MAX_STROKES:,} strokes")
    out, total = [], 0
    for k, stroke in enumerate(raw):
        if not isinstance(stroke, list):
            raise StrokeFileError(f"{name}: stroke {k} is not a list of [x, y] points")
        total += len(stroke)
        if total > MAX_POINTS:
            raise StrokeFileError(f"{name}: more than {MAX_POINTS:,} points")
        pts = []
        for point in stroke:
            if (
                not isinstance(point, (list, tuple))
                or len(point) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point[:2])
            ):
                raise StrokeFileError(f"{name}: stroke {k} has a point that is not [x, y] numbers: {_short(point)}")
            x, y = float(point[0]), float(point[1])
            if not (math.isfinite(x) and math.isfinite(y)):
                raise StrokeFileError(f"{name}: stroke {k} has a coordinate that is not a finite number")
            pts.append((x, y))
        if pts:
            out.append(np.asarray(pts, np.float64))
    if not out:
        raise StrokeFileError(f"{name}: no points in the strokes")
    return out


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
