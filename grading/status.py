"""``make status``: where a student stands, one row per exercise.

Each exercise is *not started*, *in progress* or *done*, with its public points.
The last results of every check (``make check``, ``make watch``, ``make hint``,
``check()`` in a notebook) are kept in ``.dlkit/status.json`` in the student's
folder, keyed by the SHA-256 of the module file: an exercise whose module has not
changed since is not run again, the others are checked (in one pytest process).

*Not started* means that every public test that ran ended in ``todo`` (the stub's
``NotImplementedError``): the same rule in the kit and in the student release
(which has no ``reference/`` to regenerate the stubs from), and a stub with a
comment added is still not started.

The ``.dlkit/`` folder holds a ``.gitignore`` of its own, so it never ends up in a
student's repository; the release never ships it (only listed files are copied).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grading.i18n import lang, t
from grading.registry import EXERCISES, Exercise, lookup
from grading.results import TestResult
from grading.seam import Implementation, resolve

STATE_FOLDER = ".dlkit"
STATUS_FILE = "status.json"
STATES = ("not_started", "in_progress", "done", "absent")
"""``absent``: the module file is missing (a submission folder without it)."""


def state_dir(impl: str) -> Path | None:
    """The student's ``.dlkit/`` folder: next to ``exercises/`` (``--impl=exercises``), or
    inside the ``--impl`` folder; None for the reference (nothing of a student's)."""
    if impl == "reference":
        return None
    folder = resolve(impl)
    return (folder.parent if folder.name == "exercises" else folder) / STATE_FOLDER


def module_path(ex: Exercise, impl: str) -> Path | None:
    return Implementation(resolve(impl)).path_of(ex.module)


def digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def snapshot(exercises: Sequence[Exercise], impl: str) -> dict[str, str | None]:
    """Exercise id -> SHA-256 of its module now (before a run: what the run will test)."""
    return {ex.id: digest(module_path(ex, impl)) for ex in exercises}


def load_json(folder: Path | None, name: str) -> dict[str, Any]:
    if folder is None:
        return {}
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_json(folder: Path | None, name: str, data: dict[str, Any]) -> None:
    """Write atomically (a check and a watch may finish at the same time)."""
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# dlkit: local state of make status / make hint\n*\n",
                              encoding="utf-8")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, folder / name)
    except OSError:
        pass  # a read-only folder: the state is a convenience, never a failure


def record(exercises: Sequence[Exercise], results: list[TestResult], impl: str,
           digests: dict[str, str | None] | None = None) -> None:
    """Keep the public results of a run for ``make status`` and reset the hint level of
    every test that now passes. ``digests``: the modules' hashes taken before the run."""
    folder = state_dir(impl)
    if folder is None:
        return
    digests = digests if digests is not None else snapshot(exercises, impl)
    cache = load_json(folder, STATUS_FILE)
    for ex in exercises:
        mine = [r for r in results if r.exercise == ex.id and not r.hidden]
        if mine and digests.get(ex.id):
            cache[ex.id] = {"sha256": digests[ex.id], "lang": lang(),
                            "results": [r.to_json() for r in mine]}
    save_json(folder, STATUS_FILE, cache)
    from grading.hints import reset_passed

    reset_passed(folder, results)


def cached(ex: Exercise, impl: str) -> list[TestResult] | None:
    """The last results of ``ex`` if its module has not changed since they were taken (in
    the same language: messages and hints are in the language of their run)."""
    entry = load_json(state_dir(impl), STATUS_FILE).get(ex.id)
    now = digest(module_path(ex, impl))
    if not isinstance(entry, dict) or now is None or entry.get("sha256") != now \
            or entry.get("lang") != lang():
        return None
    try:
        return [TestResult.from_json(d) for d in entry["results"]]
    except (KeyError, TypeError):
        return None


def state_of(results: list[TestResult]) -> str:
    ran = [r for r in results if r.status != "skipped"]
    if ran and all(r.status == "absent" for r in ran):
        return "absent"
    if ran and all(r.status == "todo" for r in ran):
        return "not_started"
    if all(r.status in ("passed", "skipped") for r in results):
        return "done"
    return "in_progress"


def label(state: str) -> str:
    return {"not_started": t("pas commencé", "not started"),
            "in_progress": t("en cours", "in progress"),
            "done": t("terminé ✓", "done ✓"),
            "absent": t("module absent", "module missing")}[state]


def collect(exercises: Sequence[Exercise], impl: str = "exercises"
            ) -> tuple[dict[str, list[TestResult]], set[str]]:
    """Results of every exercise (cached or run now) and the ids that were run now."""
    from grading.runner import run_suite

    found: dict[str, list[TestResult]] = {}
    for ex in exercises:
        results = cached(ex, impl)
        if results is not None:
            found[ex.id] = results
    todo = [ex for ex in exercises if ex.id not in found]
    if todo:
        digests = snapshot(todo, impl)
        run = run_suite(todo, impl)
        if not run.results:
            raise RuntimeError(run.output)
        record(todo, run.results, impl, digests)
        for ex in todo:
            found[ex.id] = [r for r in run.results if r.exercise == ex.id]
    return found, {ex.id for ex in todo}


def _fmt(x: float) -> str:
    return f"{x:g}"


def status(queries: Sequence[str] = (), impl: str = "exercises", as_json: bool = False) -> int:
    try:
        exercises = [lookup(q) for q in queries] if queries else list(EXERCISES)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    todo = [ex for ex in exercises if cached(ex, impl) is None]
    if todo and not as_json:
        print(t(f"Vérification de {', '.join(ex.id for ex in todo)} (modifié(s) depuis le "
                "dernier check)…", f"Checking {', '.join(ex.id for ex in todo)} (changed "
                "since the last check)…"), file=sys.stderr, flush=True)
    try:
        found, _ = collect(exercises, impl)
    except RuntimeError as exc:
        print(t("Les tests n'ont pas pu démarrer (erreur interne du kit) :",
                "The tests could not start (internal kit error):"), file=sys.stderr)
        print("\n".join(str(exc).strip().splitlines()[-15:]), file=sys.stderr)
        return 2
    rows = {}
    for ex in exercises:
        results = found.get(ex.id, [])
        rows[ex.id] = {"state": state_of(results) if results else "absent",
                       "points": sum(r.points for r in results),
                       "max": sum(r.max_points for r in results)}
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    width = max(len(label(s)) for s in STATES)
    print(f"{t('exercice', 'exercise'):<9} {t('état', 'state'):<{width}}  "
          f"{t('points (tests publics)', 'points (public tests)')}")
    for ex in exercises:
        row = rows[ex.id]
        print(f"{ex.id:<9} {label(row['state']):<{width}}  "
              f"{_fmt(row['points']):>3}/{_fmt(row['max']):<3}  {ex.title}")
    earned = sum(r["points"] for r in rows.values())
    total = sum(r["max"] for r in rows.values())
    done = sum(r["state"] == "done" for r in rows.values())
    print(f"{'total':<9} {t(f'{done}/{len(rows)} terminé(s)', f'{done}/{len(rows)} done'):<{width}}"
          f"  {_fmt(earned):>3}/{_fmt(total)}")
    return 0
