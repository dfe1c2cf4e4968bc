"""``dlkit``: the kit's command line (``python -m grading`` works the same)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence


def _check(args: argparse.Namespace) -> int:
    from grading.checking import check

    return check(args.exercises, impl=args.impl, hidden=args.hidden)


def _watch(args: argparse.Namespace) -> int:
    from grading.watch import watch

    return watch(args.exercises, impl=args.impl)


def _status(args: argparse.Namespace) -> int:
    from grading.status import status

    return status(args.exercises, impl=args.impl, as_json=args.json)


def _hint(args: argparse.Namespace) -> int:
    from grading.hints import hint

    return hint(args.exercise, impl=args.impl)


def _stubs(args: argparse.Namespace) -> int:
    from grading import stubgen

    if args.check:
        diffs = stubgen.drift()
        if diffs:
            print("exercises/ differs from what `make stubs` generates from reference/:")
            print("\n".join(diffs))
            return 1
        print("stubs up to date")
        return 0
    for path in stubgen.write():
        print(f"wrote {path}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from grading.bench import bench_check

    return bench_check(args.exercise, repeat=args.repeat)


def _meta(args: argparse.Namespace) -> int:
    from grading.meta import report

    return report(args.exercises)


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grading.grade import grade
    from grading.sandbox import Limits

    limits = Limits(test_seconds=args.test_timeout, wall_seconds=args.timeout,
                    memory_bytes=int(args.memory_gb * 2**30))
    from grading.registry import EXERCISES, lookup

    exercises = tuple(lookup(e) for e in args.exercises.split(",")) if args.exercises \
        else EXERCISES
    from grading.grade import GraderRefused

    try:
        summary = grade(Path(args.submissions), Path(args.out), jobs=args.jobs,
                        force=args.force, limits=limits,
                        exercises=tuple(ex for ex in EXERCISES if ex in exercises),
                        check=not args.no_self_check, unsafe=args.unsafe_no_sandbox,
                        dask=args.dask)
    except GraderRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    # A grader fault is not a grade: the batch is not done until it is re-run.
    return 4 if summary.interrupted else 3 if summary.internal else 0


def _bench_grade(args: argparse.Namespace) -> int:
    from grading.bench import bench_grade

    return bench_grade(args.n, dask=not args.no_dask)


def _list(args: argparse.Namespace) -> int:
    from grading.registry import EXERCISES

    for ex in EXERCISES:
        print(f"{ex.id}  {ex.module:<32} {ex.points:>3} pts  {ex.title}")
    return 0


INSTRUCTOR_REPORTS = ("grading.report", "grading.gradebook")
"""Modules that register their own subcommands (``add_cli``); light to import."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="run the public tests of exercises on your code")
    p.add_argument("exercises", nargs="*", help="ex3, ex03, 3 or ex03_simple_nn (all if none)")
    p.add_argument("--impl", default="exercises",
                   help="exercises (default), reference, or a folder of modules")
    p.add_argument("--hidden", action="store_true", help="also run hidden tests (instructors)")
    p.set_defaults(func=_check)

    p = sub.add_parser("watch", help="re-run the public tests of an exercise at each save")
    p.add_argument("exercises", nargs="+", help="ex3, ex03, 3 or ex03_simple_nn")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.set_defaults(func=_watch)

    p = sub.add_parser("status", help="one row per exercise: not started / in progress / done")
    p.add_argument("exercises", nargs="*", help="exercise ids (all if none)")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.add_argument("--json", action="store_true", help="JSON for tools")
    p.set_defaults(func=_status)

    p = sub.add_parser("hint", help="the next hint for the first failing public test")
    p.add_argument("exercise", help="ex3, ex03, 3 or ex03_simple_nn")
    p.add_argument("--impl", default="exercises", help="exercises (default) or a folder")
    p.set_defaults(func=_hint)

    p = sub.add_parser("stubs", help="generate exercises/ from reference/")
    p.add_argument("--check", action="store_true", help="fail if exercises/ drifted")
    p.set_defaults(func=_stubs)

    p = sub.add_parser("bench", help="time `check` on the reference against `import torch`")
    p.add_argument("exercise", nargs="?", default="ex03")
    p.add_argument("--repeat", type=int, default=5)
    p.set_defaults(func=_bench)

    p = sub.add_parser("meta", help="reference / stub / mutant verdicts (kit developers)")
    p.add_argument("exercises", nargs="*", help="exercise ids, e.g. ex02 (all if none)")
    p.set_defaults(func=_meta)

    p = sub.add_parser("grade", help="grade a folder of submissions (sandboxed, parallel)")
    p.add_argument("submissions", help="folder with one sub-folder or .zip per student")
    p.add_argument("--out", default="results", help="output folder (default: results)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="parallel sandboxes")
    p.add_argument("--force", action="store_true", help="re-grade already graded submissions")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds per submission and exercise (default 300)")
    p.add_argument("--test-timeout", type=float, default=60.0,
                   help="seconds per test (default 60)")
    p.add_argument("--memory-gb", type=float, default=3.0, help="memory per sandbox (GiB)")
    p.add_argument("--exercises", help="grade only these, e.g. ex01,ex03 (default: all)")
    p.add_argument("--no-self-check", action="store_true",
                   help="skip grading a reference and a stub copy first (exit 2 if wrong)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade WITHOUT any sandbox where none can be had (loud warning)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="grade on a Dask cluster: tcp://host:port, a scheduler file, "
                        "local:N (N local workers) or slurm:N (dask-jobqueue); -j is ignored")
    p.set_defaults(func=_grade)

    p = sub.add_parser("bench-grade", help="seconds per submission of `grade`, -j 2 vs -j 1")
    p.add_argument("-n", type=int, default=8, help="submissions in the generated class")
    p.add_argument("--no-dask", action="store_true", help="skip the --dask local:2 line")
    p.set_defaults(func=_bench_grade)

    p = sub.add_parser("list", help="list the exercises")
    p.set_defaults(func=_list)

    for name in INSTRUCTOR_REPORTS:
        try:
            module = importlib.import_module(name)
        except ImportError:  # the student release ships without the instructor modules
            continue
        module.add_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
