"""The user's digits in SQLite (digitpad.mydigits): pure, no Qt. Strokes are synthetic."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from digitpad import mydigits
from digitpad.mydigits import FIT, FRAME, DigitStore, DigitStoreError, make_digit


def one(x0=100.0, y0=50.0, h=220.0, lean=0.0):
    """A bar drawn top to bottom (y down), in canvas pixels; ``lean`` moves its foot."""
    return [np.column_stack([x0 + np.linspace(0, lean, 12), np.linspace(y0, y0 + h, 12)])]


def seven(x0=40.0, y0=40.0, s=150.0):
    return [np.array([[x0, y0], [x0 + s, y0], [x0 + s * 0.4, y0 + s * 1.5]])]


@pytest.fixture
def store(tmp_path):
    with DigitStore(tmp_path / "d.sqlite3") as s:
        yield s


def test_a_correction_keeps_strokes_input_label_model_and_what_it_said(store):
    d = make_digit(1, one(), None, model="digitpad CNN", predicted=7, state="digit", confidence=0.91)
    new_id = store.add(d)
    assert new_id == d.id and new_id is not None
    back = store.get(new_id)
    assert back.label == 1 and back.model == "digitpad CNN" and back.predicted == 7 and back.state == "digit"
    assert back.confidence == pytest.approx(0.91)
    assert back.input.dtype == np.uint8 and back.input.shape == (784,) and back.input.max() == 255
    np.testing.assert_array_equal(back.input, d.input)
    # Strokes are kept, normalised: the longer side FIT units, centred in FRAME.
    (pts,) = back.strokes
    assert np.ptp(pts[:, 1]) == FIT and pts[:, 1].min() == (FRAME - FIT) // 2
    assert back.wrong_before
    assert abs(back.created - time.time()) < 60


def test_store_is_wal_with_schema_version_and_application_id(store):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == mydigits.SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == mydigits.APPLICATION_ID


def test_the_same_drawing_anywhere_on_the_canvas_is_stored_once(store):
    assert store.add(make_digit(1, one(100, 50, 220), None)) is not None
    assert store.add(make_digit(1, one(300, 10, 220), None)) is None  # moved: same digit
    assert store.add(make_digit(1, one(100, 50, 110), None)) is None  # smaller: same shape
    assert store.add(make_digit(7, one(), None)) is not None  # another label: another digit
    assert store.count() == 2


def test_picture_without_strokes_is_stored_by_its_input(store):
    vec = np.zeros(784, np.float32)
    vec[300:310] = 1.0
    d = make_digit(4, None, vec)
    assert store.add(d) is not None and store.get(d.id).strokes == []
    assert store.add(make_digit(4, [], vec)) is None


def test_bad_labels_and_empty_drawings_are_refused(store):
    for bad in (-1, 10, 3.0, True, "3"):
        with pytest.raises(ValueError):
            make_digit(bad, one(), None)
    with pytest.raises(ValueError):
        make_digit(3, [], None)
    with pytest.raises(ValueError):
        make_digit(3, None, np.zeros(100))
    assert store.count() == 0


def test_counts_filter_wrong_before_and_delete_then_restore(store):
    ids = [
        store.add(make_digit(1, one(lean=10 * i), None, predicted=1, state="digit")) for i in range(3)
    ] + [
        store.add(make_digit(1, seven(), None, predicted=7, state="digit")),
        store.add(make_digit(7, seven(), None, predicted=7, state="unsure")),
    ]
    assert store.counts() == [0, 4, 0, 0, 0, 0, 0, 1, 0, 0]
    assert store.counts(wrong_before=True) == [0, 1, 0, 0, 0, 0, 0, 1, 0, 0]
    assert [d.id for d in store.digits(label=1, wrong_before=True)] == [ids[3]]
    assert [d.id for d in store.digits(label=7)] == [ids[4]]
    gone = store.delete([ids[0], ids[3]])
    assert [d.id for d in gone] == [ids[0], ids[3]] and store.count() == 3
    assert store.restore(gone) == 2
    assert [d.id for d in store.digits()] == ids  # back with the same ids, in order
    x, y = store.arrays()
    assert x.shape == (5, 784) and x.dtype == np.uint8 and y.tolist() == [1, 1, 1, 1, 7]


def test_export_then_import_round_trips_and_merges_without_duplicates(tmp_path, store):
    vec = np.linspace(0, 1, 784, dtype=np.float32)
    for i, d in enumerate([make_digit(1, one(), None), make_digit(7, seven(), None), make_digit(2, None, vec)]):
        d.created = 1_700_000_000.0 + i
        store.add(d)
    out = tmp_path / "mine.npz"
    assert store.export_npz(out) == 3
    with np.load(out) as f:
        assert f["y_axis_up"] and f["labels"].tolist() == [1, 7, 2]
        assert f["sample_offsets"].tolist() == [0, 1, 2, 2]  # the picture has no strokes
        # y up: the first point of the 1 (drawn top to bottom) is the highest.
        first = f["points"][f["stroke_offsets"][0]]
        assert first[1] == FRAME - (FRAME - FIT) // 2
    with DigitStore(tmp_path / "other.sqlite3") as other:
        assert other.import_npz(out) == (3, 0)
        assert other.import_npz(out) == (0, 3)
        assert sorted(d.fingerprint for d in other.digits()) == sorted(d.fingerprint for d in store.digits())
        np.testing.assert_array_equal(other.arrays()[0], store.arrays()[0])
        assert [d.created for d in other.digits()] == [d.created for d in store.digits()]
    assert store.import_npz(out) == (0, 3)  # merging one's own export adds nothing


def test_import_a_pen_digit_file_in_tablet_units(tmp_path, store):
    """The shared layout: int16 points in a 500 box, y up, two writers."""
    samples = [(one(100, 100, 110), 1), (seven(200, 200, 90), 7), (one(10, 10, 220), 1)]
    points, so, sa = [], [0], [0]
    for strokes, _ in samples:
        for s in strokes:
            p = s.copy()
            p[:, 1] = 500 - p[:, 1]
            points.append(p)
            so.append(so[-1] + len(p))
        sa.append(sa[-1] + len(strokes))
    path = tmp_path / "pen.npz"
    np.savez(path, points=np.concatenate(points).astype(np.int16), stroke_offsets=np.array(so), sample_offsets=np.array(sa),
             labels=np.array([label for _, label in samples], np.int8), writers=np.array([31, 31, 32], np.int16),
             y_axis_up=np.bool_(True))
    assert store.import_npz(path) == (2, 1)  # the two 1s are the same shape
    one_digit = store.digits(label=1)[0]
    assert one_digit.source == "import"
    # Rendered as the canvas would: the ink is a vertical bar in the middle columns.
    img = one_digit.input.reshape(28, 28)
    assert img[:, 13:16].sum() == img.sum() and img[4:24, 14].min() == 255


@pytest.mark.parametrize(
    "content, words",
    [
        (b"not a zip file at all", "unreadable"),
        (None, "labels must be 0..9"),
        ("missing", "not a stroke file"),
    ],
)
def test_unusable_import_files_are_one_line_errors_and_add_nothing(tmp_path, store, content, words):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, points=np.zeros((2, 2), np.int16), stroke_offsets=np.array([0, 2]), sample_offsets=np.array([0, 1]),
                 labels=np.array([12], np.int8))
    elif content == "missing":
        np.savez(path, points=np.zeros((2, 2), np.int16))
    else:
        path.write_bytes(content)
    with pytest.raises(DigitStoreError, match=words) as info:
        store.import_npz(path)
    assert "\n" not in str(info.value)
    assert store.count() == 0


def _garbage(path):
    path.write_bytes(b"this is not SQLite " * 300)


def _foreign(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.execute("INSERT INTO songs VALUES ('la')")
    conn.commit()
    conn.close()


def _newer(path):
    DigitStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


def _damaged(path):
    with DigitStore(path) as s:
        for i in range(60):
            s.add(make_digit(i % 10, one(lean=i), None))
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 3] = os.urandom(page)  # a page of the table goes bad
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("spoil, words", [(_garbage, "unreadable"), (_foreign, "not a digitpad database"),
                                          (_newer, "newer digitpad"), (_damaged, "")])
def test_an_unusable_file_is_moved_aside_never_deleted_and_a_new_one_started(tmp_path, spoil, words):
    path = tmp_path / mydigits.DB_NAME
    spoil(path)
    before = path.read_bytes()
    store = DigitStore(path)
    assert store.notice is not None and words in store.notice and "moved aside" in store.notice
    assert "\n" not in store.notice
    aside = [p for p in tmp_path.iterdir() if ".unusable-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and aside[0].read_bytes() == before
    assert store.count() == 0 and store.add(make_digit(3, one(), None)) is not None
    store.close()
    again = DigitStore(path)
    assert again.notice is None and again.count() == 1
    again.close()


def test_an_empty_file_is_simply_a_new_database(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with DigitStore(path) as s:
        assert s.notice is None and s.count() == 0


WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from digitpad.mydigits import DigitStore, make_digit
    store = DigitStore(sys.argv[1])
    i = 0
    while True:
        d = make_digit(i % 10, [np.array([[0, 0], [10, 40 + i]])], None)
        store.add(d)
        print(d.id, flush=True)
        i += 1
    """
)


def test_a_killed_writer_loses_at_most_the_last_correction(tmp_path):
    """SIGKILL while the process is storing corrections in a loop: every correction it
    reported as stored is there, and the database opens cleanly."""
    path = tmp_path / mydigits.DB_NAME
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    reported = []
    try:
        while len(reported) < 40:
            line = proc.stdout.readline()
            assert line, "the writer died on its own"
            reported.append(int(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reported += [int(x) for x in proc.stdout.read().split()]  # printed before the kill
    with DigitStore(path) as store:
        assert store.notice is None
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {d.id for d in store.digits()}
    assert set(reported) <= stored
    assert len(stored) - len(reported) <= 1  # at most the one being reported when killed
