"""The user's kept models as a list to manage: list, rename, delete (Qt-free).

A kept model is either a version folder ``FOLDER/NAME/NAME.{keras,tflite,json}`` (see
:func:`digitpad.modelfiles.save_model_version`) or, from before versions, the three files
``FOLDER/NAME.*`` side by side. Its *name* — what the window shows — is the ``"name"`` of
its ``.json``: renaming rewrites that one field (atomically; the recorded checksums of the
weights stay true), so no file moves and a remembered path stays valid. Deleting a version
folder renames it to a temporary name first (one step: it is gone for every reader), then
removes it; a flat model loses its ``.json`` first, then the weights.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digitpad.fileio import atomic_write_text, read_json
from digitpad.modelfiles import MAX_META_BYTES, SUFFIXES, model_files, read_meta

MAX_NAME = 80


class CatalogError(ValueError):
    """A rename or delete that cannot be done (one line)."""


@dataclass
class ModelEntry:
    base: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        name = self.meta.get("name")
        return name if isinstance(name, str) and name.strip() else self.base.name

    @property
    def accuracy(self) -> float | None:
        acc = self.meta.get("mnist_test_accuracy")
        return float(acc) if isinstance(acc, (int, float)) else None

    @property
    def date(self) -> str:
        date = self.meta.get("date")
        return date if isinstance(date, str) else ""

    @property
    def is_version_folder(self) -> bool:
        return self.base.parent.name == self.base.name


def list_models(folder: str | os.PathLike) -> list[ModelEntry]:
    """Every kept model in ``folder`` that has a ``.tflite``, newest first (by the date in
    its description, then by name). Temporaries (names starting with ".") are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    bases: list[Path] = []
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        if path.is_dir() and (path / f"{path.name}.tflite").is_file():
            bases.append(path / path.name)
        elif path.suffix == ".tflite" and path.is_file():
            bases.append(path.with_suffix(""))
    entries = [ModelEntry(b, read_meta(b) if model_files(b)["json"].exists() else {}) for b in bases]
    entries.sort(key=lambda e: (e.date, e.base.name), reverse=True)
    return entries


def clean_name(name: str) -> str:
    """A usable display name, or :class:`CatalogError`."""
    text = " ".join(str(name).split())
    if not text:
        raise CatalogError("a model needs a name")
    if len(text) > MAX_NAME:
        raise CatalogError(f"a name of at most {MAX_NAME} characters, please")
    return text


def rename_model(base: str | os.PathLike, name: str) -> str:
    """Give the model at ``base`` the display name ``name`` (returned as stored)."""
    name = clean_name(name)
    path = model_files(base)["json"]
    try:
        meta = read_json(path, MAX_META_BYTES) if path.exists() else {}  # capped, no RecursionError
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read {path.name}: {exc}") from None
    if not isinstance(meta, dict):
        raise CatalogError(f"{path.name} is not a model description")
    meta["name"] = name
    try:
        atomic_write_text(path, json.dumps(meta, indent=2, sort_keys=True, allow_nan=False) + "\n")
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot rename the model: {exc}") from None
    return name


def delete_model(base: str | os.PathLike) -> None:
    """Remove the model at ``base`` (its version folder, or its three files)."""
    base = Path(base)
    try:
        if base.parent.name == base.name and base.parent.is_dir():
            folder = base.parent
            # One rename makes it disappear for every reader; a crash leaves a temporary
            # that the next start removes (the names of digitpad.fileio's temporaries).
            gone = Path(tempfile.mkdtemp(prefix=f".{folder.name}.{os.getpid()}.", suffix=".tmpdir", dir=folder.parent))
            os.rename(folder, gone / folder.name)
            shutil.rmtree(gone)
            return
        files = model_files(base)
        if not any(files[k].exists() for k in ("json", "tflite")):
            raise CatalogError(f"no model at {base}")
        for kind in ("json", "tflite", "keras"):  # the description first: no half model listed
            files[kind].unlink(missing_ok=True)
    except OSError as exc:
        raise CatalogError(f"cannot delete the model: {exc.strerror or exc}") from None


__all__ = ["CatalogError", "ModelEntry", "SUFFIXES", "clean_name", "delete_model", "list_models", "rename_model"]
