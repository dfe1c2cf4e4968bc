"""Fixtures of the kit's own tests: whole-suite runs shared by the meta-tests."""

from __future__ import annotations

import pytest

from grading.authoring import meta

COUNTS: dict[str, list[int]] = {}
"""name -> [good, total], printed at the end of the run for CI's log."""


def count(name: str, good: int, total: int) -> None:
    g, n = COUNTS.get(name, [0, 0])
    COUNTS[name] = [g + good, n + total]


@pytest.fixture(scope="session")
def reference_run() -> meta.SuiteRun:
    return meta.run_all("reference")


@pytest.fixture(scope="session")
def stub_run() -> meta.SuiteRun:
    return meta.run_all("exercises")


@pytest.fixture(scope="session")
def mutant_verdicts() -> dict[str, meta.MutantVerdict]:
    # A mutant's run starts with the tests whose source mentions its expected phrase and
    # stops at its first failure that names it: same verdicts, test time 257 s -> 66 s
    # (a missed mutant still runs every test, so its message is whole).
    return {v.mutant.id: v for v in meta.run_mutants(stop_when_caught=True)}


@pytest.fixture(scope="session")
def variant_runs() -> dict[str, meta.SuiteRun]:
    return {variant.id: run for variant, run in meta.run_variants()}


def pytest_sessionfinish(session) -> None:
    # Under pytest-xdist (make test runs two workers) the counts live in each worker:
    # hand them to the controller, which prints them.
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["dlkit_counts"] = COUNTS


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    for name, (good, total) in getattr(node, "workeroutput", {}).get("dlkit_counts", {}).items():
        count(name, good, total)


def pytest_terminal_summary(terminalreporter) -> None:
    if not COUNTS:
        return
    terminalreporter.section("dlkit meta-tests")
    for name, (good, total) in COUNTS.items():
        terminalreporter.write_line(f"{name}: {good}/{total}")
