"""The predictor: LiteRT on the bundled model, clear errors for broken model files."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from digitpad.modelfiles import ModelError, model_base, model_files, read_meta
from digitpad.paths import bundled_model_base
from digitpad.predictor import Prediction, Predictor, Thresholds, load_predictor

SAMPLE = __import__("pathlib").Path(__file__).parent / "data" / "mnist_sample.npz"


@pytest.fixture(scope="module")
def sample():
    d = np.load(SAMPLE)
    return d["x"].reshape(len(d["x"]), -1).astype(np.float32) / 255.0, d["y"].astype(int)


@pytest.fixture(scope="module")
def bundled():
    return Predictor.bundled()


def test_bundled_model_has_three_files_and_a_description():
    files = model_files(bundled_model_base())
    assert all(p.is_file() for p in files.values()), files
    meta = read_meta(bundled_model_base())
    for key in ("architecture", "parameters", "mnist_test_accuracy", "seed", "data_sha256", "training", "date"):
        assert key in meta, key
    assert meta["mnist_test_accuracy"] >= 0.98


def test_bundled_model_recognises_mnist_sample(bundled, sample):
    x, y = sample
    probs = bundled.probabilities(x)
    assert probs.shape == (len(x), 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert (probs.argmax(axis=1) == y).mean() >= 0.97


def test_single_and_batch_agree(bundled, sample):
    x, _ = sample
    batch = bundled.probabilities(x[:5])
    singles = np.stack([bundled.probabilities(v) for v in x[:5]])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_predict_none_is_no_digit(bundled):
    p = bundled.predict(None)
    assert p.digit is None and p.confidence == 0.0
    assert p.to_json() == {
        "digit": None,
        "state": "empty",
        "confidence": 0.0,
        "probabilities": [0.0] * 10,
        "reason": "nothing drawn",
    }


def test_prediction_from_probabilities():
    probs = np.array([0.05, 0.05, 0.6, 0.3, 0, 0, 0, 0, 0, 0], np.float32)
    p = Prediction.from_probabilities(probs)
    assert p.digit == 2 and p.confidence == pytest.approx(0.6)
    assert p.state == "digit" and p.reason is None and p.not_digit == 0.0


def test_eleventh_output_is_not_a_digit_and_digits_are_renormalised():
    out = np.array([0.01, 0.0, 0.06, 0.0, 0.03, 0, 0, 0, 0, 0, 0.9], np.float32)
    p = Prediction.from_probabilities(out)
    assert p.state == "not_digit" and p.digit is None and p.best == 2
    assert p.probabilities.sum() == pytest.approx(1.0) and p.probabilities[2] == pytest.approx(0.6)
    j = p.to_json()
    assert j["digit"] is None and j["reason"].startswith("not a digit") and j["not_digit"] == pytest.approx(0.9)
    # the same digits with a low "not a digit" are a digit
    out[10] = 0.1
    assert Prediction.from_probabilities(out).digit == 2
    # with the weak rule on, a middling "not a digit" rejects a weak digit, not a clear one
    weak_rule = Thresholds(not_digit=0.85, weak_not_digit=0.5, weak_confidence=0.9)
    weak = np.array([0, 0, 0.3, 0, 0.1, 0, 0, 0, 0, 0, 0.6], np.float32)
    assert Prediction.from_probabilities(weak, weak_rule).state == "not_digit"
    assert Prediction.from_probabilities(weak, Thresholds(0.85, 0.5, 0.0)).digit == 2  # confidence 0: off
    clear = np.array([0, 0, 0.38, 0, 0.02, 0, 0, 0, 0, 0, 0.6], np.float32)
    assert Prediction.from_probabilities(clear, weak_rule).digit == 2


def _eleven(best: float, not_digit: float) -> np.ndarray:
    """Outputs whose ten digits, renormalised, give 3 the probability ``best`` (the rest on
    8), with P(not a digit) = ``not_digit``."""
    digits = np.zeros(10)
    digits[3], digits[8] = best, 1 - best
    return np.append(digits * (1 - not_digit), not_digit).astype(np.float32)


@pytest.mark.parametrize(
    ("best", "not_digit", "state"),
    [
        (0.999, 0.84, "digit"),  # a middling P(not a digit) leaves a digit a digit
        (0.999, 0.86, "not_digit"),  # ... up to 0.85
        (0.6, 0.8, "digit"),  # the weak rule is off: a weak digit is not rejected for it
        (0.52, 0.0, "unsure"),  # two digits within 0.1
        (0.56, 0.0, "digit"),
    ],
)
def test_default_rule(best, not_digit, state):
    """The rule in use (docs/accuracy.md: chosen on held-out writers), at its edges."""
    p = Prediction.from_probabilities(_eleven(best, not_digit))
    assert p.state == state
    assert p.best == 3 and (p.digit == 3) == (state == "digit")
    assert p.confidence == pytest.approx(best, abs=1e-6)


def test_close_digits_are_not_sure():
    probs = np.array([0, 0, 0, 0, 0.48, 0, 0, 0, 0, 0.52], np.float32)
    p = Prediction.from_probabilities(probs, Thresholds(unsure_margin=0.2))
    assert p.state == "unsure" and p.digit is None and p.best == 9
    assert p.reason == "not sure: 9 or 4"
    assert Prediction.from_probabilities(probs, Thresholds(unsure_margin=0.01)).digit == 9


def test_wrong_input_size_is_a_value_error(bundled):
    with pytest.raises(ValueError, match="784"):
        bundled.probabilities(np.zeros(100, np.float32))


def test_model_base_strips_known_suffixes(tmp_path):
    assert model_base(tmp_path / "m.tflite") == tmp_path / "m"
    assert model_base(tmp_path / "m.keras") == tmp_path / "m"
    assert model_base(tmp_path / "m") == tmp_path / "m"


def test_missing_model_names_the_file(tmp_path):
    with pytest.raises(ModelError, match="nothere.tflite"):
        Predictor(tmp_path / "nothere.tflite")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_tflite_is_a_clear_error(tmp_path, damage):
    src = model_files(bundled_model_base())["tflite"]
    dst = tmp_path / "broken.tflite"
    data = src.read_bytes()
    dst.write_bytes({"truncate": data[: len(data) // 3], "garbage": b"not a model" * 100, "empty": b""}[damage])
    with pytest.raises(ModelError) as info:
        Predictor(dst)
    message = str(info.value)
    assert "broken.tflite" in message and "\n" not in message


def test_load_predictor_falls_back_to_bundled(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"junk")
    predictor, reason = load_predictor(bad)
    assert predictor.base == bundled_model_base()
    assert reason and "bad.tflite" in reason


def test_meta_missing_or_corrupt_is_empty(tmp_path):
    shutil.copy(model_files(bundled_model_base())["tflite"], tmp_path / "m.tflite")
    assert Predictor(tmp_path / "m.tflite").meta == {}
    (tmp_path / "m.json").write_text("{not json")
    assert read_meta(tmp_path / "m") == {}
    (tmp_path / "m.json").write_text(json.dumps({"name": "mine"}))
    assert Predictor(tmp_path / "m").name == "mine"


def test_prediction_never_imports_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from digitpad.predictor import Predictor\n"
        "p = Predictor.bundled()\n"
        "p.predict(np.zeros(784, np.float32))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
        "print(p.backend, len(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["litert", "0"], out.stdout + out.stderr


@pytest.mark.slow
def test_keras_fallback_agrees_with_litert(bundled, sample):
    x, _ = sample
    keras_predictor = Predictor(bundled_model_base(), backend="keras")
    np.testing.assert_allclose(keras_predictor.probabilities(x[:20]), bundled.probabilities(x[:20]), atol=1e-4)


@pytest.mark.slow
def test_corrupt_keras_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(ModelError, match="broken.keras"):
        Predictor(bad)


def test_explicit_file_with_another_suffix_is_tried_as_it_is(tmp_path, sample):
    src = model_files(bundled_model_base())["tflite"]
    renamed = tmp_path / "digits.bin"
    renamed.write_bytes(src.read_bytes())
    x, y = sample
    assert (Predictor(renamed).probabilities(x[:50]).argmax(axis=1) == y[:50]).mean() > 0.9
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(ModelError, match="notes.txt: "):
        Predictor(text)
