#!/usr/bin/env python3
"""Train a digit model and write it as BASE.keras + BASE.tflite + BASE.json.

    python train_model.py                      # the default preset -> resources/model.*
    python train_model.py --preset tutorial    # the source article's MLP
    python train_model.py --help

A thin wrapper around the same training code as ``digitpad train`` and the Train tab.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from digitpad.tfload import quiet_environment
from digitpad.train_cli import add_train_arguments, run_train_from_args

quiet_environment()

PROG = "train_model.py"
DEFAULT_OUTPUT = str(Path(__file__).resolve().parent / "resources" / "model")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description="Train a digit model on MNIST and save it.")
    add_train_arguments(parser, default_output=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    return run_train_from_args(args, prog=PROG)


if __name__ == "__main__":
    sys.exit(main())
