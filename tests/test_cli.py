"""The command line: predict, evaluate, train options, errors without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad import __version__
from digitpad.cli import main

SAMPLE = Path(__file__).parent / "data" / "mnist_sample.npz"


@pytest.fixture(scope="module")
def sample():
    d = np.load(SAMPLE)
    return d["x"], d["y"].astype(int)


def write_mnist_png(path, digit28):
    Image.fromarray(digit28).save(path)


def write_canvas_png(path, digit28, offset=(30, 150), scale=6):
    """A 280x280 black-on-white canvas with the digit enlarged and off-centre."""
    big = Image.fromarray(digit28).resize((28 * scale, 28 * scale), Image.BILINEAR)
    canvas = Image.new("L", (280, 280), 0)
    canvas.paste(big, offset)
    Image.fromarray(255 - np.asarray(canvas)).save(path)


def run_json(capsys, args):
    code = main(args)
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("sub", ["predict", "evaluate", "train"])
def test_help_for_every_subcommand(capsys, sub):
    with pytest.raises(SystemExit) as info:
        main([sub, "--help"])
    assert info.value.code == 0
    assert "usage: digitpad " + sub in capsys.readouterr().out


def test_predict_json_on_both_image_styles(tmp_path, capsys, sample):
    x, y = sample
    paths, labels = [], []
    for i in range(0, len(x), 4):
        small = tmp_path / f"mnist_{i}.png"
        write_mnist_png(small, x[i])
        big = tmp_path / f"canvas_{i}.png"
        write_canvas_png(big, x[i], offset=(10 + i % 90, 100 - i % 80))
        paths += [str(small), str(big)]
        labels += [y[i], y[i]]
    code, rows, err = run_json(capsys, ["predict", "--json", *paths])
    assert code == 0, err
    assert [r["path"] for r in rows] == paths
    for r in rows:
        base = {"path", "digit", "state", "confidence", "probabilities"}
        assert set(r) == (base if r["state"] == "digit" else base | {"reason", "best", "not_digit"})
        assert len(r["probabilities"]) == 10
        assert r["confidence"] == pytest.approx(max(r["probabilities"]), abs=1e-5)
    accuracy = np.mean([r["digit"] == label for r, label in zip(rows, labels)])
    assert accuracy >= 0.95, accuracy


def test_predict_plain_output(tmp_path, capsys, sample):
    x, y = sample
    path = tmp_path / "seven.png"
    i = int(np.flatnonzero(y == 7)[0])
    write_mnist_png(path, x[i])
    assert main(["predict", str(path)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"{path}: 7 (") and out.endswith("%)")


def test_blank_canvas_is_no_digit(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("L", (280, 280), 255).save(blank)
    code, rows, _ = run_json(capsys, ["predict", "--json", str(blank)])
    assert code == 0
    assert rows == [
        {
            "path": str(blank),
            "digit": None,
            "state": "empty",
            "confidence": 0.0,
            "probabilities": [0.0] * 10,
            "reason": "nothing drawn",
        }
    ]
    assert main(["predict", str(blank)]) == 0
    assert capsys.readouterr().out.strip() == f"{blank}: no digit"


def test_bad_files_get_one_line_each_and_exit_2(tmp_path, capsys, sample):
    good = tmp_path / "good.png"
    write_mnist_png(good, sample[0][0])
    text = tmp_path / "notes.txt"
    text.write_text("this is not an image\n")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:40])
    missing = tmp_path / "missing.png"
    code, rows, err = run_json(capsys, ["predict", "--json", str(text), str(good), str(missing), str(truncated)])
    assert code == 2
    assert [r["path"] for r in rows] == [str(good)]
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    for name, line in zip(["notes.txt", "missing.png", "cut.png"], lines):
        assert name in line and "Traceback" not in line


def test_explicit_broken_model_exits_2(tmp_path, capsys, sample):
    good = tmp_path / "good.png"
    write_mnist_png(good, sample[0][0])
    broken = tmp_path / "mine.tflite"
    broken.write_bytes(b"\x00" * 64)
    assert main(["predict", "--model", str(broken), str(good)]) == 2
    err = capsys.readouterr().err
    assert "mine.tflite" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["predict"], ["evaluate"]])
def test_the_model_given_before_the_command_is_the_one_used(tmp_path, capsys, sample, command):
    # "digitpad --model X predict ..." read with the bundled model, silently: the command's
    # own --model (absent) put None back over X
    good = tmp_path / "good.png"
    write_mnist_png(good, sample[0][0])
    broken = tmp_path / "mine.tflite"
    broken.write_bytes(b"\x00" * 64)
    args = ["--model", str(broken), *command] + ([str(good)] if command == ["predict"] else [])
    assert main(args) == 2
    assert "mine" in capsys.readouterr().err
    # ... and the command's own --model wins over it
    if command == ["predict"]:
        assert main(["--model", str(broken), "predict", "--model", resource_model(), str(good)]) == 0


def test_every_command_with_a_model_takes_the_one_given_before_it():
    from digitpad.cli import build_parser

    for command in (["predict", "x.png"], ["evaluate"], ["personalise"]):
        assert build_parser().parse_args(["--model", "mine", *command]).model == "mine"
        assert build_parser().parse_args(["--model", "mine", command[0], "--model", "other", *command[1:]]).model == "other"
        assert build_parser().parse_args(command).model is None


def resource_model() -> str:
    from digitpad.paths import resource_path

    return str(resource_path("model.tflite"))


def test_evaluate_json_on_a_small_npz(tmp_path, capsys, sample):
    x, y = sample
    data = tmp_path / "tiny.npz"
    np.savez(data, x_train=x[:10], y_train=y[:10], x_test=x, y_test=y)
    code = main(["evaluate", "--data", str(data), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["n"] == len(y)
    confusion = np.array(out["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == len(y)
    assert out["accuracy"] == pytest.approx(np.trace(confusion) / len(y))
    assert len(out["per_class"]) == 10 and out["accuracy"] >= 0.97


def test_evaluate_missing_data_is_one_line(tmp_path, capsys):
    code = main(["evaluate", "--data", str(tmp_path / "nope.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.npz" in err and "Traceback" not in err


def test_train_rejects_out_of_range_settings(tmp_path, capsys):
    try:
        code = main(["train", "--epochs", "0", "--output", str(tmp_path / "m")])
    except SystemExit as exc:  # argparse-level rejection is fine too
        code = exc.code
    assert code == 2
    assert "epochs" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_predict_never_imports_tensorflow(tmp_path, sample):
    path = tmp_path / "one.png"
    write_mnist_png(path, sample[0][0])
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digitpad", "predict", str(path)],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")]
    assert "digitpad.predictor" in imported
    assert not [m for m in imported if m.split(".")[0] in ("tensorflow", "keras")]


def test_no_traceback_for_a_directory(tmp_path):
    out = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and str(tmp_path) in out.stderr
