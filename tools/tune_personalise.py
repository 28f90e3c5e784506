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

With ``--record DIR`` each run also keeps what the memory's rules read (the outputs and
features of the writer's digits, of MNIST test and of the guard's check digits, and the
memory itself, after the guard's first step); ``--replay DIR`` then applies other memory
and guard settings (``memory_temperature``, ``memory_from``, ``memory_share``,
``memory_bonus``, ``guard_margin``, ``guard_errors``) to those runs in NumPy, the guard's
own code (:func:`digitpad.personalise.guard_memory`), in seconds instead of a
personalisation per run; each replay of the recorded setting is checked against the run:

    python tools/tune_personalise.py --model /path/to/tune11/model --pendigits 11-30 --all --mnist \
        --seeds 1,2,3,4,5 --record /tmp/rec ""
    python tools/tune_personalise.py --model /path/to/tune11/model --pendigits 11-30 --all --mnist \
        --seeds 1,2,3,4,5 --replay /tmp/rec "" "memory_temperature=0.01 guard_errors=2"

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
        out[key] = None if value == "none" else float(value) if any(c in value for c in ".e") else int(value)
    return out


REPLAYABLE = {"memory_temperature", "memory_from", "memory_share", "memory_bonus", "guard_margin", "guard_errors"}


class Recorder:
    """Keeps, for each run of personalise, what the memory's rules read after the guard's
    first step (its weights drawn back or not): the guard's check digits, the memory, and
    afterwards the writer's digits and MNIST test, read by the model personalise made."""

    def __init__(self, folder: Path):
        import digitpad.personalise as P

        self.folder, self.P, self.last = folder, P, {}
        folder.mkdir(parents=True, exist_ok=True)
        real_guard, real_personalise = P._guard, P.personalise

        def guard(trained, reads, base_weights, x_check, y_check, remembered, config):
            g = real_guard(trained, reads, base_weights, x_check, y_check, remembered, config)
            chosen = trained.get_weights()
            trained.set_weights(base_weights)
            base_loss, base_error = P.check_figures(np.asarray(trained.layers[-1](P._run(reads, x_check), training=False)),
                                                    y_check)
            trained.set_weights(chosen)
            read = P._run(reads, x_check)
            self.last = {"read_check": read, "out_check": np.asarray(trained.layers[-1](read, training=False)),
                         "y_check": y_check, "memory": P._run(reads, remembered[0]), "labels": remembered[1],
                         "users": remembered[2], "base_loss": base_loss, "base_error": base_error, "last": trained.layers[-1]}
            return g

        def personalise(*args, **kwargs):
            result = real_personalise(*args, **kwargs)
            self.last["model"] = result.model
            return result

        P._guard, P.personalise = guard, personalise

    def keep(self, row: dict, x_rest: np.ndarray, y_rest: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
        import keras

        last = self.last
        model = last.pop("model")
        reads = keras.Model(model.inputs, model.get_layer("memory_lift").input)  # what the last layer reads
        layer = last.pop("last")
        arrays = {k: np.asarray(v) for k, v in last.items()}
        for name, x, y in (("rest", x_rest, y_rest), ("test", x_test, y_test)):
            read = self.P._run(reads, x)
            arrays[f"read_{name}"], arrays[f"out_{name}"] = read, np.asarray(layer(read, training=False))
            arrays[f"y_{name}"] = y
        np.savez(self.folder / f"{row['writer'].replace('/', '_')}.npz", row=json.dumps(row), **arrays)
        self.last = {}


def replay_run(path: Path, overrides: dict) -> dict:
    """One recorded run with other memory and guard settings: its row as the run would give."""
    import dataclasses

    from digitpad.personalise import PersonaliseConfig, guard_memory, memory_mix

    with np.load(path) as d:
        r = {k: d[k] for k in d.files}
    row = json.loads(str(r["row"]))
    config = PersonaliseConfig(**overrides)
    users = int(r["users"])
    (gate, temperature), loss, error, tried = guard_memory(
        r["out_check"], r["read_check"], r["memory"], r["labels"], users, r["y_check"], config, float(r["base_loss"]))
    rule = dataclasses.replace(config, memory_from=gate, memory_temperature=temperature)
    after = bench.read_as_window(memory_mix(r["out_rest"], r["read_rest"], r["memory"], r["labels"], rule, users=users))
    test = memory_mix(r["out_test"], r["read_test"], r["memory"], r["labels"], rule, users=users)
    guard = dict(row["guard"] or {}, memory_from=gate, memory_temperature=temperature, loss=loss, error=error,
                 gates_tried=[[s[0], lo, e, s[1]] for s, lo, e in tried])
    return dict(row, errors_after=int((after != r["y_rest"]).sum()),
                mnist_after=float(np.mean(test[:, :10].argmax(axis=1) == r["y_test"])), guard=guard,
                recorded_setting=row["setting"], recorded_errors_after=row["errors_after"],
                recorded_mnist_after=row["mnist_after"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("settings", nargs="*", default=[""],
                    help='e.g. "epochs=20 learning_rate=5e-4" or "guard_errors=none" ("": the defaults)')
    ap.add_argument("--model", required=True, help="model base trained without the held-out writers")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--writers", type=int, default=0, help="only the N read worst (0: every writer with errors)")
    ap.add_argument("--all", action="store_true", help="also writers without errors (counts the errors added)")
    ap.add_argument("--mnist", action="store_true", help="also MNIST test after each run")
    ap.add_argument("--json", metavar="FILE", help="also write every run's row (setting, seed, writer, errors, MNIST, guard)")
    ap.add_argument("--record", metavar="DIR", help="keep what each run's memory reads, to --replay it")
    ap.add_argument("--replay", metavar="DIR", help="replay memory and guard settings on runs kept by --record")
    ap.add_argument("--pendigits", metavar="A-B", default=None,
                    help="pendigits writers (within 21-30, left out by train_model.py --hold-out-pendigits) instead of UNIPEN")
    args = ap.parse_args(argv)
    for f in (bench.MNIST_FILE, bench.UNIPEN_FILE):
        if not f.is_file():
            bench.fail(f"{f} is missing")
    os.environ["DIGITPAD_MNIST"] = str(bench.MNIST_FILE)
    os.environ.setdefault("DIGITPAD_PEN_DATA", str(bench.UNIPEN_FILE.parent))

    seeds = [int(s) for s in args.seeds.split(",")]
    if args.replay:
        return replay(args, seeds)
    if args.record and len(args.settings) != 1:
        bench.fail("--record keeps the runs of one setting")
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
    tmp = Path(tempfile.mkdtemp(prefix="tune-personalise-"))
    replays = {}
    dump = []
    recorder = Recorder(Path(args.record)) if args.record else None
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
                if recorder:
                    _, rest = bench.split(strokes, labels)
                    recorder.keep(r, bench.render_all([strokes[i] for i in rest]), labels[rest], replays[key].x_test,
                                  replays[key].y_test)
        dump += rows
        report(setting, rows, seeds, args, PersonaliseConfig(**overrides), t0)
        if args.json:
            Path(args.json).write_text(json.dumps(dump, indent=1))
    return 0


def replay(args, seeds) -> int:
    """--replay: each setting on the recorded runs of ``seeds``."""
    from digitpad.personalise import PersonaliseConfig

    files = sorted(f for f in Path(args.replay).glob("*.npz") if int(f.stem.rsplit("-", 1)[1]) in seeds)
    if not files:
        bench.fail(f"no recorded runs of seeds {args.seeds} in {args.replay}")
    dump = []
    for setting in args.settings:
        overrides = parse_setting(setting)
        if set(overrides) - REPLAYABLE:
            bench.fail(f"only {', '.join(sorted(REPLAYABLE))} can be replayed (got {setting!r})")
        t0 = time.perf_counter()
        rows = [dict(replay_run(f, overrides), setting=setting) for f in files]
        rows.sort(key=lambda r: (r["seed"], -r["errors_before"], r["writer"]))
        dump += rows
        report(setting, rows, seeds, args, PersonaliseConfig(**overrides), t0)
        if args.json:
            Path(args.json).write_text(json.dumps(dump, indent=1))
    return 0


def report(setting: str, rows: list[dict], seeds: list[int], args, config, t0: float) -> None:
    """One line per setting: errors, the 5 worst per seed, MNIST after, what the guard did."""
    eb = sum(r["errors_before"] for r in rows)
    ea = sum(r["errors_after"] for r in rows)
    per_seed, worst_text, left, lowest = [], [], [], []
    worst_met = 0  # seeds in which each of the 5 worst writers was cut by half or more
    for seed in seeds:
        srows = [r for r in rows if r["seed"] == seed]
        cuts = [c for c in map(bench.cut, srows) if c is not None]
        worst = bench.worst_five([r for r in srows if r["errors_before"]])
        per_seed.append(np.mean(cuts))
        left.append(sum(r["errors_after"] for r in srows))
        worst_text.append(" ".join(f"{r['errors_before']}->{r['errors_after']}" for r in worst))
        worst_met += all(bench.cut(r) >= 0.5 for r in worst)
        mnist = [r["mnist_after"] for r in srows if r["mnist_after"] is not None]
        lowest.append(f"{100 * min(mnist):.2f}" if mnist else "-")
    guarded = [r["guard"] for r in rows if r.get("guard")]
    pulled = [g["a"] for g in guarded]
    gated = sum(g.get("memory_from", config.memory_from) != config.memory_from for g in guarded)
    softened = sum(g.get("memory_temperature", config.memory_temperature) != config.memory_temperature for g in guarded)
    added = sum(r["errors_after"] for r in rows if r["errors_before"] == 0)
    replayed = [r for r in rows if r.get("recorded_setting") == setting]  # a replay of the recorded setting itself
    differ = sum(r["errors_after"] != r["recorded_errors_after"] or r["recorded_mnist_after"] is not None
                 and abs(r["mnist_after"] - r["recorded_mnist_after"]) > 1e-9 for r in replayed)
    print(f"\n[{setting or 'defaults'}] seeds {args.seeds}: errors {eb} -> {ea} ({'/'.join(map(str, left))}; "
          f"cut {100 * (1 - ea / max(1, eb)):.0f} %); "
          f"per-writer mean cut per seed " + ", ".join(f"{100 * c:.0f} %" for c in per_seed)
          + f"; 5 worst each >= 50 % in {worst_met}/{len(seeds)} seeds; worst: " + " | ".join(worst_text)
          + (f"; errors added on writers without any: {added}" if args.all else "")
          + f"; MNIST after, lowest per seed {' '.join(lowest)} %"
          + (f"; guard drew {sum(a < 1 for a in pulled)} of {len(pulled)} runs' weights back (a {min(pulled)}-{max(pulled)}),"
             f" softened the memory's vote in {softened}, raised its gate in {gated}" if pulled else "")
          + (f"; runs whose errors or MNIST differ from the recorded runs': {differ} of {len(replayed)}" if replayed else "")
          + f"; {np.median([r['seconds'] for r in rows]):.1f} s per run, {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
