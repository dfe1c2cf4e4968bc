"""A run that ends in a grader fault is confirmed before it is believed.

Everything a sandboxed run tells the grader comes out of the process that ran the
student's code, the signs of a grader fault included: pytest's internal-error exit code,
the sandbox's, a "sandbox error" line on the results pipe. A submission could forge them
(``os._exit(72)`` at import) and never get graded. So each run that ends in a fault runs
once more, beside a reference copy of its exercise, through the same sandboxes:

- the second run ends without a fault: it is the verdict (the first was a passing glitch);
- it faults again while the reference passes every test: the student's code caused it,
  the tests it stopped are a crash (no points) and the message says why;
- the reference faults too (or the kit has none): the grader's fault, kept as such, so a
  grader fault is still never a student's zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from grading.batch import pool
from grading.batch.submissions import Submission
from grading.results import TestResult

OnDone = Callable[[pool.Job, list[TestResult]], None]
Run = Callable[[list[pool.Job], OnDone], None]

CAUSED_BY_STUDENT = (
    "ton code a arrêté les tests comme le ferait une erreur interne du correcteur, deux "
    "fois, alors que la référence passe dans le même bac à sable (os._exit, sys.exit, "
    "écriture sur le canal des résultats ?)")


def is_fault(results: list[TestResult]) -> bool:
    return any(r.status == "internal" for r in results)


def _reference_job(suite: pool.Suite, root: Path) -> pool.Job | None:
    path = root / "reference" / f"{suite.exercise.module}.py"
    if not path.exists():
        return None
    copy = Submission(f"reference-{suite.exercise.id}", path.parent,
                      {path.name: path.read_bytes()}, [])
    return pool.Job(copy, suite)


def confirm(faulty: list[tuple[pool.Job, list[TestResult]]], run: Run,
            root: Path) -> list[tuple[pool.Job, list[TestResult]]]:
    """The verdict of each faulty run (see the module's docstring), in the same order.
    ``run(jobs, on_done)`` grades jobs the way the batch does (local sandboxes or Dask)."""
    if not faulty:
        return []
    references: dict[str, pool.Job] = {}
    for job, _ in faulty:
        ex_id = job.suite.exercise.id
        if ex_id not in references and (ref := _reference_job(job.suite, root)) is not None:
            references[ex_id] = ref
    reruns = [pool.Job(job.submission, job.suite) for job, _ in faulty]
    got: dict[int, list[TestResult]] = {}
    run([*references.values(), *reruns], lambda job, results: got.__setitem__(id(job), results))
    sound = {ex_id: bool(got.get(id(ref))) and all(
        r.status in ("passed", "skipped") for r in got[id(ref)])
        for ex_id, ref in references.items()}
    verdicts = []
    for (job, first), again in zip(faulty, reruns, strict=True):
        second = got.get(id(again), first)
        if is_fault(second) and sound.get(job.suite.exercise.id, False):
            second = [replace(r, status="crash", points=0.0, message=CAUSED_BY_STUDENT)
                      if r.status == "internal" else r for r in second]
        verdicts.append((job, second))
    return verdicts
