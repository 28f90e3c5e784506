"""Entry script of the PyInstaller bundle (see digitpad.spec): the ``digitpad`` command."""

import sys

from digitpad.cli import main

if __name__ == "__main__":
    sys.exit(main())
