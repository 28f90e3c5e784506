"""``digitpad digits ...`` and ``digitpad personalise`` on the database in $HOME's user data
folder (a temporary HOME here), through real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.mydigits import DigitStore, make_digit
from digitpad.paths import resource_path


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), DIGITPAD_MNIST=str(home / "no-mnist.npz"))
    return subprocess.run([sys.executable, "-m", "digitpad", *args], env=env, capture_output=True, text=True, timeout=600)


def bars(n, label):
    return [make_digit(label, [np.array([[0.0, 0.0], [5.0 + i, 100.0]])], None, predicted=1, state="digit") for i in range(n)]


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


def test_where_list_export_import(home, tmp_path):
    where = run(home, "digits", "where")
    assert where.returncode == 0
    db = Path(where.stdout.strip())
    assert db.is_relative_to(home) and db.name == "my_digits.sqlite3"
    with DigitStore(db) as store:
        store.add_many(bars(3, 1) + bars(2, 7))
    out = run(home, "digits", "list", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["total"] == 5 and info["counts"][1] == 3 and info["counts"][7] == 2 and info["wrong_before"][7] == 2
    assert "5 digits" in run(home, "digits", "list").stdout

    npz = tmp_path / "mine.npz"
    exp = run(home, "digits", "export", str(npz))
    assert exp.returncode == 0 and "exported 5" in exp.stdout
    other = tmp_path / "other"
    other.mkdir()
    imp = run(other, "digits", "import", str(npz))
    assert imp.returncode == 0 and "imported 5" in imp.stdout
    again = run(other, "digits", "import", str(npz))
    assert "imported 0" in again.stdout and "5 already there" in again.stdout


def test_bad_files_are_one_line_errors(home, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("nonsense")
    out = run(home, "digits", "import", str(bad))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "unreadable" in out.stderr
    (tmp_path / "blocker").write_text("a file, not a folder")
    out = run(home, "digits", "export", str(tmp_path / "blocker" / "x.npz"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    out = run(home, "personalise")
    assert out.returncode == 2 and "no digits of yours" in out.stderr


def test_a_corrupt_database_is_moved_aside_with_a_message(home):
    db = Path(run(home, "digits", "where").stdout.strip())
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    out = run(home, "digits", "list")
    assert out.returncode == 0 and "moved aside" in out.stderr and "0 digits" in out.stdout
    assert len(list(db.parent.glob("*.unusable-*"))) == 1


@pytest.mark.slow
def test_personalise_makes_a_new_active_model(home):
    db = Path(run(home, "digits", "where").stdout.strip())
    with DigitStore(db) as store:
        store.add_many(bars(6, 7))
    out = run(home, "personalise", "--epochs", "1", "--seed", "1", "--data", str(resource_path("mnist_slice.npz")))
    assert out.returncode == 0, out.stderr
    assert "personalised on 6 of your digits" in out.stdout and "the window now uses" in out.stdout
    models = sorted((db.parent / "models").rglob("*.tflite"))
    assert len(models) == 1
    meta = json.loads(models[0].with_suffix(".json").read_text())
    assert meta["personalised"]["digits"] == 6
    conf = (home / ".config" / "digitpad" / "digitpad.conf").read_text()
    assert str(models[0].with_suffix("")) in conf
