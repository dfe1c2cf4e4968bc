"""Kit authors' commands: stubs, meta-tests, benchmarks; and ``check --hidden``."""

from __future__ import annotations

import argparse


def _stubs(args: argparse.Namespace) -> int:
    from grading.authoring import stubgen

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
    from grading.authoring.bench import bench_check

    return bench_check(args.exercise, repeat=args.repeat)


def _bench_grade(args: argparse.Namespace) -> int:
    from grading.authoring.bench import bench_grade

    return bench_grade(args.n, dask=not args.no_dask)


def _meta(args: argparse.Namespace) -> int:
    from grading.authoring.meta import report

    return report(args.exercises)


def register(sub: argparse._SubParsersAction, parsers: dict[str, argparse.ArgumentParser]) -> None:
    parsers["check"].add_argument("--hidden", action="store_true",
                                  help="also run hidden tests (instructors)")

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

    p = sub.add_parser("bench-grade", help="seconds per submission of `grade`, -j 2 vs -j 1")
    p.add_argument("-n", type=int, default=8, help="submissions in the generated class")
    p.add_argument("--no-dask", action="store_true", help="skip the --dask local:2 line")
    p.set_defaults(func=_bench_grade)
