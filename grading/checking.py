"""``make check ex3``: run the public tests on the student's code and print a short
summary in French (English with ``KIT_LANG=en``): each test ✓/✗ with its learner
message, the points earned, and a non-zero exit status when anything fails.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from grading.i18n import t
from grading.registry import EXERCISES, Exercise, lookup
from grading.results import TestResult, points_text
from grading.runner import run_suite

ICONS = {"passed": "✓", "skipped": "–"}


def format_exercise(ex: Exercise, results: list[TestResult], hidden: bool = False) -> str:
    lines = [f"{ex.id} — {ex.title}"]
    for r in results:
        icon = ICONS.get(r.status, "✗")
        lines.append(f"  {icon} {r.name}  ({points_text(r.points)}/{points_text(r.max_points)})")
        if r.status == "skipped":
            lines.append(f"      {t('ignoré', 'skipped')} : {r.message}")
        elif r.status != "passed":
            lines.append(textwrap.indent(r.message, "      "))
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    label = t("points (tests publics et cachés)", "points (public and hidden tests)") if hidden \
        else t("points (tests publics)", "points (public tests)")
    lines.append(f"  {label} : "
                 f"{points_text(earned)}/{points_text(total)}")
    return "\n".join(lines)


def print_report(exercises: Sequence[Exercise], results: list[TestResult], *,
                 hidden: bool = False, output: str = "", out: TextIO | None = None,
                 err: TextIO | None = None) -> int:
    """Print the report of one run (one block per exercise, then the summary line) and
    return the exit status: 0 all passed, 1 failures, 2 the tests could not start.

    The one printer of ``check``, ``watch`` and the notebooks' ``check()``. ``output`` is
    pytest's own output, whose tail is shown only when no test reported (a kit error)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if not results:
        print(t("Les tests n'ont pas pu démarrer (erreur interne du kit) :",
                "The tests could not start (internal kit error):"), file=err)
        print("\n".join(output.strip().splitlines()[-15:]), file=err)
        return 2
    failed = 0
    for ex in exercises:
        mine = [r for r in results if r.exercise == ex.id]
        if not mine:
            print(t(f"{ex.id} : aucun test trouvé (kit incomplet ?)",
                    f"{ex.id}: no test found (incomplete kit?)"), file=err)
            failed += 1
            continue
        print(format_exercise(ex, mine, hidden), file=out)
        print(file=out)
        failed += sum(r.status not in ("passed", "skipped") for r in mine)
    passed = sum(r.status == "passed" for r in results)
    if failed:
        print(t(f"{passed} réussi(s), {failed} échoué(s). Corrigez les ✗ puis relancez "
                "`make check`.",
                f"{passed} passed, {failed} failed. Fix the ✗ and run `make check` again."),
              file=out)
        return 1
    print(t(f"{passed} réussi(s), 0 échoué. Bravo ! Les tests cachés de l'enseignant "
            "vérifieront d'autres cas.",
            f"{passed} passed, 0 failed. Well done! The instructor's hidden tests will "
            "check more cases."), file=out)
    return 0


def check(queries: Sequence[str], impl: str = "exercises", hidden: bool = False) -> int:
    """Check the given exercises (all when ``queries`` is empty); return the exit status."""
    try:
        exercises = [lookup(q) for q in queries] if queries else list(EXERCISES)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    run = run_suite(exercises, impl, hidden=hidden)
    if run.results and not hidden:
        from grading.progress import record

        record(exercises, run.results, impl)  # feeds `make status` and `make hint`
    return print_report(exercises, run.results, hidden=hidden, output=run.output)

