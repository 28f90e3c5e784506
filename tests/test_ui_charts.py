"""The probability chart and the 28x28 preview, on their own."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba

from digitpad.ui.charts import BAR_COLOR, WIN_COLOR, PreviewWidget, ProbabilityChart


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
