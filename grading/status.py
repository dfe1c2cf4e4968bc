"""``make status``: where a student stands, one row per exercise.

Each exercise is *not started*, *in progress* or *done*, with its public points.
The last results of every check (``make check``, ``make watch``, ``make hint``,
``check()`` in a notebook) are kept in ``.dlkit/status.json`` in the student's
folder, keyed by the SHA-256 of the module file: an exercise whose module has not
changed since is not run again, the others are checked (in one pytest process).

*Not started* means that every public test that ran ended in ``todo`` (the stub's
``NotImplementedError``): the same rule in the kit and in the student release
(which has no ``reference/`` to regenerate the stubs from), and a stub with a
comment added is still not started.

The state itself (``.dlkit/``) is kept by :mod:`grading.progress`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from grading.i18n import t
from grading.progress import cached, record, snapshot
from grading.registry import EXERCISES, Exercise, lookup
from grading.results import TestResult, points_text

STATES = ("not_started", "in_progress", "done", "absent")
"""``absent``: the module file is missing (a submission folder without it)."""


def state_of(results: list[TestResult]) -> str:
    ran = [r for r in results if r.status != "skipped"]
    if ran and all(r.status == "absent" for r in ran):
        return "absent"
    if ran and all(r.status == "todo" for r in ran):
        return "not_started"
    if all(r.status in ("passed", "skipped") for r in results):
        return "done"
    return "in_progress"


def label(state: str) -> str:
    return {"not_started": t("pas commencé", "not started"),
            "in_progress": t("en cours", "in progress"),
            "done": t("terminé ✓", "done ✓"),
            "absent": t("module absent", "module missing")}[state]


def collect(exercises: Sequence[Exercise], impl: str = "exercises"
            ) -> tuple[dict[str, list[TestResult]], set[str]]:
    """Results of every exercise (cached or run now) and the ids that were run now."""
    from grading.runner import run_suite

    found: dict[str, list[TestResult]] = {}
    for ex in exercises:
        results = cached(ex, impl)
        if results is not None:
            found[ex.id] = results
    todo = [ex for ex in exercises if ex.id not in found]
    if todo:
        digests = snapshot(todo, impl)
        run = run_suite(todo, impl)
        if not run.results:
            raise RuntimeError(run.output)
        record(todo, run.results, impl, digests)
        for ex in todo:
            found[ex.id] = [r for r in run.results if r.exercise == ex.id]
    return found, {ex.id for ex in todo}


def status(queries: Sequence[str] = (), impl: str = "exercises", as_json: bool = False) -> int:
    try:
        exercises = [lookup(q) for q in queries] if queries else list(EXERCISES)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    todo = [ex for ex in exercises if cached(ex, impl) is None]
    if todo and not as_json:
        print(t(f"Vérification de {', '.join(ex.id for ex in todo)} (modifié(s) depuis le "
                "dernier check)…", f"Checking {', '.join(ex.id for ex in todo)} (changed "
                "since the last check)…"), file=sys.stderr, flush=True)
    try:
        found, _ = collect(exercises, impl)
    except RuntimeError as exc:
        print(t("Les tests n'ont pas pu démarrer (erreur interne du kit) :",
                "The tests could not start (internal kit error):"), file=sys.stderr)
        print("\n".join(str(exc).strip().splitlines()[-15:]), file=sys.stderr)
        return 2
    rows = {}
    for ex in exercises:
        results = found.get(ex.id, [])
        rows[ex.id] = {"state": state_of(results) if results else "absent",
                       "points": sum(r.points for r in results),
                       "max": sum(r.max_points for r in results)}
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    width = max(len(label(s)) for s in STATES)
    print(f"{t('exercice', 'exercise'):<9} {t('état', 'state'):<{width}}  "
          f"{t('points (tests publics)', 'points (public tests)')}")
    for ex in exercises:
        row = rows[ex.id]
        print(f"{ex.id:<9} {label(row['state']):<{width}}  "
              f"{points_text(row['points']):>3}/{points_text(row['max']):<3}  {ex.title}")
    earned = sum(r["points"] for r in rows.values())
    total = sum(r["max"] for r in rows.values())
    done = sum(r["state"] == "done" for r in rows.values())
    print(f"{'total':<9} {t(f'{done}/{len(rows)} terminé(s)', f'{done}/{len(rows)} done'):<{width}}"
          f"  {points_text(earned):>3}/{points_text(total)}")
    return 0
