"""A model's ``.json`` description in words: (label, value) rows for people, Qt-free.

The window's Model info and Models dialogs show these rows as a table; nothing here
trusts the description's shape (a field of the wrong type reads "unknown").
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

UNKNOWN = "unknown"
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}


def _pct(x: Any) -> str:
    return f"{100 * x:.2f} %" if isinstance(x, (int, float)) and math.isfinite(x) else UNKNOWN


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        return UNKNOWN
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _date(text: Any) -> str:
    if not isinstance(text, str):
        return UNKNOWN
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return when.strftime("%Y-%m-%d %H:%M")


def _count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else UNKNOWN


def describe_settings(training: Mapping[str, Any]) -> str:
    """Training settings in one line: "12 epochs, batch 128, Adam, learning rate 0.002 (cosine)…"."""
    if not isinstance(training, Mapping) or not training:
        return UNKNOWN
    t = training
    parts = []
    if "epochs" in t:
        parts.append(f"{t['epochs']} epochs")
    if "batch_size" in t:
        parts.append(f"batch {t['batch_size']}")
    if "optimizer" in t:
        parts.append(OPTIMIZERS.get(str(t["optimizer"]), str(t["optimizer"])))
    if "learning_rate" in t:
        schedule = t.get("lr_schedule")
        parts.append(f"learning rate {t['learning_rate']:g}" + (f" ({schedule})" if schedule and schedule != "constant" else "")
                     if isinstance(t["learning_rate"], (int, float)) else f"learning rate {t['learning_rate']}")
    if "validation_split" in t:
        parts.append(f"validation {t['validation_split']:.0%}" if isinstance(t["validation_split"], (int, float)) else "")
    if "augment" in t:
        parts.append("drawing-like augmentation" if t["augment"] else "no augmentation")
    if t.get("pen_copies"):
        parts.append(f"{t['pen_copies']} pen renderings")
    if "seed" in t:
        parts.append(f"seed {t['seed'] if t['seed'] is not None else 'random'}")
    return ", ".join(p for p in parts if p)


def describe_personalised(p: Mapping[str, Any]) -> str:
    """"on 30 of your digits (from digitpad CNN); MNIST test 99.52 % (was 99.54 %), 9 s"."""
    n = p.get("digits")
    text = f"on {n:,} of your digits" if isinstance(n, int) else "on your digits"
    if p.get("base_name"):
        text += f" (from {p['base_name']})"
    if isinstance(p.get("test_accuracy"), (int, float)):
        text += f"; {p.get('test_set') or 'MNIST test'} {_pct(p['test_accuracy'])}"
        if isinstance(p.get("base_test_accuracy"), (int, float)):
            text += f" (was {_pct(p['base_test_accuracy'])})"
    if isinstance(p.get("seconds"), (int, float)):
        text += f", {_duration(p['seconds'])}"
    return text


def describe_model(meta: Mapping[str, Any], name: str | None = None, path: str | None = None,
                   backend: str | None = None, active: bool | None = None) -> list[tuple[str, str]]:
    """Rows for a table: what the model is, how good, how it was trained, from what."""
    meta = meta if isinstance(meta, Mapping) else {}
    rows: list[tuple[str, str]] = [("Name", str(name or meta.get("name") or UNKNOWN))]
    if active is not None:
        rows.append(("Active", "yes: the Draw tab uses it" if active else "no"))
    arch = meta.get("architecture")
    desc = meta.get("description")
    rows.append(("Architecture", f"{arch} — {desc}" if arch and desc else str(arch or desc or UNKNOWN)))
    rows.append(("Parameters", _count(meta.get("parameters", meta.get("params")))))
    rows.append(("MNIST test accuracy", _pct(meta.get("mnist_test_accuracy"))))
    personal = meta.get("personalised")
    if isinstance(personal, Mapping):
        rows.append(("Personalised", describe_personalised(personal)))
    per_class = meta.get("per_class_accuracy")
    if isinstance(per_class, list) and len(per_class) == 10:
        rows.append(("Per digit", "  ".join(f"{d}: {_pct(a)}" for d, a in enumerate(per_class))))
    outputs = meta.get("outputs")
    if isinstance(outputs, int):
        rows.append(("Outputs", "10 digits + “not a digit”" if outputs == 11 else f"{outputs}"))
    rows.append(("Trained", _date(meta.get("date"))))
    epochs = meta.get("epochs_completed")
    took = _duration(meta.get("training_seconds"))
    rows.append(("Training time", took + (f" ({epochs} epochs)" if isinstance(epochs, int) else "")))
    rows.append(("Settings", describe_settings(meta.get("training") or {})))
    examples = meta.get("training_examples")
    extra = meta.get("extra_examples")
    data = meta.get("data_file") or UNKNOWN
    sha = meta.get("data_sha256")
    data_text = f"{data}" + (f" (SHA-256 {sha[:12]}…)" if isinstance(sha, str) else "")
    if isinstance(examples, int):
        data_text += f"; {examples:,} training examples"
        if isinstance(extra, int) and extra:
            data_text += f", of which {extra:,} from pen strokes"
    rows.append(("Training data", data_text))
    versions = [f"digitpad {meta['digitpad_version']}" if meta.get("digitpad_version") else "",
                f"Keras {meta['keras_version']}" if meta.get("keras_version") else ""]
    if any(versions):
        rows.append(("Made with", ", ".join(v for v in versions if v)))
    if path:
        rows.append(("File", str(path)))
    if backend:
        rows.append(("Runs with", "LiteRT" if backend == "litert" else "Keras"))
    return rows
