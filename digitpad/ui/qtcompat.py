"""Detect a Qt binding that corrupts reference counts.

PySide6 6.12.0 on Python 3.11 returns ``None`` from void methods (``QPainter.setPen``,
``QWidget.update(rect)``, ...) and ``True`` from ``Signal.emit`` without taking a reference,
so every such call drops one; after some thousands of calls (a minute of drawing) CPython
aborts with "Fatal Python error: none_dealloc" or "bool_dealloc". 6.11.2 is fine, and so
is Python >= 3.12 (where None and True are immortal). The check costs microseconds.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject, QRectF, Signal


class _Probe(QObject):
    ping = Signal()


def binding_problem() -> str | None:
    """A one-line description of the reference-count bug if this binding has it."""
    probe = _Probe()
    rect = QRectF()
    calls = 16
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(calls):
        rect.setWidth(1.0)
        probe.ping.emit()
    lost = max(none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
    if lost < calls:
        return None
    return (
        f"PySide6 {PySide6.__version__} drops references to None/True on Python "
        f"{sys.version_info.major}.{sys.version_info.minor} and will crash after a while; "
        "install pyside6-essentials 6.11 or use Python 3.12 or newer"
    )
