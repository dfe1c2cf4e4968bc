"""The suites themselves are tested: reference passes all, stubs fail all, mutants caught."""

from __future__ import annotations

import pytest

from grading.authoring import meta, stubgen
from grading.authoring.mutants import MUTANTS, VARIANTS
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


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_each_exercise_has_three_mutants(ex):
    assert sum(m.exercise == ex.id for m in MUTANTS) >= 3


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(mutant_verdicts, mutant):
    verdict = mutant_verdicts[mutant.id]
    count("mutants caught", int(verdict.caught), 1)
    failing = [f"{r.name}: {r.message}" for r in verdict.failing]
    assert verdict.failing, f"{mutant.id} ({mutant.mistake}) passes every test"
    assert verdict.caught, (f"{mutant.id}: no failure message contains {mutant.expect!r}; "
                            f"failures:\n" + "\n".join(failing))


@pytest.mark.parametrize("ex", EXERCISES, ids=EX_IDS)
def test_each_exercise_has_two_variants(ex):
    assert sum(v.exercise == ex.id for v in VARIANTS) >= 2


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.id for v in VARIANTS])
def test_correct_variant_passes(variant_runs, variant):
    run = variant_runs[variant.id]
    bad = [f"{r.name}: {r.status}: {r.message}" for r in run.results
           if r.status not in ("passed", "skipped")]
    count("correct variants pass", int(bool(run.results) and not bad), 1)
    assert run.results, f"{variant.id}: no test ran\n{run.output[-2000:]}"
    assert not bad, f"{variant.id} ({variant.style}) is correct but fails:\n" + "\n".join(bad)


def test_stopping_at_the_catch_keeps_the_verdict():
    """The meta-tests run first a mutant's tests whose source mentions its expected phrase,
    and stop at its first failure that names it: each test that ran has the full run's
    result (the order changes nothing), and the verdict is the same."""
    mutants = tuple(m for m in MUTANTS if m.exercise == "ex01")[:3]
    full = {v.mutant.id: v for v in meta.run_mutants(mutants)}
    early = {v.mutant.id: v for v in meta.run_mutants(mutants, stop_when_caught=True)}
    for mutant in mutants:
        whole, cut = full[mutant.id], early[mutant.id]
        assert cut.caught == whole.caught, mutant.id
        everything = {r.nodeid: (r.status, r.message) for r in whole.run.results}
        assert {r.nodeid: (r.status, r.message) for r in cut.run.results}.items() <= \
            everything.items(), mutant.id
        assert any(r.fails_saying(mutant.expect) for r in cut.run.results), mutant.id
        # The catch came first: nothing ran before the test that names the mistake.
        assert cut.run.results[0].fails_saying(mutant.expect), mutant.id
    assert sum(len(early[m.id].run.results) for m in mutants) < \
        sum(len(full[m.id].run.results) for m in mutants)
