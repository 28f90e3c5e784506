"""MNIST loading: where it looks, in which order, and what it says when it fails."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import real_mnist
from digitpad import data
from digitpad.data import MNIST_ENV, DataError, keras_cache_path, load_mnist, sha256_file


def write_npz(path, n_train=12, n_test=5, fill=0, **override):
    arrays = {
        "x_train": np.full((n_train, 28, 28), fill, np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10,
        "x_test": np.full((n_test, 28, 28), fill, np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % 10,
    }
    arrays.update(override)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No DIGITPAD_MNIST, an empty home (no Keras cache), and no download."""
    monkeypatch.delenv(MNIST_ENV, raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def no_download():
        raise DataError(data.not_found_message("no network in tests"))

    monkeypatch.setattr(data, "_download", no_download)
    return tmp_path


def test_explicit_path_loads_uint8_arrays(isolated):
    path = write_npz(isolated / "m.npz", n_train=12, n_test=5, fill=7)
    m = load_mnist(path)
    xtr, ytr, xte, yte = m.x_train, m.y_train, m.x_test, m.y_test
    assert xtr.shape == (12, 28, 28) and ytr.shape == (12,)
    assert xte.shape == (5, 28, 28) and yte.shape == (5,)
    assert xtr.dtype == np.uint8 and yte.dtype == np.uint8
    assert int(xtr[0, 0, 0]) == 7


def test_order_explicit_then_env_then_cache(isolated, monkeypatch):
    explicit = write_npz(isolated / "explicit.npz", n_train=11)
    env = write_npz(isolated / "env.npz", n_train=13)
    cache = write_npz(keras_cache_path(), n_train=17)
    assert cache.is_relative_to(isolated / "home")
    monkeypatch.setenv(MNIST_ENV, str(env))

    assert len(load_mnist(explicit).x_train) == 11
    assert load_mnist(explicit).source == explicit
    assert len(load_mnist().x_train) == 13
    monkeypatch.delenv(MNIST_ENV)
    got = load_mnist()
    assert len(got.x_train) == 17 and got.source == cache


def test_env_pointing_nowhere_falls_through_to_cache(isolated, monkeypatch):
    write_npz(keras_cache_path(), n_train=17)
    monkeypatch.setenv(MNIST_ENV, str(isolated / "missing.npz"))
    assert len(load_mnist().x_train) == 17


def test_download_is_the_last_resort(isolated, monkeypatch):
    calls = []

    def fake_download():
        calls.append(1)
        x = np.zeros((3, 28, 28), np.uint8)
        return (x, np.array([1, 2, 3], np.uint8)), (x[:2], np.array([4, 5], np.uint8))

    monkeypatch.setattr(data, "_download", fake_download)
    got = load_mnist()
    assert calls == [1] and list(got.y_train) == [1, 2, 3]
    write_npz(keras_cache_path(), n_train=17)
    assert len(load_mnist().x_train) == 17 and calls == [1]


def test_all_fail_gives_one_message_naming_the_four_options(isolated):
    with pytest.raises(DataError) as info:
        load_mnist()
    message = str(info.value)
    assert "\n" not in message
    assert "--data" in message
    assert MNIST_ENV in message
    assert str(keras_cache_path()) in message
    assert "keras.datasets.mnist.load_data()" in message


def test_missing_explicit_path_names_it(isolated):
    missing = isolated / "nope.npz"
    with pytest.raises(DataError, match="nope.npz"):
        load_mnist(missing)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "wrong_keys", "wrong_shape", "bad_labels", "float_pixels"],
)
def test_corrupt_files_name_the_file(isolated, damage):
    path = isolated / f"{damage}.npz"
    if damage == "truncated":
        write_npz(path, n_train=200)
        path.write_bytes(path.read_bytes()[:3000])
    elif damage == "garbage":
        path.write_bytes(b"this is not a zip file at all" * 10)
    elif damage == "wrong_keys":
        write_npz(path, y_test=None)
    elif damage == "wrong_shape":
        write_npz(path, x_train=np.zeros((12, 784), np.uint8))
    elif damage == "bad_labels":
        write_npz(path, y_train=np.full(12, 12, np.uint8))
    elif damage == "float_pixels":
        write_npz(path, x_test=np.zeros((5, 28, 28), np.float32))
    with pytest.raises(DataError) as info:
        load_mnist(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corrupt_cache_is_reported_not_skipped(isolated):
    cache = keras_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(DataError, match="mnist.npz"):
        load_mnist()


def test_sha256_file(tmp_path):
    path = tmp_path / "f.bin"
    payload = os.urandom(3 * (1 << 20) + 17)  # spans several read chunks
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()


def test_importing_data_does_not_import_tensorflow():
    code = "import sys, digitpad.data; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.mnist
def test_real_mnist_via_environment():
    path = real_mnist()
    mnist = load_mnist()
    assert mnist.source is not None and os.path.samefile(mnist.source, path)
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.y_train.shape == (60000,)
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.y_test.shape == (10000,)
    assert np.bincount(mnist.y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == TEST_COUNTS
    assert mnist.x_train.max() == 255 and mnist.x_train[:, 0, 0].max() == 0  # white ink on black
