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


LONGEST_FIRST = ("test_layouts", "test_dask", "test_adversarial", "test_nbgrader",
                 "test_mutants", "test_check", "test_meta", "test_release", "test_variants")
"""Kit test modules by wall time alone, longest first (2026-12-08, seconds: layouts 250,
dask 224 mostly waiting on its clusters, adversarial 150, nbgrader 153, mutants 110,
check 89, meta 80, release 81, variants 55; every other module under 45). `make test`
hands whole modules to its pytest-xdist workers in this order (--no-loadscope-reorder):
the long ones start first and the short ones fill in, instead of a long one last."""


def pytest_collection_modifyitems(items) -> None:
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


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
