"""Static flags on submitted code: constructs the instructor should look at before grading.

The batch grader imports every student module, so a module that patches the tests, reads the
solutions or ends the process acts before any test can notice. This scan reads the source with
``ast`` only (nothing is imported or executed, so a broken or hostile module is still scanned)
and lists what honest course code never does. A flag is not a penalty: the report says "to
review". The rules are tuned so that ``reference/`` and ``exercises/`` scan clean (a kit test
checks it); the scan is best-effort and a determined student can evade it, so it complements
the grader's isolation and never replaces it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from grading.batch.static_flags.flag import Flag
from grading.batch.static_flags.nodes import _short
from grading.batch.static_flags.scanner import _Scanner

__all__ = ["Flag", "format_flags", "scan_folder", "scan_source"]


def scan_source(source: str, module: str) -> list[Flag]:
    """Flags of one module's source, ordered by line then kind (one per line and kind)."""
    try:
        tree = ast.parse(source, filename=module)
    except SyntaxError as exc:
        return [Flag(module, exc.lineno or 1, "syntax-error", _short(f"does not parse: {exc.msg}"))]
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return [Flag(module, 1, "syntax-error", _short(f"does not parse: {exc}"))]
    try:
        scanner = _Scanner(tree, module)
        scanner.visit(tree)
    except RecursionError:
        return [Flag(module, 1, "unscannable", "too deeply nested to scan: review by hand")]
    return sorted(scanner.flags.values(), key=lambda f: (f.line, f.kind, f.detail))


def scan_folder(folder: Path) -> list[Flag]:
    """Flags of every ``*.py`` under ``folder`` (flat or under ``exercises/``, helpers too:
    the grader puts the module's folder on ``sys.path``, so any sibling can be imported)."""
    flags: list[Flag] = []
    for path in _python_files(folder):
        flags.extend(_scan_file(path, path.relative_to(folder).as_posix()))
    return flags


def format_flags(flags: Iterable[Flag]) -> str:
    """A Markdown bullet list for the instructor's report, ``no flags`` when there is none."""
    lines = [f"- `{f.module}:{f.line}` **{f.kind}**: {f.detail}" for f in flags]
    return "\n".join(lines) if lines else "no flags"


# --- Files -------------------------------------------------------------------------------


def _python_files(folder: Path) -> list[Path]:
    """Sorted so that reports are stable from one run to the next."""
    return sorted(p for p in folder.rglob("*.py")
                  if p.is_file() and "__pycache__" not in p.relative_to(folder).parts)


def _scan_file(path: Path, module: str) -> list[Flag]:
    """A file the grader cannot read would not import either: flag it rather than crash."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [Flag(module, 1, "unreadable", _short(f"cannot be read: {exc.strerror or exc}"))]
    return scan_source(data.decode("utf-8-sig", errors="replace"), module)


