"""``dlkit gradebook OUT --db gradebook.db``: the batch grader's scores in an nbgrader gradebook.

The records of a graded folder (``OUT/<student>.json``) are written through nbgrader's own
:class:`nbgrader.api.Gradebook`, so that ``nbgrader export``, the formgrader and any nbgrader
tooling read the kit's grades:

- one nbgrader **assignment** per group of exercises. The kit has no TP numbers: by default
  each exercise is its own assignment, named by its id (``ex03``); a :data:`Grouping` such as
  ``tp1=ex01,ex02`` puts several exercises in one assignment, and exercises left out of an
  explicit grouping are not written;
- one **notebook** entry per exercise module (``ex01_tensors``), one **grade cell** per test
  (public and hidden), named by :func:`cell_name`, whose ``max_score`` is the test's points;
- students are created on the fly; a student's submission of an assignment holds one
  ``auto_score`` per test. An assignment none of whose modules the student handed in gets no
  submission (nbgrader exports it as 0, like ``grades.csv``).

Writing again after a re-grade replaces the grades of every student in ``OUT``: same grade
cells, the scores are updated in place (an instructor's ``manual_score`` in the formgrader is
kept, as ``nbgrader autograde`` keeps it); a changed set of cells (a test added or removed in
the kit) deletes and re-adds the submission. Students with no record in ``OUT`` are left alone.
The cells of a notebook are those the records list (every record lists all the tests of every
exercise, absent modules included); a test a record does not list scores 0 for that student. A
cell no record lists any more is deleted with its grades, for every student. A grouping that
moves an exercise to another assignment removes its notebook from the old one.

This gradebook is the batch grader's view (one notebook entry per module). The course that
:mod:`grading.nbgrader.course` generates is nbgrader's own view of the same assignments (one
``<tp>.ipynb`` per assignment): give the two different databases.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.batch.records import Record, load_all
from grading.nbgrader.grouping import COURSE_ID, Grouping, check_grouping, default_grouping
from grading.registry import BY_ID, BY_MODULE

CELL_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_CELL_NAME = 128
"""nbgrader stores cell names in a ``String(128)`` column."""


class GradebookError(ValueError):
    """A grouping, an OUT folder or a gradebook the kit cannot write; the message says why."""


# --- grade cells ----------------------------------------------------------------------------

def cell_name(nodeid: str, hidden: bool) -> str:
    """A stable grade-cell name for one test: ``public-test_linear_forward_matches_nn_linear``,
    ``hidden-test_linear_forward_rectangular[2d]``. Public and hidden tests share function
    names, hence the prefix. Characters outside ``[A-Za-z0-9_.[]-]`` (rare parametrize ids)
    or an over-long name get a hash of the node id instead, so the name stays unique."""
    test = nodeid.rpartition("::")[2]
    base, bracket, param = test.partition("[")
    prefix = "hidden" if hidden else "public"
    param = param.removesuffix("]")
    name = f"{prefix}-{base}" + (f"[{param}]" if bracket else "")
    if CELL_NAME_CHARS.search(base + param) or len(name) > MAX_CELL_NAME:
        digest = hashlib.sha1(nodeid.encode()).hexdigest()[:10]
        name = f"{prefix}-{CELL_NAME_CHARS.sub('_', test)}"[:MAX_CELL_NAME - 11] + f"-{digest}"
    return name


@dataclass(frozen=True)
class Cell:
    nodeid: str
    name: str
    max_score: float


def notebook_cells(records: list[Record]) -> dict[str, list[Cell]]:
    """Exercise id -> its grade cells, in the order of the first record listing each test."""
    seen: dict[str, dict[str, Cell]] = {}
    for rec in records:
        for test in rec.tests:
            cells = seen.setdefault(test.exercise, {})
            if test.nodeid not in cells:
                cells[test.nodeid] = Cell(test.nodeid, cell_name(test.nodeid, test.hidden),
                                          float(test.max_points))
    result = {}
    for ex_id, cells in seen.items():
        names = [c.name for c in cells.values()]
        if len(set(names)) != len(names):  # two test files of one visibility, same function
            raise GradebookError(f"{ex_id} : noms de cellules en double ({sorted(names)})")
        result[ex_id] = list(cells.values())
    return result


# --- writing --------------------------------------------------------------------------------

@dataclass
class GradebookSummary:
    db: str
    """Database URL written."""
    assignments: list[str]
    students: list[str]
    written: int = 0
    """Submissions whose grades were set in place."""
    replaced: int = 0
    """Submissions deleted and re-added because their set of grade cells changed."""
    removed: int = 0
    """Submissions deleted because the student no longer hands in any module of them."""
    skipped: list[str] = field(default_factory=list)
    """Exercises of the grouping that no record lists (not written)."""

    def describe(self) -> str:
        text = (f"carnet de notes {self.db} : {len(self.assignments)} devoir(s), "
                f"{len(self.students)} étudiant(s) ; {self.written} soumission(s) mise(s) à jour, "
                f"{self.replaced} recréée(s), {self.removed} supprimée(s)")
        if self.skipped:
            text += f" ; sans résultats, non écrits : {', '.join(self.skipped)}"
        return text


def db_url(db: str | Path) -> str:
    """A path becomes ``sqlite:///ABSOLUTE``; a URL (``postgresql://…``) is kept."""
    text = str(db)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def _sync_notebook(gb: Any, assignment: str, module: str, cells: list[Cell]) -> None:
    """Make the notebook's grade cells exactly ``cells`` (stale ones removed with their grades)."""
    from nbgrader.api import GradeCell, MissingEntry

    try:
        notebook = gb.find_notebook(module, assignment)
    except MissingEntry:
        notebook = gb.add_notebook(module, assignment)
    existing = {c.name: c for c in notebook.grade_cells}
    wanted = {c.name for c in cells}
    for name, stale in existing.items():
        if name not in wanted:
            for grade in list(stale.grades):
                gb.db.delete(grade)
            gb.db.delete(stale)
    # One transaction per notebook (update_or_create_grade_cell commits once per cell).
    for cell in cells:
        if cell.name in existing:
            existing[cell.name].max_score = cell.max_score
        else:
            gb.db.add(GradeCell(name=cell.name, notebook=notebook, max_score=cell.max_score,
                                cell_type="code"))
    gb.db.commit()


def _sync_assignment(gb: Any, name: str, exercises: list[str],
                     cells: dict[str, list[Cell]]) -> None:
    gb.update_or_create_assignment(name)
    mine = {BY_ID[ex_id].module for ex_id in exercises}
    for notebook in list(gb.find_assignment(name).notebooks):
        if notebook.name in mine:
            continue
        if notebook.name not in BY_MODULE:
            raise GradebookError(
                f"le devoir {name!r} de ce carnet contient le carnet nbgrader "
                f"{notebook.name!r}, qui n'est pas un module du kit (carnet de `nbgrader "
                "autograde` ?) : utilisez une autre base ou un autre nom de devoir")
        gb.remove_notebook(notebook.name, name)  # the grouping moved this exercise
    for ex_id in exercises:
        _sync_notebook(gb, name, BY_ID[ex_id].module, cells[ex_id])


def _write_submission(gb: Any, assignment: str, exercises: list[str], rec: Record,
                      summary: GradebookSummary) -> None:
    from nbgrader.api import MissingEntry

    student = rec.student
    handed_in = any(rec.handed_in(ex_id) for ex_id in exercises)
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        submission = None
    if not handed_in:
        if submission is not None:
            gb.remove_submission(assignment, student)
            summary.removed += 1
        return
    wanted = {(n.name, c.name) for n in gb.find_assignment(assignment).notebooks
              for c in n.grade_cells}
    if submission is not None:
        have = {(n.name, g.cell.name) for n in submission.notebooks for g in n.grades}
        if have == wanted:
            summary.written += 1
        else:
            gb.remove_submission(assignment, student)
            submission = None
            summary.replaced += 1
    if submission is None:
        submission = gb.add_submission(assignment, student)
        summary.written += 1
    points = {(BY_ID[t.exercise].module, cell_name(t.nodeid, t.hidden)): float(t.points)
              for t in rec.tests if t.exercise in exercises}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score = points.get((notebook.name, grade.cell.name), 0.0)
            grade.needs_manual_grade = False
    gb.db.commit()


def write_gradebook(out: Path, db: str | Path, grouping: Grouping | None = None,
                    course_id: str = COURSE_ID) -> GradebookSummary:
    """Write the records of the graded folder ``out`` into the nbgrader gradebook ``db`` (a
    path, created if needed, or a database URL). See the module docstring for the layout."""
    records = load_all(out)
    if not records:
        raise GradebookError(f"{out} : aucun résultat de `dlkit grade` (<étudiant>.json)")
    grouping = check_grouping(grouping) if grouping is not None else default_grouping()
    cells = notebook_cells(records)
    url = db_url(db)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    summary = GradebookSummary(url, [], [rec.student for rec in records])
    with _quiet_sqlalchemy():
        from nbgrader.api import Gradebook

        with Gradebook(url, course_id=course_id) as gb:
            for name, ids in grouping.items():
                known = [ex_id for ex_id in ids if ex_id in cells]
                summary.skipped += [ex_id for ex_id in ids if ex_id not in cells]
                if not known:
                    continue
                _sync_assignment(gb, name, known, cells)
                summary.assignments.append(name)
            for rec in records:
                gb.update_or_create_student(rec.student)
                for name in summary.assignments:
                    ids = [ex_id for ex_id in grouping[name] if ex_id in cells]
                    _write_submission(gb, name, ids, rec, summary)
    return summary


class _quiet_sqlalchemy(warnings.catch_warnings):
    """nbgrader's ``add_submission`` makes SQLAlchemy warn (objects added to the session
    through relationships before the session knows them); harmless, and noise on a CLI."""

    def __enter__(self) -> None:
        super().__enter__()
        from sqlalchemy.exc import SAWarning

        warnings.simplefilter("ignore", SAWarning)
