"""The linter is part of the test command: configured once, installed by the test extra, and
run by CI (and the README) before the tests."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(tomllib is None, reason="tomllib is Python 3.11+")
def test_ruff_is_configured_and_installed_with_the_test_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = project["tool"]["ruff"]["lint"]
    assert {"E", "F", "I", "B", "BLE", "RUF100"} <= set(lint["select"])  # RUF100: no stale noqa
    assert any(re.match(r"ruff\b", dep) for dep in project["project"]["optional-dependencies"]["test"])


def test_ci_and_the_readme_run_ruff_before_the_tests():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert ci.index('pip install -e ".[test]"') < ci.index("ruff check") < ci.index("pytest")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]" && ruff check && pytest' in readme
