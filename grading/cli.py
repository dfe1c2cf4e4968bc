"""``dlkit``: the kit's command line (``python -m grading`` works the same).

The student commands live here; each instructor wing (``grading/<wing>/``) adds its own
through the ``register`` function of its ``commands`` module. A wing that is absent (the
student release ships none) adds nothing, and its commands are refused in one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from grading.i18n import t

WINGS = ("batch", "reports", "nbgrader", "authoring")
"""Instructor subpackages of ``grading``, in the order their commands are listed."""

STUDENT_COMMANDS = ("check", "watch", "status", "hint", "list")


def _check(args: argparse.Namespace) -> int:
    from grading.checking import check

    return check(args.exercises, impl=args.impl, hidden=getattr(args, "hidden", False))


def _watch(args: argparse.Namespace) -> int:
    from grading.watch import watch

    return watch(args.exercises, impl=args.impl)


def _status(args: argparse.Namespace) -> int:
    from grading.status import status

    return status(args.exercises, impl=args.impl, as_json=args.json)


def _hint(args: argparse.Namespace) -> int:
    from grading.hints import hint

    return hint(args.exercise, impl=args.impl)


def _list(args: argparse.Namespace) -> int:
    from grading.registry import EXERCISES

    for ex in EXERCISES:
        print(f"{ex.id}  {ex.module:<32} {ex.points:>3} pts  {ex.title}")
    return 0


def present_wings() -> list[str]:
    """The wings inside this ``grading`` package (not another copy's: the full kit may be
    installed in the same environment as an unpacked student release)."""
    import grading

    return [w for w in WINGS
            if any((Path(p) / w / "__init__.py").is_file() for p in grading.__path__)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlkit", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    parsers: dict[str, argparse.ArgumentParser] = {}

    p = parsers["check"] = sub.add_parser("check",
                                          help="run the public tests of exercises on your code")
    p.add_argument("exercises", nargs="*", help="ex3, ex03, 3 or ex03_simple_nn (all if none)")
    p.add_argument("--impl", default="exercises",
                   help="exercises (default), reference, or a folder of modules")
    p.set_defaults(func=_check)

    p = parsers["watch"] = sub.add_parser(
        "watch", help="re-run the public tests of an exercise at each save")
    p.add_argument("exercises", nargs="+", help="ex3, ex03, 3 or ex03_simple_nn")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.set_defaults(func=_watch)

    p = parsers["status"] = sub.add_parser(
        "status", help="one row per exercise: not started / in progress / done")
    p.add_argument("exercises", nargs="*", help="exercise ids (all if none)")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.add_argument("--json", action="store_true", help="JSON for tools")
    p.set_defaults(func=_status)

    p = parsers["hint"] = sub.add_parser("hint",
                                         help="the next hint for the first failing public test")
    p.add_argument("exercise", help="ex3, ex03, 3 or ex03_simple_nn")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.set_defaults(func=_hint)

    p = parsers["list"] = sub.add_parser("list", help="list the exercises")
    p.set_defaults(func=_list)

    for wing in present_wings():
        importlib.import_module(f"grading.{wing}.commands").register(sub, parsers)
    return parser


def _refused(what: str) -> int:
    print(t(f"dlkit {what} : commande réservée aux enseignants (elle a besoin du kit complet, "
            "absent de la version étudiante) ; utilisez `make check` ou `make list`.",
            f"dlkit {what}: instructor-only command (it needs the full kit, which the student "
            "release does not include); use `make check` or `make list`."), file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(present_wings()) < len(WINGS):
        # The student release: a command (or check --hidden) of an absent wing.
        command = next((a for a in argv if not a.startswith("-")), None)
        if command is not None and command not in STUDENT_COMMANDS:
            return _refused(command)
        if command == "check" and "--hidden" in argv and "authoring" not in present_wings():
            return _refused("check --hidden")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
