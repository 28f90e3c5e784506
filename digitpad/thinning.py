"""Zhang-Suen thinning of binary images, a batch at a time.

Used to measure stroke width (ink / skeleton length: how ``strokes.PEN_FRACTION`` was
matched to MNIST) and by ``tools/pen_holdout.py`` to redraw MNIST with uniform strokes.
Pure numpy: the deletion rules of each sub-step are a 256-entry table indexed by the
8-neighbour code, so one pass over the batch is a handful of array operations.
"""

from __future__ import annotations

import numpy as np


def _tables() -> tuple[np.ndarray, np.ndarray]:
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1  # P2..P9, clockwise from north
    count = bits.sum(1)
    crossings = sum(((bits[:, i] == 0) & (bits[:, (i + 1) % 8] == 1)).astype(int) for i in range(8))
    p2, p4, p6, p8 = bits[:, 0], bits[:, 2], bits[:, 4], bits[:, 6]
    base = (count >= 2) & (count <= 6) & (crossings == 1)
    return base & (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0), base & (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)


_TABLES = _tables()


def thin(binary: np.ndarray) -> np.ndarray:
    """Skeletons (bool, same shape) of a batch ``(N, H, W)`` of binary images."""
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
