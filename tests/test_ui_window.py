"""The main window end to end (offscreen, isolated settings, the bundled model)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from conftest import DATA, pen_file
from digitpad.pendigits import load_pendigits
from digitpad.preprocessing import load_image, preprocess
from digitpad.ui.draw_tab import EMPTY_TEXT
from digitpad.ui.main_window import MainWindow
from digitpad.ui.replay import load_sample_digit, replay


def mouse_stroke(canvas, points):
    pts = [QPoint(int(x), int(y)) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])


def one_points(canvas):
    """A vertical bar in canvas coordinates (widget coordinates = canvas + origin)."""
    s = canvas.side()
    ox, oy = (canvas.width() - s) / 2, (canvas.height() - s) / 2
    return [(ox + s * 0.5, oy + s * y) for y in np.linspace(0.25, 0.75, 12)]


def assert_panel_shows(window, prediction):
    tab = window.draw_tab
    if prediction.digit is None:
        assert tab.digit_label.text() == ""
        assert tab.confidence_label.text() == EMPTY_TEXT
        assert not tab.chart.bar_heights().any()
        assert tab.chart.highlighted() is None
    else:
        assert tab.digit_label.text() == str(prediction.digit)
        np.testing.assert_allclose(tab.chart.bar_heights(), prediction.probabilities, atol=1e-6)
        assert tab.chart.highlighted() == prediction.digit


def test_blank_canvas_shows_no_digit(window):
    assert window.canvas.is_blank()
    assert window.draw_tab.prediction.digit is None
    assert_panel_shows(window, window.draw_tab.prediction)
    assert not window.draw_tab.preview.pixels().any()


def test_a_tap_is_a_speck_not_a_digit(window):
    c = window.canvas
    QTest.mouseClick(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(c.width() // 2, c.height() // 2))
    assert len(c.strokes()) == 1 and c.ink_array().any()
    assert window.draw_tab.prediction.digit is None
    assert window.draw_tab.confidence_label.text() == EMPTY_TEXT


def test_mouse_drawing_changes_image_prediction_chart_and_preview(qtbot, window, ui_predictor):
    tab = window.draw_tab
    before = window.canvas.ink_array().sum()
    with qtbot.waitSignal(tab.predicted, check_params_cb=lambda p, final: final) as blocker:
        mouse_stroke(window.canvas, one_points(window.canvas))
    assert window.canvas.ink_array().sum() > before
    prediction = blocker.args[0]
    assert prediction.digit == 1, prediction
    assert_panel_shows(window, prediction)
    # The preview shows exactly the vector the model saw.
    expected = np.clip(tab.vector.reshape(28, 28) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(tab.preview.pixels(), expected)
    np.testing.assert_allclose(ui_predictor.predict(tab.vector).probabilities, prediction.probabilities)


def test_live_prediction_while_drawing_is_throttled(qtbot, window):
    tab = window.draw_tab
    seen = []
    tab.predicted.connect(lambda p, final: seen.append(final))
    c = window.canvas
    pts = one_points(c)
    QTest.mousePress(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*map(int, pts[0])))
    for p in pts[1:]:
        QTest.mouseMove(c, QPoint(*map(int, p)))
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=2000)
    assert seen == [False]  # many moves, one coalesced live update, nothing final yet
    assert tab.prediction.digit is not None
    QTest.mouseRelease(c, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*map(int, pts[-1])))
    assert seen[-1] is True


def test_replaying_the_sample_digit_predicts_it(window):
    label, strokes = load_sample_digit()
    replay(window.canvas, strokes)
    assert window.draw_tab.prediction.digit == label
    assert window.draw_tab.prediction.confidence > 0.5


def test_replaying_real_pen_digits_mostly_predicts_them(window):
    data = load_pendigits(pen_file(), writers=[1, 2])  # tuning writers only, never 31-44
    hits = 0
    for strokes, label in zip(data.strokes[:30], data.labels[:30]):
        window.canvas.clear()
        replay(window.canvas, strokes)
        hits += window.draw_tab.prediction.digit == label
    assert hits >= 24, hits


def test_undo_redo_clear_update_the_prediction(window):
    tab = window.draw_tab
    label, strokes = load_sample_digit()
    replay(window.canvas, strokes)
    assert tab.prediction.digit == label
    window.undo_action.trigger()
    assert tab.prediction.digit is None and window.canvas.is_blank()
    window.redo_action.trigger()
    assert tab.prediction.digit == label
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.canvas.is_blank() and tab.prediction.digit is None
    assert_panel_shows(window, tab.prediction)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert tab.prediction.digit == label


def test_final_predictions_are_logged_at_debug(window, caplog):
    caplog.set_level(logging.DEBUG, logger="digitpad.ui.draw_tab")
    label, strokes = load_sample_digit()
    replay(window.canvas, strokes)
    window.canvas.clear()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("prediction:")]
    assert lines[-1] == "prediction: none"
    digit, confidence = lines[-2].split()[1:]
    assert int(digit) == label and 0 < float(confidence) <= 1


def test_open_a_valid_image_predicts_it_like_the_command_line(window, ui_predictor, tmp_path):
    d = np.load(DATA / "mnist_sample.npz")
    x, y = d["x"], d["y"]
    for i in (0, 25, 50):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(255 - x[i]).save(path)  # dark ink on white paper
        assert window.open_image(path)
        expected = ui_predictor.predict(preprocess(load_image(path)))
        assert window.draw_tab.prediction.digit == expected.digit == int(y[i])
        np.testing.assert_allclose(window.draw_tab.prediction.probabilities, expected.probabilities)
        assert window.canvas.picture() is not None and window.canvas.ink_array().any()


def test_open_an_unreadable_image_keeps_the_canvas(window, tmp_path):
    label, strokes = load_sample_digit()
    replay(window.canvas, strokes)
    before = window.canvas.ink_array().copy()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    assert not window.open_image(bad)
    assert "Cannot open image" in window.statusBar().currentMessage()
    assert "broken.png" in window.statusBar().currentMessage()
    np.testing.assert_array_equal(window.canvas.ink_array(), before)
    assert window.draw_tab.prediction.digit == label


def test_save_drawing_writes_a_png_atomically(window, tmp_path):
    replay(window.canvas, load_sample_digit()[1])
    target = tmp_path / "out" / "drawing"
    assert window.save_drawing(target)
    saved = tmp_path / "out" / "drawing.png"
    img = QImage(str(saved))
    assert img.width() == window.canvas.image().width()
    assert sorted(p.name for p in saved.parent.iterdir()) == ["drawing.png"]
    assert "Saved" in window.statusBar().currentMessage()


def test_save_into_an_unwritable_place_reports_it(window, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert not window.save_drawing(blocker / "sub" / "d.png")
    assert "Cannot save" in window.statusBar().currentMessage()


def test_settings_persist_between_two_windows(qtbot, qt_settings, ui_predictor):
    first = MainWindow(ui_predictor, settings=qt_settings)
    qtbot.addWidget(first)
    first.show()
    width = max(740, first.minimumSizeHint().width() + 10)  # the Train settings may need more
    first.resize(width, 500)  # not the default size; the minimum height may raise it
    expected = (first.size().width(), first.size().height())
    assert expected[0] == width
    first.pen_width_box.setValue(27)
    first.close()
    second = MainWindow(ui_predictor, settings=qt_settings)
    qtbot.addWidget(second)
    second.show()
    assert second.pen_width_box.value() == 27
    assert second.canvas.pen_width() == 27
    assert (second.size().width(), second.size().height()) == expected


def test_status_bar_names_the_model_and_its_accuracy(window, ui_predictor):
    text = window.model_label.text()
    assert ui_predictor.name in text
    assert f"{ui_predictor.accuracy:.2%}" in text


def test_model_menu_loads_reverts_and_describes(window, ui_predictor, tmp_path):
    assert not window.load_model(tmp_path / "nothing.tflite")
    assert "Cannot load model" in window.statusBar().currentMessage()
    assert window.draw_tab.predictor is ui_predictor
    dialog = window.show_model_info()
    from PySide6.QtWidgets import QTableWidget

    table = dialog.findChild(QTableWidget, "model_info_table")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Name"] == ui_predictor.name
    assert rows["MNIST test accuracy"] == f"{100 * ui_predictor.accuracy:.2f} %"
    assert rows["File"] == str(ui_predictor.path)
    assert not any(v.strip() in ('"', "{", "}") for v in rows.values())  # words, not raw JSON
    dialog.close()
    assert [a.text() for a in window.model_menu.actions() if a.text()] == [
        "&Retrain…", "&Personalise…", "&Models…", "&Load model…", "&Revert to bundled model", "Model &info",
    ]


def test_menus_and_shortcuts(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&Model", "&Help"]
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    assert window.redo_action.shortcut().toString() == "Ctrl+Shift+Z"
    assert {s.toString() for s in window.clear_action.shortcuts()} == {"Esc", "Del"}
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.save_action.shortcut().toString() == "Ctrl+S"
    dialog = window.show_shortcuts()
    from PySide6.QtWidgets import QTableWidget

    table = dialog.findChild(QTableWidget, "shortcuts_table")
    keys = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert "Ctrl+Z" in keys and "Ctrl+O" in keys
    dialog.close()
    assert window.tabs.tabText(0) == "Draw"


def test_self_test_prints_one_json_line(tmp_path):
    env = {**__import__("os").environ, "XDG_CONFIG_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    code = "from digitpad.ui.app import run; raise SystemExit(run(self_test=True))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["digit"] == load_sample_digit()[0]
    assert 0.5 < result["confidence"] <= 1 and 0 < result["window_s"] <= result["startup_s"] < 60
    assert 0 < result["window_cpu_s"] < 60
    from digitpad.predictor import litert_available

    # the fast path wherever LiteRT is installed: no TensorFlow at start
    assert result["backend"] == ("litert" if litert_available() else "keras")
    assert result["tensorflow"] is (result["backend"] == "keras")
    assert result["piece_verifier"] is True  # numbers in images are read with it
    assert result["ink_separator"] is True  # ... and with the separator
    assert result["digit_centres"] is True  # ... and with the digit centres
    assert not list(tmp_path.rglob("*.conf")), "the self-test must not write settings"


def test_the_window_is_on_screen_before_matplotlib_is_imported(tmp_path):
    """matplotlib (a third of a second to import) waits until the first frame is shown;
    the chart is built on the next turn of the event loop and shows what was predicted."""
    code = """
import sys, numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication(["t"])
from digitpad.predictor import Predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.settings import use_throwaway_settings
use_throwaway_settings(sys.argv[1])
w = MainWindow(Predictor.bundled(), persist=False)
frames = []
w.firstFrame.connect(lambda: frames.append("matplotlib" in sys.modules))
w.draw_tab.chart.set_probabilities(np.eye(10)[4])
w.show()
while not w.draw_tab.chart.is_built():
    app.processEvents()
print(frames, "matplotlib" in sys.modules, w.draw_tab.chart.highlighted())
"""
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[False]", "True", "4"]
