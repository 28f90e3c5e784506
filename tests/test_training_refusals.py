"""Training checks what it can before it starts, and refuses to keep nonsense: the output
path is checked first, a diverged or useless run is not saved (exit code 3, --save-anyway
overrides; the Train tab does not offer it), and an .npz declaring more data than it holds
or than memory allows is refused before loading."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import digitpad.data
import digitpad.training
from digitpad.data import DataError, read_mnist_npz
from digitpad.train_cli import EXIT_REFUSED, check_output, run_train_from_args
from digitpad.training import RefusedModelError, TrainConfig, TrainResult, failure, save_result


def result(loss: float, accuracy: float) -> TrainResult:
    return TrainResult(model=object(), config=TrainConfig.for_preset("tutorial", seed=1),
                       history={"loss": [2.0, loss], "accuracy": [0.1, 0.1]}, cancelled=False, seconds=1.0,
                       test_accuracy=accuracy, meta={"parameters": 10, "seed": 1, "outputs": 10})


def test_diverged_and_useless_runs_are_named():
    assert "diverged (final loss 8.9e+07, MNIST test accuracy 8.50 %)" in failure(result(8.9e7, 0.085))
    assert "diverged" in failure(result(float("nan"), 0.5))
    assert "no better than chance" in failure(result(2.3, 0.1135))
    assert failure(result(0.3, 0.92)) is None


def test_save_result_refuses_without_force(monkeypatch, tmp_path):
    saved = []
    monkeypatch.setattr("digitpad.modelfiles.save_model", lambda model, base, meta: saved.append(base) or {})
    with pytest.raises(RefusedModelError, match="diverged"):
        save_result(result(8.9e7, 0.085), tmp_path / "m")
    assert saved == []
    save_result(result(8.9e7, 0.085), tmp_path / "m", force=True)
    assert saved == [tmp_path / "m"]


def args(output, *extra: str):
    """The command line's own options, as `digitpad train` parses them."""
    import argparse

    from digitpad.train_cli import add_train_arguments

    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    return parser.parse_args(["--preset", "tutorial", "--seed", "1", "--epochs", "1", "--output", str(output), *extra])


def test_the_output_is_checked_before_training(tmp_path, monkeypatch, capsys):
    def no_training(*a, **k):
        raise AssertionError("trained although the output cannot be written")

    monkeypatch.setattr(digitpad.training, "train", no_training)
    (tmp_path / "afile").write_text("x")
    for output, words in [
        (f"{tmp_path}/", "is a folder"),
        (tmp_path, "is a folder"),
        (tmp_path / "afile" / "m", "cannot write to"),
    ]:
        assert check_output(str(output)) is not None
        code = run_train_from_args(args(output))
        assert code == 2 and words in capsys.readouterr().err
    assert check_output(str(tmp_path / "new" / "m")) is None and (tmp_path / "new").is_dir()


def test_a_diverged_run_exits_3_and_saves_nothing_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(digitpad.training, "train", lambda config, callbacks=None: result(8.9e7, 0.085))
    monkeypatch.setattr("digitpad.modelfiles.save_model", lambda model, base, meta: {"json": base})
    code = run_train_from_args(args(tmp_path / "m"))
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED and "training diverged" in err and "--save-anyway" in err
    assert run_train_from_args(args(tmp_path / "m", "--save-anyway")) == 0


def test_a_bad_setting_shows_plain_numbers():
    with pytest.raises(ValueError) as info:
        TrainConfig.for_preset("tutorial", epochs=np.int32(-1))
    assert "(got -1)" in str(info.value) and "np." not in str(info.value)


def _npz_with_header(path, shape, data: bytes, compress: bool) -> None:
    """An .npz whose x_train member declares ``shape`` but holds only ``data``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    small = {"y_train": np.zeros(10, np.uint8), "x_test": np.zeros((10, 28, 28), np.uint8), "y_test": np.zeros(10, np.uint8)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        zf.writestr("x_train.npy", header.getvalue() + data)
        for name, arr in small.items():
            buf = io.BytesIO()
            np.save(buf, arr)
            zf.writestr(f"{name}.npy", buf.getvalue())


def test_an_npz_declaring_more_than_it_holds_is_refused_before_loading(tmp_path, monkeypatch):
    path = tmp_path / "liar.npz"
    _npz_with_header(path, (2_000_000, 28, 28), b"\x00" * 1_700_000, compress=False)

    def no_loading(*a, **k):
        raise AssertionError("np.load was called")

    monkeypatch.setattr(np, "load", no_loading)
    with pytest.raises(DataError, match=r"declares 2,000,000 training images .* holds only 1,700,000 bytes"):
        read_mnist_npz(path)


def test_an_npz_too_big_for_memory_is_refused_before_loading(tmp_path, monkeypatch):
    path = tmp_path / "big.npz"
    _npz_with_header(path, (2_000_000, 28, 28), b"", compress=True)
    monkeypatch.setattr(digitpad.data, "available_memory", lambda: 2_000_000_000)
    with pytest.raises(DataError, match=r"2,000,000 training images.*more than the 2.0 GB of memory available"):
        read_mnist_npz(path)
