"""Tune personalise's settings on writers no model under test has seen.

Plays each held-out UNIPEN writer (``digitpad.pendata.held_out_part``), or with
``--pendigits 21-30`` each of those pendigits training writers, as a new writer,
exactly as tests/bench_personalise.py does for pendigits writers 31-44 (the first 3 digits
of each class are corrections, the rest is read before and after, "not a digit" and "not
sure" counting as errors), personalising a model trained WITHOUT those writers (``--model``,
e.g. one trained with ``hold_out``; for pendigits 21-30 one trained with ``--hold-out
--hold-out-pendigits``), over several seeds, for each setting given:

    python tools/tune_personalise.py --model /path/to/holdout/model --seeds 1,2,3 \\
        "epochs=12" "epochs=20 learning_rate=5e-4" "user_weight=3"
    python tools/tune_personalise.py --model /path/to/tune21/model --pendigits 21-30 --all --mnist \\
        "memory=0" "memory_share=0.9 memory_from=0.7" ""
    python tools/tune_personalise.py --model /path/to/tune11/model --pendigits 11-30 --all ""

(the tune11 model from ``train_model.py --hold-out --hold-out-pendigits --tune-writers 11-30``:
twenty new writers, who read about as many digits wrong as writers 31-44 do; the writers a
model left out are in its .json, and none of them is replayed).

Prints per setting: errors before -> after over all writers, the mean of the per-writer
cuts (writers with errors before), each of the 5 worst writers' cut, and MNIST test after
(the last only with --mnist: it costs seconds per run). Pendigits writers 31-44 are never
used here: they are the benchmark's.

Needs ../shared/data (DIGITPAD_UNIPEN, DIGITPAD_MNIST, DIGITPAD_PEN_DATA as the benchmark).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_personalise as bench  # noqa: E402  (the same split, rendering and reading)


def parse_setting(text: str) -> dict:
    out = {}
    for part in text.split():
        key, _, value = part.partition("=")
        out[key] = float(value) if any(c in value for c in ".e") else int(value)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("settings", nargs="*", default=[""], help='e.g. "epochs=20 learning_rate=5e-4" ("": the defaults)')
    ap.add_argument("--model", required=True, help="model base trained without the held-out writers")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--writers", type=int, default=0, help="only the N read worst (0: every writer with errors)")
    ap.add_argument("--all", action="store_true", help="also writers without errors (counts the errors added)")
    ap.add_argument("--mnist", action="store_true", help="also MNIST test after each run")
    ap.add_argument("--json", metavar="FILE", help="also write every run's row (setting, seed, writer, errors, MNIST, guard)")
    ap.add_argument("--pendigits", metavar="A-B", default=None,
                    help="pendigits writers (within 21-30, left out by train_model.py --hold-out-pendigits) instead of UNIPEN")
    args = ap.parse_args(argv)
    for f in (bench.MNIST_FILE, bench.UNIPEN_FILE):
        if not f.is_file():
            bench.fail(f"{f} is missing")
    os.environ["DIGITPAD_MNIST"] = str(bench.MNIST_FILE)
    os.environ.setdefault("DIGITPAD_PEN_DATA", str(bench.UNIPEN_FILE.parent))

    from digitpad.modelfiles import read_meta
    from digitpad.pendata import DEFAULT_TUNE_WRITERS, parse_tune_writers
    from digitpad.personalise import PersonaliseConfig, load_keras_model, load_replay

    base_model = load_keras_model(args.model)
    training = read_meta(args.model).get("training") or {}
    left_out = training.get("tune_writers") or DEFAULT_TUNE_WRITERS  # models made before the option left those out
    tune_writers = parse_tune_writers(left_out)
    candidates = []
    if args.pendigits:
        chosen = set(bench.parse_writers(args.pendigits))
        if not training.get("hold_out_pendigits"):
            bench.fail(f"{args.model} was not trained with --hold-out-pendigits: it has seen those writers")
        if not chosen <= tune_writers:
            bench.fail(f"--pendigits must be within {left_out} (the writers the model's --hold-out-pendigits left out; "
                       "31-44 only measure)")
        for w, (strokes, labels) in bench.load_writers(bench.PEN_FILE, sorted(chosen)).items():
            candidates.append((f"pendigits/{w}", strokes, labels))
    else:
        candidates = [(name, strokes, labels) for name, (strokes, labels) in bench.held_out_unipen().items()]
    writers = []
    for name, strokes, labels in candidates:
        before = bench.errors_before(base_model, strokes, labels)
        if before is not None:
            writers.append((before[0], str(name), strokes, labels))
    writers.sort(key=lambda w: -w[0])
    print(f"{len(writers)} held-out writers with every class; errors before: "
          + ", ".join(f"{w[1]} {w[0]}/{len(w[3]) - 30}" for w in writers), flush=True)
    if not args.all:
        writers = [w for w in writers if w[0] > 0]
    if args.writers:
        writers = writers[: args.writers]
    seeds = [int(s) for s in args.seeds.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="tune-personalise-"))
    replays = {}
    dump = []
    for setting in args.settings:
        overrides = parse_setting(setting)
        rows = []
        t0 = time.perf_counter()
        for seed in seeds:
            config = PersonaliseConfig(seed=seed, evaluate=args.mnist, **overrides)
            key = (seed, config.replay, config.pen_replay, config.guard, config.check)
            if key not in replays:
                replays[key] = load_replay(config, np.random.default_rng(seed), not_digit=base_model.output_shape[-1] == 11,
                                           tune_writers=tune_writers)
            for _, name, strokes, labels in writers:
                r = bench.run_writer(args.model, base_model, strokes, labels, config, replays[key], tmp, f"{name}-{seed}")
                r["seed"] = seed
                r["setting"] = setting
                rows.append(r)
        eb = sum(r["errors_before"] for r in rows)
        ea = sum(r["errors_after"] for r in rows)
        per_seed = []
        worst_text = []
        worst_met = 0  # seeds in which each of the 5 worst writers was cut by half or more
        for seed in seeds:
            srows = [r for r in rows if r["seed"] == seed]
            cuts = [c for c in map(bench.cut, srows) if c is not None]
            worst = bench.worst_five([r for r in srows if r["errors_before"]])
            per_seed.append(np.mean(cuts))
            worst_text.append(" ".join(f"{r['errors_before']}->{r['errors_after']}" for r in worst))
            worst_met += all(bench.cut(r) >= 0.5 for r in worst)
        dump += rows
        guarded = [r["guard"] for r in rows if r.get("guard")]
        pulled = [g["a"] for g in guarded]
        gated = sum(g.get("memory_from", config.memory_from) != config.memory_from for g in guarded)
        softened = sum(g.get("memory_temperature", config.memory_temperature) != config.memory_temperature for g in guarded)
        added = sum(r["errors_after"] for r in rows if r["errors_before"] == 0)
        mnist = [r["mnist_after"] for r in rows if r["mnist_after"] is not None]
        print(f"\n[{setting or 'defaults'}] seeds {args.seeds}: errors {eb} -> {ea} (cut {100 * (1 - ea / max(1, eb)):.0f} %); "
              f"per-writer mean cut per seed " + ", ".join(f"{100 * c:.0f} %" for c in per_seed)
              + f"; 5 worst each >= 50 % in {worst_met}/{len(seeds)} seeds; worst: " + " | ".join(worst_text)
              + (f"; errors added on writers without any: {added}" if args.all else "")
              + (f"; MNIST after min {100 * min(mnist):.2f} %" if mnist else "")
              + (f"; guard drew {sum(a < 1 for a in pulled)} of {len(pulled)} runs' weights back (a {min(pulled)}-{max(pulled)}),"
                 f" softened the memory's vote in {softened}, raised its gate in {gated}" if pulled else "")
              + f"; {np.median([r['seconds'] for r in rows]):.1f} s per run, {time.perf_counter() - t0:.0f} s", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(dump, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
