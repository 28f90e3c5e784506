"""Kept models as a list: list, rename, delete (Qt-free)."""

from __future__ import annotations

import json
import shutil

import pytest

from digitpad.catalog import CatalogError, delete_model, list_models, rename_model
from digitpad.modelfiles import read_meta
from digitpad.paths import bundled_model_base
from digitpad.predictor import Predictor


def keep(folder, name, date, version_folder=True, display=None):
    """A kept model made of the bundled one's files (as "Use this model" leaves it)."""
    src = bundled_model_base()
    target = folder / name if version_folder else folder
    target.mkdir(parents=True, exist_ok=True)
    for suffix in (".tflite", ".json"):
        shutil.copy(src.with_suffix(suffix), target / f"{name}{suffix}")
    meta = json.loads((target / f"{name}.json").read_text())
    meta.update(date=date, name=display or "digitpad CNN")
    meta.get("files", {}).pop("keras", None)
    (target / f"{name}.json").write_text(json.dumps(meta))
    return target / name


def test_lists_both_layouts_newest_first_and_skips_temporaries(tmp_path):
    old = keep(tmp_path, "20260101-cnn", "2026-01-01T10:00:00", version_folder=False)
    new = keep(tmp_path, "20260301-cnn", "2026-03-01T10:00:00")
    (tmp_path / ".20260401-cnn.123.abcdefgh.tmpdir").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    entries = list_models(tmp_path)
    assert [e.base for e in entries] == [new, old]
    assert entries[0].is_version_folder and not entries[1].is_version_folder
    assert list_models(tmp_path / "missing") == []


def test_rename_changes_the_name_only_and_the_model_still_loads(tmp_path):
    base = keep(tmp_path, "20260301-cnn", "2026-03-01T10:00:00")
    before = read_meta(base)
    assert rename_model(base, "  my   best\n CNN ") == "my best CNN"
    after = read_meta(base)
    assert after["name"] == "my best CNN" and {k: v for k, v in after.items() if k != "name"} == {
        k: v for k, v in before.items() if k != "name"}
    assert Predictor(base).name == "my best CNN"  # checksums of the weights still hold
    with pytest.raises(CatalogError):
        rename_model(base, "   ")
    with pytest.raises(CatalogError):
        rename_model(base, "x" * 81)
    assert read_meta(base)["name"] == "my best CNN"


def test_delete_removes_a_version_folder_or_the_three_files(tmp_path):
    a = keep(tmp_path, "a", "2026-03-01T10:00:00")
    b = keep(tmp_path, "b", "2026-02-01T10:00:00", version_folder=False)
    delete_model(a)
    assert not a.parent.exists() and [e.base for e in list_models(tmp_path)] == [b]
    delete_model(b)
    assert list(tmp_path.iterdir()) == [] and list_models(tmp_path) == []
    with pytest.raises(CatalogError):
        delete_model(b)
