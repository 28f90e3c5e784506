"""A fault-injection pass: hostile files, broken models, killed and concurrent saves.

    python tests/bench_reliability.py [--kills N]

Prints, per kind of fault, how many cases ran and what was lost or wrongly accepted (the
goal is zero everywhere), and a total. What it does:

- **killed saves**: a model version being saved with slowed writes is killed (SIGKILL) at
  a random moment, N times; then every version on disk must load whole (checksums match),
  and the start-up clean-up must leave no temporary behind;
- **killed between renames**: a side-by-side save (an explicit BASE) killed after its
  .tflite moved into place but before its .json: the mixture must be refused on load;
- **two writers**: two processes save 15 versions each under the same name at once: 30
  saves reported, 30 distinct names, 30 on disk;
- **failing fsync**: the disk reports EIO on flush: the save fails, the old model is whole;
- **broken models**: no softmax, NaN output, uint8 input, 2,000 flipped bytes, a .tflite of
  another save, a 100,000-deep .json: each refused with one line (or ignored, the .json);
- **hostile inputs** to `digitpad predict` in one run (with a good image last): PostScript
  named .png (with a fake `gs` on PATH that records being run), a FIFO, a symbolic-link
  loop, a 300-character name, a folder, a missing file, an animated GIF, a truncated PNG, a
  newline in a name, an InkML entity bomb, a 100,000-deep .json of strokes: one line each,
  nothing hangs, the good image is still read.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from digitpad.fileio import TEMP_RE, clean_stale_temporaries  # noqa: E402
from digitpad.modelfiles import ModelError, model_files, save_model_version, write_model_files  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from test_model_reliability import _SAVER, BAD, fake_writers  # noqa: E402


def saver(folder: Path, mode: str, count: int, delay: float, code: str = _SAVER) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, str(folder), mode, str(count), str(delay)],
                            stdout=subprocess.PIPE, text=True)


def killed_saves(root: Path, trials: int, rng) -> dict:
    folder = root / "killed"
    folder.mkdir()
    reported: list[str] = []
    for _ in range(trials):
        p = saver(folder, "version", 4, 0.02)
        time.sleep(float(rng.uniform(0.3, 4.0)))  # the saver starts (imports) in ~1 s, a save takes ~0.3 s
        p.send_signal(signal.SIGKILL)
        reported += p.communicate()[0].split()
    versions = [d for d in folder.iterdir() if not TEMP_RE.match(d.name)]
    missing = sum(not Path(r).with_suffix(".tflite").exists() for r in reported)
    broken = 0
    for d in versions:
        try:
            Predictor(d)
        except ModelError:
            broken += 1
    left = len([d for d in folder.iterdir() if TEMP_RE.match(d.name)])
    clean_stale_temporaries(folder)
    after = len([d for d in folder.iterdir() if TEMP_RE.match(d.name)])
    return {"cases": trials, "saves reported done": len(reported), "reported but missing": missing,
            "versions whole on disk": len(versions) - broken, "partial versions": broken,
            "temporaries left by kills": left, "temporaries after start-up clean-up": after,
            "lost": missing + broken + after}


def killed_between_renames(root: Path, trials: int) -> dict:
    accepted = 0
    for t in range(trials):
        folder = root / f"mixed{t}"
        folder.mkdir()
        write_model_files(folder / "m", fake_writers(b"first"), {"name": "first"})
        shutil.copyfile(BAD / "eleven_softmax.tflite", folder / "other.tflite")
        code = _SAVER.replace('src = model_files(bundled_model_base())["tflite"]', f"src = {str(folder / 'other.tflite')!r}")
        p = saver(folder, "slow-rename", 1, 30, code)
        deadline = time.monotonic() + 60
        while not (folder / "replaced-tflite").exists() and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        p.wait()
        try:
            Predictor(folder / "m")
            accepted += 1
        except ModelError:
            pass
    return {"cases": trials, "mixed trios used": accepted, "lost": accepted}


def two_writers(root: Path) -> dict:
    folder = root / "two"
    folder.mkdir()
    procs = [saver(folder, "version", 15, 0.0) for _ in range(2)]
    reported = [line for p in procs for line in p.communicate(timeout=300)[0].split()]
    on_disk = [d for d in folder.iterdir() if not TEMP_RE.match(d.name)]
    return {"cases": 30, "saves reported": len(reported), "distinct names": len(set(reported)),
            "on disk": len(on_disk), "lost": 30 - len(on_disk) + (len(reported) - len(set(reported)))}


def failing_fsync(root: Path, trials: int) -> dict:
    folder = root / "fsync"
    folder.mkdir()
    write_model_files(folder / "m", fake_writers(b"old"), {"name": "old"})
    real = os.fsync

    def eio(fd):
        raise OSError(errno.EIO, "Input/output error")

    reported = 0
    os.fsync = eio
    try:
        for _ in range(trials):
            try:
                write_model_files(folder / "m", fake_writers(b"new"), {"name": "new"})
            except OSError:
                reported += 1
            try:
                save_model_version(folder, "v", fake_writers(), {})
            except OSError:
                reported += 1
    finally:
        os.fsync = real
    intact = Predictor(folder / "m").name == "old" and model_files(folder / "m")["keras"].read_bytes() == b"old"
    return {"cases": 2 * trials, "errors reported": reported, "old model whole": intact,
            "lost": (2 * trials - reported) + (0 if intact else 1)}


def broken_models(root: Path) -> dict:
    folder = root / "models"
    folder.mkdir()
    cases = [BAD / "no_softmax.tflite", BAD / "nan_output.tflite", BAD / "uint8_input.tflite"]
    flipped = save_model_version(folder, "flipped", fake_writers(), {})
    data = bytearray(model_files(flipped)["tflite"].read_bytes())
    for i in np.random.default_rng(0).choice(np.arange(len(data) // 2, len(data)), 2000, replace=False):
        data[i] ^= 0xFF
    model_files(flipped)["tflite"].write_bytes(bytes(data))
    mixed = folder / "mixed"
    write_model_files(mixed, fake_writers(), {})
    shutil.copyfile(BAD / "eleven_softmax.tflite", model_files(mixed)["tflite"])
    cases += [flipped, mixed]
    accepted = 0
    for c in cases:
        try:
            Predictor(c)
            accepted += 1
        except ModelError as exc:
            assert "\n" not in str(exc)
    deep = folder / "deep"
    write_model_files(deep, fake_writers(), {})
    model_files(deep)["json"].write_text("[" * 100_000 + "]" * 100_000)
    deep_ok = Predictor(deep).meta == {}
    return {"cases": len(cases) + 1, "unusable models accepted": accepted, "deep .json ignored": deep_ok,
            "lost": accepted + (0 if deep_ok else 1)}


def hostile_inputs(root: Path) -> dict:
    folder = root / "inputs"
    folder.mkdir()
    d = np.load(HERE / "data" / "mnist_sample.npz")
    good = folder / "good.png"
    Image.fromarray(d["x"][0]).save(good)
    files = []
    (folder / "evil.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 9 9\n{} loop\n")
    files.append(folder / "evil.png")
    os.mkfifo(folder / "pipe.png")
    files.append(folder / "pipe.png")
    os.symlink(folder / "b.png", folder / "a.png")
    os.symlink(folder / "a.png", folder / "b.png")
    files += [folder / "a.png", folder / ("x" * 300 + ".png"), folder, folder / "missing.png"]
    frames = [Image.new("L", (20, 20), v) for v in (0, 255)]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    files.append(folder / "anim.gif")
    (folder / "cut.png").write_bytes(good.read_bytes()[:60])
    files.append(folder / "cut.png")
    bomb = '<!DOCTYPE ink [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><ink><trace>&b;</trace></ink>'
    (folder / "bomb.inkml").write_text(bomb)
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    files += [folder / "bomb.inkml", folder / "deep.json"]
    odd = folder / "two\nlines.png"
    shutil.copyfile(good, odd)
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    marker = folder / "gs-was-run"
    (bin_dir / "gs").write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 60\n")
    (bin_dir / "gs").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "digitpad", "predict", *map(str, files), str(odd), str(good)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    seconds = time.monotonic() - started
    errors = proc.stderr.splitlines()
    out = proc.stdout.splitlines()
    ok = (len(errors) == len(files) and len(out) == 2 and out[-1].startswith(f"{good}:") and not marker.exists()
          and proc.returncode == 2 and "Traceback" not in proc.stderr)
    return {"cases": len(files) + 1, "one-line errors": len(errors), "answers": len(out),
            "ghostscript run": marker.exists(), "seconds": round(seconds, 1), "lost": 0 if ok else 1}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40, help="killed saves (default 40)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.ERROR)  # the refused models' warnings are expected
    rng = np.random.default_rng(0)
    total_cases = total_lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, run in [
            ("killed saves (SIGKILL mid-save)", lambda: killed_saves(root, args.kills, rng)),
            ("killed between renames (side by side)", lambda: killed_between_renames(root, 10)),
            ("two writers at once", lambda: two_writers(root)),
            ("failing fsync", lambda: failing_fsync(root, 10)),
            ("broken models", lambda: broken_models(root)),
            ("hostile inputs to predict", lambda: hostile_inputs(root)),
        ]:
            figures = run()
            total_cases += figures["cases"]
            total_lost += figures["lost"]
            print(f"{name}: " + json.dumps(figures))
    print(f"total: {total_cases} cases, data lost or garbage accepted: {total_lost}")
    return 0 if total_lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
