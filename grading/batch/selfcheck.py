"""The batch grader's self-check: before grading anyone, a reference copy and a stub copy
of the batch's quickest exercise go through the very sandboxes, limits and configuration
the class will get (a grader fault is never a student's zero)."""

from __future__ import annotations

import time
from pathlib import Path

from grading.batch import pool
from grading.batch.submissions import Submission
from grading.registry import BY_ID, Exercise
from grading.results import TestResult

QUICKEST = ("ex01", "ex06", "ex09", "ex12", "ex05", "ex03", "ex07", "ex04", "ex08", "ex02",
            "ex11", "ex10")
"""Exercises by the time of their suites on the reference (closing notes): the self-check
runs the first one of the batch."""


class GraderRefused(RuntimeError):
    """The grader will not grade anyone (no sandbox, a bad layout, a failed self-check):
    exit status 2, no student result written."""


def self_check(boxes: pool.Sandboxes, suites: dict[str, pool.Suite],
               exercises: tuple[Exercise, ...], root: Path, redact: list[str],
               log=print) -> float:
    """Grade a reference copy and a stub copy of the batch's quickest exercise through
    the very sandboxes, limits and configuration the class will get. The reference must
    pass every test and the stub none, or :class:`GraderRefused`. Returns its seconds."""
    start = time.monotonic()
    ids = [ex.id for ex in exercises]
    candidates = [BY_ID[i] for i in QUICKEST if i in ids] + \
        [ex for ex in exercises if ex.id not in QUICKEST]
    ex = next((e for e in candidates if (root / "reference" / f"{e.module}.py").exists()
               and (root / "exercises" / f"{e.module}.py").exists()), None)
    if ex is None:
        raise GraderRefused("auto-vérification impossible : reference/ ou exercises/ manque "
                            "dans le kit (--no-self-check pour passer outre)")
    copies = {kind: Submission(f"auto-verification-{kind}", root / folder,
                               {f"{ex.module}.py": (root / folder / f"{ex.module}.py")
                                .read_bytes()}, [])
              for kind, folder in (("reference", "reference"), ("stub", "exercises"))}
    got: dict[str, list[TestResult]] = {}
    jobs = [pool.Job(sub, suites[ex.id]) for sub in copies.values()]
    pool.run_jobs(jobs, boxes, min(2, len(boxes.cgroups)), redact,
                   lambda job, results: got.__setitem__(job.submission.student, results))
    seconds = time.monotonic() - start
    ref, stub = got.get(copies["reference"].student, []), got.get(copies["stub"].student, [])
    bad_ref = [r for r in ref if r.status not in ("passed", "skipped")]
    # A stub run that ends in a grader fault would hide the same fault in every student.
    bad_stub = [r for r in stub if r.status in ("passed", "internal")]
    if bad_ref or bad_stub or not ref or not stub:
        first = next((r for r in bad_ref if r.status == "internal"), None) or \
            (bad_ref[0] if bad_ref else None)
        lines = [f"auto-vérification échouée ({ex.id}, {seconds:.1f} s) : le correcteur ne "
                 "donne pas les bons verdicts dans ce bac à sable, personne n'est corrigé."]
        if bad_ref:
            lines.append(f"- la copie de la référence échoue à {len(bad_ref)}/{len(ref)} "
                         f"test(s) ; premier : {first.name} [{first.status}] "
                         f"{first.message.splitlines()[0] if first.message else ''}")
        if bad_stub:
            lines.append(f"- la copie du squelette réussit ou finit en erreur interne "
                         f"{len(bad_stub)} test(s) ; premier : {bad_stub[0].name} "
                         f"[{bad_stub[0].status}] "
                         f"{bad_stub[0].message.splitlines()[0] if bad_stub[0].message else ''}")
        lines.append("Vérifiez l'installation (`make install` dans l'environnement utilisé), "
                     "puis `dlkit check --impl=reference --hidden`. Tableau « où le "
                     "correcteur fonctionne » du README ; --no-self-check pour passer outre.")
        raise GraderRefused("\n".join(lines))
    log(f"auto-vérification ({ex.id}) : référence {len(ref)}/{len(ref)} réussis, squelette "
        f"0/{len(stub)} : OK en {seconds:.1f} s")
    return seconds
