"""tools/train_digit_centres.py's UNIPEN numbers: which digits a number may be made of
(synthetic strokes in the UNIPEN layout; the real file is never needed here)."""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import train_digit_centres as T


def _name(held_out: bool, start: int) -> str:
    """A writer name in (or out of) the held-out fifth."""
    k = start
    while (zlib.crc32(f"site/w{k}".encode()) % 5 == 0) != held_out:
        k += 1
    return f"site/w{k}"


def _write(folder: Path, writers: list[tuple[str, list[float]]]) -> None:
    """One digit (a vertical stroke of that height, y up) per height, per writer."""
    points, strokes, samples, labels, who = [], [0], [0], [], []
    for w, (_, heights) in enumerate(writers):
        for h in heights:
            points += [(0, 0), (h / 3, h / 2), (0, h)]
            strokes.append(len(points))
            samples.append(len(strokes) - 1)
            labels.append(1)
            who.append(w)
    np.savez(folder / "unipen_train_strokes.npz", points=np.array(points, np.int32),
             stroke_offsets=np.array(strokes), sample_offsets=np.array(samples), labels=np.array(labels, np.int8),
             writers=np.array(who, np.int16), writer_names=np.array([n for n, _ in writers]),
             sites=np.array(["site"] * len(labels)), y_axis_up=np.array(True))


def test_unipen_numbers_leave_out_held_out_writers_odd_sizes_and_writers_with_few_digits(tmp_path, monkeypatch):
    ok, few, held = _name(False, 0), _name(False, 1000), _name(True, 0)
    _write(tmp_path, [(ok, [200.0] * 12 + [3000.0, 20.0]),  # a slip far larger / smaller than the writer's digits
                      (few, [200.0] * 6),
                      (held, [200.0] * 12)])
    monkeypatch.setenv("DIGITPAD_PEN_DATA", str(tmp_path))
    data = T.unipen_digits(min_digits=10)
    assert len(data.labels) == 12 and len(set(data.writers.tolist())) == 1
    assert all(np.ptp(np.concatenate(s)[:, 1]) == 200 for s in data.strokes)


def test_unipen_numbers_without_the_file_stop_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_PEN_DATA", str(tmp_path))
    with pytest.raises(SystemExit, match=r"^train_digit_centres: no unipen_train_strokes\.npz"):
        T.unipen_digits()


@pytest.mark.parametrize("tool", ["train_digit_centres", "train_ink_separator", "train_piece_verifier"])
@pytest.mark.parametrize("args, option", [
    (["--epochs", "0"], "--epochs"),
    (["--numbers", "-5"], "--numbers"),
    (["--check", "0"], "--check"),
    (["--distorted", "many"], "--distorted"),
])
def test_training_tools_refuse_out_of_range_settings_in_one_line(tool, args, option, capsys):
    module = __import__(tool)
    with pytest.raises(SystemExit) as stop:
        module.main(args)  # stops before any data is read or TensorFlow imported
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert f": error: argument {option}: " in err[-1], err  # argparse's one line, after the usage
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize("tool", ["train_digit_centres", "train_ink_separator"])
def test_training_tools_refuse_a_learning_rate_of_zero(tool, capsys):
    with pytest.raises(SystemExit):
        __import__(tool).main(["--learning-rate", "0"])
    assert "--learning-rate: must be above 0.0" in capsys.readouterr().err


def test_ink_near_another_digits_ink_weighs_more_in_the_loss():
    owner = np.full((1, 5, 9), -1, np.int8)
    owner[0, :, 1:4] = 0  # a digit
    owner[0, :, 5:8] = 1  # its neighbour, one blank column away
    w = T.border_weights(owner, radius=1, weight=4.0)
    assert w.shape == owner.shape and w.dtype == np.float32
    assert (w[owner < 0] == 0).all()  # off the ink: nothing to learn
    assert (w[0, :, [1, 2, 3, 5, 6, 7]] == 1).all()  # every column two or more from the other digit
    w2 = T.border_weights(owner, radius=2, weight=4.0)
    assert (w2[0, :, [3, 5]] == 4).all() and (w2[0, :, [1, 7]] == 1).all()
    assert (T.border_weights(owner, 2, 1.0) == (owner >= 0)).all()  # weight 1: the ink mask, as before
