"""digitpad.tfload: TensorFlow's libraries preloaded with the GIL released, the background
import the Train tab starts. Each test runs in a fresh interpreter (TensorFlow can be
imported only once per process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-2000:]  # a crash at exit (RTLD_GLOBAL did that) fails here
    return out.stdout.strip().splitlines()


def test_preloaded_libraries_then_import_and_a_clean_exit():
    lines = run(
        "import sys; from digitpad import tfload;"
        "n = tfload.preload_libraries(); print(n); print('tensorflow' in sys.modules);"
        "keras = tfload.import_keras(); import numpy as np;"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]);"
        "print(m(np.ones((1, 3), 'float32')).shape); print(tfload.preload_libraries())"
    )
    if sys.platform.startswith("linux"):
        assert lines[0] == "3"  # libtensorflow_framework, libtensorflow_cc, the pywrap common library
    assert lines[1] == "False"  # preloading imports no Python module
    assert lines[2] == "(1, 2)"
    assert lines[3] == "0"  # once TensorFlow is imported, nothing more to do


def test_showing_the_train_tab_starts_the_background_import_once_and_it_finishes():
    # One interpreter for both (each import of TensorFlow costs seconds): the tab starts the
    # import when shown, a second start is refused, and the import completes.
    lines = run(
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from digitpad.ui.train_tab import TrainTab; from digitpad import tfload;"
        "tab = TrainTab(); print('keras' in sys.modules, tfload.is_loaded());"
        "tab.show(); app.processEvents(); print(tfload.start_background_import());"
        "print(tfload.wait(120)); print(tfload.is_loaded(), 'keras' in sys.modules, 'tensorflow' in sys.modules);"
        "print(tfload.start_background_import())"
    )
    assert lines == ["False False", "False", "True", "True True True", "False"]
