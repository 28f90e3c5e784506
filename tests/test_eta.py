"""Time left and expected duration of training (Qt-free, with a fake clock)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from digitpad.eta import REFERENCE_EPOCH_S, BatchTimer, expected_seconds


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def run(timer, clock, batches, first_batches_s=(), batch_s=0.1, epoch_end_s=0.0, per_epoch=100, stop_at=None):
    """Simulate ``batches`` batches; returns the estimates after each."""
    estimates = []
    for done in range(1, batches + 1):
        clock.t += first_batches_s[done - 1] if done <= len(first_batches_s) else batch_s
        timer.batch(done)
        if done % per_epoch == 0:
            clock.t += epoch_end_s
            timer.epoch_end(done)
        estimates.append(timer.seconds_left())
        if stop_at and done == stop_at:
            break
    return estimates


def test_no_estimate_during_warm_up_then_the_true_rate():
    clock = Clock()
    timer = BatchTimer(total_batches=1000, batches_per_epoch=100, clock=clock)
    # The first batch compiles the step (20 s); the rest take 0.1 s each: 20 + 99.9 s in all.
    est = run(timer, clock, 1000, first_batches_s=[20.0], batch_s=0.1, stop_at=30)
    assert est[:4] == [None] * 4  # "estimating…"
    assert est[-1] == pytest.approx((1000 - 30) * 0.1, rel=0.01)
    # What a rate from the start would have said at batch 10: 10x too long.
    assert (20 + 9 * 0.1) / 10 * 990 > 20 * est[-1]


def test_epoch_ends_are_counted_once_seen():
    clock = Clock()
    timer = BatchTimer(total_batches=400, batches_per_epoch=100, clock=clock)
    est = run(timer, clock, 400, batch_s=0.1, epoch_end_s=5.0, stop_at=150)
    # 250 batches at 0.1 s and 3 epoch ends (epochs 2, 3, 4) at 5 s each.
    assert est[-1] == pytest.approx(250 * 0.1 + 3 * 5.0, rel=0.02)


def test_expected_duration_from_the_last_run_of_the_same_model_else_the_reference():
    runs = [
        SimpleNamespace(settings={"preset": "tutorial"}, epochs=20, seconds=40.0, cancelled=False),
        SimpleNamespace(settings={"preset": "cnn"}, epochs=2, seconds=10.0, cancelled=True),
        SimpleNamespace(settings={"preset": "cnn"}, epochs=4, seconds=200.0, cancelled=False),
    ]
    seconds, basis = expected_seconds("cnn", 12, runs)
    assert seconds == 600.0 and "your last run" in basis
    seconds, basis = expected_seconds("cnn", 12, [])
    assert seconds == 12 * REFERENCE_EPOCH_S["cnn"] and "2-core" in basis
    assert expected_seconds("nope", 3, []) is None
