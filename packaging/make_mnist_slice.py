"""Write ``resources/mnist_slice.npz``: the first 1,000 training and 250 test digits of
MNIST, in the Keras ``mnist.npz`` layout, for ``digitpad --self-test --train``.

    python packaging/make_mnist_slice.py ../shared/data/mnist.npz

MNIST (LeCun, Cortes, Burges) is distributed under CC BY-SA 3.0.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

from digitpad.data import read_mnist_npz
from digitpad.fileio import atomic_write_bytes

N_TRAIN = 1000
N_TEST = 250
OUT = Path(__file__).resolve().parent.parent / "resources" / "mnist_slice.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mnist", help="the full Keras-layout mnist.npz")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = read_mnist_npz(args.mnist)
    buf = io.BytesIO()
    np.savez_compressed(buf, x_train=x_train[:N_TRAIN], y_train=y_train[:N_TRAIN],
                        x_test=x_test[:N_TEST], y_test=y_test[:N_TEST])
    atomic_write_bytes(OUT, buf.getvalue())


if __name__ == "__main__":
    main()
