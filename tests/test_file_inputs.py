"""Hostile files given to `digitpad predict` and Open…: each is that file's one-line error,
the other files are still recognised, nothing hangs and nothing runs Ghostscript. And stroke
files (.json, .inkml) read through the canvas's strokes route."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.cli import main
from digitpad.ink import StrokeFileError, drawing_vector, load_strokes, strokes_vector
from digitpad.preprocessing import ImageError, load_image, shown_path
from digitpad.strokes import render_strokes

SAMPLE = Path(__file__).parent / "data" / "mnist_sample.npz"

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, symbolic links and newlines in names are POSIX's")

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n%%EndComments\n{} loop\n"


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    d = np.load(SAMPLE)
    i = int(np.flatnonzero(d["y"] == 7)[0])
    path = tmp_path_factory.mktemp("img") / "seven.png"
    Image.fromarray(d["x"][i]).save(path)
    return path


def predict(capsys, *paths):
    code = main(["predict", *map(str, paths)])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err.splitlines()


# --------------------------------------------------------------------------- images
def test_postscript_named_png_never_reaches_ghostscript(tmp_path, digit_png):
    """A fake `gs` first on PATH records any call; the EPS (which would loop forever in a
    real gs) is refused in one line, and the next file is still read."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "gs-was-run"
    gs = bin_dir / "gs"
    gs.write_text(f"#!/bin/sh\ntouch {marker}\nsleep 60\n")
    gs.chmod(0o755)
    evil = tmp_path / "evil.png"
    evil.write_bytes(EPS)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(evil), str(digit_png)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert time.monotonic() - started < 30 and not marker.exists()
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"digitpad: {evil}: not an image file digitpad reads (PNG, JPEG, BMP, GIF, TIFF, WebP, PGM/PPM)"
    assert proc.stdout.strip().startswith(f"{digit_png}: 7 ")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_does_not_hang(tmp_path, digit_png):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(fifo), str(digit_png)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"digitpad: {fifo}: is a named pipe (FIFO), not a regular file"
    assert proc.stdout.startswith(f"{digit_png}: 7 ")


@POSIX
def test_per_file_os_errors_do_not_abort_the_batch(tmp_path, capsys, digit_png, monkeypatch):
    denied = tmp_path / "denied.png"
    denied.write_bytes(digit_png.read_bytes())
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):  # we run as root here: chmod 000 would not do
        if os.fspath(path) == str(denied):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    long_name = tmp_path / ("x" * 300 + ".png")
    loop_a, loop_b = tmp_path / "a.png", tmp_path / "b.png"
    os.symlink(loop_b, loop_a)
    os.symlink(loop_a, loop_b)
    code, out, err = predict(capsys, denied, long_name, loop_a, tmp_path / "missing.png", tmp_path, digit_png)
    assert code == 2
    assert err == [
        f"digitpad: {denied}: permission denied",
        f"digitpad: {str(long_name)[:80]}…{str(long_name)[-79:]}: file name too long",
        f"digitpad: {loop_a}: too many levels of symbolic links (a symbolic link loop)",
        f"digitpad: {tmp_path / 'missing.png'}: no such file",
        f"digitpad: {tmp_path}: is a directory, not an image",
    ]
    assert len(out) == 1 and out[0].startswith(f"{digit_png}: 7 ")


@POSIX
def test_the_window_reports_a_failing_file_instead_of_raising(window, tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert not window.open_image(fifo)
    assert "named pipe" in window.statusBar().currentMessage()
    evil = tmp_path / "evil.png"
    evil.write_bytes(EPS)
    assert not window.open_image(evil)
    assert "not an image file" in window.statusBar().currentMessage()


@POSIX
def test_a_newline_in_a_file_name_is_escaped(tmp_path, capsys, digit_png):
    odd = tmp_path / "two\nlines.png"
    odd.write_bytes(digit_png.read_bytes())
    code, out, err = predict(capsys, odd)
    assert code == 0 and len(out) == 1 and out[0].startswith(f"{tmp_path}/two\\nlines.png: 7 ")
    code = main(["predict", "--json", str(odd)])
    assert json.loads(capsys.readouterr().out)["path"] == str(odd)  # JSON escapes it itself


def test_shown_path_escapes_and_shortens():
    assert shown_path("a\nb\tc\x1bd é.png") == "a\\nb\\tc\\x1bd é.png"
    assert shown_path("x" * 500, 160) == "x" * 80 + "…" + "x" * 79


def test_multi_frame_images_are_refused_single_frames_read(tmp_path):
    frames = [Image.new("L", (40, 40), v) for v in (0, 255)]
    anim = tmp_path / "anim.gif"
    frames[0].save(anim, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match="has 2 frames"):
        load_image(anim)
    pages = tmp_path / "pages.tiff"
    frames[0].save(pages, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match="has 2 frames"):
        load_image(pages)
    single = tmp_path / "one.gif"
    frames[1].save(single)
    assert load_image(single).shape[:2] == (40, 40)


def test_pillow_warnings_do_not_reach_stderr(tmp_path, digit_png):
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x0f\x00\x02\x00\x00\x10\x00\x00\x00\x00\x1a\x00\x00\x00\x00"
    buf = io.BytesIO()
    Image.open(digit_png).convert("L").save(buf, "JPEG", exif=exif)
    bad = tmp_path / "bad-exif.jpg"
    bad.write_bytes(buf.getvalue())
    proc = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(bad)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


# --------------------------------------------------------------------------- stroke files
# A synthetic 7: a bar and a slanted stem (y down).
SEVEN = [[[10, 10], [60, 10], [62, 12]], [[62, 12], [45, 50], [30, 95]]]


def write_json(path: Path, strokes, **extra) -> Path:
    path.write_text(json.dumps({"label": 7, **extra, "strokes": strokes}))
    return path


def write_inkml(path: Path, strokes) -> Path:
    traces = "".join(
        f'<trace id="t{k}">' + ", ".join(f"{x} {y} {k * 10 + i}" for i, (x, y) in enumerate(s)) + "</trace>"
        for k, s in enumerate(strokes)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ink xmlns="http://www.w3.org/2003/InkML">'
        '<traceFormat><channel name="X" type="decimal"/><channel name="Y" type="decimal"/>'
        f'<channel name="T" type="integer"/></traceFormat><traceGroup>{traces}</traceGroup></ink>'
    )
    return path


def test_json_and_inkml_strokes_go_through_render_strokes(tmp_path, capsys):
    expected = render_strokes([np.asarray(s, float) for s in SEVEN])
    j = write_json(tmp_path / "seven.json", SEVEN, source="synthetic")
    k = write_inkml(tmp_path / "seven.inkml", SEVEN)
    np.testing.assert_array_equal(drawing_vector(j), expected)
    np.testing.assert_array_equal(drawing_vector(k), expected)
    code, out, err = predict(capsys, j, k)
    assert code == 0 and err == []
    assert [line.split(":")[1].split()[0] for line in out] == ["7", "7"]


def test_the_window_draws_a_stroke_file_and_computes_what_the_cli_does(window, tmp_path):
    from digitpad.ui.model_input import canvas_vector, uses_strokes

    path = write_json(tmp_path / "seven.json", SEVEN)
    assert window.open_image(path)
    window.draw_tab.flush()
    assert uses_strokes(window.canvas) and len(window.canvas.strokes()) == 2
    np.testing.assert_allclose(canvas_vector(window.canvas), drawing_vector(path), atol=1e-4)
    assert window.draw_tab.prediction.digit == 7
    window.canvas.undo()  # strokes, like a drawing: undoable
    assert len(window.canvas.strokes()) == 1


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("bomb.inkml", '<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
         "<ink><trace>&b;</trace></ink>", "DOCTYPE or entity"),
        ("external.inkml", '<!DOCTYPE ink SYSTEM "file:///etc/passwd"><ink/>', "DOCTYPE or entity"),
        ("broken.inkml", "<ink><trace>1 2, 3", "not well-formed XML"),
        ("notink.inkml", "<svg/>", "not InkML"),
        ("diff.inkml", "<ink><trace>1 2, '1 '1</trace></ink>", "difference encoding"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("nostrokes.json", '{"points": []}', 'no "strokes" list'),
        ("nan.json", '{"strokes": [[[NaN, 1], [2, 3]]]}', "not a finite number"),
        ("text.json", '{"strokes": [[["a", 1]]]}', "not [x, y] numbers"),
        ("empty.json", '{"strokes": [[], []]}', "no points"),
        ("many.json", json.dumps({"strokes": [[[i, i]] for i in range(3000)]}), "more than 2,000 strokes"),
        ("binary.json", b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_bad_stroke_files_are_one_line_errors(tmp_path, name, content, words):
    path = tmp_path / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with pytest.raises(StrokeFileError) as info:
        load_strokes(path)
    message = str(info.value)
    assert words in message and name in message and "\n" not in message


def test_huge_stroke_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(20 << 20)
    with pytest.raises(StrokeFileError, match="too large"):
        load_strokes(path)


def test_a_single_dot_is_no_digit_as_on_the_canvas(tmp_path):
    assert strokes_vector(load_strokes(write_json(tmp_path / "dot.json", [[[5, 5]], [[5, 5]]]))) is None


def test_the_stroke_file_loader_is_qt_free():
    code = "import sys, digitpad.ink; print(any(m.split('.')[0] in ('PySide6', 'tensorflow') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("reader", ["mnist", "pen data", "my digits"])
def test_a_file_that_is_no_npz_archive_says_so_without_talking_of_pickles(tmp_path, reader):
    from digitpad import data, mydigits, pendata

    path = tmp_path / "pendigits_strokes.npz"
    path.write_text("not numbers at all\n")
    load, error = {
        "mnist": (data.read_mnist_npz, data.DataError),
        "pen data": (pendata.load_stroke_set, pendata.PenDataError),
        "my digits": (mydigits.read_npz, mydigits.DigitStoreError),
    }[reader]
    with pytest.raises(error) as caught:
        load(path)
    message = str(caught.value)
    assert "not an .npz archive" in message and str(path) in message
    assert "pickle" not in message and "\n" not in message
