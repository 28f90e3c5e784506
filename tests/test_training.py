"""train(): history, callbacks, cancelling, saving, settings; train_model.py's options.

Tiny synthetic data (a few hundred learnable 784-vectors) keeps these to seconds; tests
that import TensorFlow are marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import synthetic
from digitpad.data import Mnist
from digitpad.presets import PRESETS, get_preset
from digitpad.training import TrainConfig, save_result, train

ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    def __init__(self, stop_after_batches: int | None = None):
        self.begin = None
        self.batches: list[tuple[int, int]] = []
        self.epochs: list[tuple[int, dict]] = []
        self.stop_after = stop_after_batches
        self.polls = 0
        self.stages: list[str] = []
        self.stop_at_stage: str | None = None

    def on_stage(self, text):
        assert self.begin is None  # every stage comes before training begins
        self.stages.append(text)

    def on_train_begin(self, total_epochs, batches_per_epoch):
        self.begin = (total_epochs, batches_per_epoch)

    def on_batch_end(self, epoch, batch, logs):
        assert {"loss", "accuracy"} <= set(logs)
        self.batches.append((epoch, batch))

    def on_epoch_end(self, epoch, logs):
        self.epochs.append((epoch, dict(logs)))

    def should_stop(self):
        self.polls += 1
        if self.stop_at_stage is not None and self.stop_at_stage in self.stages:
            return True
        return self.stop_after is not None and len(self.batches) >= self.stop_after


# ----------------------------------------------------------------- settings (no TF)
@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1001}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"batch_size": 0}, "batch size"),
        ({"batch_size": 60001}, "batch size"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"learning_rate": 0}, "learning rate"),
        ({"learning_rate": 11}, "learning rate"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"validation_split": 0.6}, "validation split"),
        ({"validation_split": -0.1}, "validation split"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_raise_clear_value_errors(overrides, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        TrainConfig.for_preset("cnn", **overrides)
    assert "\n" not in str(info.value)


def test_unknown_preset_and_unsupported_augmentation():
    with pytest.raises(ValueError, match="unknown preset 'resnet'.*cnn.*tutorial"):
        TrainConfig.for_preset("resnet")
    with pytest.raises(ValueError, match="augmentation"):
        TrainConfig(preset="tutorial", augment=True)
    with pytest.raises(ValueError, match="unknown training setting"):
        TrainConfig.for_preset("cnn", epoch=3)


def test_presets_defaults():
    tutorial = TrainConfig.for_preset("tutorial")
    assert (tutorial.epochs, tutorial.batch_size, tutorial.optimizer, tutorial.validation_split) == (20, 500, "sgd", 0.1)
    assert tutorial.augment is False and tutorial.scale_pixels is True
    default = TrainConfig()
    spec = get_preset(default.preset)
    assert (default.epochs, default.batch_size, default.optimizer) == (spec.epochs, spec.batch_size, spec.optimizer)
    assert default.augment and spec.supports_augment
    assert TrainConfig.for_preset("tutorial", epochs=None).epochs == 20  # None keeps the default


def test_importing_training_does_not_import_tensorflow():
    code = "import sys, digitpad.training, digitpad.train_cli; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------- architectures
@pytest.mark.slow
def test_tutorial_is_the_articles_network():
    model = get_preset("tutorial").build()
    assert model.count_params() == 640_890
    dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense] == [784, 32, 10]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert tuple(model.input_shape) == (None, 784)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_maps_784_to_10_probabilities_without_augmentation_layers(name):
    preset = get_preset(name)
    model = preset.build()
    # ten digits, and an eleventh "not a digit" output for the presets that learn it
    assert tuple(model.input_shape) == (None, 784) and tuple(model.output_shape) == (None, preset.n_outputs)
    assert preset.n_outputs == (11 if preset.not_digit else 10)
    assert not [layer.name for layer in model.layers if layer.__class__.__name__.startswith("Random")]
    probs = np.asarray(model(np.random.default_rng(0).random((3, 784), dtype=np.float32), training=False))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture
def one_batch_per_call(monkeypatch):
    """Callbacks after every batch (the tutorial preset groups ~5,000 samples per call)."""
    import digitpad.training as training

    monkeypatch.setattr(training, "steps_per_execution", lambda config, steps: 1)


# ----------------------------------------------------------------- train()
@pytest.mark.slow
def test_train_history_callbacks_and_evaluation(one_batch_per_call):
    data = synthetic()
    rec = Recorder()
    config = TrainConfig.for_preset("tutorial", epochs=3, batch_size=50, seed=3, learning_rate=0.1)
    result = train(config, data=data, callbacks=rec)

    n_train = 200 - int(200 * 0.1)  # the validation split comes off the training set
    assert rec.begin == (3, n_train // 50 + (n_train % 50 > 0))
    assert [e for e, _ in rec.epochs] == [0, 1, 2]
    # Polled before starting, once TensorFlow is loaded, then after every batch.
    assert len(rec.batches) == 3 * rec.begin[1] and rec.polls == 2 + len(rec.batches)
    assert rec.stages[-1] == "Training…" and "Loading MNIST…" not in rec.stages  # data were passed in
    assert set(rec.epochs[0][1]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(result.history[key]) == 3
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert not result.cancelled and result.epochs_completed == 3

    # Evaluation matches the model on the test set.
    x_test = data.x_test.reshape(-1, 784).astype(np.float32) / 255
    pred = np.asarray(result.model(x_test, training=False)).argmax(axis=1)
    assert result.test_accuracy == pytest.approx(np.mean(pred == data.y_test))
    assert result.test_accuracy > 0.5  # the bars are easy; chance is 0.1
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == 50
    assert np.trace(result.confusion) == round(result.test_accuracy * 50)
    wrong = np.flatnonzero(pred != data.y_test)
    np.testing.assert_array_equal(result.misclassified, wrong)
    np.testing.assert_array_equal(result.misclassified_predictions, pred[wrong])
    np.testing.assert_array_equal(result.misclassified_labels, data.y_test[wrong])
    np.testing.assert_allclose(result.misclassified_images, x_test[wrong])

    meta = result.meta
    assert meta["parameters"] == 640_890 and meta["architecture"] == "tutorial"
    assert meta["mnist_test_accuracy"] == result.test_accuracy and meta["seed"] == 3
    assert meta["training"]["epochs"] == 3 and meta["training"]["optimizer"] == "sgd"
    assert meta["keras_version"] and meta["date"] and meta["digitpad_version"]
    json.dumps(meta)  # JSON-ready


def test_train_loads_mnist_itself_and_cancels_between_stages(tmp_path):
    data = synthetic()
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    rec = Recorder()
    rec.stop_at_stage = "Loading MNIST…"
    result = train(TrainConfig.for_preset("tutorial", epochs=1, data_path=str(path)), callbacks=rec)
    assert rec.stages == ["Loading MNIST…"]  # stopped once loaded: no TensorFlow, no training
    assert result.cancelled and result.model is None and result.epochs_completed == 0
    assert rec.begin is None and rec.batches == [] and result.test_accuracy is None

    stopped_at_once = Recorder(stop_after_batches=0)
    result = train(TrainConfig.for_preset("tutorial", epochs=1, data_path=str(tmp_path / "missing.npz")),
                   callbacks=stopped_at_once)
    assert result.cancelled and stopped_at_once.stages == []  # not even the (missing) data were read


@pytest.mark.slow
def test_should_stop_cancels_within_the_batch(one_batch_per_call):
    rec = Recorder(stop_after_batches=5)
    config = TrainConfig.for_preset("tutorial", epochs=10, batch_size=20, seed=1)
    result = train(config, data=synthetic(), callbacks=rec)
    assert result.cancelled
    assert len(rec.batches) == 5  # no batch ran after should_stop() said so
    assert result.epochs_completed == 0 < 10 and rec.epochs == []
    assert result.test_accuracy is None and result.confusion is None
    with pytest.raises(ValueError, match="cancelled"):
        save_result(result, "/nonexistent/never-written")


@pytest.mark.slow
def test_cancel_after_some_epochs_keeps_the_finished_ones(one_batch_per_call):
    rec = Recorder(stop_after_batches=9 * 2 + 3)  # 9 batches an epoch: stops in epoch 3
    config = TrainConfig.for_preset("tutorial", epochs=10, batch_size=20, seed=1)
    result = train(config, data=synthetic(), callbacks=rec)
    assert rec.begin == (10, 9)
    assert result.cancelled and result.epochs_completed == 2 and len(rec.epochs) == 2


def test_steps_per_execution_groups_about_5000_samples_of_the_tutorial():
    from digitpad.training import steps_per_execution

    tutorial = TrainConfig.for_preset("tutorial")
    assert steps_per_execution(tutorial, 108) == 10  # batch 500: 10 batches a call
    assert steps_per_execution(TrainConfig.for_preset("tutorial", batch_size=5000), 11) == 1
    assert steps_per_execution(TrainConfig.for_preset("tutorial", batch_size=50), 4) == 4  # not past the epoch
    assert steps_per_execution(TrainConfig.for_preset("tutorial", batch_size=9000), 6) == 1
    assert steps_per_execution(TrainConfig.for_preset("cnn"), 700) == 1  # slow batches, endless pipeline
    assert steps_per_execution(TrainConfig.for_preset("cnn", augment=False), 700) == 1


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 7, 10, 11, 64])
def test_arrays_become_tensors_in_pieces_without_change(n, monkeypatch):
    import digitpad.training as training

    monkeypatch.setattr(training, "CHUNK_BYTES", 3 * 784 * 4)  # three rows a piece
    x = np.random.default_rng(n).random((n, 784), dtype=np.float32)
    y = np.arange(n, dtype=np.int32) % 10
    np.testing.assert_array_equal(np.asarray(training._tensor(x)), x)
    np.testing.assert_array_equal(np.asarray(training._tensor(y)), y)


@pytest.mark.slow
def test_grouped_batches_report_each_group_and_the_epochs_last_batch():
    rec = Recorder(stop_after_batches=None)
    # 180 training digits in batches of 10 = 18 an epoch; 5000 // 10 = 500 is capped at 18: one call.
    config = TrainConfig.for_preset("tutorial", epochs=2, batch_size=10, seed=4, learning_rate=0.1)
    import digitpad.training as training

    assert training.steps_per_execution(config, 18) == 18
    result = train(config, data=synthetic(), callbacks=rec)
    assert rec.begin == (2, 18) and rec.batches == [(0, 17), (1, 17)]
    assert len(result.history["loss"]) == 2 and result.test_accuracy > 0.5


@pytest.mark.slow
def test_a_short_last_group_is_reported_as_the_epochs_last_batch(monkeypatch):
    import digitpad.training as training

    monkeypatch.setattr(training, "steps_per_execution", lambda config, steps: 4)
    rec = Recorder()
    config = TrainConfig.for_preset("tutorial", epochs=1, batch_size=20, seed=4)  # 9 batches
    train(config, data=synthetic(), callbacks=rec)
    assert rec.batches == [(0, 3), (0, 7), (0, 8)]  # 4 + 4 + a last group of 1


@pytest.mark.slow
def test_default_preset_with_augmentation_trains_and_saves(trained_cnn):
    from digitpad.modelfiles import read_meta
    from digitpad.predictor import Predictor

    result, files = trained_cnn.result, trained_cnn.files
    assert result.config.augment and result.config.preset == "cnn"
    assert result.epochs_completed == 1 and result.test_accuracy is not None
    folder = files["json"].parent  # a new folder, made by save_result
    assert sorted(p.name for p in files.values()) == ["m.json", "m.keras", "m.tflite"]
    assert all(p.stat().st_size > 0 for p in files.values())
    assert sorted(p.name for p in folder.iterdir()) == ["m.json", "m.keras", "m.tflite"]
    assert read_meta(folder / "m")["mnist_test_accuracy"] == result.test_accuracy

    x = np.random.default_rng(1).random((8, 784), dtype=np.float32)
    keras_probs = np.asarray(result.model(x, training=False))
    lite = Predictor(files["tflite"])
    assert lite.backend == "litert"
    lite_probs = lite.outputs(x)
    assert lite_probs.shape == (8, 11) and lite.probabilities(x).shape == (8, 10)
    np.testing.assert_allclose(lite_probs, keras_probs, atol=1e-4)
    # The export is the plain inference graph: deterministic, no augmentation inside.
    np.testing.assert_array_equal(lite.outputs(x), lite_probs)
    reloaded = Predictor(files["keras"])
    np.testing.assert_allclose(reloaded.outputs(x), keras_probs, atol=1e-5)


@pytest.mark.slow
def test_same_seed_same_run():
    config = TrainConfig.for_preset("tutorial", epochs=2, batch_size=40, seed=11)
    a = train(config, data=synthetic())
    b = train(config, data=synthetic())
    assert a.history == b.history
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.slow
def test_no_validation_split_gives_nan_logs_and_strict_json():
    rec = Recorder()
    result = train(TrainConfig.for_preset("tutorial", epochs=1, validation_split=0.0, seed=2), data=synthetic(), callbacks=rec)
    assert rec.begin == (1, 1)  # 200 digits in one batch of 500
    assert np.isnan(result.history["val_accuracy"][0]) and np.isfinite(result.history["accuracy"][0])
    meta = json.loads(json.dumps(result.meta, allow_nan=False))
    assert meta["final_epoch"]["val_accuracy"] is None and meta["training_examples"] == 200


@pytest.mark.slow
def test_extra_data_is_appended_and_raw_pixels_are_fed_unscaled(tmp_path):
    data = synthetic()
    extra = tmp_path / "extra.npz"
    np.savez(extra, x=data.x_train[:30].reshape(30, 784), y=data.y_train[:30])
    config = TrainConfig.for_preset("tutorial", epochs=1, seed=0, extra_data=str(extra), scale_pixels=False)
    result = train(config, data=data)
    assert result.meta["training_examples"] == 180 + 30 and result.meta["extra_examples"] == 30
    assert result.meta["training"]["scale_pixels"] is False
    assert result.misclassified_images.max(initial=0) <= 1.0  # the gallery stays in [0, 1]


def test_bad_data_shapes_raise_value_error():
    bad = Mnist(np.zeros((10, 27, 27), np.uint8), np.zeros(10, np.uint8), np.zeros((2, 784)), np.zeros(2, int))
    with pytest.raises(ValueError, match="x_train"):
        train(TrainConfig.for_preset("tutorial", epochs=1), data=bad)
    labels = Mnist(np.zeros((10, 784), np.uint8), np.full(10, 10), np.zeros((2, 784)), np.zeros(2, int))
    with pytest.raises(ValueError, match="labels 0..9"):
        train(TrainConfig.for_preset("tutorial", epochs=1), data=labels)


# ----------------------------------------------------------------- train_model.py
def run_script(*args, env_extra=None):
    import os

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "train_model.py"), *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--epochs", "0"], "epochs"),
        (["--epochs", "many"], "--epochs"),
        (["--preset", "resnet"], "--preset"),
        (["--learning-rate", "-1"], "learning rate"),
        (["--batch-size", "0"], "batch size"),
        (["--optimizer", "rmsprop"], "--optimizer"),
        (["--validation-split", "0.9"], "validation split"),
        (["--preset", "tutorial", "--augment"], "augmentation"),
    ],
)
def test_train_model_bad_options_one_line_exit_2(args, fragment, tmp_path):
    out = run_script(*args, "--output", str(tmp_path / "m"))
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and fragment in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())


def test_train_model_missing_data_one_line_exit_2(tmp_path):
    out = run_script("--data", str(tmp_path / "missing.npz"), "--output", str(tmp_path / "m"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "missing.npz" in out.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_train_model_end_to_end_on_a_small_file(tmp_path):
    data = synthetic(400, 100)
    path = tmp_path / "tiny_mnist.npz"
    np.savez(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    out = run_script("--preset", "tutorial", "--epochs", "2", "--seed", "5", "--learning-rate", "0.1",
                     "--data", str(path), "--output", str(tmp_path / "out" / "m"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("epoch 1/2") for line in lines) and any(line.startswith("epoch 2/2") for line in lines)
    assert any("MNIST test accuracy:" in line for line in lines)
    meta = json.loads((tmp_path / "out" / "m.json").read_text())
    assert meta["seed"] == 5 and meta["epochs_completed"] == 2 and meta["training"]["learning_rate"] == 0.1
    from digitpad.data import sha256_file

    assert meta["data_sha256"] == sha256_file(path)
    assert (tmp_path / "out" / "m.tflite").stat().st_size > 0


@pytest.mark.slow
def test_my_digits_join_the_training_set_with_distorted_copies(tmp_path, monkeypatch):
    from digitpad.mydigits import DigitStore, make_digit

    monkeypatch.delenv("DIGITPAD_PEN_DATA", raising=False)  # your digits only (CI sets the pen data)

    db = tmp_path / "mine.sqlite3"
    with DigitStore(db) as store:
        for i in range(4):
            store.add(make_digit(7, [np.array([[0.0, 0.0], [50.0, 0.0], [20.0 + i, 80.0]])], None))
    config = TrainConfig.for_preset("tutorial", epochs=1, seed=0, my_digits=str(db), pen_copies=2)
    result = train(config, data=synthetic())
    assert result.meta["extra_examples"] == 4 * (1 + 2)
    assert result.meta["training"]["my_digits"] == str(db)
    from digitpad.data import DataError

    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(DataError, match="your digits"):
        train(TrainConfig.for_preset("tutorial", epochs=1, seed=0, my_digits=str(tmp_path / "a-file" / "x.sqlite3"),
                                     pen_copies=0), data=synthetic())
