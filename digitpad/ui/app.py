"""Application entry: ``run()`` creates the QApplication, the main window, and the event loop.

Called by the CLI (which has configured logging). Nothing Qt is created at import time.

Self-test (``run(self_test=True)``): the real window is built and shown (offscreen works),
the bundled sample drawing is replayed through :meth:`DrawCanvas.replay_stroke` with the
model a normal start would use (the remembered one, checked, or ``--model``), and one JSON
line ``{"digit", "confidence", "window_s", "startup_s", "model", "model_path", "backend",
"tensorflow"[, "notice"]}`` is printed (``backend``: "litert", or "keras" where LiteRT is not
installed; ``tensorflow``: whether TensorFlow got imported, false on the fast path; ``notice``:
why the bundled model stands in for the one asked for). Both count from
the start of the process (as the kernel recorded it, see :func:`process_age`): ``window_s``
until the window's first frame is on screen (the probability chart, which needs
matplotlib, is built right after it), ``startup_s`` until the chart is built too and the
sample's final prediction is on screen.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from PySide6.QtCore import QEventLoop, QSettings, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from digitpad.modelfiles import ModelError
from digitpad.predictor import Predictor, load_predictor
from digitpad.ui.main_window import MainWindow
from digitpad.ui.qtcompat import binding_problem
from digitpad.ui.replay import load_sample_digit, replay
from digitpad.ui.settings import APPLICATION, configure_app, open_settings
from digitpad.ui.user_models import active_model, clean_data_dir

log = logging.getLogger(__name__)
_IMPORTED = time.perf_counter()
SELF_TEST_WAIT_S = 30.0


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
    if not self_test:
        clean_data_dir()  # temporaries a killed save left behind
    try:
        predictor, notice = startup_predictor(settings, model, self_test)
    except ModelError as exc:
        log.error("%s", exc)
        return 1
    window = MainWindow(predictor, notice=notice, settings=settings, persist=not self_test)
    app.aboutToQuit.connect(window.train_tab.shutdown)  # no training thread outlives the loop
    shown: dict[str, float] = {}
    window.firstFrame.connect(lambda: shown.setdefault("window_s", process_age()))
    window.firstFrame.connect(lambda: shown.setdefault("window_cpu_s", time.process_time()))
    window.firstFrame.connect(lambda: log.debug("window on screen %.3f s after the process started", shown["window_s"]))
    app.aboutToQuit.connect(window.digits_tab.shutdown)
    window.show()
    if not self_test:
        return app.exec()
    outcome: dict[str, int] = {}

    def self_test_then_close() -> None:
        outcome["code"] = _self_test(window, shown, notice)
        window.close()

    QTimer.singleShot(0, self_test_then_close)
    app.exec()
    return outcome.get("code", 1)


def startup_predictor(settings: QSettings, model: str | None = None, self_test: bool = False) -> tuple[Predictor, str | None]:
    """The model to start with: ``model`` if given, else the one chosen last time, else the
    bundled one — the self-test too, so that it checks the model the app would really use.
    Every model is checked on load (:class:`Predictor`); one that cannot be loaded or cannot
    predict falls back to the bundled model with a one-line notice for the status bar; a
    broken bundled model raises :class:`ModelError`."""
    if model is not None:
        predictor, reason = load_predictor(model)
        return predictor, (f"Could not load {model} ({reason}); using the bundled model" if reason else None)
    predictor, reason = load_predictor(active_model(settings))
    return predictor, (f"Your model could not be loaded ({reason}); using the bundled model" if reason else None)


def _image_nets_load() -> dict[str, bool]:
    from digitpad.numbers import DigitCentres, InkSeparator, PieceVerifier

    return {"piece_verifier": PieceVerifier.bundled() is not None,
            "ink_separator": InkSeparator.bundled() is not None,
            "digit_centres": DigitCentres.bundled() is not None}


def _self_test(window: MainWindow, shown: dict[str, float], notice: str | None = None) -> int:
    """Replay the sample drawing with the model the app really uses (the remembered one,
    or ``--model``, falling back as a normal start would) and name it in the report."""
    try:
        label, strokes = load_sample_digit()
        deadline = time.monotonic() + SELF_TEST_WAIT_S
        # The first frame on screen, then the chart built right after it.
        while ("window_s" not in shown or not window.draw_tab.chart.is_built()) and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if "window_s" not in shown:
            raise RuntimeError(f"the window was not painted within {SELF_TEST_WAIT_S} s")
        window.draw_tab.chart.build()
        replay(window.canvas, strokes)
        prediction = window.draw_tab.prediction
        window.canvas.repaint()
        window.draw_tab.chart.repaint()
        startup = process_age()
    except Exception:  # the self-test reports any failure as its exit code
        log.exception("self-test failed")
        return 1
    predictor = window.draw_tab.predictor
    report = {
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 6),
        "window_s": round(shown["window_s"], 3),
        "window_cpu_s": round(shown["window_cpu_s"], 3),  # CPU time: what a busy machine cannot inflate
        "startup_s": round(startup, 3),
        "model": predictor.name,
        "model_path": str(predictor.path),
        # The release workflow checks these on each platform's frozen app: the fast path
        # (LiteRT, no TensorFlow at start) is in the bundle.
        "backend": predictor.backend,
        "tensorflow": "tensorflow" in sys.modules,
        # ... and so are the piece verifier and the ink separator that read numbers from
        # images (without them `predict --number` falls back to weaker ways, silently).
        **_image_nets_load(),
    }
    if notice:
        report["notice"] = notice
    print(json.dumps(report), flush=True)
    if prediction.digit != label:
        log.error("self-test: the sample drawing of a %d was read as %s", label, prediction.digit)
        return 1
    return 0
