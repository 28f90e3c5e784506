"""The release workflow cannot run here (it needs Windows and macOS runners); CI checks it
against the workflow schema and with zizmor (.ci/run).  These tests check what neither of
those knows: that each platform builds the bundle the spec makes, runs both self-tests on
that frozen app, and uploads the archive packaging/build.sh writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def job(workflow):
    (job,) = workflow["jobs"].values()
    return job


def _runs(job) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_one_runner_per_desktop_with_the_frozen_app_the_spec_makes(job):
    apps = {entry["os"].split("-")[0]: entry["app"] for entry in job["strategy"]["matrix"]["include"]}
    assert apps == {
        "ubuntu": "dist/digitpad/digitpad",
        "windows": "dist/digitpad/digitpad.exe",
        "macos": "dist/digitpad.app/Contents/MacOS/digitpad",  # BUNDLE(name="digitpad.app")
    }
    assert job["runs-on"] == "${{ matrix.os }}" and job["env"]["APP"] == "${{ matrix.app }}"
    assert job["strategy"]["fail-fast"] is False


def test_it_installs_tests_builds_and_runs_both_self_tests_in_that_order(job):
    runs = _runs(job)
    order = [
        runs.index('pip install -e ".[test,package]"'),
        runs.index("python -m pytest"),
        runs.index("packaging/build.sh"),
        runs.index('"$APP" --self-test)'),
        runs.index('"$APP" --self-test --train)'),
    ]
    assert order == sorted(order)
    # Each self-test must show its result, not just exit 0 (a GUI program that was not
    # waited for would "pass" too).
    assert "grep -q '\"digit\": 3'" in runs and "grep -q '\"trained\": true'" in runs
    # ... and that the frozen app predicts on the fast path on every platform.
    assert "grep -q '\"backend\": \"litert\"'" in runs and "grep -q '\"tensorflow\": false'" in runs
    assert "grep -q '\"piece_verifier\": true'" in runs  # and reads numbers in images with its verifier
    assert "grep -q '\"ink_separator\": true'" in runs  # ... and its ink separator
    assert "grep -q '\"digit_centres\": true'" in runs  # ... and its digit centres
    assert job["defaults"]["run"]["shell"] == "bash"  # one script for all three runners
    # No pen-stroke files on the runners: their tests must skip there, not fail.
    (tests,) = [step for step in job["steps"] if step.get("run") == "python -m pytest"]
    assert tests["env"]["CI"] == "false"


def test_it_uploads_the_archives_build_sh_writes(job):
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    globs = upload["with"]["path"].split()
    assert upload["with"]["if-no-files-found"] == "error"
    build = (ROOT / "packaging" / "build.sh").read_text(encoding="utf-8")
    for suffix in (".tar.gz", ".zip"):
        assert f"dist/digitpad-*{suffix}" in globs
        assert f'archive="$DISTPATH/$name{suffix}"' in build
    assert 'name="digitpad-$version-$os-$arch"' in build


def test_every_action_is_pinned_to_a_commit(job):
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref


def test_no_secrets_and_read_only_permissions(workflow, job):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "secrets." not in text
    assert workflow["permissions"] == {} and job["permissions"] == {"contents": "read"}
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["persist-credentials"] is False


def test_ci_checks_the_workflow_statically():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/release.yml" in ci
    assert "zizmor --offline .github/workflows/" in ci
