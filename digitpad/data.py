"""Loading MNIST and checksumming data files.

MNIST is looked for, in order, at:

1. an explicit path (``--data PATH`` / the Train tab's chosen file),
2. the file named by the ``DIGITPAD_MNIST`` environment variable,
3. Keras's cache, ``~/.keras/datasets/mnist.npz``,
4. ``keras.datasets.mnist.load_data()``, which downloads it (needs the internet).

The file is a Keras-layout ``.npz``: ``x_train`` (60000, 28, 28), ``y_train`` (60000,),
``x_test`` (10000, 28, 28), ``y_test`` (10000,), uint8, white ink on black.

Import-light: numpy only. Keras is imported only for the last-resort download.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import UserError, npz_problem, one_line

log = logging.getLogger(__name__)

MNIST_ENV = "DIGITPAD_MNIST"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
N_INPUTS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]  # what every model takes: the flattened image
N_CLASSES = 10  # the ten digits (a model may add an 11th output, "not a digit")


class DataError(UserError, ValueError):
    """MNIST (or another data file) is missing, unreadable or not what it should be.

    The message is one line and names the file or the places that were tried.
    """


@dataclass(frozen=True)
class Mnist:
    """Training and test digits, and the file they came from (``None`` when they were not
    read from a file: built in memory, or downloaded by Keras and the cached file could
    not be found afterwards).

    As loaded from a file, x is (N, 28, 28) uint8 and y (N,) uint8. :func:`digitpad.training.train`
    also accepts x as (N, 784), and float in [0, 1]; y integer labels 0..9.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: Path | None = None


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` caches the file."""
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home) if keras_home else Path.home() / ".keras"
    return base / "datasets" / "mnist.npz"


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file (recorded in a model's ``.json`` as the data checksum)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def read_mnist_npz(path: str | os.PathLike) -> Mnist:
    """Read and check one Keras-layout MNIST ``.npz``. Raises :class:`DataError`
    naming the file when it is missing, truncated, corrupt or has the wrong contents."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"MNIST file {path} does not exist")
    check_npz_fits(path, f"MNIST file {path}", what={"x_train": "training images", "x_test": "test images"})
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in MNIST_KEYS if k not in npz.files]
            if missing:
                raise DataError(
                    f"MNIST file {path} is not a Keras-layout mnist.npz: missing {', '.join(missing)}"
                )
            arrays = {k: npz[k] for k in MNIST_KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"MNIST file {path} is unreadable or corrupt ({npz_problem(exc)})") from None
    return _checked(arrays, path, path)


# Training holds the images as loaded and as float32 vectors, and copies of both: about this
# many times their size on disk must be free before anything is loaded.
TRAINING_MEMORY_FACTOR = 6


def npz_arrays(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype, int, bool]]:
    """What an ``.npz`` declares, read from its members' ``.npy`` headers without loading a
    byte of data: name -> (shape, dtype, size of the member in the zip, stored uncompressed)."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                header = f.tell() if hasattr(f, "tell") else 0
            stored = info.compress_type == zipfile.ZIP_STORED
            out[info.filename[:-4]] = (tuple(shape), dtype, info.file_size - header, stored)
    return out


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_npz_fits(path: str | os.PathLike, label: str, what: dict[str, str] | None = None) -> None:
    """Refuse, before loading, an ``.npz`` whose headers declare more data than the file
    holds (an uncompressed member shorter than its declared array) or more than this
    machine could train on (:data:`TRAINING_MEMORY_FACTOR` x the declared bytes against the
    available memory). DataError with a one-line message; unreadable headers are left for
    the loader to report."""
    try:
        arrays = npz_arrays(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        return
    total = 0
    for name, (shape, dtype, member_bytes, stored) in arrays.items():
        n = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        total += n
        if stored and n > member_bytes:
            count = f"{shape[0]:,} {what.get(name, name)}" if what and shape else f"{shape}"
            raise DataError(
                f"{label} declares {count} in '{name}' ({_gb(n)}) but holds only {member_bytes:,} bytes of it: "
                "truncated or corrupt"
            )
    free = available_memory()
    need = total * TRAINING_MEMORY_FACTOR
    if free is not None and need > free:
        sizes = ", ".join(
            f"{shape[0]:,} {what.get(name, name)}" if what and name in what and shape else f"'{name}' {shape}"
            for name, (shape, _, _, _) in arrays.items()
            if not what or name in what
        )
        raise DataError(
            f"{label} declares {sizes} ({_gb(total)}; about {_gb(need)} to train on), "
            f"more than the {_gb(free)} of memory available: refused before loading"
        )


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _checked(arrays: dict[str, np.ndarray], path: Path | str, source: Path | None) -> Mnist:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
            raise DataError(
                f"MNIST file {path} has the wrong shapes: x_{split} {x.shape}, y_{split} {y.shape}"
                f" (expected (N, 28, 28) and (N,))"
            )
        if not (np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer)):
            raise DataError(f"MNIST file {path} holds {x.dtype}/{y.dtype} arrays, expected integers")
        if x.min() < 0 or x.max() > 255:
            raise DataError(f"MNIST file {path} has pixel values outside 0..255")
        if y.min() < 0 or y.max() >= N_CLASSES:
            raise DataError(f"MNIST file {path} has labels outside 0..9")
    u8 = {k: np.asarray(v, dtype=np.uint8) for k, v in arrays.items()}
    return Mnist(u8["x_train"], u8["y_train"], u8["x_test"], u8["y_test"], source)


def not_found_message(download_error: str | None = None) -> str:
    """The one-line message listing every place MNIST can come from."""
    reason = f" (download failed: {download_error})" if download_error else ""
    return (
        "MNIST not found: pass its mnist.npz explicitly (--data PATH), "
        f"set {MNIST_ENV}=PATH/mnist.npz, "
        f"put it in the Keras cache {keras_cache_path()}, "
        f"or connect to the internet so keras.datasets.mnist.load_data() can download it{reason}"
    )


def load_mnist(path: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from the first place that has it (see the module docstring).

    An explicit path, the file named by ``DIGITPAD_MNIST`` and the cached file must be
    valid when they exist: a corrupt file raises :class:`DataError` naming it rather
    than being silently skipped. When nothing works, one :class:`DataError` names the
    four options.
    """
    if path is not None and str(path) != "":
        return read_mnist_npz(path)

    env = os.environ.get(MNIST_ENV, "").strip()
    if env:
        env_path = Path(env).expanduser()
        if env_path.is_file():
            return read_mnist_npz(env_path)
        log.warning("%s=%s does not exist; looking elsewhere", MNIST_ENV, env)

    cache = keras_cache_path()
    if cache.is_file():
        return read_mnist_npz(cache)

    (xtr, ytr), (xte, yte) = _download()
    arrays = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}
    return _checked(arrays, "downloaded by Keras", cache if cache.is_file() else None)


def _download():
    from digitpad.tfload import import_keras

    try:
        keras = import_keras()
    except ImportError:
        raise DataError(not_found_message("Keras is not installed")) from None
    try:
        return keras.datasets.mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - network, HTTP and hash errors of all kinds
        raise DataError(not_found_message(one_line(exc, 160))) from None
