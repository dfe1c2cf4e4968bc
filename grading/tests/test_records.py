"""The per-student record: one dataclass, one (de)serialiser, the JSON layout of old."""

from __future__ import annotations

import json

from grading.batch import records
from grading.batch.records import ExerciseScore, Flag, Record
from grading.results import STATUS_LABELS, STATUSES, TestResult, points_text

RESULTS = [TestResult("tests/a.py::t1", "ex01", "a", 2, 2, "passed", "", False),
           TestResult("hidden/a.py::t2", "ex01", "b", 0, 3, "failed", "non", True),
           TestResult("tests/b.py::t1", "ex02", "c", 0, 5, "absent", "absent", False),
           TestResult("tests/c.py::t1", "ex03", "d", 0, 4, "internal", "panne", False)]


def test_round_trip_and_layout(tmp_path):
    rec = Record.build("alice", "abc", RESULTS, [Flag("ex01_tensors.py", 3, "k", "d")], ["p"],
                       "attention")
    assert rec.exercises == {"ex01": ExerciseScore(2, 5, "graded"),
                             "ex02": ExerciseScore(0, 5, "absent"),
                             "ex03": ExerciseScore(0, 4, "internal")}
    assert (rec.total, rec.max_total, rec.internal_error) == (2, 14, True)
    assert rec.handed_in("ex01") and not rec.handed_in("ex02") and not rec.handed_in("ex04")
    records.save(tmp_path, rec)
    data = json.loads((tmp_path / "alice.json").read_text(encoding="utf-8"))
    assert list(data) == ["student", "digest", "total", "max_total", "exercises", "tests",
                          "flags", "problems", "internal_error", "warning"]
    assert data["flags"] == [{"module": "ex01_tensors.py", "line": 3, "kind": "k", "detail": "d"}]
    assert records.load(tmp_path / "alice.json") == rec
    (tmp_path / ".run.json").write_text("{}")
    (tmp_path / "broken.json").write_text("{")
    assert records.load_all(tmp_path) == [rec]


def test_one_label_per_status_and_one_number_format():
    assert set(STATUS_LABELS) == set(STATUSES)
    assert [points_text(x) for x in (20, 2.0, 0.5, 1 / 3, 2.675)] == \
        ["20", "2", "0.5", "0.33", "2.67"]
