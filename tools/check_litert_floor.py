"""Does the oldest LiteRT that pyproject.toml lets in still run the bundled model?

    python tools/check_litert_floor.py                 # LiteRT 1.0.1, resources/model.tflite
    python tools/check_litert_floor.py --version 1.2.0 --model path/to/model.tflite

Intel Macs get ai-edge-litert 1.0.1 (the last release with Intel macOS wheels, Python 3.11
only; see pyproject.toml).  No Intel Mac is at hand, so this runs the same release's Linux
wheel: it installs it with numpy < 2 (what it was built for, and what TensorFlow 2.16 pins
on Intel macOS) into a throwaway virtual environment, runs the model on the 250 test digits
of resources/mnist_slice.npz there, and compares with the LiteRT installed here.  Exit 1
when the old release cannot load or run the model, or disagrees.  Re-run it whenever the
bundled model is replaced.  Needs the package registry (pip); takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the throwaway environment: only the old LiteRT and numpy there.
_CHILD = r"""
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter
x = np.load(sys.argv[2])
it = Interpreter(model_path=sys.argv[1], num_threads=1)
inp, out = it.get_input_details()[0], it.get_output_details()[0]
it.resize_tensor_input(inp["index"], list(x.shape))
it.allocate_tensors()
it.set_tensor(inp["index"], x)
it.invoke()
print(json.dumps(it.get_tensor(out["index"]).tolist()))
"""


def digits(x_path: Path) -> np.ndarray:
    with np.load(x_path) as data:
        x = data["x_test"]
    return (x.reshape(len(x), -1).astype(np.float32) / 255.0).copy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="1.0.1", help="ai-edge-litert release to try (default: 1.0.1)")
    parser.add_argument("--model", type=Path, default=ROOT / "resources" / "model.tflite")
    args = parser.parse_args(argv)

    from digitpad.predictor import Predictor

    x = digits(ROOT / "resources" / "mnist_slice.npz")
    here = Predictor(args.model)
    if here.backend != "litert":
        print("check_litert_floor: LiteRT is not installed here to compare with", file=sys.stderr)
        return 2
    expected = here.outputs(x)

    with tempfile.TemporaryDirectory(prefix="litert-floor-") as tmp:
        env = Path(tmp) / "venv"
        venv.create(env, with_pip=True)
        python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"ai-edge-litert=={args.version}", "numpy<2"],
            capture_output=True, text=True, check=False,
        )
        if install.returncode != 0:
            print(f"check_litert_floor: cannot install ai-edge-litert {args.version}: "
                  f"{install.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 2
        np.save(Path(tmp) / "x.npy", x)
        run = subprocess.run([str(python), "-c", _CHILD, str(args.model), str(Path(tmp) / "x.npy")],
                             capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f"FAIL ai-edge-litert {args.version} cannot run {args.model}: "
              f"{(run.stderr.strip().splitlines() or ['?'])[-1]}")
        return 1
    old = np.asarray(json.loads(run.stdout.strip().splitlines()[-1]), dtype=np.float32)
    if old.shape != expected.shape:
        print(f"FAIL ai-edge-litert {args.version} gives outputs of shape {old.shape}, not {expected.shape}")
        return 1
    agree = float((old.argmax(axis=1) == expected.argmax(axis=1)).mean())
    diff = float(np.abs(old - expected).max())
    verdict = "ok  " if agree == 1.0 and diff < 1e-4 else "FAIL"
    print(f"{verdict} ai-edge-litert {args.version} runs {args.model.name} ({expected.shape[1]} outputs): "
          f"{agree:.1%} of {len(x)} test digits agree with the LiteRT here, largest output difference {diff:.1e}")
    return 0 if verdict == "ok  " else 1


if __name__ == "__main__":
    sys.exit(main())
