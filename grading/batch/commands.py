"""``dlkit grade``: the batch grader's command."""

from __future__ import annotations

import argparse
import sys


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grading.batch.driver import grade
    from grading.batch.sandbox import Limits
    from grading.batch.selfcheck import GraderRefused
    from grading.registry import EXERCISES, lookup

    limits = Limits(test_seconds=args.test_timeout, wall_seconds=args.timeout,
                    memory_bytes=int(args.memory_gb * 2**30))
    exercises = tuple(lookup(e) for e in args.exercises.split(",")) if args.exercises \
        else EXERCISES
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


def register(sub: argparse._SubParsersAction, parsers: dict[str, argparse.ArgumentParser]) -> None:
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
