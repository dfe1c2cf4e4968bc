"""The kit's pytest plugin at its edges: a test that uses its whole time budget, and
pytest's own internal errors, as the batch grader's sandboxed runs meet them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from grading.seam import KIT_ROOT


def run_pytest(folder: Path, *args: str) -> tuple[int, list[dict]]:
    """pytest on ``folder`` with the kit's plugin; its exit code and its result lines."""
    results = folder / "results.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(folder), "-p", "grading.plugin", "-q", "-s",
         "-p", "no:cacheprovider", f"--rootdir={folder}", f"--kit-results={results}",
         f"--impl={KIT_ROOT / 'reference'}", *args],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(KIT_ROOT)})
    lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    return proc.returncode, [json.loads(line) for line in lines]


def test_a_test_out_of_time_still_gets_its_teardown(tmp_path):
    """The call uses the whole budget: the timeout is its verdict, and its fixture's
    finalizer still runs whole (an alarm 1 ms into the teardown used to stop it)."""
    done = tmp_path / "finalized.txt"
    (tmp_path / "test_ex01_probe.py").write_text(textwrap.dedent(f"""
        import time
        import pytest

        @pytest.fixture
        def resource():
            yield
            time.sleep(0.2)
            open({str(done)!r}, "w").write("ok")

        @pytest.mark.points(1)
        def test_slow(resource):
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                pass

        @pytest.mark.points(1)
        def test_next():
            assert True
    """), encoding="utf-8")
    code, results = run_pytest(tmp_path, "--kit-timeout=0.5")
    by_name = {r["nodeid"].split("::")[-1]: r for r in results}
    assert by_name["test_slow"]["status"] == "timeout", results
    assert by_name["test_next"]["status"] == "passed", results
    assert done.read_text() == "ok"
    assert code == 1


def test_pytest_internal_error_is_reported_to_the_grader(tmp_path):
    """pytest's own error ends its run (exit 3) with its last line on the results pipe,
    which the batch grader names in the internal error's reason."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        def pytest_runtest_logreport(report):
            if report.when == "teardown":
                raise RuntimeError("kit boom")
    """), encoding="utf-8")
    (tmp_path / "test_ex01_probe.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.points(1)
        def test_one():
            assert True
    """), encoding="utf-8")
    code, results = run_pytest(tmp_path)
    assert code == 3
    errors = [r["kit_internal_error"] for r in results if "kit_internal_error" in r]
    assert errors and "RuntimeError: kit boom" in errors[0], results


def test_kit_first_runs_the_tests_that_mention_the_text_first(tmp_path):
    """--kit-first (the meta-tests: a planted bug's expected phrase) moves the tests whose
    source, decorators included, mentions the text ahead, each part in file order; every
    test still runs, with the result it has in the usual order."""
    (tmp_path / "test_ex01_order.py").write_text(textwrap.dedent("""
        import random
        import pytest

        @pytest.mark.points(1)
        def test_a():
            assert random.random() < 2

        @pytest.mark.points(1)
        @pytest.mark.parametrize("hint", ["Type de la sortie", "autre"])
        def test_b(hint):
            assert hint

        @pytest.mark.points(1)
        def test_c():
            assert "le TYPE DE LA SORTIE" and random.random() < 2

        @pytest.mark.points(1)
        def test_d():
            assert True
    """), encoding="utf-8")
    _, usual = run_pytest(tmp_path)
    (tmp_path / "results.jsonl").unlink()  # the plugin appends to it
    _, first = run_pytest(tmp_path, "--kit-first=type de la sortie")
    names = lambda rs: [r["nodeid"].split("::")[-1] for r in rs]  # noqa: E731
    assert names(usual) == ["test_a", "test_b[Type de la sortie]", "test_b[autre]", "test_c",
                            "test_d"]
    assert names(first) == ["test_b[Type de la sortie]", "test_b[autre]", "test_c", "test_a",
                            "test_d"]
    status = lambda rs: {r["nodeid"]: r["status"] for r in rs}  # noqa: E731
    assert status(first) == status(usual) and set(status(first).values()) == {"passed"}
