"""Honest time estimates for training (Qt-free): the time left during a run, and the
expected duration of a run before it starts.

During a run the first batches are slow (TensorFlow traces and compiles the step, caches
warm up): a rate taken from the start said "about 58 min left" at batch 10 of a run that
took 3 min 41 s. :class:`BatchTimer` ignores a warm-up (the first ``WARMUP_BATCHES``
batches and at least ``WARMUP_S`` seconds), then measures seconds per batch over the
batches since; each epoch's end (validation, callbacks) is measured as its own overhead
once one has been seen. Until then there is no estimate ("estimating…").

Before a run, :func:`expected_seconds` scales the per-epoch time of the user's latest past
run of the same model (their machine, their data), or else a figure measured on the
development machine (2 cores), and says which.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

WARMUP_BATCHES = 5
WARMUP_S = 1.0
MIN_MEASURED_BATCHES = 3

# Seconds per epoch on full MNIST (57,000 training digits at validation 0.05), measured on
# the development machine (2 cores, no GPU), with each preset's defaults:
# python tests/bench_train.py (Tutorial MLP); python train_model.py --seed 1 (CNN).
REFERENCE_EPOCH_S = {"tutorial": 1.0, "cnn": 65.0}
REFERENCE_MACHINE = "a 2-core machine"


class BatchTimer:
    """Feed it ``batch(done)`` (batches finished so far, over the whole run) and
    ``epoch_end(done)``; ask :meth:`seconds_left`."""

    def __init__(self, total_batches: int, batches_per_epoch: int, clock=time.monotonic):
        self.total = max(1, int(total_batches))
        self.per_epoch = max(1, int(batches_per_epoch))
        self._clock = clock
        self._started = clock()
        self._mark: tuple[int, float] | None = None  # (batches done, time) when warm-up ended
        self._last: tuple[int, float] = (0, self._started)
        self._overheads: list[float] = []
        self._pause = 0.0  # epoch-end time inside the measured span, not batch time

    def batch(self, done: int) -> None:
        now = self._clock()
        if self._mark is None and done >= WARMUP_BATCHES and now - self._started >= WARMUP_S:
            self._mark = (done, now)
        self._last = (done, now)

    def epoch_end(self, done: int) -> None:
        """An epoch has ended (after its validation): the time since its last batch is
        that epoch's end, not batch work."""
        now = self._clock()
        overhead = max(0.0, now - self._last[1])
        self._overheads.append(overhead)
        if self._mark is not None:
            self._pause += overhead
        self._last = (done, now)

    def seconds_per_batch(self) -> float | None:
        if self._mark is None:
            return None
        n = self._last[0] - self._mark[0]
        if n < MIN_MEASURED_BATCHES:
            return None
        return max(0.0, self._last[1] - self._mark[1] - self._pause) / n

    def seconds_left(self) -> float | None:
        """``None`` while warming up; then the remaining batches at the measured rate plus
        the remaining epoch ends at their measured cost."""
        rate = self.seconds_per_batch()
        if rate is None:
            return None
        done = self._last[0]
        left = (self.total - done) * rate
        if self._overheads:
            epochs_left = max(0, -(-(self.total - done) // self.per_epoch))
            left += epochs_left * (sum(self._overheads) / len(self._overheads))
        return left


def expected_seconds(preset: str, epochs: int, runs: Iterable[Any] = ()) -> tuple[float, str] | None:
    """Expected duration of ``epochs`` epochs of ``preset`` and the basis of the figure:
    the newest finished past run of that preset (``runs``: RunRecord-like objects with
    ``settings``, ``seconds``, ``epochs``, ``cancelled``), else the reference figure."""
    for run in runs:
        settings = getattr(run, "settings", {}) or {}
        n = getattr(run, "epochs", 0)
        if settings.get("preset") == preset and n and not getattr(run, "cancelled", False) and run.seconds > 0:
            per_epoch = run.seconds / n
            return per_epoch * epochs, f"your last run of this model: {format_duration(per_epoch)} an epoch"
    if preset in REFERENCE_EPOCH_S:
        per_epoch = REFERENCE_EPOCH_S[preset]
        return per_epoch * epochs, f"measured on {REFERENCE_MACHINE}; yours may differ"
    return None


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
