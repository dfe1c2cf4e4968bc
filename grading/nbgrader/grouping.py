"""Which exercises make which nbgrader assignment: shared by the gradebook writer and the
course generator (``--assignment NAME=exNN,exMM`` or ``--grouping FILE``)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

from grading.registry import EXERCISES, lookup

Grouping = dict[str, tuple[str, ...]]
"""Assignment name -> exercise ids, in order (``{"tp1": ("ex01", "ex02")}``)."""

COURSE_ID = "dlkit"
"""nbgrader course id used by default by the gradebook and the generated course."""

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""Assignment names: they are folder names in an nbgrader course (no ``+``, no spaces)."""


class GroupingError(ValueError):
    """An assignment grouping the kit cannot use; the message says why (in French)."""


def default_grouping() -> Grouping:
    """One assignment per registered exercise, named by its id."""
    return {ex.id: (ex.id,) for ex in EXERCISES}


def check_grouping(grouping: dict[str, Iterable[str]]) -> Grouping:
    """Normalise exercise ids (``3``, ``ex3``, ``ex03_simple_nn`` -> ``ex03``) and reject
    invalid names, empty groups and an exercise in two groups."""
    checked: Grouping = {}
    owner: dict[str, str] = {}
    for name, queries in grouping.items():
        if not NAME_RE.fullmatch(name):
            raise GroupingError(f"nom de devoir invalide : {name!r} (lettres, chiffres, _ et -)")
        ids = []
        for query in queries:
            try:
                ex_id = lookup(str(query)).id
            except KeyError as exc:
                raise GroupingError(exc.args[0]) from None
            if ex_id in owner:
                raise GroupingError(f"{ex_id} est dans deux devoirs : {owner[ex_id]} et {name}")
            owner[ex_id] = name
            ids.append(ex_id)
        if not ids:
            raise GroupingError(f"devoir {name!r} sans exercice")
        checked[name] = tuple(ids)
    if not checked:
        raise GroupingError("regroupement vide")
    return checked


def parse_assignments(specs: Sequence[str]) -> Grouping:
    """``["tp1=ex01,ex02", "tp2=ex03"]`` (the repeated ``--assignment`` option)."""
    grouping: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, ids = spec.partition("=")
        if not sep:
            raise GroupingError(f"--assignment attend NOM=exNN,exMM, reçu {spec!r}")
        if name.strip() in grouping:
            raise GroupingError(f"devoir {name.strip()!r} donné deux fois")
        grouping[name.strip()] = [i.strip() for i in ids.split(",") if i.strip()]
    return check_grouping(grouping)


def load_grouping(path: Path) -> Grouping:
    """A JSON (``{"tp1": ["ex01", "ex02"]}``) or TOML (``tp1 = ["ex01", "ex02"]``) file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise GroupingError(f"{path} : regroupement illisible ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise GroupingError(f"{path} : attendu un devoir -> liste d'exercices")
    return check_grouping(data)


def grouping_from_args(specs: Sequence[str] | None, path: str | None) -> Grouping:
    """The CLI's ``--assignment`` options or ``--grouping FILE``; the default otherwise."""
    if specs and path:
        raise GroupingError("--assignment et --grouping sont exclusifs")
    if path:
        return load_grouping(Path(path))
    return parse_assignments(specs) if specs else default_grouping()
