"""Grades in the formats other tools import: Moodle's grade CSV and Gradescope's results.json.

The plain CSV (``grades.csv``: student, ex01…ex12, total) is written by the
grader itself (``grading.batch.outputs.write_csv``).

Moodle (``moodle.csv``), for *Grades → Import → CSV file*
----------------------------------------------------------
UTF-8, comma-separated, decimal point, one header row, one row per student:

- first column, the identifier Moodle maps to a user ("Map from" this column,
  "Map to" the matching user field): ``Email address`` (``--moodle-key email``,
  Moodle field *Email address*), ``ID number`` (``idnumber``, *ID number*) or
  ``Username`` (``username``, *Username*);
- then one column per exercise, headed by its id (``ex01``, ``ex02``…), to map
  onto the grade items of the course (or to create as new grade items named so);
  only the exercises that at least one student handed in are exported (the
  others are not part of this assignment, and importing zeros would overwrite
  the grade book), each an exercise's points out of its total (20);
- last, ``total``: the sum of the exported exercises.

The identifier comes from a **roster** CSV (``--roster``): a column ``student``
holding the submission id (the folder or zip name graded, normalised the same way:
``Jean Dupont`` matches the folder ``Jean_Dupont``) and columns ``email``,
``idnumber`` and/or ``username`` (comma or semicolon separated, UTF-8 with or
without BOM; a Moodle participants export with a ``student`` column added works).
A graded student missing from the roster, or whose key cell is empty, is left
out of ``moodle.csv`` (Moodle's import accepts no comment lines) and listed,
one id per line, in ``moodle_unmatched.txt`` (written empty when everyone
matched) and on the console. Without a roster the identifier is the submission
id itself: this matches Moodle only if submissions are named after the
students' usernames (or ID numbers), hence no ``email`` key without a roster.

Gradescope (``gradescope/<student>/results.json``)
--------------------------------------------------
The autograder results format: top-level ``score`` (the record's total),
``output`` (a one-line summary), ``tests``: one entry per test with ``name``
(``ex01 — <test display name>``), ``number`` (``1.3``: exercise.test),
``score``, ``max_score``, ``status`` (``passed``/``failed``), ``output`` (the
learner message, never test source) and ``visibility``: ``visible`` for public
tests, ``after_published`` for hidden ones. An exercise whose module was not
handed in is one entry ``exNN — module absent`` worth 0 out of its total rather
than one entry per test, so the test scores still add up to the total.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grading.batch.records import Record, write_json_atomic
from grading.batch.submissions import student_id
from grading.i18n import t
from grading.registry import EXERCISES
from grading.results import points_text

MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
"""--moodle-key -> header of the identifier column (Moodle's own names for these fields)."""


@dataclass
class MoodleExport:
    header: list[str]
    rows: list[list[str]]
    unmatched: list[str]
    """Graded students with no roster entry (or an empty key): not in ``rows``."""
    not_graded: list[str]
    """Roster students with no graded submission (for information: Moodle keeps their grade)."""


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """submission id -> {column: value} from a roster CSV (see the module docstring)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0] if text else "", ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "student" not in fields:
        raise ValueError(t(f"{path} : la liste d'étudiants doit avoir une colonne « student » "
                           f"(colonnes trouvées : {', '.join(fields) or 'aucune'})",
                           f"{path}: the roster needs a 'student' column "
                           f"(found: {', '.join(fields) or 'none'})"))
    roster = {}
    for row in reader:
        entry = {low: (row.get(orig) or "").strip() for low, orig in fields.items()}
        if entry["student"]:
            roster[student_id(entry["student"])] = entry
    return roster


def exported_exercises(records: list[Record]) -> list[str]:
    """Exercises at least one student handed in, in registry order."""
    return [ex.id for ex in EXERCISES
            if any(rec.handed_in(ex.id) for rec in records)]


def moodle_export(records: list[Record], roster: dict[str, dict[str, str]] | None,
                  key: str) -> MoodleExport:
    if key not in MOODLE_KEYS:
        raise ValueError(f"--moodle-key: {key!r} not in {', '.join(MOODLE_KEYS)}")
    if roster is None and key == "email":
        raise ValueError(t("--moodle-key email demande une liste d'étudiants (--roster) : "
                           "un identifiant de soumission n'est pas une adresse",
                           "--moodle-key email needs a roster (--roster): a submission id "
                           "is not an address"))
    if roster is not None and roster and key not in next(iter(roster.values())):
        raise ValueError(t(f"la liste d'étudiants n'a pas de colonne « {key} »",
                           f"the roster has no '{key}' column"))
    ids = exported_exercises(records)
    rows, unmatched = [], []
    for rec in records:
        student = rec.student
        ident = student if roster is None else roster.get(student, {}).get(key, "")
        if not ident:
            unmatched.append(student)
            continue
        infos = [rec.exercises.get(ex_id) for ex_id in ids]
        points = [i.points if i else 0.0 for i in infos]
        # A grader fault is no grade: empty cells (Moodle leaves the grade alone), never 0.
        faulty = [i is not None and i.status == "internal" for i in infos]
        rows.append([ident, *("" if bad else points_text(p) for p, bad in zip(points, faulty)),
                     "" if any(faulty) else points_text(sum(points))])
    graded = {rec.student for rec in records}
    not_graded = sorted(set(roster or {}) - graded)
    return MoodleExport([MOODLE_KEYS[key], *ids, "total"], rows, unmatched, not_graded)


def write_moodle(folder: Path, export: MoodleExport) -> list[Path]:
    """``moodle.csv`` and ``moodle_unmatched.txt`` (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "moodle.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(export.header)
        writer.writerows(export.rows)
    unmatched = folder / "moodle_unmatched.txt"
    unmatched.write_text("".join(f"{s}\n" for s in export.unmatched), encoding="utf-8")
    return [path, unmatched]


def gradescope_results(rec: Record) -> dict[str, Any]:
    """One student's Gradescope ``results.json`` (see the module docstring)."""
    tests = []
    for ex in EXERCISES:
        info = rec.exercises.get(ex.id)
        if info is None:
            continue
        if info.status == "absent":
            tests.append({"name": f"{ex.id} — " + t("module absent", "module missing"),
                          "number": f"{ex.number}", "score": 0.0,
                          "max_score": info.max_points, "status": "failed",
                          "output": t(f"Module {ex.module}.py absent : 0 point.",
                                      f"Module {ex.module}.py missing: 0 points."),
                          "visibility": "visible"})
            continue
        for k, test in enumerate(rec.tests_of(ex.id), start=1):
            passed = test.status == "passed"
            tests.append({"name": f"{ex.id} — {test.name}", "number": f"{ex.number}.{k}",
                          "score": float(test.points), "max_score": float(test.max_points),
                          "status": "passed" if passed else "failed",
                          "output": "" if passed else test.message,
                          "visibility": "after_published" if test.hidden else "visible"})
    total, max_total = float(rec.total), float(rec.max_total)
    return {"score": total,
            "output": t(f"Total : {points_text(total)} / {points_text(max_total)}",
                        f"Total: {points_text(total)} / {points_text(max_total)}"),
            "tests": tests}


def write_gradescope(folder: Path, records: list[Record]) -> list[Path]:
    written = []
    for rec in records:
        student_dir = folder / "gradescope" / student_id(rec.student)
        student_dir.mkdir(parents=True, exist_ok=True)
        path = student_dir / "results.json"
        write_json_atomic(path, gradescope_results(rec))
        written.append(path)
    return written
