"""The suites themselves are tested: the reference passes all, the stubs fail all (fresh
pytest processes, as a student's ``make check``). Mutants: test_mutants.py; correct
variants: test_variants.py."""

from __future__ import annotations

import pytest

from grading.authoring import stubgen
from grading.registry import EXERCISES
from grading.tests.conftest import count

EX_IDS = [ex.id for ex in EXERCISES]
pytestmark = pytest.mark.timeout(3600)  # the session fixtures run whole suites


def _mine(run, ex_id):
    return [r for r in run.results if r.exercise == ex_id]


def test_stubs_are_generated_from_reference():
    diffs = stubgen.drift()
    assert not diffs, "exercises/ drifted from reference/ (run `make stubs`):\n" + "\n".join(diffs)


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_exercise_is_complete(ex):
    root = stubgen.KIT_ROOT
    assert (root / "reference" / f"{ex.module}.py").is_file()
    assert (root / "exercises" / f"{ex.module}.py").is_file()
    assert list((root / "tests").glob(f"test_{ex.id}_*.py")), "no public tests"
    assert list((root / "grading" / "hidden").glob(f"test_{ex.id}_*.py")), "no hidden tests"
    assert (root / "grading" / "authoring" / "mutants" / f"{ex.id}.py").is_file(), "no mutants"


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_points_add_up(reference_run, ex):
    results = _mine(reference_run, ex.id)
    public = [r for r in results if not r.hidden]
    hidden = [r for r in results if r.hidden]
    assert public and hidden, f"{ex.id}: needs public and hidden tests"
    total = sum(r.max_points for r in results)
    assert total == ex.points, f"{ex.id}: markers add up to {total}, registry says {ex.points}"


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_reference_passes_everything(reference_run, ex):
    results = _mine(reference_run, ex.id)
    bad = [f"{r.nodeid}: {r.status}: {r.message}" for r in results
           if r.status not in ("passed", "skipped")]
    skipped_not_cuda = [r.nodeid for r in results if r.status == "skipped" and "CUDA" not in
                        r.message]
    count("reference passes", sum(r.status == "passed" for r in results),
          sum(r.status != "skipped" for r in results))
    assert results, f"{ex.id}: no test ran\n{reference_run.output[-3000:]}"
    assert not bad, "\n".join(bad)
    assert not skipped_not_cuda, f"skipped without a CUDA reason: {skipped_not_cuda}"


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_stubs_fail_everything(reference_run, stub_run, ex):
    ref = {r.nodeid for r in _mine(reference_run, ex.id)}
    results = _mine(stub_run, ex.id)
    got = {r.nodeid for r in results}
    collect_errors = [r for r in results if r.nodeid not in ref]
    passing = [r.nodeid for r in results if r.status == "passed"]
    ran = [r for r in results if r.status != "skipped"]
    count("stubs fail", sum(r.status != "passed" for r in ran), len(ran))
    assert not collect_errors, [f"{r.nodeid}: {r.message}" for r in collect_errors]
    assert got == ref, f"collected differently on the stubs: {sorted(ref ^ got)}"
    assert not passing, f"tests a stub passes assert nothing: {passing}"
