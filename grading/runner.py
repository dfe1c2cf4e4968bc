"""Run an exercise's tests in a fresh pytest process and read back its results.

The tests run in a child process (``python -m pytest``) that writes one JSON
line per test; this module never imports torch, so a student's check costs one
torch import, not two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grading import pytest_plugins
from grading.registry import Exercise
from grading.results import TestResult
from grading.seam import KIT_ROOT


@dataclass
class SuiteRun:
    results: list[TestResult]
    returncode: int
    output: str
    """pytest's own output, kept for kit developers (never shown to students)."""


def test_files(ex: Exercise, *, hidden: bool, root: Path = KIT_ROOT) -> list[Path]:
    """The suite of ``ex``: its public test files (``tests/test_exNN_*.py``), then with
    ``hidden`` its hidden ones (``grading/hidden/test_exNN_*.py``). The one definition of a
    suite: ``make check``, ``watch``, the batch grader and the meta-tests all use it."""
    files = sorted((root / "tests").glob(f"test_{ex.id}_*.py"))
    if hidden:
        files += sorted((root / "grading" / "hidden").glob(f"test_{ex.id}_*.py"))
    return files


def run_suite(exercises: list[Exercise], impl: str, *, hidden: bool = False,
              root: Path = KIT_ROOT, env: dict[str, str] | None = None,
              extra_args: list[str] | None = None, timeout: float | None = None) -> SuiteRun:
    """Run the public (and hidden) tests of ``exercises`` on ``impl``."""
    files = [str(f) for ex in exercises for f in test_files(ex, hidden=hidden, root=root)]
    with tempfile.TemporaryDirectory(prefix="dlkit-") as tmp:
        results_file = Path(tmp) / "results.jsonl"
        cmd = [sys.executable, "-m", "pytest", *files, f"--impl={impl}",
               f"--kit-results={results_file}", "-q", "-p", "no:cacheprovider",
               "--rootdir", str(root), "-c", str(root / "pyproject.toml"), *pytest_plugins.args(),
               *(extra_args or [])]
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **pytest_plugins.ENV, **(env or {})})
        results = []
        if results_file.exists():
            for line in results_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    results.append(TestResult.from_json(json.loads(line)))
    return SuiteRun(results=results, returncode=proc.returncode,
                    output=proc.stdout + proc.stderr)
