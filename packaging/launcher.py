"""Entry script of the PyInstaller bundle (see digitpad.spec): the ``digitpad`` command."""

import os
import sys
from pathlib import Path


def _persistent_matplotlib_cache() -> None:
    """PyInstaller's matplotlib run-time hook points MPLCONFIGDIR at a new temporary
    folder on every start, so matplotlib would rebuild its font cache each time (seconds
    on a desktop with many fonts). Keep it in a per-user cache folder instead."""
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") or str(Path.home() / ".cache")
    folder = Path(base) / "digitpad" / "matplotlib"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # keep the temporary folder: slower, but it works
    os.environ["MPLCONFIGDIR"] = str(folder)


if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        _persistent_matplotlib_cache()
    from digitpad.cli import main

    sys.exit(main())
