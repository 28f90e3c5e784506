"""Thinning of binary images to 8-connected skeletons, a batch at a time.

Used to measure stroke width (ink / skeleton length: how ``strokes.PEN_FRACTION`` was
matched to MNIST), by ``tools/pen_holdout.py`` to redraw MNIST with uniform strokes and by
``digitpad.inkstrokes`` to follow the strokes of an image's ink.

The algorithm is Guo and Hall's two-subiteration parallel thinning (A1; "Parallel
thinning with two-subiteration algorithms", CACM 32(3), 1989, in the form of Lam, Lee and
Suen, PAMI 14(9), 1992): a pixel goes if it is simple (Hilditch's crossing number is 1),
is neither an end nor interior (2 <= min(n1, n2) <= 3), and faces the subiteration's side.
Unlike Zhang and Suen's scheme (used here before), it keeps 8-connectivity: Zhang-Suen
deletes every pixel of a two-pixel-thick diagonal stroke in one subiteration (a line of
slope -1 upscaled 2x by pixel doubling vanished whole) and every 2x2 block. Its
skeletons have no staircase corners, so they are about 6 % shorter on MNIST digits (the
stroke-width estimate ink / skeleton length rises from 2.49 to 2.63 px on
tests/data/mnist_sample.npz).

Pure numpy: the deletion rules of each subiteration are a 256-entry table indexed by the
8-neighbour code, so one pass over the batch is a handful of array operations.
"""

from __future__ import annotations

import numpy as np


def _tables() -> tuple[np.ndarray, np.ndarray]:
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1  # the code: N, NE, E, SE, S, SW, W, NW
    # Lam-Lee-Suen's x1..x8: E, NE, N, NW, W, SW, S, SE (counter-clockwise from east).
    x = bits[:, [(2 - j) % 8 for j in range(8)]].astype(bool)
    crossing = sum((~x[:, i] & (x[:, i + 1] | x[:, (i + 2) % 8])).astype(int) for i in (0, 2, 4, 6))
    n1 = sum((x[:, k - 1] | x[:, k]).astype(int) for k in (1, 3, 5, 7))
    n2 = sum((x[:, k] | x[:, (k + 1) % 8]).astype(int) for k in (1, 3, 5, 7))
    n = np.minimum(n1, n2)
    base = (crossing == 1) & (n >= 2) & (n <= 3)
    first = ~((x[:, 1] | x[:, 2] | ~x[:, 7]) & x[:, 0])  # (x2 | x3 | !x8) & x1 == 0
    second = ~((x[:, 5] | x[:, 6] | ~x[:, 3]) & x[:, 4])  # (x6 | x7 | !x4) & x5 == 0
    return base & first, base & second


_TABLES = _tables()


def thin(binary: np.ndarray) -> np.ndarray:
    """Skeletons (bool, same shape) of a batch ``(N, H, W)`` of binary images: one pixel
    wide, inside the ink, with as many 8-connected pieces and holes as the ink."""
    binary = np.asarray(binary)
    if binary.ndim != 3:
        raise ValueError(f"thin() wants a batch (N, H, W), got shape {binary.shape}")
    img = np.pad(binary.astype(bool).astype(np.uint8), ((0, 0), (1, 1), (1, 1)))
    changed = True
    while changed:
        changed = False
        for table in _TABLES:
            p = img
            n = [p[:, :-2, 1:-1], p[:, :-2, 2:], p[:, 1:-1, 2:], p[:, 2:, 2:],
                 p[:, 2:, 1:-1], p[:, 2:, :-2], p[:, 1:-1, :-2], p[:, :-2, :-2]]  # fmt: skip
            code = n[0].copy()
            for i in range(1, 8):
                code |= n[i] << i
            remove = (p[:, 1:-1, 1:-1] == 1) & table[code]
            if remove.any():
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
    return img[:, 1:-1, 1:-1].astype(bool)
