"""The ``digitpad`` command (placeholder until the CLI lands)."""

def main(argv=None) -> int:
    raise SystemExit("digitpad: the command line is not written yet")
