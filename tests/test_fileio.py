"""Atomic writes: a failure mid-write leaves the old file whole and no temporary behind."""

import pytest

from digitpad.fileio import atomic_path, atomic_write_text


def test_atomic_write_replaces_content(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_crash_mid_write_keeps_old_file(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old and whole")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half writ")
            raise RuntimeError("disk full")
    assert target.read_text() == "old and whole"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_temporary_keeps_suffix_and_folder(tmp_path):
    target = tmp_path / "sub" / "drawing.png"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp.suffix == ".png"
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


def test_new_file_gets_normal_permissions(tmp_path):
    import os

    target = tmp_path / "new.txt"
    atomic_write_text(target, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
