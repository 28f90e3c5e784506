"""Render the real main window's Train tab offscreen, during and after a training run.

    QT_QPA_PLATFORM=offscreen python tools/screenshot_train.py [--data mnist.npz] [--out docs]

Trains the Tutorial MLP (8 epochs, seed 1) on MNIST through the tab exactly as a user
would (Start button, worker thread), grabs ``train-tab.png`` once a few epochs are plotted,
and ``train-tab-done.png`` with the results. Settings and the user data folder are kept in
a temporary folder, so the run history and models of the user are not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from digitpad.tfload import quiet_environment

quiet_environment()

from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.fileio import atomic_path  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.ui.main_window import MainWindow  # noqa: E402
from digitpad.ui.settings import use_throwaway_settings  # noqa: E402

SIZE = (980, 700)
EPOCHS = 8
GRAB_AFTER_EPOCHS = 4
ROOT = Path(__file__).resolve().parents[1]


def save_png(window, path: Path) -> None:
    with atomic_path(path) as tmp:
        if not window.grab().save(str(tmp), "PNG"):
            raise SystemExit(f"could not write {path}")
    sys.stderr.write(f"wrote {path}\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("DIGITPAD_MNIST") or str(ROOT.parent / "shared" / "data" / "mnist.npz"))
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args(argv[1:])
    out = Path(args.out)
    app = QApplication.instance() or QApplication(["digitpad"])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HOME"] = tmp  # test-mode user data folder under tmp
        use_throwaway_settings(tmp)
        window = MainWindow(Predictor.bundled(), persist=False)
        window.resize(*SIZE)
        window.show()
        window.show_train_tab()
        tab = window.train_tab
        tab.form.apply_preset("tutorial")
        tab.form.epochs_box.setValue(EPOCHS)
        tab.form.data_edit.setText(args.data)
        app.processEvents()

        loop = QEventLoop()
        grabbed: list[bool] = []

        def on_epoch(_epoch: int) -> None:
            if tab.results.chart.points()["accuracy"] >= GRAB_AFTER_EPOCHS and not grabbed:
                grabbed.append(True)
                loop.processEvents()  # let the next progress update land
                tab.results.chart.draw()
                save_png(window, out / "train-tab.png")

        tab.trainingChanged.connect(lambda running: None if running else loop.quit())
        tab.epochShown.connect(on_epoch)
        tab.start_button.click()
        loop.exec()
        if tab.result is None:
            raise SystemExit(f"training did not finish: {tab.results.status_label.text()}")
        app.processEvents()
        tab.results.chart.draw()
        save_png(window, out / "train-tab-done.png")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
