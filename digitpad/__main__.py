"""``python -m digitpad`` runs the same command as the ``digitpad`` script."""

import sys

from digitpad.cli import main

if __name__ == "__main__":
    sys.exit(main())
