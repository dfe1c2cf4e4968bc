"""The student's local state in ``.dlkit/``: the last public results of each exercise,
keyed by the SHA-256 of its module (``status.json``), and the hint level reached per
test (``hints.json``). Written by every check (``make check``, ``watch``, ``hint``,
``check()`` in a notebook), read by ``make status`` and ``make hint``.

The ``.dlkit/`` folder holds a ``.gitignore`` of its own, so it never ends up in a
student's repository; the release never ships it (only listed files are copied).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grading.i18n import lang
from grading.registry import Exercise
from grading.results import TestResult
from grading.seam import Implementation, resolve

HINTS_FILE = "hints.json"
STATE_FOLDER = ".dlkit"
STATUS_FILE = "status.json"


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
    forget_passed_hints(folder, results)


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


def forget_passed_hints(folder: Path | None, results: list[TestResult]) -> None:
    """Forget the hint level of every test that passes in ``results``."""
    levels = load_json(folder, HINTS_FILE)
    passed = [r.nodeid for r in results if r.status == "passed" and r.nodeid in levels]
    if passed:
        for nodeid in passed:
            del levels[nodeid]
        save_json(folder, HINTS_FILE, levels)
