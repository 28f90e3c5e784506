"""A model's description in words (Qt-free)."""

from __future__ import annotations

import json

from digitpad.modelinfo import UNKNOWN, describe_model, describe_settings
from digitpad.paths import bundled_model_base


def test_the_bundled_model_is_described_in_words():
    meta = json.loads(bundled_model_base().with_suffix(".json").read_text())
    rows = dict(describe_model(meta, path="/x/model.tflite", backend="litert"))
    assert rows["Name"] == meta["name"]
    assert rows["MNIST test accuracy"] == f"{100 * meta['mnist_test_accuracy']:.2f} %"
    assert rows["Parameters"] == f"{meta['parameters']:,}"
    assert rows["Runs with"] == "LiteRT" and rows["File"] == "/x/model.tflite"
    assert rows["Per digit"].startswith("0: ")
    assert "epochs" in rows["Settings"] and "batch" in rows["Settings"]
    assert "{" not in "".join(rows.values())


def test_a_broken_description_reads_unknown_not_a_crash():
    rows = dict(describe_model({"parameters": "many", "mnist_test_accuracy": "high", "training": [1], "date": 3}))
    assert rows["Parameters"] == rows["MNIST test accuracy"] == rows["Trained"] == UNKNOWN
    assert rows["Name"] == UNKNOWN
    assert describe_model(None)[0] == ("Name", UNKNOWN)


def test_settings_in_one_line():
    text = describe_settings({"epochs": 12, "batch_size": 128, "optimizer": "adam", "learning_rate": 0.002,
                              "lr_schedule": "cosine", "validation_split": 0.05, "augment": True, "seed": None})
    assert text == ("12 epochs, batch 128, Adam, learning rate 0.002 (cosine), validation 5%, "
                    "drawing-like augmentation, seed random")
