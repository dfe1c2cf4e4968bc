"""One student's result of a batch: the record behind ``OUT/<student>.json``.

Every wing reads records through this module: the batch grader writes them, the reports,
the gradebook and the notebook grade cell read them. The JSON layout is the one the kit
has always written (``total``, ``max_total`` and ``internal_error`` are stored for other
tools, and recomputed on reading)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.batch.static_flags.flag import Flag
from grading.registry import EXERCISES
from grading.results import TestResult

EXERCISE_STATUSES = ("graded", "absent", "internal")
"""Per exercise: graded; absent (no module handed in); internal (a grader fault: no grade
yet, graded again at the next run)."""


@dataclass(frozen=True)
class ExerciseScore:
    points: float
    max_points: float
    status: str
    """One of :data:`EXERCISE_STATUSES`."""

    @classmethod
    def of(cls, results: list[TestResult]) -> ExerciseScore:
        statuses = {r.status for r in results}
        status = "internal" if "internal" in statuses else \
            "absent" if statuses == {"absent"} else "graded"
        return cls(sum(r.points for r in results), sum(r.max_points for r in results), status)


@dataclass
class Record:
    student: str
    digest: str
    """The graded files' digest (and scope): a record with the same one is up to date."""
    exercises: dict[str, ExerciseScore]
    tests: list[TestResult]
    flags: list[Flag] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What went wrong reading the submission (an unreadable zip member…)."""
    warning: str = ""
    """Shown on top of the feedback (e.g. graded without a sandbox)."""

    @classmethod
    def build(cls, student: str, digest: str, results: list[TestResult], flags: list[Flag],
              problems: list[str], warning: str = "") -> Record:
        exercises = {}
        for ex in EXERCISES:
            mine = [r for r in results if r.exercise == ex.id]
            if mine:
                exercises[ex.id] = ExerciseScore.of(mine)
        return cls(student, digest, exercises, list(results), list(flags), list(problems),
                   warning)

    @property
    def total(self) -> float:
        return sum(e.points for e in self.exercises.values())

    @property
    def max_total(self) -> float:
        return sum(e.max_points for e in self.exercises.values())

    @property
    def internal_error(self) -> bool:
        """A grader fault in this record: it is not a grade yet, and is graded again."""
        return any(e.status == "internal" for e in self.exercises.values())

    def handed_in(self, ex_id: str) -> bool:
        score = self.exercises.get(ex_id)
        return score is not None and score.status == "graded"

    def tests_of(self, ex_id: str) -> list[TestResult]:
        return [r for r in self.tests if r.exercise == ex_id]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "student": self.student, "digest": self.digest, "total": self.total,
            "max_total": self.max_total,
            "exercises": {i: {"points": e.points, "max_points": e.max_points,
                              "status": e.status} for i, e in self.exercises.items()},
            "tests": [r.to_json() for r in self.tests],
            "flags": [{"module": f.module, "line": f.line, "kind": f.kind, "detail": f.detail}
                      for f in self.flags],
            "problems": self.problems, "internal_error": self.internal_error}
        if self.warning:
            data["warning"] = self.warning
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            student=data["student"], digest=data.get("digest", ""),
            exercises={i: ExerciseScore(float(e["points"]), float(e["max_points"]),
                                        e.get("status", "graded"))
                       for i, e in data.get("exercises", {}).items()},
            tests=[TestResult.from_json(t) for t in data["tests"]],
            flags=[Flag(f["module"], int(f["line"]), f["kind"], f["detail"])
                   for f in data.get("flags", [])],
            problems=list(data.get("problems", [])), warning=data.get("warning", ""))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write-then-rename: an interrupted batch never leaves a half-written result."""
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def save(out: Path, record: Record) -> None:
    write_json_atomic(out / f"{record.student}.json", record.to_json())


def load(path: Path) -> Record | None:
    """The record in ``path``; None if it is not one (unreadable, another file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "student" in data and "tests" in data:
            return Record.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def load_all(out: Path) -> list[Record]:
    """Every student's record in ``out``, by student id (the grader's own files, which
    start with a dot, are not records)."""
    found = [load(p) for p in sorted(out.glob("*.json")) if not p.name.startswith(".")]
    return sorted((r for r in found if r is not None), key=lambda r: r.student)
