"""Application entry: ``run()`` creates the QApplication, the main window, and the event loop.

Called by the CLI (which has configured logging). Nothing Qt is created at import time.

Self-test (``run(self_test=True)``): the real window is built and shown (offscreen works),
the bundled sample drawing is replayed through :meth:`DrawCanvas.replay_stroke`, and one
JSON line ``{"digit", "confidence", "startup_s"}`` is printed. ``startup_s`` runs from the
start of the process (as the kernel recorded it, see :func:`process_age`) to the moment the
window is shown and the sample's final prediction is on screen.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from PySide6.QtCore import QtMsgType, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from digitpad.modelfiles import ModelError
from digitpad.predictor import load_predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.qtcompat import binding_problem
from digitpad.ui.replay import load_sample_digit, replay
from digitpad.ui.settings import APPLICATION, configure_app, open_settings
from digitpad.ui.user_models import load_active_predictor

log = logging.getLogger(__name__)
_IMPORTED = time.perf_counter()


def process_age() -> float:
    """Seconds since this process started.

    Linux: the kernel's start time (``/proc/self/stat`` field 22, in clock ticks since
    boot) against ``/proc/uptime`` (10 ms resolution), so interpreter start-up and every
    import count. Elsewhere: since ``digitpad.cli.PROCESS_START`` if the CLI recorded it,
    else since this module was imported (an underestimate).
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 overall; fields[0] is field 3
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        cli = sys.modules.get("digitpad.cli")
        start = getattr(cli, "PROCESS_START", None) if cli is not None else None
        return time.perf_counter() - (start if isinstance(start, float) else _IMPORTED)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
# Harmless notices of Qt's offscreen platform, logged at debug level only.
_QT_NOISE = ("This plugin does not support propagateSizeHints",)
_qt_log = logging.getLogger("digitpad.qt")


def _qt_message(kind: QtMsgType, _context, message: str) -> None:
    """Route Qt's own messages through logging (so --log-level governs them too)."""
    level = logging.DEBUG if message.startswith(_QT_NOISE) else _QT_LEVELS.get(kind, logging.WARNING)
    _qt_log.log(level, "%s", message)


def run(model: str | None = None, self_test: bool = False) -> int:
    """Open the main window (with ``model`` or the bundled model) and run until it closes.

    Returns the process exit code. A model that cannot be loaded falls back to the
    bundled one, said in the status bar; a broken bundled model is a one-line error.
    """
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication([APPLICATION])
    configure_app()
    problem = binding_problem()
    if problem:
        log.warning("%s", problem)
    settings = open_settings()
    try:
        if model is None and not self_test:  # the model chosen last time, else the bundled one
            predictor, notice = load_active_predictor(settings)
        else:
            predictor, reason = load_predictor(model)
            notice = f"Could not load {model} ({reason}); using the bundled model" if reason else None
    except ModelError as exc:
        log.error("%s", exc)
        return 1
    window = MainWindow(predictor, notice=notice, settings=settings, persist=not self_test)
    app.aboutToQuit.connect(window.train_tab.shutdown)  # no training thread outlives the loop
    window.show()
    if not self_test:
        return app.exec()
    outcome: dict[str, int] = {}
    QTimer.singleShot(0, lambda: outcome.setdefault("code", _self_test(window)))
    QTimer.singleShot(0, window.close)
    app.exec()
    return outcome.get("code", 1)


def _self_test(window: MainWindow) -> int:
    try:
        label, strokes = load_sample_digit()
        QApplication.processEvents()  # the first frame is on screen
        replay(window.canvas, strokes)
        prediction = window.draw_tab.prediction
        window.canvas.repaint()
        window.draw_tab.chart.repaint()
        startup = process_age()
    except Exception:  # noqa: BLE001 - the self-test reports any failure as its exit code
        log.exception("self-test failed")
        return 1
    print(json.dumps({"digit": prediction.digit, "confidence": round(prediction.confidence, 6), "startup_s": round(startup, 3)}), flush=True)
    if prediction.digit != label:
        log.error("self-test: the sample drawing of a %d was read as %s", label, prediction.digit)
        return 1
    return 0
