"""Generate the student stubs in ``exercises/`` from the solutions in ``reference/``.

Each solution is written once, between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
inside a function or method. The stub keeps everything else (imports, signature,
type hints, docstring) and replaces each block by a ``# TODO`` line and a
``raise NotImplementedError`` that names the exercise and the function.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

from grading.registry import BY_MODULE, EXERCISES
from grading.seam import KIT_ROOT

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
HEADER = ("# Exercice {id} : {title}.\n"
          "# Complétez chaque TODO ; vérifiez avec `make check {id}`.\n")


class StubError(ValueError):
    """The reference's solution markers are malformed."""


def _enclosing_functions(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, innermost last."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def make_stub(source: str, module: str) -> str:
    """The stub text for one reference module."""
    ex = BY_MODULE.get(module)
    ex_id = ex.id if ex else module
    spans = _enclosing_functions(ast.parse(source))
    lines = source.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            if line.strip() == END:
                raise StubError(f"{module}.py:{i + 1}: {END} without {BEGIN}")
            out.append(line)
            i += 1
            continue
        start = i
        try:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() in (BEGIN, END))
        except StopIteration:
            raise StubError(f"{module}.py:{start + 1}: {BEGIN} never closed") from None
        if lines[end].strip() != END:
            raise StubError(f"{module}.py:{end + 1}: nested {BEGIN}")
        owners = [name for first, last, name in spans if first <= start + 1 <= last]
        if not owners:
            raise StubError(f"{module}.py:{start + 1}: a solution block must sit inside a function")
        indent = line[: len(line) - len(line.lstrip())]
        func = owners[-1]
        out.append(f"{indent}# TODO ({ex_id}) : implémentez {func} (voir la docstring).")
        out.append(f'{indent}raise NotImplementedError("{ex_id} : {func}")')
        i = end + 1
    header = HEADER.format(id=ex_id, title=ex.title_fr if ex else module)
    return header + "\n".join(out) + "\n"


def generate(root: Path = KIT_ROOT) -> dict[Path, str]:
    """Stub path -> expected text, for every registered exercise that has a reference
    (a kit test requires every registered exercise to have one)."""
    return {root / "exercises" / f"{ex.module}.py":
            make_stub((root / "reference" / f"{ex.module}.py").read_text(encoding="utf-8"),
                      ex.module)
            for ex in EXERCISES if (root / "reference" / f"{ex.module}.py").exists()}


def write(root: Path = KIT_ROOT) -> list[Path]:
    written = []
    for path, text in generate(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def drift(root: Path = KIT_ROOT) -> list[str]:
    """Unified diffs of every stub that differs from what the generator produces."""
    diffs = []
    for path, text in generate(root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            rel = path.relative_to(root)
            diffs.append("".join(difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True),
                f"{rel} (committed)", f"{rel} (generated)")))
    return diffs
