"""``make hint ex3``: the next hint for the first failing public test of an exercise.

Hint levels are written in the public test files, next to each test's learner
message, with ``@pytest.mark.hints("what to look at", "more precise", ...)``; the
plugin reports them with the test's result. Each ``make hint`` shows the next
level of the first failing test (the last one stays shown once reached); the level
reached is remembered in ``.dlkit/hints.json`` (test node id -> level shown), and
forgotten as soon as that test passes. A test without hint levels falls back to the
``indice`` line of its learner message. Only public tests are run: a hidden test is
never named or hinted at.
"""

from __future__ import annotations

import sys
import textwrap

from grading.i18n import t
from grading.registry import lookup
from grading.results import TestResult

OK = ("passed", "skipped")


def message_hint(message: str) -> str | None:
    """The ``indice`` / ``hint`` line of a learner message, if it has one."""
    for line in message.splitlines():
        head, sep, rest = line.strip().partition(":")
        if sep and head.strip() in ("indice", "hint") and rest.strip():
            return rest.strip()
    return None


def next_hint(result: TestResult, levels: dict[str, int]) -> tuple[int, int, str]:
    """(level shown, number of levels, text) for ``result``; updates ``levels``."""
    if not result.hints:
        own = message_hint(result.message) or t(
            "relisez la docstring de la fonction : elle décrit exactement ce qui est attendu",
            "read the function's docstring again: it says exactly what is expected")
        return 1, 1, own
    level = min(int(levels.get(result.nodeid, 0)) + 1, len(result.hints))
    levels[result.nodeid] = level
    return level, len(result.hints), result.hints[level - 1]


def hint(query: str, impl: str = "exercises") -> int:
    """Show the next hint of ``query``'s first failing public test; 0 when all pass."""
    from grading.progress import HINTS_FILE, load_json, save_json, state_dir
    from grading.status import collect

    try:
        ex = lookup(query)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    try:
        found, _ = collect([ex], impl)
    except RuntimeError as exc:
        print(t("Les tests n'ont pas pu démarrer (erreur interne du kit) :",
                "The tests could not start (internal kit error):"), file=sys.stderr)
        print("\n".join(str(exc).strip().splitlines()[-15:]), file=sys.stderr)
        return 2
    results = found.get(ex.id, [])
    failing = [r for r in results if r.status not in OK]
    if not failing:
        print(t(f"{ex.id} : tous les tests publics passent, pas besoin d'indice. Bravo !",
                f"{ex.id}: every public test passes, no hint needed. Well done!"))
        return 0
    first = failing[0]
    folder = state_dir(impl)
    levels = load_json(folder, HINTS_FILE)
    level, count, text = next_hint(first, levels)
    save_json(folder, HINTS_FILE, levels)
    print(f"{ex.id} — {ex.title}")
    print(t(f"  premier test qui échoue : {first.name}",
            f"  first failing test: {first.name}"))
    print(textwrap.indent(first.message, "      "))
    print()
    print(t(f"  Indice {level}/{count} :", f"  Hint {level}/{count}:"))
    print(textwrap.indent(textwrap.fill(text, 88), "    "))
    if level < count:
        print(t("  (relancez `make hint` pour un indice plus précis)",
                "  (run `make hint` again for a more precise hint)"))
    else:
        print(t("  (c'est le dernier indice : relisez la docstring, puis `make check`)",
                "  (that was the last hint: read the docstring again, then `make check`)"))
    others = len(failing) - 1
    if others:
        print(t(f"  {others} autre(s) test(s) échoue(nt) encore ; un indice à la fois.",
                f"  {others} other test(s) still fail; one hint at a time."))
    return 1
