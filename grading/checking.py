"""``make check ex3``: run the public tests on the student's code and print a short
summary in French (English with ``KIT_LANG=en``): each test ✓/✗ with its learner
message, the points earned, and a non-zero exit status when anything fails.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence

from grading.i18n import t
from grading.registry import EXERCISES, Exercise, lookup
from grading.results import TestResult
from grading.runner import run_suite

ICONS = {"passed": "✓", "skipped": "–"}


def _fmt_points(x: float) -> str:
    return f"{x:g}"


def format_exercise(ex: Exercise, results: list[TestResult], hidden: bool = False) -> str:
    lines = [f"{ex.id} — {ex.title}"]
    for r in results:
        icon = ICONS.get(r.status, "✗")
        lines.append(f"  {icon} {r.name}  ({_fmt_points(r.points)}/{_fmt_points(r.max_points)})")
        if r.status == "skipped":
            lines.append(f"      {t('ignoré', 'skipped')} : {r.message}")
        elif r.status != "passed":
            lines.append(textwrap.indent(r.message, "      "))
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    label = t("points (tests publics et cachés)", "points (public and hidden tests)") if hidden \
        else t("points (tests publics)", "points (public tests)")
    lines.append(f"  {label} : "
                 f"{_fmt_points(earned)}/{_fmt_points(total)}")
    return "\n".join(lines)


def check(queries: Sequence[str], impl: str = "exercises", hidden: bool = False) -> int:
    """Check the given exercises (all when ``queries`` is empty); return the exit status."""
    try:
        exercises = [lookup(q) for q in queries] if queries else list(EXERCISES)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    run = run_suite(exercises, impl, hidden=hidden)
    if not run.results:
        print(t("Les tests n'ont pas pu démarrer (erreur interne du kit) :",
                "The tests could not start (internal kit error):"), file=sys.stderr)
        print("\n".join(run.output.strip().splitlines()[-15:]), file=sys.stderr)
        return 2
    failed = 0
    for ex in exercises:
        mine = [r for r in run.results if r.exercise == ex.id]
        if not mine:
            print(t(f"{ex.id} : aucun test trouvé (kit incomplet ?)",
                    f"{ex.id}: no test found (incomplete kit?)"), file=sys.stderr)
            failed += 1
            continue
        print(format_exercise(ex, mine, hidden))
        print()
        failed += sum(r.status not in ("passed", "skipped") for r in mine)
    passed = sum(r.status == "passed" for r in run.results)
    if failed:
        print(t(f"{passed} réussi(s), {failed} échoué(s). Corrigez les ✗ puis relancez "
                "`make check`.",
                f"{passed} passed, {failed} failed. Fix the ✗ and run `make check` again."))
        return 1
    print(t(f"{passed} réussi(s), 0 échoué. Bravo ! Les tests cachés de l'enseignant "
            "vérifieront d'autres cas.",
            f"{passed} passed, 0 failed. Well done! The instructor's hidden tests will "
            "check more cases."))
    return 0
