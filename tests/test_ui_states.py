"""The window's answers besides a digit: "not a digit" and "not sure" are distinct states,
never a bold digit, and the chart keeps the ten probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.ui.replay import load_sample_digit, replay

PROBS = np.array([0.02, 0.0, 0.1, 0.0, 0.08, 0, 0, 0, 0, 0], np.float32)


def draw(window):
    _, strokes = load_sample_digit()
    replay(window.canvas, strokes)  # through the canvas's own stroke code path
    return window.draw_tab


def test_not_a_digit_is_a_question_mark_with_the_bars_kept(window, ui_predictor, monkeypatch):
    monkeypatch.setattr(ui_predictor, "outputs", lambda x: np.append(PROBS, 0.9).astype(np.float32))
    tab = draw(window)
    assert tab.prediction.state == "not_digit" and tab.prediction.digit is None
    assert tab.digit_label.text() == "?" and tab.confidence_label.text() == "Not a digit"
    np.testing.assert_allclose(tab.chart.bar_heights(), PROBS / PROBS.sum(), atol=1e-6)
    assert tab.chart.highlighted() is None  # no bar wins


def test_close_digits_are_not_sure_and_a_clear_one_is_a_digit(window, ui_predictor, monkeypatch):
    import digitpad.predictor as predictor

    close = np.array([0, 0, 0, 0, 0.47, 0, 0, 0, 0, 0.49, 0.04], np.float32)
    monkeypatch.setattr(ui_predictor, "outputs", lambda x: close)
    monkeypatch.setattr(predictor, "THRESHOLDS", predictor.Thresholds(unsure_margin=0.1))
    tab = draw(window)
    assert tab.prediction.state == "unsure"
    assert tab.digit_label.text() == "9 or 4" and tab.confidence_label.text() == "Not sure"
    assert tab.chart.highlighted() is None and tab.chart.bar_heights()[9] > 0.45

    clear = np.array([0, 0, 0, 0, 0.1, 0, 0, 0, 0, 0.86, 0.04], np.float32)
    monkeypatch.setattr(ui_predictor, "outputs", lambda x: clear)
    window.canvas.clear()
    tab = draw(window)
    assert tab.prediction.state == "digit" and tab.digit_label.text() == "9"
    assert tab.confidence_label.text().startswith("Confidence") and tab.chart.highlighted() == 9


@pytest.mark.parametrize("state", ["not_digit", "unsure"])
def test_json_of_a_rejection_has_a_reason(state):
    from digitpad.predictor import Prediction, Thresholds

    out = np.append(PROBS, 0.9 if state == "not_digit" else 0.0).astype(np.float32)
    if state == "unsure":
        out[:10] = [0, 0, 0.5, 0, 0, 0, 0, 0.5, 0, 0]
    p = Prediction.from_probabilities(out, Thresholds(unsure_margin=0.05))
    j = p.to_json()
    assert j["digit"] is None and j["state"] == state and j["reason"]
