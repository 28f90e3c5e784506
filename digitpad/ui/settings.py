"""Persistent user settings (window geometry, pen width) through ``QSettings``.

The application sets the organisation and application names once (:func:`configure_app`),
so ``QSettings()`` everywhere finds the same store. Tests, benchmarks and the screenshot
tools redirect it to an INI file in a temporary folder (:func:`use_throwaway_settings`);
nothing here hard-codes a path.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths

ORGANIZATION = "digitpad"
APPLICATION = "digitpad"

KEY_GEOMETRY = "window/geometry"
KEY_PEN_WIDTH = "canvas/pen_width"


def configure_app() -> None:
    """Names used by ``QSettings`` and ``QStandardPaths`` (call before creating settings)."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)


def use_throwaway_settings(folder: str | os.PathLike) -> None:
    """Keep the user's real settings and models out of reach (tests, benchmarks, screenshot
    tools): the app's names set, settings kept as INI under ``folder``, and the standard
    paths (the user data folder) in Qt's test mode."""
    configure_app()
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.fspath(folder))


def open_settings() -> QSettings:
    return QSettings()


def read_int(settings: QSettings, key: str, default: int, lo: int, hi: int) -> int:
    """An int setting clamped to ``[lo, hi]``; a missing or garbled value gives ``default``."""
    try:
        value = int(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, lo), hi)


def read_bytes(settings: QSettings, key: str):
    """A ``QByteArray`` setting (geometry, splitter state) or ``None``."""
    value = settings.value(key)
    return value if value is not None and hasattr(value, "isEmpty") and not value.isEmpty() else None
