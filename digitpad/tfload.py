"""Loading TensorFlow/Keras in the background without freezing the GUI.

``import tensorflow`` takes about 3 s here. Most of it is ordinary Python, which a
background thread shares with the GUI thread in 5 ms slices, but loading TensorFlow's
shared libraries (600+ MB) happens inside one ``dlopen`` that CPython makes while holding
the GIL: the GUI thread then stood still for 250-300 ms. :func:`import_keras` therefore
loads those libraries first through ``ctypes`` (which releases the GIL around foreign
calls), so the import that follows finds them already mapped.

:func:`start_background_import` begins that work on a plain thread, so that the Train tab
can have TensorFlow ready by the time the user presses Start. It is non-daemonic: an
interpreter never exits half-way through loading TensorFlow.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from digitpad.errors import one_line

log = logging.getLogger(__name__)

# TensorFlow's big libraries, relative to the tensorflow package, in dependency order.
_LIBRARIES = (
    "libtensorflow_framework.so.2",
    "libtensorflow_cc.so.2",
    "python/lib_pywrap_tensorflow_common.so",
)

_lock = threading.Lock()
_thread: threading.Thread | None = None
_error: str | None = None


def quiet_environment() -> None:
    """TensorFlow's start-up notices off (unless the user set these variables)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def preload_libraries() -> int:
    """``dlopen`` TensorFlow's shared libraries with the GIL released; returns how many were
    loaded. Does nothing (0) when TensorFlow is already imported, not installed, or laid
    out differently (another platform, a frozen bundle): the import then loads them itself."""
    if "tensorflow" in sys.modules:
        return 0
    import ctypes  # here: not on the app's start-up path

    try:
        spec = importlib.util.find_spec("tensorflow")
        origin = spec.origin if spec is not None else None
        if not origin:
            return 0
        root = Path(origin).parent
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (ImportError, OSError, AttributeError, ValueError):
        return 0
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    loaded = 0
    for name in _LIBRARIES:
        path = root / name
        if not path.is_file():
            return loaded
        # RTLD_LOCAL, as the import's own dlopen does (RTLD_GLOBAL crashed at exit).
        if not dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):
            log.debug("preloading %s failed; the import will load it", path)
            return loaded
        loaded += 1
    return loaded


def import_keras() -> Any:
    """Import Keras (and TensorFlow), preloading TensorFlow's libraries first."""
    quiet_environment()
    first = "keras" not in sys.modules
    started = time.perf_counter()
    count = preload_libraries() if first else 0
    import keras

    if first:
        log.info("TensorFlow loaded in %.1f s (%d libraries preloaded)", time.perf_counter() - started, count)
    return keras


def _background() -> None:
    global _error
    try:
        import_keras()
    except Exception as exc:  # noqa: BLE001 - reported when training starts, not here
        _error = one_line(exc)
        log.warning("loading TensorFlow in the background failed: %s", _error)


def start_background_import() -> bool:
    """Begin importing Keras on a background thread (once). True if a thread was started."""
    global _thread
    with _lock:
        if _thread is not None or "keras" in sys.modules:
            return False
        _thread = threading.Thread(target=_background, name="tensorflow-import", daemon=False)
        _thread.start()
        return True


def is_loaded() -> bool:
    """True once Keras is fully imported (by any thread)."""
    thread = _thread
    if thread is not None and thread.is_alive():
        return False
    return "keras" in sys.modules and _error is None


def wait(timeout: float | None = None) -> bool:
    """Wait for a background import to end; True when none is running."""
    thread = _thread
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
