"""Which platform gets which dependencies: the markers in pyproject.toml, evaluated offline
for each desktop, and the verdicts of tools/check_platforms.py (which resolves them for real
in CI) on canned resolver output."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent


def _load_tool():
    spec = importlib.util.spec_from_file_location("check_platforms", ROOT / "tools" / "check_platforms.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check_platforms = _load_tool()


def _environment(sys_platform: str, machine: str, python: str) -> dict[str, str]:
    return {
        "sys_platform": sys_platform, "platform_machine": machine,
        "python_version": python, "python_full_version": python + ".0",
        "platform_system": {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}[sys_platform],
        "os_name": "nt" if sys_platform == "win32" else "posix",
        "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": "",
    }


def _requirements(env: dict[str, str]) -> dict[str, Requirement]:
    """The project's dependencies that apply in ``env``: {name: requirement}."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    chosen: dict[str, Requirement] = {}
    for text in deps:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(env):
            assert req.name not in chosen, f"two requirements of {req.name} apply to {env['sys_platform']}"
            chosen[req.name] = req
    return chosen


# (sys_platform, platform_machine, python) -> (LiteRT required?, which TensorFlow wheel)
PLATFORMS = {
    ("linux", "x86_64", "3.11"): (True, "tensorflow-cpu"),
    ("linux", "x86_64", "3.12"): (True, "tensorflow-cpu"),
    ("win32", "AMD64", "3.11"): (True, "tensorflow-cpu"),
    ("win32", "AMD64", "3.12"): (True, "tensorflow-cpu"),
    ("darwin", "arm64", "3.11"): (True, "tensorflow"),
    ("darwin", "arm64", "3.12"): (True, "tensorflow"),
    ("linux", "aarch64", "3.12"): (True, "tensorflow"),
    # LiteRT has wheels for Intel macOS only up to Python 3.11 (1.0.x), none for Windows on Arm.
    ("darwin", "x86_64", "3.11"): (True, "tensorflow"),
    ("darwin", "x86_64", "3.12"): (False, "tensorflow"),
    ("win32", "ARM64", "3.12"): (False, "tensorflow"),
}


@pytest.mark.parametrize("where", list(PLATFORMS), ids=lambda w: "-".join(w))
def test_litert_is_a_dependency_exactly_where_it_has_wheels(where):
    litert, tensorflow = PLATFORMS[where]
    chosen = _requirements(_environment(*where))
    assert ("ai-edge-litert" in chosen) is litert
    assert tensorflow in chosen and ({"tensorflow", "tensorflow-cpu"} - {tensorflow}).isdisjoint(chosen)
    assert {"pyside6-essentials", "keras", "numpy", "pillow", "matplotlib"} <= set(chosen)


def test_intel_macos_litert_floor_is_the_only_release_it_has():
    chosen = _requirements(_environment("darwin", "x86_64", "3.11"))
    assert chosen["ai-edge-litert"].specifier.contains("1.0.1")
    assert not _requirements(_environment("win32", "AMD64", "3.12"))["ai-edge-litert"].specifier.contains("1.0.1")


def test_pyside_6_12_is_kept_off_python_before_3_12_only():
    assert not _requirements(_environment("win32", "AMD64", "3.11"))["pyside6-essentials"].specifier.contains("6.12.0")
    assert _requirements(_environment("win32", "AMD64", "3.12"))["pyside6-essentials"].specifier.contains("6.12.0")


# --- tools/check_platforms.py ---------------------------------------------------------
LINUX = check_platforms.Target("Linux x86-64", "x86_64-manylinux_2_28")
INTEL_MAC = check_platforms.Target("macOS x86-64", "x86_64-apple-darwin", litert_on=("3.11",), required=False)
RESOLVED = "ai-edge-litert==2.3.0\nkeras==3.15.1\nnumpy==2.4.6\ntensorflow-cpu==2.21.0\n"
WITHOUT_LITERT = "keras==3.15.1\nnumpy==2.4.6\ntensorflow-cpu==2.21.0\n"


def test_parse_pins_normalises_names_and_ignores_comments():
    text = "# via x\nPySide6_Essentials==6.11.3\n    # via digitpad\nai_edge.litert==2.3.0\n"
    assert check_platforms.parse_pins(text) == {"pyside6-essentials": "6.11.3", "ai-edge-litert": "2.3.0"}


def test_a_resolution_with_litert_passes():
    result = check_platforms.judge(LINUX, "3.11", 0, RESOLVED, "")
    assert result.ok and "LiteRT 2.3.0" in result.line and "tensorflow-cpu 2.21.0" in result.line


def test_a_resolution_without_litert_fails():
    result = check_platforms.judge(LINUX, "3.12", 0, WITHOUT_LITERT, "")
    assert not result.ok and "WITHOUT LiteRT" in result.line


def test_a_platform_that_does_not_resolve_fails_with_the_resolvers_reason():
    stderr = "error: No solution found when resolving dependencies\n  cause: no wheels for macosx_13_0_x86_64\n"
    result = check_platforms.judge(INTEL_MAC, "3.11", 1, "", stderr)
    assert not result.ok and "does not resolve" in result.line and "macosx_13_0_x86_64" in result.line


def test_litert_where_the_markers_should_leave_it_out_fails():
    assert not check_platforms.judge(INTEL_MAC, "3.12", 0, RESOLVED, "").ok
    assert check_platforms.judge(INTEL_MAC, "3.12", 0, WITHOUT_LITERT, "").ok


def test_every_target_and_python_is_resolved_wheels_only(capsys):
    seen = []

    def fake_uv(cmd):
        seen.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, RESOLVED, "")

    results = check_platforms.check([LINUX], "uv", run=fake_uv)
    assert [r.python for r in results] == ["3.11", "3.12"] and all(r.ok for r in results)
    for cmd, python in zip(seen, ("3.11", "3.12"), strict=True):
        assert cmd[:3] == ["uv", "pip", "compile"] and cmd[3].endswith("pyproject.toml")
        assert cmd[cmd.index("--python-platform") + 1] == "x86_64-manylinux_2_28"
        assert cmd[cmd.index("--python-version") + 1] == python
        assert cmd[cmd.index("--only-binary") + 1] == ":all:" and "--all-extras" in cmd
    assert capsys.readouterr().out.count("ok   Linux x86-64") == 2


def test_the_release_platforms_are_all_required_on_both_pythons():
    required = {t.name: t for t in check_platforms.TARGETS if t.required}
    assert set(required) == {"Linux x86-64", "Windows x86-64", "macOS arm64"}
    for target in required.values():
        assert target.pythons == target.litert_on == ("3.11", "3.12")


def test_main_fails_when_one_resolution_fails(monkeypatch):
    def fake_check(targets, uv, pyproject):
        return [check_platforms.judge(LINUX, "3.11", 0, WITHOUT_LITERT, "")]

    monkeypatch.setattr(check_platforms, "check", fake_check)
    assert check_platforms.main(["--uv", "uv"]) == 1
    monkeypatch.setattr(check_platforms, "check",
                        lambda targets, uv, pyproject: [check_platforms.judge(LINUX, "3.11", 0, RESOLVED, "")])
    assert check_platforms.main(["--uv", "uv"]) == 0


# --- tools/check_litert_floor.py (its install step needs the registry; the rest runs here) -
def test_litert_floor_child_runs_a_model_like_the_predictor(tmp_path):
    pytest.importorskip("ai_edge_litert")
    spec = importlib.util.spec_from_file_location("check_litert_floor", ROOT / "tools" / "check_litert_floor.py")
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    import numpy as np

    from digitpad.predictor import Predictor

    x = floor.digits(ROOT / "resources" / "mnist_slice.npz")[:20]
    np.save(tmp_path / "x.npy", x)
    model = ROOT / "resources" / "model.tflite"
    out = subprocess.run([sys.executable, "-c", floor._CHILD, str(model), str(tmp_path / "x.npy")],
                         capture_output=True, text=True, check=True).stdout
    got = np.asarray(json.loads(out.strip().splitlines()[-1]), dtype=np.float32)
    np.testing.assert_allclose(got, Predictor(model).outputs(x), atol=1e-5)
