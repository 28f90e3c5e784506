"""The probability chart and the 28x28 preview, on their own."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba

from conftest import shown
from digitpad.ui.charts import BAR_COLOR, WIN_COLOR, ProbabilityChart
from digitpad.ui.preview import PreviewWidget


def test_bars_follow_the_probabilities_and_the_winner_is_highlighted(qtbot):
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.show()
    bars_before = list(chart._bars)
    probs = np.random.default_rng(1).dirichlet(np.ones(10)).astype(np.float32)
    chart.set_probabilities(probs)
    np.testing.assert_allclose(chart.bar_heights(), probs, atol=1e-7)
    winner = int(np.argmax(probs))
    assert chart.highlighted() == winner
    colors = chart.bar_colors()
    assert colors[winner] == to_rgba(WIN_COLOR)
    assert all(c == to_rgba(BAR_COLOR) for i, c in enumerate(colors) if i != winner)
    chart.set_probabilities(None)
    assert not chart.bar_heights().any() and chart.highlighted() is None
    assert chart._bars == bars_before  # the same ten artists, never re-created
    assert chart.figure.axes[0].get_ylim()[0] == 0
    labels = [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]
    assert labels == [str(d) for d in range(10)]


def test_preview_shows_the_model_input(qtbot):
    preview = PreviewWidget()
    qtbot.addWidget(preview)
    vector = np.zeros(784, np.float32)
    vector[28 * 14 + 3] = 1.0
    preview.set_vector(vector)
    pixels = preview.pixels()
    assert pixels[14, 3] == 255 and pixels.sum() == 255
    preview.set_vector(None)
    assert not preview.pixels().any()


def test_probability_updates_are_blitted_until_a_resize(qtbot):
    chart = shown(qtbot, ProbabilityChart(), 320, 230)
    chart.set_probabilities(np.full(10, 0.1, np.float32))  # no background yet: a full draw
    qtbot.waitUntil(lambda: chart._background is not None, timeout=5000)
    before = chart.full_draws
    rng = np.random.default_rng(2)
    for _ in range(5):
        chart.set_probabilities(rng.dirichlet(np.ones(10)).astype(np.float32))
    assert chart.full_draws == before  # bars repainted over the cached axes
    chart.resize(400, 260)  # the cached background has the old size: dropped
    chart.set_probabilities(rng.dirichlet(np.ones(10)).astype(np.float32))
    assert chart.full_draws == before + 1


def test_the_winning_label_stays_clear_of_the_y_axis(qtbot):
    chart = shown(qtbot, ProbabilityChart(), 240, 140)  # the smallest panel: bars are narrower than the label
    for winner in (0, 9, 4):
        chart.set_probabilities(np.eye(10)[winner])
        chart.draw()
        renderer = chart.get_renderer()
        label = chart._label.get_window_extent(renderer)
        axes = chart.figure.axes[0].get_window_extent(renderer)
        ticks = [t.get_window_extent(renderer) for t in chart.figure.axes[0].get_yticklabels() if t.get_text()]
        assert chart._label.get_text() == "100%"
        assert axes.x0 <= label.x0 and label.x1 <= axes.x1, (winner, label, axes)
        assert not any(label.overlaps(t) for t in ticks)
