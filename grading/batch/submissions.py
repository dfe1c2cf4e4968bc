"""Reading a class's submissions: one folder or one ``.zip`` per student.

A submission holds any subset of the student modules, flat or under
``exercises/`` (or under one top folder, as zips often are). Only ``.py`` files
are read, symlinks are never followed, sizes are capped: the trusted grader
reads these bytes before any sandbox exists.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1 << 20
MAX_FILES = 64
MAX_TOTAL_BYTES = 8 << 20


@dataclass
class Submission:
    student: str
    """Student id: the folder name or the zip's stem, made filesystem-safe."""
    source: Path
    files: dict[str, bytes]
    """Python file name -> content (flattened)."""
    problems: list[str]
    """What was skipped while reading (too big, symlink, ...), for the instructor."""

    @property
    def digest(self) -> str:
        """Hash of the files graded: a changed submission is re-graded even without --force."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return h.hexdigest()


def student_id(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return safe or "anonyme"


def _depth(path: PurePosixPath) -> int:
    return len(path.parts)


def _keep(found: dict[str, tuple[int, bytes]], rel: PurePosixPath, data: bytes,
          problems: list[str]) -> None:
    """Keep the shallowest file of each name; cap sizes and counts."""
    if len(data) > MAX_FILE_BYTES:
        problems.append(f"{rel}: larger than {MAX_FILE_BYTES} bytes, ignored")
        return
    name = rel.name
    if name in found and found[name][0] <= _depth(rel):
        return
    if name not in found and len(found) >= MAX_FILES:
        problems.append(f"{rel}: more than {MAX_FILES} Python files, ignored")
        return
    found[name] = (_depth(rel), data)


def read_folder(folder: Path) -> tuple[dict[str, bytes], list[str]]:
    found: dict[str, tuple[int, bytes]] = {}
    problems: list[str] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            rel = PurePosixPath(path.relative_to(folder).as_posix())
            if path.suffix != ".py" or len(rel.parts) > 4:
                continue
            if path.is_symlink():
                problems.append(f"{rel}: symbolic link, ignored")
                continue
            size = path.lstat().st_size
            total += size
            if total > MAX_TOTAL_BYTES or size > MAX_FILE_BYTES:
                problems.append(f"{rel}: too large, ignored")
                continue
            _keep(found, rel, path.read_bytes(), problems)
    return {name: data for name, (_, data) in found.items()}, problems


def read_zip(path: Path) -> tuple[dict[str, bytes], list[str]]:
    found: dict[str, tuple[int, bytes]] = {}
    problems: list[str] = []
    total = 0
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return {}, [f"unreadable zip: {exc}"]
    with archive:
        for info in archive.infolist():
            rel = PurePosixPath(info.filename)
            if info.is_dir() or rel.suffix != ".py" or "__pycache__" in rel.parts \
                    or "__MACOSX" in rel.parts or len(rel.parts) > 4:
                continue
            if rel.is_absolute() or ".." in rel.parts:
                problems.append(f"{rel}: unsafe path, ignored")
                continue
            total += info.file_size
            if total > MAX_TOTAL_BYTES or info.file_size > MAX_FILE_BYTES:
                problems.append(f"{rel}: too large, ignored")
                continue
            with archive.open(info) as f:
                data = f.read(MAX_FILE_BYTES + 1)
            _keep(found, rel, data, problems)
    return {name: data for name, (_, data) in found.items()}, problems


def discover(folder: Path) -> list[Submission]:
    """Every sub-folder and ``.zip`` of ``folder``, sorted by student id."""
    subs: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or entry.name.startswith("."):
            continue
        if entry.is_dir():
            files, problems = read_folder(entry)
        elif entry.suffix == ".zip":
            files, problems = read_zip(entry)
        else:
            continue
        sid = student_id(entry.stem if entry.suffix == ".zip" else entry.name)
        if sid in subs:
            sid = f"{sid}-{len(subs)}"
        subs[sid] = Submission(sid, entry, files, problems)
    return [subs[k] for k in sorted(subs)]
