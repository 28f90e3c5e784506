"""Models that cannot predict are refused; a model version is saved as one unit.

Fault injection: broken models (no softmax, NaN, uint8, flipped bytes, files of two saves),
a failing fsync, a writer killed mid-save (slowed writes and renames), two processes saving
at once. The broken models are made by tools/make_bad_models.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from digitpad.fileio import TEMP_RE, clean_stale_temporaries, read_json
from digitpad.modelfiles import (
    ModelError,
    model_base,
    model_files,
    read_meta,
    save_model_version,
    write_model_files,
)
from digitpad.paths import bundled_model_base
from digitpad.predictor import EMPTY, Prediction, Predictor

BAD = Path(__file__).parent / "data" / "bad_models"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and process-id checks are POSIX's")
BUNDLED_TFLITE = model_files(bundled_model_base())["tflite"]


def fake_writers(tag: bytes = b"keras") -> dict:
    """Writers that do what the Keras ones do, without TensorFlow: the bundled .tflite,
    and a stand-in .keras."""
    return {"tflite": lambda p: shutil.copyfile(BUNDLED_TFLITE, p), "keras": lambda p: Path(p).write_bytes(tag)}


# --------------------------------------------------------------------------- validation on load
@pytest.mark.parametrize(
    "name, words",
    [
        ("no_softmax.tflite", "does not give probabilities"),
        ("nan_output.tflite", "NaN"),
        ("uint8_input.tflite", "uint8"),
    ],
)
def test_a_model_that_cannot_predict_is_refused(name, words):
    with pytest.raises(ModelError) as info:
        Predictor(BAD / name)
    message = str(info.value)
    assert words in message and name in message and "\n" not in message


def test_an_eleven_output_softmax_model_is_accepted():
    p = Predictor(BAD / "eleven_softmax.tflite")
    assert p.n_outputs == 11
    assert p.predict(np.zeros(784, np.float32)).state in ("digit", "not_digit", "unsure")


def test_flipped_bytes_are_caught_by_the_checksum(tmp_path):
    base = save_model_version(tmp_path, "m", fake_writers(), {"name": "mine"})
    assert Predictor(base).name == "mine"
    tflite = model_files(base)["tflite"]
    data = bytearray(tflite.read_bytes())
    rng = np.random.default_rng(0)
    for i in rng.choice(np.arange(len(data) // 2, len(data)), 2000, replace=False):
        data[i] ^= 0xFF
    tflite.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        Predictor(base)


def test_a_tflite_of_another_save_is_refused(tmp_path):
    base = tmp_path / "m"
    write_model_files(base, fake_writers(), {"name": "mine"})
    assert "sha256" in read_meta(base)["files"]["tflite"]
    shutil.copyfile(BAD / "eleven_softmax.tflite", model_files(base)["tflite"])
    with pytest.raises(ModelError, match="another save"):
        Predictor(base)


def test_nested_or_huge_description_is_read_defensively(tmp_path):
    shutil.copyfile(BUNDLED_TFLITE, tmp_path / "m.tflite")
    (tmp_path / "m.json").write_text("[" * 100_000 + "]" * 100_000)
    assert read_meta(tmp_path / "m") == {}
    assert Predictor(tmp_path / "m").name == "m"
    (tmp_path / "m.json").write_text(json.dumps({"name": "x" * 3_000_000}))
    assert read_meta(tmp_path / "m") == {}
    with pytest.raises(ValueError, match="nested too deeply"):
        read_json(tmp_path / "deep.json") if (tmp_path / "deep.json").write_text("[" * 100_000) else None


def test_name_and_accuracy_are_plain_and_sane(tmp_path):
    shutil.copyfile(BUNDLED_TFLITE, tmp_path / "m.tflite")
    (tmp_path / "m.json").write_text(json.dumps({"name": "<b>big</b>\nsecond line\x07", "mnist_test_accuracy": 2.987}))
    p = Predictor(tmp_path / "m")
    assert p.name == "<b>big</b> second line" and p.accuracy is None


def test_non_finite_outputs_never_become_a_digit():
    p = Prediction.from_probabilities(np.full(10, np.nan))
    assert p.state == EMPTY and p.digit is None and json.dumps(p.to_json(), allow_nan=False)


def test_a_version_folder_is_accepted_as_the_model_path(tmp_path):
    base = save_model_version(tmp_path, "v", fake_writers(), {"name": "folder"})
    assert base == tmp_path / "v" / "v"
    assert model_base(tmp_path / "v") == base
    assert Predictor(tmp_path / "v").name == "folder"


# --------------------------------------------------------------------------- saving as one unit
def test_a_version_is_complete_and_leaves_no_temporaries(tmp_path):
    base = save_model_version(tmp_path, "m", fake_writers(), {"name": "a"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert sorted(p.name for p in base.parent.iterdir()) == ["m.json", "m.keras", "m.tflite"]
    second = save_model_version(tmp_path, "m", fake_writers(), {"name": "b"})
    assert second == tmp_path / "m-2" / "m-2"
    assert Predictor(second).name == "b" and Predictor(base).name == "a"


def test_a_failing_writer_leaves_nothing(tmp_path):
    def boom(path):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        save_model_version(tmp_path, "m", {**fake_writers(), "keras": boom}, {})
    assert list(tmp_path.iterdir()) == []


def test_a_failing_fsync_is_an_error_and_replaces_nothing(tmp_path, monkeypatch):
    base = tmp_path / "m"
    write_model_files(base, fake_writers(b"old"), {"name": "old"})

    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output"):
        write_model_files(base, fake_writers(b"new"), {"name": "new"})
    with pytest.raises(OSError, match="Input/output"):
        save_model_version(tmp_path, "v", fake_writers(), {})
    monkeypatch.undo()
    assert model_files(base)["keras"].read_bytes() == b"old" and Predictor(base).name == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras", "m.tflite"]


_SAVER = textwrap.dedent(
    """
    import os, shutil, sys, time
    from pathlib import Path
    from digitpad.modelfiles import model_files, save_model_version, write_model_files
    from digitpad.paths import bundled_model_base
    src = model_files(bundled_model_base())["tflite"]
    folder, mode, count, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    def slow_tflite(p):
        with open(src, "rb") as f, open(p, "wb") as out:
            while chunk := f.read(100_000):
                out.write(chunk); out.flush(); time.sleep(delay)
    writers = {"tflite": slow_tflite, "keras": lambda p: Path(p).write_bytes(b"k" * 5000)}
    if mode == "slow-rename":
        real = os.replace
        def slow_replace(a, b):
            real(a, b)
            Path(folder, "replaced-" + Path(b).suffix[1:]).touch()
            if str(b).endswith(".tflite"):
                time.sleep(delay)
        os.replace = slow_replace
        writers["tflite"] = lambda p: shutil.copyfile(src, p)
    for i in range(count):
        if mode == "version":
            base = save_model_version(folder, "20261201-141639-tutorial", writers, {"name": f"{os.getpid()}-{i}"})
        else:
            write_model_files(Path(folder) / "m", writers, {"name": f"save-{i}"})
            base = "m"
        print(base, flush=True)
    """
)


def _saver(folder, mode, count, delay):
    return subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(folder), mode, str(count), str(delay)],
        stdout=subprocess.PIPE, text=True,
    )


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    """Both save 15 versions under the same second-resolution name, at the same time."""
    procs = [_saver(tmp_path, "version", 15, 0.0) for _ in range(2)]
    reported = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        reported += out.split()
    assert len(reported) == 30 and len(set(reported)) == 30  # every save told its own name
    on_disk = [d for d in tmp_path.iterdir() if not d.name.startswith(".")]
    assert len(on_disk) == 30
    names = {Predictor(d).name for d in on_disk}
    assert len(names) == 30
    assert not [p for p in tmp_path.iterdir() if TEMP_RE.match(p.name)]


@POSIX
def test_a_killed_writer_never_leaves_a_partial_version(tmp_path):
    """kill -9 at random moments of slowed saves: every version on disk loads whole; the
    temporaries it left are removed by the next start's clean-up."""
    rng = np.random.default_rng(1)
    for _trial in range(6):
        p = _saver(tmp_path, "version", 3, 0.02)
        time.sleep(float(rng.uniform(0.05, 0.6)))
        p.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
        p.wait()
    versions = [d for d in tmp_path.iterdir() if not TEMP_RE.match(d.name)]
    for d in versions:
        Predictor(d)  # loads, checksums match
        assert sorted(f.suffix for f in d.iterdir()) == [".json", ".keras", ".tflite"]
    clean_stale_temporaries(tmp_path)
    assert all(not TEMP_RE.match(d.name) for d in tmp_path.iterdir())


@POSIX
def test_a_writer_killed_between_renames_leaves_no_usable_mixed_trio(tmp_path):
    """The side-by-side layout (an explicit BASE): killed after the .tflite of save 2 is in
    place but before its .json: the mixture is refused, never predicted with."""
    write_model_files(tmp_path / "m", fake_writers(b"first"), {"name": "first"})
    shutil.copyfile(BAD / "eleven_softmax.tflite", tmp_path / "other.tflite")
    code = _SAVER.replace("src = model_files(bundled_model_base())[\"tflite\"]", f"src = {str(tmp_path / 'other.tflite')!r}")
    p = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), "slow-rename", "1", "30"])
    deadline = time.monotonic() + 60
    while not (tmp_path / "replaced-tflite").exists():
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.05)
    p.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
    p.wait()
    with pytest.raises(ModelError, match="another save"):
        Predictor(tmp_path / "m")
    leftovers = [q for q in tmp_path.iterdir() if TEMP_RE.match(q.name)]
    assert leftovers  # the killed writer's .json temporary...
    write_model_files(tmp_path / "m", fake_writers(b"third"), {"name": "third"})
    assert not [q for q in tmp_path.iterdir() if TEMP_RE.match(q.name)]  # ...is cleaned by the next save
    assert Predictor(tmp_path / "m").name == "third"


@POSIX
def test_stale_temporaries_of_live_processes_and_other_files_are_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (tmp_path / f".m.{dead_pid}.abcd1234.tmp.tflite").write_bytes(b"x")
    (tmp_path / f".m.{dead_pid}.abcd1234.tmpdir").mkdir()
    (tmp_path / f".m.{os.getpid()}.abcd1234.tmp.json").write_bytes(b"x")
    (tmp_path / ".hidden-notes.txt").write_bytes(b"x")
    (tmp_path / "m.tflite").write_bytes(b"x")
    removed = clean_stale_temporaries(tmp_path)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".m.{os.getpid()}.abcd1234.tmp.json", ".hidden-notes.txt", "m.tflite"]
    )


def test_renaming_a_model_with_a_hostile_description_is_a_one_line_error(tmp_path):
    from digitpad.catalog import CatalogError, rename_model

    base = save_model_version(tmp_path, "m", fake_writers(), {"name": "a"})
    rename_model(base, "mine")
    assert Predictor(base).name == "mine"  # the checksums survive a rename
    model_files(base)["json"].write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CatalogError, match="nested too deeply"):
        rename_model(base, "other")
