"""``dlkit nbcourse DEST``: an nbgrader course folder whose grade cells run the kit's grader.

Layout written in ``DEST`` (run every ``nbgrader`` command from there):

- ``nbgrader_config.py``: the course id; ``Autograde.exclude_overwriting`` listing each
  assignment's modules, so ``nbgrader autograde`` grades the student's files instead of putting
  the stubs back; ``Execute.timeout`` large enough for one sandboxed run of the notebook's
  exercises (nbgrader's default, 30 s per cell, is not); ``CourseDirectory.ignore`` extended
  with the kit's instructor material (see below);
- for each assignment of the :data:`~grading.nbgrader.grouping.Grouping` (default: one per
  exercise, named by its id): ``source/<tp>/<tp>.ipynb`` and the student stubs of its
  exercises, copied from ``exercises/`` (what the student release ships; never ``reference/``).

The notebook holds a locked markdown cell of instructions (French) and one locked grade cell
per exercise, worth the exercise's points, whose code is
``from grading.nbgrader.cell import score; score("ex01", group=[...])``
(see :mod:`grading.nbgrader.cell`):
it grades the submitted ``.py`` files with the kit's public and hidden tests and its last value
is the points earned, which nbgrader records as the cell's partial credit.

The hidden tests and the solutions are never in the course folder: the grade cell's grader reads
them from the installed kit at autograde time, so ``generate_assignment`` cannot release them and
``generate_feedback`` cannot copy them. ``CourseDirectory.ignore`` still names them (``hidden``,
``test_*_hidden.py``, ``reference``, ``mutants``) so that a copy dropped into ``source/`` or next
to a submission by mistake is not released or fed back either; :func:`make_course` runs the
student release's leak scan on ``source/`` before returning.

The kernel that nbgrader starts must be able to import the kit (``make install``, i.e.
``pip install -e``, or ``PYTHONPATH``): :func:`make_course` checks it and says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grading.nbgrader.cell import timeout_for
from grading.nbgrader.grouping import COURSE_ID, Grouping, check_grouping, default_grouping
from grading.registry import BY_ID, Exercise
from grading.seam import KIT_ROOT

EXTRA_IGNORE: tuple[str, ...] = ("hidden", "test_*_hidden.py", "reference", "mutants")
"""Added to nbgrader's default ``CourseDirectory.ignore`` (file globs matched on names)."""
DEFAULT_IGNORE: tuple[str, ...] = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
"""nbgrader 0.9's default ``CourseDirectory.ignore``, kept."""
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TIMEOUT_MARGIN = 60
"""Seconds nbgrader's per-cell timeout gives over :func:`grading.nbgrader.cell.timeout_for`, so the
cell reports the grader's own timeout instead of being interrupted."""


class CourseError(RuntimeError):
    """The course folder cannot be written; the message says why."""


@dataclass
class Course:
    dest: Path
    assignments: dict[str, list[str]] = field(default_factory=dict)
    """Assignment name -> exercise ids written."""
    skipped: list[str] = field(default_factory=list)
    """Exercises of the grouping without a stub in ``exercises/`` (not written)."""
    kit_importable: bool = True
    """Whether ``import grading.nbgrader.cell`` works from ``dest`` with this environment."""

    def describe(self) -> str:
        lines = [f"cours nbgrader écrit dans {self.dest} :"]
        lines += [f"  source/{name}/{name}.ipynb ({', '.join(ids)})"
                  for name, ids in self.assignments.items()]
        if self.skipped:
            lines.append("  sans squelette dans exercises/, non écrits : "
                         + ", ".join(self.skipped))
        first = next(iter(self.assignments), "ex01")
        lines.append(f"ensuite, depuis {self.dest} : nbgrader generate_assignment {first} ; "
                     f"(rendus dans submitted/<étudiant>/{first}/) nbgrader autograde {first} ; "
                     "nbgrader export")
        if not self.kit_importable:
            lines.append(f"attention : `import grading` échoue depuis {self.dest} ; le noyau de "
                         "nbgrader ne trouvera pas le kit : `make install` (pip install -e) ou "
                         f"PYTHONPATH={KIT_ROOT} avant `nbgrader autograde`")
        return "\n".join(lines)


def _literal(value: dict | list) -> str:
    """A dict or list as Python source, one entry per line (readable in the config file)."""
    if isinstance(value, dict):
        return "{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in value.items()) + "}"
    return "[\n" + "".join(f"    {v!r},\n" for v in value) + "]"


def config_text(grouping: Grouping, course_id: str) -> str:
    """The course's ``nbgrader_config.py`` (plain Python, values written with ``repr``)."""
    exclude = {name: [f"{BY_ID[i].module}.py" for i in ids] for name, ids in grouping.items()}
    timeout = int(timeout_for(max(len(ids) for ids in grouping.values()))) + TIMEOUT_MARGIN
    return f'''"""nbgrader configuration written by `dlkit nbcourse` (grading.nbgrader.course)."""

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = {course_id!r}

# The students' modules are what is graded: autograde must not replace them by the stubs
# of source/.
c.Autograde.exclude_overwriting = {_literal(exclude)}

# The first grade cell of a notebook grades all its exercises in one sandboxed run.
c.Execute.timeout = {timeout}

# Never copied, released or fed back, should one land here by mistake: the grade cells read
# hidden tests and solutions from the installed kit, never from this folder.
c.CourseDirectory.ignore = {_literal(list(DEFAULT_IGNORE + EXTRA_IGNORE))}
'''


def _nbgrader_meta(grade_id: str, *, grade: bool, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def instructions(name: str, exercises: list[Exercise]) -> str:
    files = "\n".join(f"- `{ex.module}.py` — {ex.title_fr} ({ex.points} points)"
                      for ex in exercises)
    checks = ", ".join(f"`make check {ex.id}`" for ex in exercises)
    return f"""# Devoir {name}

Ce devoir se rend sous forme de modules Python : complétez les `# TODO` de

{files}

Les docstrings sont la spécification. Vérifiez votre travail avec les tests publics du kit
étudiant ({checks}).

Rendez **ce carnet tel quel** avec vos fichiers `.py`, dans le même dossier et sous les mêmes
noms. Les cellules ci-dessous sont verrouillées et ne fonctionnent qu'à la correction : chacune
lance les tests publics et cachés de son exercice sur vos fichiers, dans un bac à sable, affiche
les tests échoués avec une indication et vaut les points obtenus.
"""


def grade_source(ex: Exercise, group: list[str]) -> str:
    return (f"# Correction de {ex.module}.py (cellule verrouillée : ne pas modifier).\n"
            "from grading.nbgrader.cell import score\n\n"
            f"score({ex.id!r}, group={group!r})")


def notebook(name: str, exercises: list[Exercise]):
    """The assignment's notebook: instructions, then one grade cell per exercise. Cell ids are
    fixed so that regenerating the course gives the same file."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    intro = nbformat.v4.new_markdown_cell(instructions(name, exercises))
    intro.id = "consignes"
    intro.metadata.update(_nbgrader_meta("consignes", grade=False))
    nb.cells.append(intro)
    group = [ex.id for ex in exercises]
    for ex in exercises:
        cell = nbformat.v4.new_code_cell(grade_source(ex, group))
        cell.id = f"note-{ex.id}"
        cell.metadata.update(_nbgrader_meta(ex.id, grade=True, points=ex.points))
        nb.cells.append(cell)
    return nb


def kit_importable(folder: Path) -> bool:
    """Whether ``import grading.nbgrader.cell`` works from ``folder`` (as a kernel there)."""
    done = subprocess.run([sys.executable, "-c", "import grading.nbgrader.cell"], cwd=folder,
                          capture_output=True, timeout=60)
    return done.returncode == 0


def make_course(dest: Path, grouping: Grouping | None = None, course_id: str = COURSE_ID,
                force: bool = False, root: Path = KIT_ROOT) -> Course:
    """Write the nbgrader course folder ``dest`` (see the module docstring). An existing
    course is only rewritten with ``force`` (config and ``source/<tp>/`` of each assignment;
    ``release/``, ``submitted/``, ``autograded/`` and the gradebook are left alone)."""
    import nbformat

    from grading.authoring.release import LeakError, scan

    grouping = check_grouping(grouping) if grouping is not None else default_grouping()
    config = dest / "nbgrader_config.py"
    if config.exists() and not force:
        raise CourseError(f"{config} existe déjà (--force pour réécrire)")
    course = Course(dest)
    written: Grouping = {}
    for name, ids in grouping.items():
        present = [i for i in ids if (root / "exercises" / f"{BY_ID[i].module}.py").is_file()]
        course.skipped += [i for i in ids if i not in present]
        if present:
            written[name] = tuple(present)
    if not written:
        raise CourseError(f"aucun squelette dans {root / 'exercises'} pour ce regroupement")
    dest.mkdir(parents=True, exist_ok=True)
    for name, ids in written.items():
        folder = dest / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        exercises = [BY_ID[i] for i in ids]
        for ex in exercises:
            shutil.copyfile(root / "exercises" / f"{ex.module}.py", folder / f"{ex.module}.py")
        nbformat.write(notebook(name, exercises), folder / f"{name}.ipynb")
        course.assignments[name] = list(ids)
    config.write_text(config_text(written, course_id), encoding="utf-8")
    try:
        scan(dest / "source", root)
    except LeakError as exc:
        raise CourseError("source/ contient du matériel enseignant : "
                          + "; ".join(exc.findings)) from None
    course.kit_importable = kit_importable(dest)
    return course
