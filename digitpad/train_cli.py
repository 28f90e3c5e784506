"""The training options shared by ``train_model.py`` and ``digitpad train``.

``add_train_arguments(parser)`` declares the options; ``run_train_from_args(args)``
trains, prints per-epoch progress and the final MNIST test accuracy, saves the model
and returns an exit code (0 done, 1 training failed, 2 bad options or data, 130
interrupted). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any, TextIO

from digitpad.data import DataError
from digitpad.errors import one_line
from digitpad.presets import DEFAULT_PRESET, PRESETS

log = logging.getLogger(__name__)


def add_train_arguments(parser: argparse.ArgumentParser, default_output: str | None = None) -> None:
    """Declare the training options. Without ``default_output``, ``--output`` is required."""
    presets = ", ".join(f"{p.name} ({p.label})" for p in PRESETS.values())
    parser.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET,
                        help=f"architecture and default settings: {presets}; default {DEFAULT_PRESET}")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a reproducible run")
    parser.add_argument("--data", metavar="PATH", default=None,
                        help="MNIST mnist.npz (default: $DIGITPAD_MNIST, the Keras cache, then download)")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's epochs (1-1000)")
    parser.add_argument("--batch-size", type=int, default=None, help="override the preset's batch size")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default=None, help="override the preset's optimizer")
    parser.add_argument("--learning-rate", type=float, default=None, metavar="X",
                        help="override the preset's learning rate (0 < X <= 10)")
    parser.add_argument("--validation-split", type=float, default=None, metavar="F",
                        help="fraction of the training set held out for validation (0-0.5)")
    augment = parser.add_mutually_exclusive_group()
    augment.add_argument("--augment", dest="augment", action="store_true", default=None,
                         help="drawing-like augmentation (presets that support it)")
    augment.add_argument("--no-augment", dest="augment", action="store_false", help="no augmentation")
    parser.add_argument("--raw-pixels", action="store_true",
                        help="feed 0..255 pixels instead of [0, 1], as the article's code did (diverges with SGD)")
    parser.add_argument("--extra-data", metavar="NPZ", default=None,
                        help="extra training examples appended to MNIST: an .npz with x (N, 784) and y (N,)")
    parser.add_argument("--pen-copies", type=int, default=None, metavar="N",
                        help="real pen digits in training: each plus N augmented renderings; 0 = none")
    parser.add_argument("--pen-data", metavar="PATH", action="append", default=None,
                        help="a stroke file or a folder of them (pendigits_strokes.npz, unipen_train_strokes.npz, "
                        "unipen_nondigits_train_strokes.npz); repeatable; default: $DIGITPAD_PEN_DATA. "
                        "Pendigits writers 31-44 are never trained on")
    parser.add_argument("--nondigit-min", type=int, default=None, metavar="N",
                        help="balance the letters and symbols: each character with fewer than N training "
                        "images gets augmented renderings up to about N (at most 4x its count); 0 = off (default)")
    parser.add_argument("--hold-out", action="store_true",
                        help="leave the held-out fifth of UNIPEN writers out of training (to measure them)")
    parser.add_argument("--hold-out-pendigits", action="store_true",
                        help="also leave pendigits writers 21-30 out (a model to tune personalisation on)")
    parser.add_argument("--tune-writers", metavar="A-B", default=None,
                        help="with --hold-out-pendigits: which pendigits training writers to leave out (default 21-30)")
    parser.add_argument("--save-anyway", action="store_true",
                        help="save the model even if training diverged or it reads MNIST no better than chance")
    if default_output is None:
        parser.add_argument("--output", metavar="BASE", required=True,
                            help="where to write BASE.keras, BASE.tflite and BASE.json")
    else:
        parser.add_argument("--output", metavar="BASE", default=default_output,
                            help=f"where to write BASE.keras, BASE.tflite and BASE.json (default {default_output})")


def config_from_args(args: argparse.Namespace):
    """A validated TrainConfig (ValueError with a one-line message for bad values)."""
    from digitpad.training import TrainConfig

    if args.tune_writers is not None and not args.hold_out_pendigits:
        raise ValueError("--tune-writers says which writers --hold-out-pendigits leaves out: give both")
    return TrainConfig.for_preset(
        args.preset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        validation_split=args.validation_split,
        augment=args.augment,
        seed=args.seed,
        data_path=args.data,
        scale_pixels=not args.raw_pixels,
        extra_data=args.extra_data,
        pen_copies=args.pen_copies,
        pen_data=args.pen_data,
        nondigit_min=args.nondigit_min,
        hold_out=args.hold_out or None,
        hold_out_pendigits=args.hold_out_pendigits or None,
        tune_writers=args.tune_writers,
    )


class ConsolePrinter:
    """Training callbacks that print one line per epoch."""

    def __init__(self, out: TextIO = sys.stdout):
        self.out = out
        self.total = 0
        self._epoch_started = 0.0

    def on_train_begin(self, total_epochs: int, batches_per_epoch: int) -> None:
        self.total = total_epochs
        self._epoch_started = time.perf_counter()
        self._print(f"training {total_epochs} epochs of {batches_per_epoch} batches")

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        from digitpad.training import epoch_line

        now = time.perf_counter()
        self._print(f"{epoch_line(epoch, self.total, logs)}  {now - self._epoch_started:.1f} s")
        self._epoch_started = now

    def _print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


EXIT_REFUSED = 3  # trained, but diverged or useless: not saved (--save-anyway overrides)


def check_output(output: str) -> str | None:
    """Why ``--output BASE`` cannot be written (checked before training, not after), or
    ``None``. A folder is not a base ("DIR/" used to write "DIR.keras")."""
    import os
    import tempfile
    from pathlib import Path

    text = str(output)
    if not text.strip():
        return "--output is empty"
    seps = tuple(s for s in (os.sep, os.altsep) if s)
    base = Path(text)
    if text.endswith(seps) or base.is_dir():
        return f"--output {text} is a folder; give a model base inside it, e.g. {base / 'mymodel'}"
    folder = base.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot write to {folder} (for --output {text}): {exc.strerror or exc}"
    from digitpad.modelfiles import model_files

    for existing in model_files(base).values():
        if existing.is_dir():
            return f"cannot write {existing}: it is a folder"
    return None


def run_train_from_args(args: argparse.Namespace, prog: str = "digitpad train") -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        return _fail(prog, exc, 2)
    problem = check_output(args.output)
    if problem:
        return _fail(prog, problem, 2)
    from digitpad.training import RefusedModelError, percent, save_result, train

    printer = ConsolePrinter()
    try:
        result = train(config, callbacks=printer)
    except DataError as exc:
        return _fail(prog, exc, 2)
    except ValueError as exc:
        return _fail(prog, exc, 2)
    except KeyboardInterrupt:
        return _fail(prog, "interrupted; nothing was saved", 130)
    except Exception as exc:  # report TensorFlow failures in one line
        log.debug("training failed", exc_info=True)
        return _fail(prog, f"training failed: {type(exc).__name__}: {exc}", 1)

    rejected = f", {percent(result.rejected)} answered 'not a digit'" if result.meta.get("outputs", 10) > 10 else ""
    printer._print(
        f"MNIST test accuracy: {percent(result.test_accuracy or 0.0)}{rejected}  "
        f"({result.meta['parameters']:,} parameters, {result.seconds:.1f} s training, seed {result.meta['seed']})"
    )
    try:
        files = save_result(result, args.output, force=getattr(args, "save_anyway", False))
    except RefusedModelError as exc:
        return _fail(prog, f"{exc} (--save-anyway keeps it)", EXIT_REFUSED)
    except Exception as exc:  # noqa: BLE001 - OSError, export errors
        return _fail(prog, f"cannot save the model to {args.output}: {exc}", 1)
    printer._print("saved " + ", ".join(str(p) for p in files.values()))
    return 0


def _fail(prog: str, message: Any, code: int) -> int:
    sys.stderr.write(f"{prog}: error: {one_line(message)}\n")
    return code
