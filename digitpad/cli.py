"""The ``digitpad`` command: the window, and the subcommands that share its code.

    digitpad [--model PATH] [--self-test]          the drawing window
    digitpad predict [--model PATH] [--json] IMAGE...
    digitpad evaluate [--model PATH] [--data PATH] [--json]
    digitpad train [...]                           same options as train_model.py
    digitpad digits list|export FILE.npz|import FILE.npz|where
    digitpad personalise [--model BASE] [--output BASE]

Start-up matters (the window must be up in well under a second), so this module imports
only the standard library at the top; each subcommand imports what it needs.
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402

from digitpad import __version__  # noqa: E402
from digitpad.errors import UserError, one_line  # noqa: E402
from digitpad.tfload import quiet_environment  # noqa: E402

log = logging.getLogger("digitpad")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class CommandError(Exception):
    """A one-line error for the user; ``main`` prints it and exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS,
        help="how much to log to stderr (default: warning; debug logs every prediction)",
    )

    parser = argparse.ArgumentParser(
        prog="digitpad", parents=[common],
        description="A drawing pad that recognises handwritten digits. "
        "Without a subcommand, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    parser.add_argument("--model", metavar="PATH", help="model to use (NAME.tflite, NAME.keras or NAME); "
                        "if it cannot be loaded the window falls back to the bundled model")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, draw a built-in digit, print one JSON line and exit")
    parser.add_argument("--train", action="store_true",
                        help="with --self-test: instead, train a small model on a bundled slice of MNIST "
                        "through TensorFlow, export and reload it, print one JSON line (checks that "
                        "a packaged app can retrain)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # The commands' own --model default to nothing (SUPPRESS), so that "digitpad --model X
    # predict ..." uses X: a default of None there would silently put the bundled one back.

    p = sub.add_parser("predict", parents=[common], help="recognise digits in image or ink files",
                       description="Recognise the digit in each image file, through the same "
                       "preprocessing as the canvas; a .json or .inkml stroke file through the "
                       "canvas's strokes route. Exit code 2 if any file could not be read.")
    p.add_argument("images", nargs="+", metavar="FILE",
                   help="image files (PNG, JPEG, BMP, GIF, TIFF, WebP, PGM/PPM) or stroke files (.json, .inkml)")
    p.add_argument("--model", metavar="PATH", default=argparse.SUPPRESS, help="model to use instead of the bundled one")
    p.add_argument("--number", action="store_true",
                   help="read each file as a number of several digits (plain: PATH: 2026; --json: "
                   '{"path", "number", "digits": [{"box", "digit", "probabilities", ...}]})')
    p.add_argument("--json", action="store_true",
                   help='one JSON object per line: {"path", "digit", "confidence", "probabilities"}')

    e = sub.add_parser("evaluate", parents=[common], help="MNIST test accuracy of a model",
                       description="Accuracy, per-class accuracy and confusion matrix of a model "
                       "on the 10,000 MNIST test digits.")
    e.add_argument("--model", metavar="PATH", default=argparse.SUPPRESS, help="model to evaluate instead of the bundled one")
    e.add_argument("--data", metavar="PATH", help="mnist.npz (default: $DIGITPAD_MNIST, then Keras's cache)")
    e.add_argument("--json", action="store_true", help="print one JSON object")

    t = sub.add_parser("train", parents=[common], help="train a model (as train_model.py does)",
                       description="Train a model on MNIST and write NAME.keras, NAME.tflite and NAME.json.")
    from digitpad.train_cli import add_train_arguments

    add_train_arguments(t)

    d = sub.add_parser("digits", parents=[common], help="your own digits (corrections kept by the window)",
                       description="The digits you corrected or confirmed in the window, kept in a "
                       "database in your user data folder.")
    dsub = d.add_subparsers(dest="digits_command", metavar="ACTION", required=True)
    dl = dsub.add_parser("list", parents=[common], help="how many of each digit, and how many were read wrong")
    dl.add_argument("--json", action="store_true", help="print one JSON object")
    de = dsub.add_parser("export", parents=[common], help="write them to an npz (the shared stroke layout)")
    de.add_argument("file", metavar="FILE.npz")
    di = dsub.add_parser("import", parents=[common], help="merge an npz of digits (stroke layout) into them")
    di.add_argument("file", metavar="FILE.npz")
    dsub.add_parser("where", parents=[common], help="print the database's path")

    pz = sub.add_parser("personalise", parents=[common], help="fine-tune a model on your digits",
                        description="Fine-tune a model on your digits mixed with general ones, and make "
                        "the result the window's model (unless --output is given).")
    pz.add_argument("--model", metavar="BASE", default=argparse.SUPPRESS,
                    help="model to start from (default: the window's model; "
                    "a personalised one starts again from the model it was made from)")
    pz.add_argument("--output", metavar="BASE", help="write BASE.keras/.tflite/.json instead of a new "
                    "model in your data folder made active")
    pz.add_argument("--data", metavar="PATH", help="MNIST mnist.npz for replay and the check (default: "
                    "$DIGITPAD_MNIST, Keras's cache, else the bundled slice)")
    pz.add_argument("--epochs", type=int, default=None, help="override the default epochs")
    pz.add_argument("--seed", type=int, default=None, help="random seed, for a reproducible run")
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # At debug level these libraries log every font lookup and image plugin; keep
    # --log-level debug about digitpad.
    for noisy in ("matplotlib", "PIL", "absl", "h5py", "tensorflow"):  # tensorflow: "Cloud TPU client"
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))


_NO_DIGIT_WORDS = {"empty": "no digit", "not_digit": "not a digit", "unsure": "not sure"}


def cmd_predict(args: argparse.Namespace) -> int:
    from digitpad.ink import drawing_vector
    from digitpad.predictor import load_predictor
    from digitpad.preprocessing import ImageError, shown_path

    predictor, _ = load_predictor(args.model or None, fallback=False)
    if args.number:
        return _predict_numbers(args, predictor)
    status = EXIT_OK
    for path in args.images:
        shown = shown_path(path)  # a newline in a file name must not break the line
        try:
            vector = drawing_vector(path)
        except (ImageError, ValueError) as exc:
            print(f"digitpad: {one_line(exc)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        except (OSError, MemoryError) as exc:  # whatever else one file does: that file's error
            print(f"digitpad: {shown}: {one_line(exc)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        prediction = predictor.predict(vector)
        if args.json:
            print(json.dumps({"path": path, **prediction.to_json()}, allow_nan=False), flush=True)
        elif prediction.digit is None:
            print(f"{shown}: {_NO_DIGIT_WORDS.get(prediction.state, 'no digit')}", flush=True)
        else:
            print(f"{shown}: {prediction.digit} ({prediction.confidence:.1%})", flush=True)
    return status


def _predict_numbers(args: argparse.Namespace, predictor) -> int:
    """``predict --number``: every file read as a number (strokes grouped into digits, or
    an image's ink components), ``PATH: 2026`` or one JSON object per file."""
    from digitpad.ink import is_stroke_file, load_strokes
    from digitpad.numbers import read_image, read_strokes
    from digitpad.preprocessing import ImageError, load_image, shown_path

    status = EXIT_OK
    for path in args.images:
        shown = shown_path(path)
        try:
            if is_stroke_file(path):
                reading = read_strokes(load_strokes(path), predictor)
            else:
                reading = read_image(load_image(path), predictor)
        except (ImageError, ValueError) as exc:
            print(f"digitpad: {one_line(exc)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        except (OSError, MemoryError) as exc:
            print(f"digitpad: {shown}: {one_line(exc)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        if args.json:
            print(json.dumps({"path": path, **reading.to_json()}, allow_nan=False), flush=True)
        else:
            print(f"{shown}: {reading.text or 'no number'}", flush=True)
    return status


def cmd_evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from digitpad.data import load_mnist
    from digitpad.predictor import confusion_matrix, load_predictor, per_class_accuracy

    predictor, _ = load_predictor(args.model or None, fallback=False)
    mnist = load_mnist(args.data)
    x_test, y_test = mnist.x_test, mnist.y_test
    t0 = time.perf_counter()
    probs = predictor.probabilities(x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0)
    seconds = time.perf_counter() - t0
    predicted = probs.argmax(axis=1)
    labels = y_test.astype(int)
    confusion = confusion_matrix(labels, predicted)
    per_class = per_class_accuracy(confusion).tolist()
    accuracy = float((predicted == labels).mean())
    if args.json:
        print(json.dumps({
            "model": str(predictor.path),
            "backend": predictor.backend,
            "n": int(len(labels)),
            "accuracy": accuracy,
            "per_class": per_class,
            "confusion": confusion.tolist(),
            "seconds": round(seconds, 3),
        }))
        return EXIT_OK
    print(f"model: {predictor.path} ({predictor.backend})")
    print(f"MNIST test accuracy: {accuracy:.2%} on {len(labels)} digits ({seconds:.2f} s)")
    print("per class: " + "  ".join(f"{d}: {a:.1%}" for d, a in enumerate(per_class)))
    print("confusion (rows: label, columns: predicted)")
    print("      " + " ".join(f"{d:>5}" for d in range(10)))
    for d, row in enumerate(confusion):
        print(f"  {d}:  " + " ".join(f"{n:>5}" for n in row))
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from digitpad.train_cli import run_train_from_args

    return run_train_from_args(args)


def _user_data():
    """Qt's application names and data folder, as the window has them (QtCore only)."""
    from digitpad.ui.settings import configure_app
    from digitpad.ui.user_models import UserDataError, digits_db_path

    configure_app()
    try:
        return digits_db_path()
    except UserDataError as exc:
        raise CommandError(str(exc), code=EXIT_ERROR) from None


def _open_store():
    from digitpad.mydigits import DigitStore, DigitStoreError

    try:
        store = DigitStore(_user_data())
    except DigitStoreError as exc:
        raise CommandError(str(exc), code=EXIT_ERROR) from None
    if store.notice:
        print(f"digitpad: {store.notice}", file=sys.stderr)
    return store


def cmd_digits(args: argparse.Namespace) -> int:
    from digitpad.mydigits import DigitStoreError

    if args.digits_command == "where":
        print(_user_data())
        return EXIT_OK
    with _open_store() as store:
        if args.digits_command == "list":
            counts, wrong = store.counts(), store.counts(wrong_before=True)
            if args.json:
                print(json.dumps({"database": str(store.path), "total": sum(counts), "counts": counts,
                                  "wrong_before": wrong}))
                return EXIT_OK
            print(f"{sum(counts)} digits in {store.path} ({sum(wrong)} the model read wrong before)")
            for digit in range(10):
                print(f"  {digit}: {counts[digit]:>5}" + (f"  ({wrong[digit]} read wrong)" if wrong[digit] else ""))
            return EXIT_OK
        try:
            if args.digits_command == "export":
                n = store.export_npz(args.file)
                print(f"exported {n} digits to {args.file}")
            else:
                added, present = store.import_npz(args.file)
                print(f"imported {added} digits from {args.file}" + (f" ({present} already there)" if present else "")
                      + f"; {store.count()} in all")
        except DigitStoreError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    return EXIT_OK


def cmd_personalise(args: argparse.Namespace) -> int:
    from pathlib import Path

    from digitpad.data import DataError
    from digitpad.modelfiles import ModelError, model_base, read_meta
    from digitpad.mydigits import DigitStoreError
    from digitpad.paths import bundled_model_base
    from digitpad.personalise import PersonaliseConfig, describe, root_model, run_personalise

    db = _user_data()
    from PySide6.QtCore import QSettings

    from digitpad.ui.user_models import UserDataError, active_model, models_dir, set_active_model

    settings = QSettings()
    if args.model:
        base = model_base(args.model)
    else:
        active = active_model(settings)
        base = root_model(active if active is not None and Path(str(active) + ".keras").is_file() else bundled_model_base())
    try:
        config = PersonaliseConfig(seed=args.seed, data_path=args.data,
                                   **({"epochs": args.epochs} if args.epochs is not None else {}))
        t0 = time.perf_counter()
        result, saved = run_personalise(db, base, args.output, config, folder=None if args.output else models_dir())
    except (ValueError, ModelError, DataError, DigitStoreError, UserDataError) as exc:
        raise CommandError(one_line(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot save the model: {exc.strerror or exc}", code=EXIT_ERROR) from None
    seconds = time.perf_counter() - t0
    acc, was = result.test_accuracy, result.base_test_accuracy
    check = "" if acc is None else f"; {result.meta['personalised']['test_set']} {acc:.2%}" + (
        "" if was is None else f" (was {was:.2%})")
    print(f"{describe(result.meta)}{check}; {seconds:.1f} s")
    print(f"saved {saved}.keras, .tflite, .json")
    if not args.output:
        set_active_model(settings, saved)
        print(f"the window now uses {read_meta(saved).get('name', saved.name)}")
    settings.sync()
    if getattr(args, "program", False):
        _exit_now(EXIT_OK)
    return EXIT_OK


def _exit_now(code: int) -> None:
    """End the process with everything written and flushed but without the interpreter's
    teardown, which after TensorFlow was imported takes 1.2-1.3 s of a 14 s ``digitpad
    personalise`` here (freeing TensorFlow's modules), for nothing: the model, the settings
    and the database are on disk by now."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


def cmd_gui(args: argparse.Namespace) -> int:
    if args.train:
        if not args.self_test:
            raise CommandError("--train only goes with --self-test")
        from digitpad.selftest_train import run as run_train_self_test

        return run_train_self_test()
    if not _display_available():
        if not args.self_test:
            raise CommandError("no display to open the window on (set DISPLAY or WAYLAND_DISPLAY, "
                               "or QT_QPA_PLATFORM=offscreen)", code=EXIT_ERROR)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the self-test needs no screen
    from digitpad.ui.app import run

    return run(model=args.model, self_test=args.self_test)


def _display_available() -> bool:
    """False on a Linux box with no X11/Wayland display and no platform chosen, where Qt
    would abort with a page of plugin errors instead of a one-line message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    # TensorFlow (training, or Keras's MNIST download) prints oneDNN and absl notices on
    # import unless told not to; users can still override both.
    quiet_environment()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.program = argv is None  # the digitpad program itself, not main() called with arguments
    level = getattr(args, "log_level", "warning")
    configure_logging(level)
    handlers = {"predict": cmd_predict, "evaluate": cmd_evaluate, "train": cmd_train, "digits": cmd_digits,
                "personalise": cmd_personalise}
    try:
        return handlers.get(args.command, cmd_gui)(args)
    except CommandError as exc:
        print(f"digitpad: {exc}", file=sys.stderr)
        return exc.code
    except UserError as exc:  # a missing or broken model or data file
        print(f"digitpad: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # Output piped into something that stopped reading (| head): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("digitpad: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last line of defence: one line, not a traceback
        log.debug("unexpected error", exc_info=True)
        print(f"digitpad: error: {one_line(exc)} (run with --log-level debug for details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
