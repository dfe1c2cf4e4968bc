"""``dlkit gradebook`` and ``dlkit nbcourse``: the nbgrader side of the kit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from grading.nbgrader.grouping import COURSE_ID, GroupingError, grouping_from_args

GROUPING_HELP = ("assignment NAME=exNN,exMM (repeatable; default: one assignment per exercise, "
                 "named by its id; exercises not listed are left out)")


def add_grouping_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assignment", action="append", metavar="NAME=exNN,exMM", help=GROUPING_HELP)
    p.add_argument("--grouping", metavar="FILE",
                   help='JSON or TOML file {"tp1": ["ex01", "ex02"], ...} instead of --assignment')
    p.add_argument("--course-id", default=COURSE_ID,
                   help=f"nbgrader course id (default: {COURSE_ID})")


def _gradebook(args: argparse.Namespace) -> int:
    from grading.nbgrader.gradebook import GradebookError, write_gradebook

    try:
        grouping = grouping_from_args(args.assignment, args.grouping)
        summary = write_gradebook(Path(args.out), args.db, grouping, args.course_id)
    except (GradebookError, GroupingError) as exc:
        print(f"dlkit gradebook : {exc}")
        return 2
    print(summary.describe())
    return 0


def _nbcourse(args: argparse.Namespace) -> int:
    from grading.nbgrader.course import CourseError, make_course

    try:
        grouping = grouping_from_args(args.assignment, args.grouping)
        course = make_course(Path(args.dest), grouping, course_id=args.course_id,
                             force=args.force)
    except (GroupingError, CourseError) as exc:
        print(f"dlkit nbcourse : {exc}")
        return 2
    print(course.describe())
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``gradebook`` and ``nbcourse`` on the ``dlkit`` subparsers."""
    p = subparsers.add_parser("gradebook",
                              help="write a graded folder's scores into an nbgrader gradebook")
    p.add_argument("out", help="folder written by `dlkit grade` (OUT)")
    p.add_argument("--db", default="gradebook.db",
                   help="gradebook: a path (SQLite, created if needed) or a database URL "
                        "(default: gradebook.db)")
    add_grouping_options(p)
    p.set_defaults(func=_gradebook)

    p = subparsers.add_parser("nbcourse",
                              help="generate an nbgrader course whose grade cells run the kit")
    p.add_argument("dest", help="course folder to create (nbgrader_config.py, source/<tp>/)")
    p.add_argument("--force", action="store_true",
                   help="rewrite nbgrader_config.py and the source/ folders of the assignments")
    add_grouping_options(p)
    p.set_defaults(func=_nbcourse)


def register(sub: argparse._SubParsersAction, parsers: dict[str, argparse.ArgumentParser]) -> None:
    add_cli(sub)
