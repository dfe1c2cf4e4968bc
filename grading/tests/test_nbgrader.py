"""nbgrader integration: the gradebook writer and the generated course, against real nbgrader.

- Gradebook (synthetic records, nbgrader's API): layout, grouping, in-place updates that keep a
  manual score, submissions re-added when the cell set changes, students without a record left
  alone.
- Gradebook round trip: a class of three (reference, planted bug, nothing handed in) graded by
  the real batch grader, written to a gradebook, read back by the real ``nbgrader export``; then
  one student re-graded with another bug, written and exported again.
- Course end to end: ``make_course``, ``nbgrader generate_assignment``, ``autograde``,
  ``export`` and ``generate_feedback`` on two students; the scores equal the batch grader's and
  no hidden test, solution line or planted canary reaches release/, autograded/ or feedback/.

Only ex01 is handed in (its suite is the quickest). The nbgrader commands run in subprocesses
with ``PYTHONPATH`` at this checkout, so the kernels import this kit whatever is installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.authoring.mutants.ex01 import MUTANTS
from grading.authoring.release import scan, solution_lines
from grading.batch import records
from grading.batch.records import ExerciseScore, Record
from grading.nbgrader import cell
from grading.nbgrader.cell import summary
from grading.nbgrader.commands import add_cli
from grading.nbgrader.course import config_text
from grading.nbgrader.gradebook import GradebookError, cell_name, write_gradebook
from grading.nbgrader.grouping import (
    GroupingError,
    default_grouping,
    grouping_from_args,
    load_grouping,
    parse_assignments,
)
from grading.registry import BY_ID, EXERCISES
from grading.results import TestResult
from grading.seam import KIT_ROOT

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux"),
              pytest.mark.timeout(900)]
EX01 = BY_ID["ex01"]
MUTANT = {m.name: m for m in MUTANTS}
ENV = {**os.environ, "PYTHONPATH": str(KIT_ROOT), "KIT_LANG": "fr"}


# --- pure helpers -----------------------------------------------------------------------------

def test_cell_names_are_unique_valid_and_stable():
    public = cell_name("tests/test_ex01_tensors.py::test_linear_forward", False)
    hidden = cell_name("hidden/test_ex01_hidden.py::test_linear_forward", True)
    assert (public, hidden) == ("public-test_linear_forward", "hidden-test_linear_forward")
    assert cell_name("hidden/t.py::test_rect[2d]", True) == "hidden-test_rect[2d]"
    odd = [cell_name(f"tests/t.py::test_x[{p}]", False) for p in ("a b", "a/b", "a b" * 80)]
    assert len(set(odd)) == 3 and all(len(n) <= 128 and " " not in n for n in odd)
    assert odd[0] == cell_name("tests/t.py::test_x[a b]", False)


def test_grouping_options_and_files(tmp_path):
    assert parse_assignments(["tp1=ex1,02", "tp2=ex03_simple_nn"]) == {
        "tp1": ("ex01", "ex02"), "tp2": ("ex03",)}
    assert default_grouping() == {ex.id: (ex.id,) for ex in EXERCISES}
    for bad in (["tp1=ex01", "tp2=ex01"], ["tp 1=ex01"], ["tp1=ex99"], ["tp1"], ["tp1="]):
        with pytest.raises(GroupingError):
            parse_assignments(bad)
    (tmp_path / "g.toml").write_text('tp1 = ["ex01", "ex02"]\n')
    (tmp_path / "g.json").write_text('{"tp1": ["ex01", "ex02"]}')
    assert load_grouping(tmp_path / "g.toml") == load_grouping(tmp_path / "g.json") == {
        "tp1": ("ex01", "ex02")}
    with pytest.raises(GroupingError):
        grouping_from_args(["tp1=ex01"], str(tmp_path / "g.json"))


def test_config_is_python_nbgrader_reads():
    from traitlets.config import Config

    c = Config()
    exec(config_text({"tp1": ("ex01", "ex02"), "tp2": ("ex03",)}, "dlkit"),
         {"get_config": lambda: c})
    assert c.Autograde.exclude_overwriting == {
        "tp1": ["ex01_tensors.py", "ex02_training_loop.py"], "tp2": ["ex03_simple_nn.py"]}
    assert c.CourseDirectory.course_id == "dlkit"
    assert c.Execute.timeout >= 600  # two exercises graded in the first cell
    assert {"hidden", "test_*_hidden.py", "reference"} <= set(c.CourseDirectory.ignore)


def test_cell_summary_lists_failures_and_clamps_points():
    results = [TestResult("tests/t.py::test_a", "ex01", "calcul A", 0, 2, "failed", "attendu 3\n"
                          "obtenu 4", False),
               TestResult("hidden/t.py::test_a", "ex01", "calcul A caché", 1, 1, "passed", "",
                          True)]
    rec = Record.build("x", "d", results, [], [])
    points, text = summary(EX01, rec)
    assert points == 1.0
    assert "1 / 3" in text and "✗ calcul A — 0/2" in text and "obtenu 4" in text
    assert "calcul A caché" not in text  # a passing test is not listed
    # never more than the cell's points (nbgrader aborts)
    rec.exercises["ex01"] = ExerciseScore(99, 3, "graded")
    assert summary(EX01, rec)[0] == EX01.points


def test_score_grades_once_per_notebook_and_never_raises(tmp_path, monkeypatch, capsys):
    """Two grade cells, one grading run; a missing module or a failed run prints why, scores 0."""
    (tmp_path / f"{EX01.module}.py").write_text("# ex01\n")
    (tmp_path / "ex02_training_loop.py").write_text("# ex02\n")
    results = [TestResult("tests/t.py::test_a", "ex01", "a", 2, 2, "passed", "", False),
               TestResult("tests/t.py::test_b", "ex02", "b", 0, 3, "failed", "raté", False)]
    calls = []

    def fake_grader(files, timeout):
        calls.append(sorted(files))
        return Record.build("copie", "d", results, [], [])

    monkeypatch.setattr(cell, "_CACHE", {})
    monkeypatch.setattr(cell, "run_grader", fake_grader)
    group = ["ex01", "ex02"]
    assert cell.score("ex01", group, folder=tmp_path) == 2.0
    assert cell.score("ex02", group, folder=tmp_path) == 0.0
    assert calls == [[f"{EX01.module}.py", "ex02_training_loop.py"]]
    assert "✗ b — 0/3" in capsys.readouterr().out
    assert cell.score("ex03", ["ex03"], folder=tmp_path) == 0.0
    assert "ex03_simple_nn.py absent" in capsys.readouterr().out

    def broken(files, timeout):
        raise cell.GradingFailed("le correcteur s'est arrêté (code 1)")

    monkeypatch.setattr(cell, "_CACHE", {})
    monkeypatch.setattr(cell, "run_grader", broken)
    assert cell.score("ex01", group, folder=tmp_path) == 0.0
    assert cell.score("ex99") == 0.0
    out, err = capsys.readouterr()
    assert "code 1" in out and "exercice inconnu" in out and err == ""


# --- gradebook, synthetic records -------------------------------------------------------------

TESTS = {"ex01": [("tests/test_ex01_tensors.py::test_a", 2.0, False),
                  ("hidden/test_ex01_hidden.py::test_a", 1.0, True),
                  ("tests/test_ex01_tensors.py::test_b[x-1]", 1.0, False)],
         "ex02": [("tests/test_ex02_training_loop.py::test_c", 3.0, False)]}


def write_record(out: Path, student: str, points: dict[str, list[float] | None],
                 tests: dict[str, list] = TESTS) -> None:
    """One ``<student>.json`` as ``grade`` writes it; ``None`` points = module absent."""
    results = []
    for ex_id, rows in tests.items():
        got = points.get(ex_id)
        for k, (nodeid, max_points, hidden) in enumerate(rows):
            status = "absent" if got is None else ("passed" if got[k] == max_points else "failed")
            results.append(TestResult(nodeid, ex_id, nodeid, 0.0 if got is None else got[k],
                                      max_points, status, "", hidden))
    records.save(out, Record.build(student, "digest", results, [], []))


def scores(db: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}", "dlkit") as gb:
        return {(a.name, s.student.id): s.score for a in gb.assignments for s in a.submissions}


def test_gradebook_layout_updates_replacements_and_refusals(tmp_path):
    from nbgrader.api import Gradebook

    out, db = tmp_path / "out", tmp_path / "gradebook.db"
    out.mkdir()
    write_record(out, "alice", {"ex01": [2, 1, 1], "ex02": [3]})
    write_record(out, "bob", {"ex01": [0, 1, 0]})
    write_record(out, "carol", {})
    write_record(out, "dave", {"ex01": [2, 0, 0]})
    grouping = {"tp1": ("ex01", "ex02")}
    first = write_gradebook(out, db, grouping)
    assert first.assignments == ["tp1"] and first.written == 3
    assert scores(db) == {("tp1", "alice"): 7.0, ("tp1", "bob"): 1.0, ("tp1", "dave"): 2.0}
    with Gradebook(f"sqlite:///{db}", "dlkit") as gb:
        tp1 = gb.find_assignment("tp1")
        assert tp1.max_score == 7.0 and [n.name for n in tp1.notebooks] == [
            "ex01_tensors", "ex02_training_loop"]
        assert {c.name for c in tp1.notebooks[0].grade_cells} == {
            "public-test_a", "hidden-test_a", "public-test_b[x-1]"}
        grade = gb.find_grade("hidden-test_a", "ex01_tensors", "tp1", "bob")
        assert (grade.auto_score, grade.max_score, grade.needs_manual_grade) == (1.0, 1.0, False)
        grade.manual_score = 0.5  # an instructor's override in the formgrader
        gb.db.commit()

    # Same cells, new points: updated in place, the override kept; dave (no record) untouched.
    write_record(out, "bob", {"ex01": [2, 1, 0]})
    (out / "dave.json").unlink()
    second = write_gradebook(out, db, grouping)
    assert (second.written, second.replaced, second.removed) == (2, 0, 0)
    with Gradebook(f"sqlite:///{db}", "dlkit") as gb:
        grade = gb.find_grade("hidden-test_a", "ex01_tensors", "tp1", "bob")
        assert (grade.auto_score, grade.manual_score) == (1.0, 0.5)
        assert gb.find_grade("public-test_a", "ex01_tensors", "tp1", "bob").auto_score == 2.0
    assert scores(db)[("tp1", "dave")] == 2.0

    # The kit gained a test and lost one: cells follow, submissions re-added, nothing doubled;
    # carol now hands ex01 in, alice nothing any more.
    changed = {"ex01": TESTS["ex01"][:2] + [("tests/test_ex01_tensors.py::test_new", 4.0, False)],
               "ex02": TESTS["ex02"]}
    write_record(out, "alice", {}, changed)
    write_record(out, "bob", {"ex01": [2, 1, 4]}, changed)
    write_record(out, "carol", {"ex01": [0, 0, 4]}, changed)
    third = write_gradebook(out, db, grouping)
    assert (third.replaced, third.removed) == (1, 1)
    assert scores(db) == {("tp1", "bob"): 7.0, ("tp1", "carol"): 4.0, ("tp1", "dave"): 2.0}
    with Gradebook(f"sqlite:///{db}", "dlkit") as gb:
        notebook = gb.find_notebook("ex01_tensors", "tp1")
        assert {c.name for c in notebook.grade_cells} == {
            "public-test_a", "hidden-test_a", "public-test_new"}
        assert gb.find_assignment("tp1").max_score == 10.0
        assert len(gb.assignment_submissions("tp1")) == 3

    # An assignment holding a notebook of nbgrader's own course (not a kit module) is refused.
    with Gradebook(f"sqlite:///{db}", "dlkit") as gb:
        gb.add_assignment("ex01")
        gb.add_notebook("ex01", "ex01")  # what `nbgrader generate_assignment ex01` writes
    with pytest.raises(GradebookError, match="autograde"):
        write_gradebook(out, db, {"ex01": ("ex01",)})


# --- real grader and real nbgrader ------------------------------------------------------------

def dlkit(*argv: str) -> int:
    """The subcommands as `dlkit` runs them once wired in (grading/cli.py)."""
    parser = argparse.ArgumentParser(prog="dlkit")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kit_grades(out: Path) -> dict[str, dict[str, float]]:
    return {row["student"]: {k: float(v) for k, v in row.items() if k != "student"}
            for row in read_csv(out / "grades.csv")}


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def grade_class(submissions: Path, out: Path) -> list[str]:
    """The batch grader's CLI, as an instructor runs it; returns the students graded."""
    run(sys.executable, "-m", "grading", "grade", str(submissions), "--out", str(out), "-j", "2",
        cwd=KIT_ROOT)
    return sorted(json.loads(p.read_text())["student"] for p in out.glob("*.json")
                  if not p.name.startswith("."))


def ex01_source(mutant: str | None = None) -> str:
    source = (KIT_ROOT / "reference" / f"{EX01.module}.py").read_text(encoding="utf-8")
    return MUTANT[mutant].apply(source) if mutant else source


def export(course: Path, db: Path | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """``nbgrader export`` from ``course``: (assignment, student) -> CSV row."""
    flags = [f"--CourseDirectory.db_url=sqlite:///{db}"] if db else []
    run("nbgrader", "export", "--to", "export.csv", *flags, cwd=course, timeout=120)
    rows = read_csv(course / "export.csv")
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name",
                             "first_name", "email", "raw_score", "late_submission_penalty",
                             "score", "max_score"]
    table = {(r["assignment"], r["student_id"]): r for r in rows}
    assert len(table) == len(rows), "a student exported twice for one assignment"
    return table


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """alice: the reference; bob: divides by 256; carol: hands in nothing."""
    root = tmp_path_factory.mktemp("classe")
    subs, out = root / "submissions", root / "results"
    for student in ("alice", "bob", "carol"):
        (subs / student).mkdir(parents=True)
    (subs / "alice" / f"{EX01.module}.py").write_text(ex01_source())
    (subs / "bob" / f"{EX01.module}.py").write_text(ex01_source("divide-by-256"))
    assert grade_class(subs, out) == ["alice", "bob", "carol"]
    return root, kit_grades(out)


def test_gradebook_round_trip_through_nbgrader_export(graded_class):
    root, first_grades = graded_class
    subs, out, db = root / "submissions", root / "results", root / "gradebook.db"
    course = root / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.db_url = 'sqlite:///{db}'\n"
        "c.CourseDirectory.course_id = 'dlkit'\n")
    assert first_grades["alice"]["ex01"] == 20 and first_grades["carol"]["ex01"] == 0
    assert 0 < first_grades["bob"]["ex01"] < 20

    assert dlkit("gradebook", str(out), "--db", str(db), "--assignment", "tp1=ex01,ex01") == 2
    assert not db.exists()
    assert dlkit("gradebook", str(out), "--db", str(db)) == 0
    table = export(course)
    assignments = {a for a, _ in table}
    assert "ex01" in assignments and assignments <= {ex.id for ex in EXERCISES}
    assert len(table) == 3 * len(assignments)
    max_points = {ex_id: info.max_points
                  for ex_id, info in records.load_all(out)[0].exercises.items()}
    for (assignment, student), row in table.items():
        assert float(row["score"]) == first_grades[student][assignment], (assignment, student)
        assert float(row["max_score"]) == max_points[assignment]
    assert table[("ex01", "carol")]["timestamp"] == ""  # nothing handed in: no submission

    # bob hands in another bug: only he is re-graded (his files changed), then re-written.
    (subs / "bob" / f"{EX01.module}.py").write_text(ex01_source("no-bias"))
    run(sys.executable, "-m", "grading", "grade", str(subs), "--out", str(out), "-j", "1",
        cwd=KIT_ROOT)
    new_grades = kit_grades(out)
    assert new_grades["bob"]["ex01"] != first_grades["bob"]["ex01"]
    assert new_grades["alice"] == first_grades["alice"]
    written = write_gradebook(out, db)
    assert (written.written, written.replaced, written.removed) == (2, 0, 0)  # alice and bob, ex01
    table = export(course)
    assert len(table) == 3 * len(assignments)
    assert float(table[("ex01", "bob")]["score"]) == new_grades["bob"]["ex01"]
    assert float(table[("ex01", "alice")]["score"]) == 20


def hidden_lines() -> set[str]:
    """Distinctive lines of the hidden tests: long, and in no public test nor stub."""
    public = "\n".join(p.read_text(encoding="utf-8") for folder in ("tests", "exercises")
                       for p in (KIT_ROOT / folder).glob("*.py"))
    lines = set()
    for path in (KIT_ROOT / "grading" / "hidden").glob("test_*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 25 and line not in public and not line.startswith(("import", "from")):
                lines.add(line)
    return lines


def leaks_in(path: Path, secrets: set[str]) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path}: {s}" for s in secrets if s in text]


def leaks(folder: Path, secrets: set[str]) -> list[str]:
    return [leak for path in sorted(folder.rglob("*")) if path.is_file()
            for leak in leaks_in(path, secrets)]


def test_course_end_to_end_with_nbgrader(graded_class, tmp_path):
    _, kit = graded_class
    course = tmp_path / "course"
    assert dlkit("nbcourse", str(course), "--assignment", "tp1=ex01") == 0
    assert dlkit("nbcourse", str(course), "--assignment", "tp1=ex01") == 2  # exists: --force
    assert sorted(p.name for p in (course / "source" / "tp1").iterdir()) == [
        f"{EX01.module}.py", "tp1.ipynb"]
    assert (course / "source" / "tp1" / f"{EX01.module}.py").read_bytes() == (
        KIT_ROOT / "exercises" / f"{EX01.module}.py").read_bytes()
    # Instructor material dropped into source/ by mistake must still never travel.
    canary = "CANARI-test-cache-4d1f"
    (course / "source" / "tp1" / "test_ex01_hidden.py").write_text(f"# {canary}\n")
    (course / "source" / "tp1" / "hidden").mkdir()
    (course / "source" / "tp1" / "hidden" / "notes.py").write_text(f"# {canary}\n")

    run("nbgrader", "generate_assignment", "tp1", "--force", cwd=course, timeout=120)
    release = course / "release" / "tp1"
    assert sorted(p.name for p in release.iterdir()) == [f"{EX01.module}.py", "tp1.ipynb"]
    scan(release)  # no solution marker, no solution line, no instructor path
    secrets = hidden_lines() | {canary}
    assert len(secrets) > 10 and not leaks(release, secrets)

    for student, mutant in (("alice", None), ("bob", "divide-by-256")):
        folder = course / "submitted" / student / "tp1"
        folder.mkdir(parents=True)
        shutil.copy(release / "tp1.ipynb", folder)
        (folder / f"{EX01.module}.py").write_text(ex01_source(mutant))
    run("nbgrader", "autograde", "tp1", cwd=course, timeout=600)
    table = export(course)
    assert set(table) == {("tp1", "alice"), ("tp1", "bob")}
    assert float(table[("tp1", "alice")]["score"]) == 20 == kit["alice"]["ex01"]
    assert float(table[("tp1", "bob")]["score"]) == kit["bob"]["ex01"] < 20

    import nbformat

    graded = nbformat.read(course / "autograded" / "bob" / "tp1" / "tp1.ipynb", as_version=4)
    grade_cell = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade"))
    kinds = [(o.output_type, o.get("name")) for o in grade_cell.outputs]
    assert kinds == [("stream", "stdout"), ("execute_result", None)]
    assert "divisez par 255" in grade_cell.outputs[0].text  # the learner message of the planted bug
    assert float(grade_cell.outputs[1].data["text/plain"]) == kit["bob"]["ex01"]

    run("nbgrader", "generate_feedback", "tp1", cwd=course, timeout=120)
    assert list((course / "feedback" / "bob" / "tp1").glob("*.html"))
    solutions = solution_lines()
    for step in ("autograded", "feedback"):
        assert not leaks(course / step, secrets), step
        assert not list((course / step).rglob("*hidden*")), step
        for path in (course / step).rglob("*"):  # alice's .py files are the reference itself
            if path.suffix in (".ipynb", ".html"):
                assert not leaks_in(path, solutions), path
