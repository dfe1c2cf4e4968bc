"""Meta-checks of the test suites: the reference passes everything, the stubs fail
everything, and every planted bug is caught with a message that names it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from grading.authoring.mutants import MUTANTS, VARIANTS, Mutant, Variant
from grading.batch import forkrun
from grading.registry import BY_ID, EXERCISES, lookup
from grading.results import TestResult
from grading.runner import SuiteRun, run_suite
from grading.seam import KIT_ROOT

FRENCH = {"KIT_LANG": "fr"}


@dataclass
class MutantVerdict:
    mutant: Mutant
    caught_by: list[TestResult]
    """Failing tests whose message contains the mutant's expected phrase."""
    failing: list[TestResult]
    run: SuiteRun

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


def run_all(impl: str) -> SuiteRun:
    return run_suite(list(EXERCISES), impl, hidden=True, env=FRENCH)


def run_rewrite(rewrite: Mutant | Variant, root: Path = KIT_ROOT) -> SuiteRun:
    """The exercise's public and hidden tests on the reference with ``rewrite`` applied."""
    ex = BY_ID[rewrite.exercise]
    source = (root / "reference" / f"{ex.module}.py").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix=f"rewrite-{rewrite.id}-") as tmp:
        (Path(tmp) / f"{ex.module}.py").write_text(rewrite.apply(source), encoding="utf-8")
        return run_suite([ex], tmp, hidden=True, env=FRENCH)


def verdict(mutant: Mutant, run: SuiteRun) -> MutantVerdict:
    failing = [r for r in run.results if r.status not in ("passed", "skipped")]
    caught = [r for r in failing if r.fails_saying(mutant.expect)]
    return MutantVerdict(mutant, caught, failing, run)


def run_mutant(mutant: Mutant, root: Path = KIT_ROOT) -> MutantVerdict:
    """One mutant in a fresh pytest process (what a student's ``make check`` does)."""
    return verdict(mutant, run_rewrite(mutant, root))


def run_rewrites(rewrites: tuple[Mutant | Variant, ...], jobs: int = 2,
                 root: Path = KIT_ROOT, stop_when_caught: bool = False) -> dict[str, SuiteRun]:
    """Many rewrites at once, forked from one warm process (see :mod:`grading.batch.forkrun`):
    the way ``dlkit grade`` runs a class, several times faster than a process each.

    ``stop_when_caught``: a mutant's run starts with the tests whose source mentions its
    expected phrase and ends at its first failure that names it (the verdict is the same:
    caught or not; a missed mutant still runs every test)."""
    if not rewrites:
        return {}
    jobs_spec = []
    for rewrite in rewrites:
        ex = BY_ID[rewrite.exercise]
        source = (root / "reference" / f"{ex.module}.py").read_text(encoding="utf-8")
        spec = {"id": rewrite.id, "exercise": ex.id, "source": rewrite.apply(source)}
        if stop_when_caught and isinstance(rewrite, Mutant):
            spec["stop_at"] = rewrite.expect
        jobs_spec.append(spec)
    results = forkrun.run(jobs_spec, parallel=jobs, root=root)
    return {r.id: SuiteRun(results=results.get(r.id, []), returncode=0,
                           output="(forked run: see the crash reasons in the results)")
            for r in rewrites}


def run_mutants(mutants: tuple[Mutant, ...] = MUTANTS, jobs: int = 2,
                stop_when_caught: bool = False) -> list[MutantVerdict]:
    """Every mutant's verdict; ``stop_when_caught`` (the meta-tests) skips the tests after
    the first failure that names the mutant, ``make meta`` runs them all."""
    runs = run_rewrites(mutants, jobs, stop_when_caught=stop_when_caught)
    return [verdict(m, runs[m.id]) for m in mutants]


def run_variants(variants: tuple[Variant, ...] = VARIANTS,
                 jobs: int = 2) -> list[tuple[Variant, SuiteRun]]:
    runs = run_rewrites(variants, jobs)
    return [(v, runs[v.id]) for v in variants]


def report(exercise_ids: list[str]) -> int:
    """Print, for the given exercises, reference / stub / mutant verdicts (kit developers)."""
    exercises = [lookup(i) for i in exercise_ids] if exercise_ids else list(EXERCISES)
    ids = {ex.id for ex in exercises}
    problems = 0
    totals: dict[str, float] = {}
    for impl, want in (("reference", "passed"), ("exercises", "not passed")):
        run = run_suite(exercises, impl, hidden=True, env=FRENCH)
        if impl == "reference":
            for r in run.results:
                totals[r.exercise] = totals.get(r.exercise, 0.0) + r.max_points
        for r in run.results:
            ok = r.status in ("passed", "skipped") if want == "passed" else r.status != "passed"
            problems += not ok
            print(f"{impl:<10} {'ok ' if ok else 'BAD'} {r.status:<8} {r.max_points:>4g} "
                  f"{'H' if r.hidden else 'P'} {r.nodeid}")
            if not ok:
                print("    " + r.message.replace("\n", "\n    "))
        if not run.results:
            problems += 1
            print(run.output[-3000:])
    for v in run_mutants(tuple(m for m in MUTANTS if m.exercise in ids)):
        problems += not v.caught
        print(f"mutant {v.mutant.id:<32} {'caught' if v.caught else 'MISSED'} "
              f"({len(v.failing)} failing, {len(v.caught_by)} with {v.mutant.expect!r})")
        for r in v.caught_by[:1] or v.failing[:2]:
            print("    " + f"{r.name}: {r.message}".replace("\n", "\n    "))
    for variant, run in run_variants(tuple(v for v in VARIANTS if v.exercise in ids)):
        bad = [r for r in run.results if r.status not in ("passed", "skipped")]
        problems += bool(bad) or not run.results
        print(f"variant {variant.id:<31} {'passes' if run.results and not bad else 'REJECTED'} "
              f"({variant.style})")
        for r in bad[:3]:
            print("    " + f"{r.name}: {r.message}".replace("\n", "\n    "))
    for ex in exercises:
        ok = totals.get(ex.id, 0.0) == ex.points
        problems += not ok
        print(f"{ex.id}: points {totals.get(ex.id, 0.0):g} / registry {ex.points} "
              f"{'ok' if ok else 'MISMATCH'}")
    print(f"problems: {problems}")
    return 1 if problems else 0
