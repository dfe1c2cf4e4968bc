"""``dlkit report``: statistics, similarity and exports of a graded class."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, parsers: dict[str, argparse.ArgumentParser]) -> None:
    from grading.reports.report import add_cli

    add_cli(sub)
