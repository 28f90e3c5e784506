"""Prove that digitpad installs on each desktop platform, from this one machine.

    python tools/check_platforms.py            # needs `uv` (pip install uv) and the registry

For each platform and Python version below, ``uv pip compile`` resolves pyproject.toml
with every extra, accepting wheels only (a user's pip would otherwise try to build
TensorFlow from source), and the result must contain LiteRT (``ai-edge-litert``) exactly
where the table says it should.  Exit status 1 when a platform does not resolve or its
LiteRT is not as expected; one line per resolution either way.

Nothing is downloaded but package metadata; the whole run takes seconds with uv's cache
and well under a minute without it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12")


@dataclass(frozen=True)
class Target:
    name: str
    platform: str  # uv's --python-platform
    pythons: tuple[str, ...] = PYTHONS
    # Python versions on which LiteRT must be in the resolution; on the others it must not.
    litert_on: tuple[str, ...] = PYTHONS
    required: bool = True  # the desktops the release workflow builds for


TARGETS = (
    # glibc 2.28 (RHEL 8, Debian 10+): the oldest desktop Linux that LiteRT 2.x (2.27) and
    # TensorFlow 2.21 support; newer distributions get newer PySide6 wheels.
    Target("Linux x86-64", "x86_64-manylinux_2_28"),
    Target("Windows x86-64", "x86_64-pc-windows-msvc"),
    Target("macOS arm64", "aarch64-apple-darwin"),
    # Not built by the release workflow, checked so the markers say exactly where LiteRT is:
    # Intel macOS has LiteRT 1.0.x for Python 3.11 only; PySide6 on Linux aarch64 needs
    # glibc 2.39 (Ubuntu 24.04).
    Target("macOS x86-64", "x86_64-apple-darwin", litert_on=("3.11",), required=False),
    Target("Linux aarch64", "aarch64-manylinux_2_39", required=False),
)

# What the one-line summary shows besides LiteRT.
SHOWN = ("tensorflow", "tensorflow-cpu", "keras", "pyside6-essentials", "numpy", "pyinstaller")
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass(frozen=True)
class Result:
    target: Target
    python: str
    ok: bool
    line: str


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a compiled requirements file -> {normalised name: version}."""
    pins = {}
    for line in text.splitlines():
        match = _PINNED.match(line.strip())
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def compile_command(uv: str, target: Target, python: str, pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    return [
        uv, "pip", "compile", str(pyproject), "--all-extras",
        "--only-binary", ":all:", "--no-config", "--quiet", "--no-header", "--no-annotate",
        "--python-platform", target.platform, "--python-version", python,
    ]


def judge(target: Target, python: str, returncode: int, stdout: str, stderr: str) -> Result:
    """One resolution's verdict: it must resolve, with LiteRT exactly where expected."""
    label = f"{target.name:<15} Python {python}"
    if returncode != 0:
        why = " ".join(line.strip() for line in stderr.strip().splitlines()[:3]) or f"exit {returncode}"
        return Result(target, python, False, f"FAIL {label}: does not resolve: {why}")
    pins = parse_pins(stdout)
    litert = pins.get("ai-edge-litert")
    shown = ", ".join(f"{name} {pins[name]}" for name in SHOWN if name in pins)
    want = python in target.litert_on
    if want and litert is None:
        return Result(target, python, False, f"FAIL {label}: resolves WITHOUT LiteRT (ai-edge-litert): {shown}")
    if not want and litert is not None:
        return Result(target, python, False,
                      f"FAIL {label}: resolves with LiteRT {litert} where the markers should leave it out")
    what = f"LiteRT {litert}" if litert else "no LiteRT (Keras fallback)"
    return Result(target, python, True, f"ok   {label}: {what}; {shown}")


Runner = Callable[[list[str]], subprocess.CompletedProcess]


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def check(targets: Iterable[Target], uv: str, run: Runner = _run,
          pyproject: Path = ROOT / "pyproject.toml") -> list[Result]:
    """Resolve every (target, Python) pair, four at a time (most of the time is spent
    waiting for the registry), and print one line each in table order."""
    jobs = [(target, python) for target in targets for python in target.pythons]

    def one(job: tuple[Target, str]) -> Result:
        target, python = job
        proc = run(compile_command(uv, target, python, pyproject))
        return judge(target, python, proc.returncode, proc.stdout, proc.stderr)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, jobs))
    for result in results:
        print(result.line, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", default=shutil.which("uv"), help="the uv executable (default: uv on PATH)")
    parser.add_argument("--required-only", action="store_true",
                        help="only the platforms the release workflow builds for")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.uv:
        print("check_platforms: uv not found; install it with `pip install uv`", file=sys.stderr)
        return 2
    targets = [t for t in TARGETS if t.required or not args.required_only]
    start = time.perf_counter()
    results = check(targets, args.uv, pyproject=args.pyproject)
    failed = [r for r in results if not r.ok]
    print(f"check_platforms: {len(results) - len(failed)} of {len(results)} resolutions as expected "
          f"({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
