"""Benchmarks of the drawing window. They print figures; they do not assert speed.

    QT_QPA_PLATFORM=offscreen python tests/bench_ui.py [--runs 5] [--samples 40]

1. Start-up: the self-test's window_s (process start to the window's first frame on
   screen) and startup_s (to the chart built and the sample digit's prediction shown), wall
   time of whole `python -m digitpad --self-test` processes (interpreter start to exit),
   and whether TensorFlow was imported (`-X importtime`).
2. Memory: peak resident size of a self-test process (getrusage of the child).
3. Responsiveness: real pen trajectories (pendigits writers 1-30, as shipped) replayed as
   mouse events on the real window; for every mouse-move the time until the canvas, the
   live prediction, the 28x28 preview and the chart are all updated and painted (the
   throttle is flushed on every move: the worst case, each move a full update).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SELF_TEST = [sys.executable, "-m", "digitpad", "--self-test"]


def bench_startup(runs: int) -> None:
    walls, inner, window, window_cpu = [], [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(SELF_TEST, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"self-test failed: {proc.stderr.strip()}")
        result = json.loads(proc.stdout)
        inner.append(result["startup_s"])
        window.append(result["window_s"])
        window_cpu.append(result["window_cpu_s"])
    imports = subprocess.run([sys.executable, "-X", "importtime", *SELF_TEST[1:]], capture_output=True, text=True)
    tf = [line for line in imports.stderr.splitlines() if "tensorflow" in line or "keras" in line]
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"start-up: window on screen (window_s) {statistics.median(window):.3f} s median,"
          f" {min(window):.3f} s best of {runs}; chart and prediction shown (startup_s)"
          f" {statistics.median(inner):.3f} s median")
    print(f"  CPU time of the process until the window is on screen (window_cpu_s): {statistics.median(window_cpu):.3f} s"
          f" median, {min(window_cpu):.3f} s best (other processes cannot inflate it)")
    print(f"  whole self-test process {statistics.median(walls):.3f} s median, {min(walls):.3f} s best")
    print(f"TensorFlow/Keras imported at start-up: {'YES' if tf else 'no'}")
    print(f"memory: peak RSS of a self-test process {rss_kb / 1024:.0f} MB")


def bench_moves(n_samples: int) -> None:
    import numpy as np
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from digitpad.pendigits import load_pendigits
    from digitpad.predictor import Predictor
    from digitpad.ui.main_window import MainWindow
    from digitpad.ui.replay import fit_strokes

    app = QApplication.instance() or QApplication(["bench"])
    window = MainWindow(Predictor.bundled(), persist=False)
    window.resize(900, 640)
    window.show()
    app.processEvents()
    window.draw_tab.chart.build()  # built after the first frame: measure with it, not without
    canvas, tab = window.draw_tab.canvas, window.draw_tab
    origin = QPointF((canvas.width() - canvas.side()) / 2, (canvas.height() - canvas.side()) / 2)
    data = load_pendigits()  # the shipped tuning writers 1-30
    rng = np.random.default_rng(0)
    times, cpu = [], []

    def send(kind, point, buttons):
        pos = QPointF(*point) + origin
        event = QMouseEvent(kind, pos, canvas.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    for index in rng.choice(len(data), size=n_samples, replace=False):
        canvas.clear()
        for stroke in fit_strokes(data.strokes[index], canvas.side()):
            send(QEvent.Type.MouseButtonPress, stroke[0], Qt.MouseButton.LeftButton)
            for point in stroke[1:]:
                t, c = time.perf_counter(), time.thread_time()
                send(QEvent.Type.MouseMove, point, Qt.MouseButton.LeftButton)
                tab.flush()
                canvas.repaint()
                tab.preview.repaint()
                tab.chart.repaint()
                times.append(time.perf_counter() - t)
                cpu.append(time.thread_time() - c)
            send(QEvent.Type.MouseButtonRelease, stroke[-1], Qt.MouseButton.NoButton)
    ms = np.array(times) * 1000
    print(f"mouse-move -> canvas + prediction + preview + chart: p50 {np.percentile(ms, 50):.2f} ms,"
          f" p95 {np.percentile(ms, 95):.2f} ms, max {ms.max():.2f} ms over {len(ms)} moves"
          f" ({n_samples} pen digits)")
    ms = np.array(cpu) * 1000
    print(f"  the same, CPU time of the GUI thread (what other processes cannot inflate):"
          f" p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms")
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    bench_startup(args.runs)
    bench_moves(args.samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
