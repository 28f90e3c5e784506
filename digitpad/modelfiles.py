"""A model on disk is three files side by side:

- ``NAME.keras``  the retrainable Keras model,
- ``NAME.tflite`` the same model exported for LiteRT (what the app predicts with),
- ``NAME.json``   what it is: architecture, parameters, MNIST test accuracy, training
  settings, seed, data checksum, training time, date — and the size and SHA-256 of the
  other two files (``"files"``), so a damaged file or a ``.tflite`` of another save is
  refused when the model is loaded.

Two ways to save:

- :func:`save_model_version` (the user's models): a new *version folder*
  ``FOLDER/NAME/NAME.{keras,tflite,json}``. The three files are written and flushed in a
  private temporary folder, which is then renamed into place in one step: other readers
  see the whole version or nothing, a killed writer leaves only a temporary (removed at the
  next start), and two processes saving at once get two different names (the rename
  fails for the second, which takes the next free name).
- :func:`save_model` (an explicit ``BASE``, e.g. ``train_model.py`` rebuilding the bundled
  model): the three files are written to temporaries and moved into place, ``.json``
  last; if a crash ever left files of two saves side by side, the checksums in the
  ``.json`` make the model refuse to load rather than predict with a mixed trio.

TensorFlow/Keras are imported only by the writers of :func:`keras_writers`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from digitpad.errors import UserError, one_line
from digitpad.fileio import (
    atomic_path,
    clean_stale_temporaries,
    fsync_dir,
    fsync_file,
    read_json,
    temporary_dir,
)

log = logging.getLogger(__name__)

SUFFIXES = (".keras", ".tflite", ".json")
# A model description is a few kB; anything much larger is not one (and is not parsed).
MAX_META_BYTES = 1 << 20

Writer = Callable[[Path], None]


class ModelError(UserError):
    """A model file is missing, truncated, corrupt or not a digit model.

    The message is one line and names the file.
    """


def model_base(path: str | os.PathLike) -> Path:
    """``dir/name.tflite`` / ``.keras`` / ``.json`` / ``dir/name`` -> ``dir/name``; a version
    folder ``dir/name/`` (holding ``name.tflite``...) -> ``dir/name/name``."""
    path = Path(path)
    if path.suffix in SUFFIXES:
        return path.with_suffix("")
    if path.is_dir() and any((path / (path.name + s)).exists() for s in SUFFIXES):
        return path / path.name
    return path


def model_files(base: str | os.PathLike) -> dict[str, Path]:
    base = model_base(base)
    return {suffix[1:]: base.with_name(base.name + suffix) for suffix in SUFFIXES}


def read_meta(base: str | os.PathLike) -> dict[str, Any]:
    """The model's ``.json`` description; ``{}`` (with a warning) if missing, corrupt, too
    large or too deeply nested — it is read defensively, never trusted."""
    path = model_files(base)["json"]
    try:
        meta = read_json(path, MAX_META_BYTES)
    except FileNotFoundError:
        log.warning("model description %s is missing", path)
        return {}
    except (OSError, ValueError) as exc:
        log.warning("model description %s is unreadable: %s", path, one_line(exc))
        return {}
    if not isinstance(meta, dict):
        log.warning("model description %s is not a JSON object", path)
        return {}
    return meta


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_record(path: str | os.PathLike) -> dict[str, Any]:
    """What the ``.json`` records of a weights file: its size and SHA-256."""
    return {"bytes": os.path.getsize(path), "sha256": sha256_file(path)}


def verify_file(meta: Mapping[str, Any], kind: str, path: str | os.PathLike) -> None:
    """Check ``path`` (the model's ``kind`` file, "tflite" or "keras") against the size and
    checksum its ``.json`` records, when it records them. ModelError on a mismatch."""
    files = meta.get("files")
    record = files.get(kind) if isinstance(files, dict) else None
    if not isinstance(record, dict):
        return
    size, digest = record.get("bytes"), record.get("sha256")
    try:
        if isinstance(size, int) and os.path.getsize(path) != size:
            raise ModelError(
                f"model file {path} is {os.path.getsize(path):,} bytes, its description says {size:,}: "
                "the file is damaged or belongs to another save"
            )
        if isinstance(digest, str) and sha256_file(path) != digest.lower():
            raise ModelError(
                f"model file {path} does not match the checksum in its description: "
                "the file is damaged or belongs to another save"
            )
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {one_line(exc)}") from None


def _meta_text(meta: Mapping[str, Any], written: Mapping[str, Path]) -> str:
    full = dict(meta)
    full["files"] = {kind: file_record(p) for kind, p in written.items()}
    return json.dumps(_finite(full), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    """NaN and infinities (not JSON) as ``null``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_model_files(base: str | os.PathLike, writers: Mapping[str, Writer], meta: Mapping[str, Any]) -> dict[str, Path]:
    """Write ``BASE.keras`` / ``BASE.tflite`` with ``writers`` (kind -> function writing
    that file at the path it is given) and ``BASE.json`` (``meta`` plus the files'
    checksums): each to a flushed temporary, moved into place only when all are
    complete, the ``.json`` last. On any error nothing is replaced and the temporaries are
    removed. Stale temporaries of killed writers in that folder are removed first."""
    files = model_files(base)
    clean_stale_temporaries(files["json"].parent)
    with contextlib.ExitStack() as stack:
        # ExitStack replaces in reverse order of entry: keras, tflite, then json last.
        tmp_json = stack.enter_context(atomic_path(files["json"]))
        tmps = {kind: stack.enter_context(atomic_path(files[kind])) for kind in ("tflite", "keras") if kind in writers}
        for kind, tmp in tmps.items():
            writers[kind](tmp)
        tmp_json.write_text(_meta_text(meta, tmps), encoding="utf-8")
    return {kind: files[kind] for kind in (*tmps, "json")}


def save_model_version(
    folder: str | os.PathLike, stem: str, writers: Mapping[str, Writer], meta: Mapping[str, Any]
) -> Path:
    """Save a new model version as the folder ``FOLDER/NAME/`` holding ``NAME.keras``,
    ``NAME.tflite`` and ``NAME.json`` (with checksums), in one step (see the module's
    notes); ``NAME`` is ``stem`` or ``stem-2``, ``stem-3``... whichever is free at the
    moment of the rename. Returns the model's base path ``FOLDER/NAME/NAME``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(folder)
    with temporary_dir(folder, stem) as tmp:
        files = model_files(tmp / stem)
        written = {}
        for kind in ("tflite", "keras"):
            if kind in writers:
                writers[kind](files[kind])
                written[kind] = files[kind]
        files["json"].write_text(_meta_text(meta, written), encoding="utf-8")
        for path in (*written.values(), files["json"]):
            fsync_file(path)
        fsync_dir(tmp)
        name = stem
        for n in range(1, 10_000):
            candidate = stem if n == 1 else f"{stem}-{n}"
            if any((folder / (candidate + s)).exists() for s in SUFFIXES):
                continue  # an old-style model with that name lies in the folder
            if candidate != name:  # rename inside the private folder: nobody sees it
                for suffix in SUFFIXES:
                    old = tmp / (name + suffix)
                    if old.exists():
                        os.rename(old, tmp / (candidate + suffix))
                name = candidate
            try:
                _rename_no_replace(tmp, folder / name)
            except FileExistsError:
                continue
            break
        else:
            raise OSError(errno.EEXIST, f"no free model name for {stem} in {folder}")
    fsync_dir(folder)
    return folder / name / name


def _rename_no_replace(src: Path, dst: Path) -> None:
    """Rename folder ``src`` to ``dst``; FileExistsError if ``dst`` exists. A rename onto
    a non-empty folder fails by itself (ENOTEMPTY/EEXIST); onto an empty one it would
    succeed on POSIX, so that case is refused first (we never make empty model folders)."""
    if dst.is_dir() and not any(dst.iterdir()):
        raise FileExistsError(errno.EEXIST, "exists", str(dst))
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR) or isinstance(exc, FileExistsError):
            raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
        raise


def keras_writers(model: Any) -> dict[str, Writer]:
    """Writers of a Keras model's ``.keras`` and LiteRT ``.tflite`` files."""
    return {"keras": lambda path: model.save(path), "tflite": lambda path: _export_litert(model, path)}


def save_model(model: Any, base: str | os.PathLike, meta: dict[str, Any]) -> dict[str, Path]:
    """Save a Keras model as ``BASE.keras`` + ``BASE.tflite`` + ``BASE.json`` (see
    :func:`write_model_files`)."""
    return write_model_files(base, keras_writers(model), meta)


def _export_litert(model: Any, path: Path) -> None:
    # model.export prints "Saved artifact at ..." to stdout; keep CLI output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(path), format="litert")

