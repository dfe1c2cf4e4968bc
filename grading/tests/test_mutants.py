"""Every planted bug (grading/authoring/mutants/) is caught by a failing test whose message
names it, in runs forked from one warm process (grading/batch/forkrun.py)."""

from __future__ import annotations

import pytest

from grading.authoring import meta
from grading.authoring.mutants import MUTANTS
from grading.registry import EXERCISES
from grading.tests.conftest import count

EX_IDS = [ex.id for ex in EXERCISES]
pytestmark = pytest.mark.timeout(3600)  # the session fixtures run whole suites


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
