"""What a grade cell of the generated nbgrader course runs: ``score("ex01", group=[...])``.

nbgrader scores a code grade cell from its outputs: an error or *any* stderr output scores 0,
otherwise the last ``execute_result`` that reads as a number is the score (at most the cell's
points). :func:`score` is written for that contract:

- it grades the modules found in the working directory (``nbgrader autograde`` runs the
  notebook in ``autograded/<student>/<tp>/``, next to the student's ``.py`` files) with the kit's
  sandboxed batch grader, in a subprocess (``python -m grading grade … --force -j 1``) whose
  stdout and stderr are captured and never shown: a crash, a memory bomb or a stray warning there
  cannot kill the kernel or reach the cell's stderr;
- the exercises of the notebook (``group``) are graded together in one run and the result is
  cached for the kernel's lifetime, keyed by the files' content, so N grade cells cost one run;
- it prints a short summary on stdout (points, each failed test with its learner message, which
  never carries hidden test source) and returns the exercise's points as a float;
- if grading fails it prints why and returns 0.0 instead of raising.

The hidden tests are read by the subprocess from the installed kit (this package's folder): the
course folder never holds them. Only the standard library and the light kit modules are imported
here, so the cell itself starts fast.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grading.batch import records
from grading.batch.records import ExerciseScore, Record
from grading.i18n import t
from grading.registry import BY_MODULE, Exercise, lookup
from grading.results import points_text
from grading.seam import KIT_ROOT

SECONDS_PER_EXERCISE = 300.0
"""The batch grader's default wall-clock limit per (submission, exercise); with ``-j 1`` the
exercises of a group run one after the other."""
STARTUP_SECONDS = 120.0
"""Python, torch and the test collection, before the first exercise runs."""
STUDENT = "copie"
"""Student id of the one-submission class graded by the subprocess."""

_CACHE: dict[str, dict[str, Any]] = {}
"""Content hash of the graded files -> the grader's record, for the kernel's lifetime."""


class GradingFailed(RuntimeError):
    """The grading subprocess did not produce a record; the message is for the notebook."""


def timeout_for(n_exercises: int) -> float:
    """Seconds allowed to grade ``n_exercises`` in one run (the generated course gives
    nbgrader's per-cell timeout a margin over this)."""
    return STARTUP_SECONDS + SECONDS_PER_EXERCISE * n_exercises


def submitted_files(folder: Path, exercises: Sequence[Exercise]) -> dict[str, bytes]:
    """The modules of ``exercises`` present in ``folder`` (regular files, no symlinks)."""
    files = {}
    for ex in exercises:
        path = folder / f"{ex.module}.py"
        if path.is_file() and not path.is_symlink():
            files[path.name] = path.read_bytes()
    return files


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name] + b"\0")
    return h.hexdigest()


def run_grader(files: dict[str, bytes], timeout: float) -> Record:
    """Grade ``files`` as one submission with ``python -m grading grade``; return its record."""
    # Only the suites of the modules handed in are loaded: a cell costs its own exercises.
    graded = [BY_MODULE[name.removesuffix(".py")].id for name in sorted(files)]
    with tempfile.TemporaryDirectory(prefix="dlkit-nbcell-") as tmp:
        folder = Path(tmp) / "submissions" / STUDENT
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        out = Path(tmp) / "out"
        env = dict(os.environ)
        # The subprocess imports this very kit, whatever the kernel's sys.path was.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(KIT_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "grading", "grade", str(folder.parent), "--out", str(out),
                 "--force", "-j", "1", "--exercises", ",".join(graded)],
                cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GradingFailed(t(f"la correction a dépassé {timeout:.0f} s",
                                  f"grading took more than {timeout:.0f} s")) from None
        record = records.load(out / f"{STUDENT}.json")
        if record is None:
            lines = (done.stderr or "").strip().splitlines()
            last = lines[-1][:200] if lines else ""
            raise GradingFailed(t(f"le correcteur s'est arrêté (code {done.returncode}) {last}",
                                  f"the grader stopped (code {done.returncode}) {last}")
                                )
        return record


def summary(ex: Exercise, record: Record) -> tuple[float, str]:
    """(points, text to print) for one exercise of a record."""
    info = record.exercises.get(ex.id, ExerciseScore(0.0, ex.points, "absent"))
    points = min(max(info.points, 0.0), float(ex.points))
    lines = [f"{ex.id} — {ex.title} : {points_text(points)} / {points_text(info.max_points)}"]
    if info.status == "absent":
        lines.append(t(f"module {ex.module}.py absent : 0 point.",
                       f"module {ex.module}.py missing: 0 points."))
        return points, "\n".join(lines)
    if info.status == "internal":
        lines.append(t("erreur interne du correcteur (pas ton code) : cet exercice doit être "
                       "recorrigé par l'enseignant.",
                       "grader internal error (not your code): the instructor must grade "
                       "this exercise again."))
        return 0.0, "\n".join(lines)
    failed = [r for r in record.tests_of(ex.id) if r.status != "passed"]
    if not failed:
        lines.append(t("Tous les tests passent.", "Every test passes."))
    for r in failed:
        kind = t(" (test caché)", " (hidden test)") if r.hidden else ""
        lines.append(f"✗ {r.name}{kind} — {points_text(r.points)}/{points_text(r.max_points)}")
        lines += ["    " + m for m in r.message.splitlines()[:8]]
    return points, "\n".join(lines)


def score(exercise: str, group: Sequence[str] = (), folder: str | Path = ".") -> float:
    """Grade ``exercise`` (and the rest of ``group``, the notebook's exercises, in the same
    run) from the modules in ``folder``; print a summary and return its points. Never raises."""
    try:
        ex = lookup(exercise)
        exercises = list(dict.fromkeys([lookup(e) for e in group] + [ex]))
        files = submitted_files(Path(folder), exercises)
        if f"{ex.module}.py" not in files:
            print(t(f"{ex.id} : module {ex.module}.py absent : 0 point.",
                    f"{ex.id}: module {ex.module}.py missing: 0 points."))
            return 0.0
        key = _digest(files)
        if key not in _CACHE:
            _CACHE[key] = run_grader(files, timeout_for(len(files)))
        points, text = summary(ex, _CACHE[key])
        print(text)
        return points
    except Exception as exc:  # a grade cell must explain a zero, not raise
        reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(t(f"{exercise} : correction impossible ({reason}) : 0 point.",
                f"{exercise}: grading failed ({reason}): 0 points."))
        return 0.0
