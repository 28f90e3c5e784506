"""Personalise (digitpad.personalise): the model learns a style it did not know, keeps its
output count (10 or 11), reports progress, cancels, and records what it did. Small
synthetic strokes and the bundled MNIST slice; TensorFlow, so marked slow."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from digitpad.mydigits import DigitStore, make_digit
from digitpad.paths import bundled_model_base, resource_path
from digitpad.personalise import (
    GUARD_TEMPERATURES,
    PersonaliseConfig,
    UserDigits,
    describe,
    head_start,
    load_keras_model,
    personalise,
    root_model,
    run_personalise,
)

SLICE = str(resource_path("mnist_slice.npz"))
FAST = dict(epochs=6, copies=8, replay=400, pen_replay=100, data_path=SLICE, seed=3)


def flat_seven(rng, n):
    """A style nobody trained on: a 7 written as a flat zigzag ("Z" lying down)."""
    out = []
    for _ in range(n):
        w, h = rng.uniform(150, 220), rng.uniform(30, 50)
        x0, y0 = rng.uniform(20, 60), rng.uniform(100, 150)
        out.append([np.array([[x0, y0], [x0 + w * 0.45, y0 + h], [x0 + w * 0.55, y0], [x0 + w, y0 + h]])])
    return out


def user_from(strokes, label):
    digits = [make_digit(label, s, None) for s in strokes]
    return UserDigits.from_digits(digits)


def test_user_digits_are_checked():
    with pytest.raises(ValueError):
        UserDigits(np.zeros((2, 100)), np.zeros(2))
    with pytest.raises(ValueError):
        UserDigits(np.zeros((2, 784)), np.array([1, 10]))
    with pytest.raises(ValueError):
        PersonaliseConfig(epochs=0)
    with pytest.raises(ValueError):
        PersonaliseConfig(mode="everything")
    for bad in (0, -1.0, float("nan"), True, "2"):
        with pytest.raises(ValueError, match="user weight"):
            PersonaliseConfig(user_weight=bad)
    with pytest.raises(ValueError, match="blocks"):
        PersonaliseConfig(blocks=4)


def test_many_digits_get_fewer_renderings():
    """The user's images (each digit and its renderings) stay within max_user_images, so
    100 digits cost what 100 digits with 30 renderings did, whatever ``copies`` says."""
    from digitpad.personalise import renderings

    sixty = PersonaliseConfig(copies=60)
    assert [renderings(sixty, n) for n in (1, 30, 50, 100, 200)] == [60, 60, 60, 30, 14]
    assert all(n * (1 + renderings(sixty, n)) <= sixty.max_user_images for n in range(51, 400))
    assert renderings(PersonaliseConfig(copies=0), 10) == 0 and renderings(sixty, 5000) == 0
    with pytest.raises(ValueError, match="max user images"):
        PersonaliseConfig(max_user_images=0)


@pytest.mark.slow
def test_it_learns_a_writers_style_and_keeps_mnist(tmp_path):
    rng = np.random.default_rng(0)
    train, test = flat_seven(rng, 12), flat_seven(rng, 40)
    user = user_from(train, 7)
    x_test = np.stack([make_digit(7, s, None).input for s in test]).astype(np.float32) / 255
    model = load_keras_model(bundled_model_base())
    before = (np.asarray(model(x_test, training=False))[:, :10].argmax(1) == 7).mean()

    class Spy:
        def __init__(self):
            self.calls = []

        def on_train_begin(self, epochs, steps):
            self.calls.append(("begin", epochs, steps))

        def on_epoch_end(self, epoch, logs):
            self.calls.append(("epoch", epoch))

    spy = Spy()
    result = personalise(bundled_model_base(), user, PersonaliseConfig(**FAST), callbacks=spy)
    after = (np.asarray(result.model(x_test, training=False))[:, :10].argmax(1) == 7).mean()
    assert before < 0.5, f"the style should be new to the model (read {before:.0%} as 7)"
    assert after >= 0.9, f"after personalising only {after:.0%} read as 7"
    assert spy.calls[0][0] == "begin" and [c for c in spy.calls if c[0] == "epoch"][-1] == ("epoch", FAST["epochs"] - 1)
    assert not result.cancelled and result.test_accuracy is not None
    assert result.test_accuracy >= result.base_test_accuracy - 0.02  # 250 test digits of the slice
    p = result.meta["personalised"]
    assert p["digits"] == 12 and p["per_label"][7] == 12 and p["base_name"] == "digitpad CNN"
    assert result.meta["name"] == "digitpad CNN (personalised)"
    assert describe(result.meta) == "personalised on 12 of your digits (from digitpad CNN)"
    assert describe({"name": "x"}) is None
    json.dumps(result.meta)  # JSON-ready


@pytest.mark.slow
def test_an_11_output_model_keeps_its_not_a_digit_output(tmp_path):
    import keras

    from digitpad.presets import build_cnn

    small = build_cnn(widths=(4, 8, 8))
    head = keras.layers.Dense(11, activation="softmax", name="probabilities11")
    model = keras.Sequential([keras.Input(shape=(784,))] + small.layers[:-1] + [head])
    base = tmp_path / "eleven"
    model.save(str(base) + ".keras")
    assert head_start(load_keras_model(base)) > 0
    user = user_from(flat_seven(np.random.default_rng(1), 5), 7)
    for mode in ("head", "full"):
        result = personalise(base, user, PersonaliseConfig(**{**FAST, "epochs": 1, "mode": mode}))
        assert result.model.output_shape[-1] == 11 and result.meta["outputs"] == 11


@pytest.mark.slow
def test_one_more_block_learns_and_the_ones_before_stay(tmp_path):
    """``blocks=1``: the last convolution block learns too, the earlier ones never change;
    ``user_weight`` weighs the user's digits more (and is recorded)."""
    import keras

    from digitpad.presets import build_cnn

    small = build_cnn(widths=(4, 8, 8))
    model = keras.Sequential([keras.Input(shape=(784,))] + small.layers)
    base = tmp_path / "small"
    model.save(str(base) + ".keras")
    loaded = load_keras_model(base)
    convs = [i for i, layer in enumerate(loaded.layers) if "Conv" in type(layer).__name__]
    assert head_start(loaded, 1) == convs[-1] < head_start(loaded) and head_start(loaded, 2) == convs[-2]
    user = user_from(flat_seven(np.random.default_rng(1), 5), 7)
    result = personalise(base, user, PersonaliseConfig(**{**FAST, "epochs": 2, "blocks": 1, "user_weight": 3.0}))
    conv = [layer for layer in result.model.layers if "Conv" in type(layer).__name__]
    before = [layer for layer in loaded.layers if "Conv" in type(layer).__name__]
    assert np.array_equal(conv[-2].get_weights()[0], before[-2].get_weights()[0])
    assert not np.array_equal(conv[-1].get_weights()[0], before[-1].get_weights()[0])
    settings = result.meta["personalised"]["settings"]
    assert settings["blocks"] == 1 and settings["user_weight"] == 3.0


@pytest.mark.slow
def test_cancel_stops_and_nothing_is_saved(tmp_path):
    class Stop:
        def should_stop(self):
            return True

    db = tmp_path / "d.sqlite3"
    with DigitStore(db) as store:
        for s in flat_seven(np.random.default_rng(2), 4):
            store.add(make_digit(7, s, None))
    out = tmp_path / "mine"
    result, files = run_personalise(db, bundled_model_base(), out, PersonaliseConfig(**FAST), callbacks=Stop())
    assert result.cancelled and files is None and not list(tmp_path.glob("mine*"))


def test_no_digits_is_a_clear_error(tmp_path):
    db = tmp_path / "d.sqlite3"
    DigitStore(db).close()
    with pytest.raises(ValueError, match="no digits of yours"):
        run_personalise(db, bundled_model_base(), tmp_path / "x", PersonaliseConfig(**FAST))


def test_personalising_again_starts_from_the_general_model(tmp_path):
    base = tmp_path / "p"
    (tmp_path / "p.json").write_text(json.dumps({"personalised": {"base_model": str(bundled_model_base())}}))
    assert root_model(base) == bundled_model_base()
    (tmp_path / "q.json").write_text(json.dumps({"personalised": {"base_model": str(tmp_path / "gone")}}))
    assert root_model(tmp_path / "q") == tmp_path / "q"


@pytest.mark.slow
def test_the_memory_is_the_same_in_keras_numpy_and_litert(tmp_path):
    """with_memory builds memory_mix from standard layers: the saved model (LiteRT, as the
    window runs it) gives the NumPy reference; far from every remembered digit nothing
    changes, close to one its label wins; "not a digit" is kept."""
    import keras

    from digitpad.modelfiles import save_model
    from digitpad.personalise import memory_mix, with_memory
    from digitpad.predictor import Predictor
    from digitpad.presets import build_cnn

    small = build_cnn(widths=(4, 8, 8))
    head = keras.layers.Dense(11, activation="softmax", name="probabilities11")
    model = keras.Sequential([keras.Input(shape=(784,))] + small.layers[:-1] + [head])
    reads = keras.Model(model.inputs[0], model.layers[-1].input)
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (40, 784)).astype(np.float32)
    x[:, :392] = 0  # the top half blank: unlike the remembered ones below
    user = rng.uniform(0, 1, (6, 784)).astype(np.float32)
    user[:, 392:] = 0
    memory, labels = np.asarray(reads(user)), np.array([3, 3, 3, 5, 5, 5])
    config = PersonaliseConfig(memory_from=0.5)
    remembering = with_memory(model, memory, labels, config)
    probe = np.concatenate([x, user])
    expected = memory_mix(np.asarray(model(probe)), np.asarray(reads(probe)), memory, labels, config)
    # (float32 similarities differ in the last bits between Keras and NumPy; the vote's
    # 1 / temperature = 100 amplifies that to about 1e-5)
    np.testing.assert_allclose(np.asarray(remembering(probe)), expected, atol=5e-5)
    np.testing.assert_allclose(expected.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(expected[:, 10], np.asarray(model(probe))[:, 10], atol=1e-6)  # not a digit kept
    # a remembered drawing is read as its label (similarity 1: the memory's share is 1)
    assert expected[40:, :10].argmax(axis=1).tolist() == labels.tolist()
    # the LiteRT file the window loads computes the same
    save_model(remembering, tmp_path / "mine", {"name": "mine"})
    got = Predictor(tmp_path / "mine.tflite").outputs(probe)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    again = load_keras_model(tmp_path / "mine")  # safe_mode: standard layers only
    np.testing.assert_allclose(np.asarray(again(probe)), expected, atol=5e-5)
    with pytest.raises(ValueError, match="memory from"):
        PersonaliseConfig(memory_from=1.0)
    # general digits beside the user's vote but do not open the gate: a drawing equal to a
    # general digit (and far from the user's) is left as the model read it
    general = np.asarray(reads(x[:5]))
    both, both_labels = np.concatenate([memory, general]), np.concatenate([labels, [0, 1, 2, 4, 6]])
    # the user's digits count more in the vote (at a soft vote, where the bonus tells)
    favoured = PersonaliseConfig(memory_from=0.5, memory_bonus=0.1, memory_temperature=0.05)
    mixed = with_memory(model, both, both_labels, favoured, users=6)
    expected = memory_mix(np.asarray(model(probe)), np.asarray(reads(probe)), both, both_labels, favoured, users=6)
    unfavoured = memory_mix(np.asarray(model(probe)), np.asarray(reads(probe)), both, both_labels,
                            dataclasses.replace(favoured, memory_bonus=0.0), users=6)
    assert not np.allclose(expected, unfavoured, atol=1e-4)
    np.testing.assert_allclose(np.asarray(mixed(probe)), expected, atol=5e-5)
    strict = PersonaliseConfig(memory_from=0.99)
    plain = np.asarray(model(x[:5]))
    assert _cos(general, memory).max() < 0.99
    far = memory_mix(plain, general, both, both_labels, strict, users=6)
    np.testing.assert_allclose(far, plain, atol=1e-6)  # nothing of the user's close: unchanged
    as_users = memory_mix(plain, general, both, both_labels, strict)  # were they the user's ...
    assert not np.allclose(as_users, plain, atol=1e-3)  # ... they would have taken over


def test_the_nearest_remembered_digit_decides_the_vote():
    """The user's own 1 is the closest remembered digit (similarity 0.95), but thirty
    general 7s are nearly as close (0.9): with a sharp vote (temperature 0.01) the nearest
    decides and the drawing reads 1; at 0.05 (the guard's softer vote) the many
    7s outvote it and the drawing stays a 7."""
    from digitpad.personalise import memory_mix

    drawing = np.eye(8, dtype=np.float32)[:1]
    memory = np.stack([_at(0.95)] + [_at(0.9)] * 30)
    labels = np.r_[1, np.full(30, 7)]
    read = np.eye(10, dtype=np.float32)[[7]] * 0.8 + 0.02  # the model: 7
    sharp = memory_mix(read, drawing, memory, labels, PersonaliseConfig(memory_temperature=0.01), users=1)
    soft = memory_mix(read, drawing, memory, labels, PersonaliseConfig(memory_temperature=GUARD_TEMPERATURES[-1]), users=1)
    assert PersonaliseConfig().memory_temperature == 0.01 < GUARD_TEMPERATURES[-1]  # sharp by default
    assert sharp[0].argmax() == 1 and soft[0].argmax() == 7, (sharp, soft)
    np.testing.assert_allclose([sharp.sum(), soft.sum()], 1, atol=1e-5)


def _at(sim):
    """A unit feature (8 values) with cosine ``sim`` to the feature e0."""
    return np.r_[sim, np.sqrt(1 - sim**2), np.zeros(6)].astype(np.float32)


def test_the_guard_bounds_the_check_digits_errors_not_only_their_loss():
    """A sharp vote turns 3 of 1,000 general check digits (sevens lying as close to the
    user's 1 as above) into ones: their loss rises by 0.003, within the guard's margin of
    0.005, so a guard of the loss alone keeps the sharp vote. With ``guard_errors`` = 0
    (or the default 2) the guard does not: it softens the vote, which reads all 1,000
    right; a bound of 3 lets the 3 flips through."""
    from digitpad.personalise import check_figures, guard_memory

    n, flipped = 1000, 3
    read = np.tile(np.eye(8, dtype=np.float32)[2], (n, 1))  # far from every remembered digit ...
    read[:flipped] = np.eye(8, dtype=np.float32)[0]  # ... but 3, beside the user's 1 and 30 general 7s
    out = np.full((n, 11), 0.01, np.float32)
    out[:, 7] = 0.9  # the model reads every check digit 7, rightly
    y = np.full(n, 7)
    memory = np.stack([_at(0.95)] + [_at(0.9)] * 30)
    labels = np.r_[1, np.full(30, 7)]
    base_loss, base_error = check_figures(out, y)
    assert base_error == 0

    def guard(**settings):
        config = PersonaliseConfig(memory_temperature=0.01, **settings)
        return guard_memory(out, read, memory, labels, 1, y, config, base_loss)

    (gate, temperature), loss, error, tried = guard(guard_errors=None)  # the loss alone
    assert (gate, temperature) == (0.8, 0.01) and error * n == flipped
    assert base_loss < loss <= base_loss + PersonaliseConfig().guard_margin
    (gate, temperature), loss, error, tried = guard(guard_errors=0)
    assert (gate, temperature) == (0.8, GUARD_TEMPERATURES[-1]) and error == 0, tried
    assert tried[0][2] * n == flipped  # the sharp vote was tried first
    assert guard(guard_errors=flipped)[0] == (0.8, 0.01)
    assert PersonaliseConfig().guard_errors == 2 and guard()[0] == (0.8, GUARD_TEMPERATURES[-1])  # the default bound
    with pytest.raises(ValueError, match="guard errors"):
        PersonaliseConfig(guard_errors=-1)


def _cos(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


@pytest.mark.slow
def test_the_guard_draws_a_damaging_fine_tune_back():
    """A fine-tune made to damage the model (nothing general replayed, ten times the
    learning rate, only sevens to learn) reads general digits worse; with the guard its
    weights are drawn part of the way back towards the general model's, until the loss on
    general digits neither replayed nor tested is within the margin, and the test digits
    are read as well as before. The check digits are training digits of the slice the
    replay did not take, never its test digits."""
    from digitpad.personalise import load_replay

    user = user_from(flat_seven(np.random.default_rng(5), 12), 7)
    harsh = dict(FAST, replay=0, pen_replay=0, learning_rate=0.003, epochs=3, memory=False, check=500)
    margin = PersonaliseConfig().guard_margin
    damaged = personalise(bundled_model_base(), user, PersonaliseConfig(**harsh, guard=False))
    assert damaged.guard is None and damaged.meta["personalised"]["guard"] is None
    guarded = personalise(bundled_model_base(), user, PersonaliseConfig(**harsh, guard=True))
    g = guarded.guard
    assert g["check_digits"] == 500 and guarded.meta["personalised"]["guard"] == g
    first = g["head_tried"][0]  # a = 1: the fine-tune as it came out, the same as without the guard
    assert first[0] == 1 and first[1] > g["base_loss"] + margin and first[2] > g["base_error"], "it should damage"
    assert 0 < g["a"] < 1, f"drawn back part of the way, not to the general model: {g}"
    assert g["loss"] <= g["base_loss"] + margin
    assert guarded.test_accuracy >= max(damaged.test_accuracy, guarded.base_test_accuracy - 0.004)  # 1 of 250
    replay = load_replay(PersonaliseConfig(**harsh, guard=True), np.random.default_rng(0))
    with np.load(SLICE) as s:
        test_rows = {r.tobytes() for r in s["x_test"].reshape(-1, 784)}
    assert len(replay.y_check) == 500 and not any(r.tobytes() in test_rows for r in replay.x_check)
    quiet = load_replay(PersonaliseConfig(**harsh, guard=False), np.random.default_rng(0))  # no check digits
    assert len(quiet.y_check) == 0 and np.array_equal(quiet.x, replay.x)


@pytest.mark.slow
def test_the_guard_raises_the_memorys_gate_when_the_memory_misleads():
    """Ones labelled 7 by the user: remembered, they pull general ones that resemble them
    towards 7. The fine-tune itself is harmless (one epoch at a small rate), so the guard
    leaves its weights (a = 1), softens the sharp vote asked for and raises the memory's gate, and the model built
    remembers with that gate (recorded in its settings): it reads the slice's test digits
    better than the same personalisation without the guard."""
    with np.load(SLICE) as s:
        x, y = s["x_train"].reshape(-1, 784), s["y_train"]
    ones = x[y == 1][:20]
    user = UserDigits(ones, np.full(len(ones), 7))
    mild = dict(FAST, epochs=1, learning_rate=1e-5, replay=300, check=600, memory_temperature=0.01)  # a sharp vote
    plain = personalise(bundled_model_base(), user, PersonaliseConfig(**mild, guard=False))
    guarded = personalise(bundled_model_base(), user, PersonaliseConfig(**mild, guard=True))
    g = guarded.guard
    assert g["a"] == 1 and g["memory_from"] > PersonaliseConfig().memory_from, g
    assert g["gates_tried"][0][1] > g["base_loss"] + PersonaliseConfig().guard_margin  # the memory misled at 0.8
    # the sharp vote was softened at the same gate before the gate was raised, at the softest vote
    default = PersonaliseConfig()
    assert [t[0] for t in g["gates_tried"][:2]] == [default.memory_from] * 2, g
    assert [t[3] for t in g["gates_tried"][:2]] == [0.01, GUARD_TEMPERATURES[-1]], g
    assert g["memory_temperature"] == GUARD_TEMPERATURES[-1]
    assert guarded.meta["personalised"]["settings"]["memory_from"] == g["memory_from"]
    assert guarded.meta["personalised"]["settings"]["memory_temperature"] == g["memory_temperature"]
    assert guarded.test_accuracy > plain.test_accuracy
