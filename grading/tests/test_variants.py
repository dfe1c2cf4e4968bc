"""Every correct solution written another way (grading/authoring/mutants/) passes every
test, in runs forked from one warm process (grading/batch/forkrun.py)."""

from __future__ import annotations

import pytest

from grading.authoring.mutants import VARIANTS
from grading.registry import EXERCISES
from grading.tests.conftest import count

EX_IDS = [ex.id for ex in EXERCISES]
pytestmark = pytest.mark.timeout(3600)  # the session fixtures run whole suites


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
