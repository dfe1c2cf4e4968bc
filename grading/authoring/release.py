"""``make release``: the student release, ``dist/student/`` and ``dist/student.zip``.

The release holds only what a student needs to run ``make check``:

- ``exercises/``: the stubs, regenerated from ``reference/`` by the stub generator;
- ``tests/``: the public tests of the registered exercises and their helper files;
- ``data/``: the MNIST subset and its README (credits);
- ``grading/``: its top-level modules (:func:`runtime_modules`), none of its instructor
  wings (``grading/<wing>/``, :data:`WINGS`): the CLI registers only the wings present
  and refuses the others' commands in one line;
- ``README.md`` (French), ``Makefile`` and ``pyproject.toml`` from ``grading/authoring/templates/``.

Before the zip is written, :func:`scan` reads every file of the tree and raises
:class:`LeakError` on an instructor path (``reference``, ``hidden``, ``mutants``),
a solution marker, a line of a solution body, or a line of a hidden test.
"""

from __future__ import annotations

import ast
import shutil
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from grading.authoring import stubgen
from grading.cli import WINGS
from grading.registry import EXERCISES, exercise_of_test_file
from grading.seam import KIT_ROOT

TEMPLATES = Path(__file__).resolve().parent / "templates"
RELEASE_NAME = "student"
"""Name of the built folder in ``dist/`` and of the top folder inside the zip."""

DATA_FILES: tuple[str, ...] = ("mnist_5k.npz", "sentiment_en.tsv", "README.md")
FORBIDDEN_PATH_PARTS: tuple[str, ...] = ("reference", "hidden", "mutants")
MARKERS: tuple[str, ...] = ("BEGIN SOLUTION", "END SOLUTION")
MIN_LINE = 25
"""Solution lines shorter than this (``return model``, ``model.eval()``) are too common
to reveal anything and are not searched for."""

ZIP_DATE = (1980, 1, 1, 0, 0, 0)

class ReleaseError(RuntimeError):
    """The release cannot be built (a needed module is not shipped, a template is missing)."""


class LeakError(ReleaseError):
    """The built release contains instructor material."""

    def __init__(self, findings: list[str]) -> None:
        self.findings = findings
        shown = "\n".join(f"  {f}" for f in findings[:30])
        more = f"\n  ... and {len(findings) - 30} more" if len(findings) > 30 else ""
        super().__init__(f"the student release leaks instructor material:\n{shown}{more}")


# --------------------------------------------------------------------------- contents


def _grading_imports(source: str) -> set[str]:
    """``grading`` submodules a source file imports (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "grading" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "grading":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
    return found


def public_tests(root: Path = KIT_ROOT) -> list[Path]:
    """Files of ``tests/`` to ship: the tests of registered exercises and helper files."""
    registered = {ex.id for ex in EXERCISES}
    files = []
    for path in sorted((root / "tests").rglob("*")):
        rel = path.relative_to(root / "tests")
        if not path.is_file() or path.suffix == ".pyc" or any(
                p == "__pycache__" or p.startswith(".") for p in rel.parts):
            continue
        if path.name.startswith("test_"):
            ex = exercise_of_test_file(path.name)
            if ex is None or ex.id not in registered:
                continue  # a kit test or an exercise not released yet
        files.append(path)
    return files


def required_modules(root: Path = KIT_ROOT) -> set[str]:
    """``grading`` modules the student commands need: the imports of ``cli``, ``checking``,
    ``plugin``, ``__main__`` and the public tests, followed transitively (a wing's
    package name counts as a module, so a needed wing shows up)."""
    package = root / "grading"
    todo = {"__init__", "__main__", "cli", "checking", "plugin"}
    for path in public_tests(root):
        if path.suffix == ".py":
            todo |= _grading_imports(path.read_text(encoding="utf-8"))
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        file = package / f"{name}.py"
        if file.is_file():
            todo |= _grading_imports(file.read_text(encoding="utf-8")) - needed
    return needed


def runtime_modules(root: Path = KIT_ROOT) -> list[str]:
    """The top-level modules of ``grading/`` that import no wing: what the release ships.
    (The one top-level module that imports a wing is ``nbcell``, the import path of grade
    cells in notebooks generated by older kits.)"""
    names = []
    for path in sorted((root / "grading").glob("*.py")):
        if not _grading_imports(path.read_text(encoding="utf-8")) & set(WINGS):
            names.append(path.stem)
    return names


def exercise_table() -> str:
    """The Markdown table of the exercises for the student README."""
    rows = ["| exercice | fichier | sujet | points |", "|---|---|---|---|"]
    rows += [f"| {ex.id} | `exercises/{ex.module}.py` | {ex.title_fr} | {ex.points} |"
             for ex in EXERCISES]
    return "\n".join(rows)


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="\n")
    else:
        path.write_bytes(data)


def _template(name: str) -> str:
    path = TEMPLATES / name
    if not path.is_file():
        raise ReleaseError(f"missing template {path}")
    return path.read_text(encoding="utf-8")


def populate(tree: Path, root: Path = KIT_ROOT) -> None:
    """Write the release's files into the empty folder ``tree``."""
    for path, text in stubgen.generate(root).items():
        _write(tree / "exercises" / path.name, text)
    for path in public_tests(root):
        _write(tree / "tests" / path.relative_to(root / "tests"), path.read_bytes())
    for name in DATA_FILES:
        _write(tree / "data" / name, (root / "data" / name).read_bytes())

    shipped = runtime_modules(root)
    missing = sorted(required_modules(root) - set(shipped))
    if missing:
        raise ReleaseError(f"the student commands import grading modules or wings that do not "
                           f"ship (they import a wing, or are one): {missing}")
    for name in shipped:
        _write(tree / "grading" / f"{name}.py", (root / "grading" / f"{name}.py").read_bytes())

    _write(tree / "README.md", _template("README.md").replace("{{EXERCISES}}", exercise_table()))
    _write(tree / "Makefile", _template("Makefile"))
    _write(tree / "pyproject.toml", _template("pyproject.toml"))


# --------------------------------------------------------------------------- leak scan


def _solution_blocks(source: str) -> Iterable[str]:
    inside = False
    for line in source.splitlines():
        text = line.strip()
        if text == stubgen.BEGIN:
            inside = True
        elif text == stubgen.END:
            inside = False
        elif inside:
            yield text


def solution_lines(root: Path = KIT_ROOT) -> set[str]:
    """Stripped lines of every solution body in ``reference/`` that would give a solution
    away: at least :data:`MIN_LINE` characters, and absent from what students get anyway
    (the stubs, the public tests and the kit's runtime modules, e.g. the plugin's
    ``if torch.cuda.is_available():``)."""
    shipped = [p for p in public_tests(root) if p.suffix == ".py"]
    shipped += [root / "grading" / f"{name}.py" for name in runtime_modules(root)]
    public = "\n".join([*stubgen.generate(root).values(),
                        *(p.read_text(encoding="utf-8") for p in shipped)])
    lines: set[str] = set()
    for path in sorted((root / "reference").glob("*.py")):
        for text in _solution_blocks(path.read_text(encoding="utf-8")):
            if len(text) >= MIN_LINE and text not in public:
                lines.add(text)
    return lines


def _hidden_test_blocks(source: str) -> Iterable[str]:
    """Stripped lines of a hidden test module but its imports and helpers: the tests (with
    their decorators: parametrized values), test classes, module constants and docstrings.
    Helpers a hidden suite keeps to itself look like the public ones by design (a counting
    optimizer, a layer finder) and tell nothing of what is checked."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                and not node.name.lower().startswith("test"):
            continue
        decorators = getattr(node, "decorator_list", [])
        start = min([d.lineno for d in decorators] + [node.lineno])
        for line in lines[start - 1:node.end_lineno]:
            yield line.strip()


def hidden_test_lines(root: Path = KIT_ROOT) -> set[str]:
    """Stripped lines of the hidden tests (:func:`_hidden_test_blocks`) of at least
    :data:`MIN_LINE` characters that students do not get anyway: absent from the stubs,
    the public tests and the runtime modules. ``grading/testkit.py`` is not counted as
    given: it ships, so a hidden test's line found there is a leak."""
    shipped = [p for p in public_tests(root) if p.suffix == ".py"]
    shipped += [root / "grading" / f"{name}.py" for name in runtime_modules(root)
                if name != "testkit"]
    public = "\n".join([*stubgen.generate(root).values(),
                        *(p.read_text(encoding="utf-8") for p in shipped)])
    lines: set[str] = set()
    for path in sorted((root / "grading" / "hidden").glob("*.py")):
        for text in _hidden_test_blocks(path.read_text(encoding="utf-8")):
            if len(text) >= MIN_LINE and text not in public:
                lines.add(text)
    return lines


def _read_text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None  # binary (the MNIST archive)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan(tree: Path, root: Path = KIT_ROOT) -> int:
    """Raise :class:`LeakError` if ``tree`` holds instructor material; return the number
    of files scanned. Looks at every file: its path, then (text files) its content for
    solution markers, solution lines of ``root``'s reference and lines of its hidden
    tests."""
    secrets = solution_lines(root)
    hidden = hidden_test_lines(root)
    findings: list[str] = []
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    for path in files:
        rel = path.relative_to(tree).as_posix()
        bad = [part for part in FORBIDDEN_PATH_PARTS if part in rel.lower()]
        if bad:
            findings.append(f"{rel}: instructor path ({', '.join(bad)})")
        text = _read_text(path)
        if text is None:
            continue
        findings += [f"{rel}: solution marker {m!r}" for m in MARKERS if m in text]
        findings += [f"{rel}: solution line {s!r}" for s in sorted(secrets) if s in text]
        findings += [f"{rel}: hidden test line {s!r}" for s in sorted(hidden) if s in text]
    if findings:
        raise LeakError(findings)
    return len(files)


# --------------------------------------------------------------------------- build


def write_zip(tree: Path, zip_path: Path) -> int:
    """A deterministic zip of ``tree`` under a top folder named like it: sorted entries,
    fixed dates and permissions. Returns the number of files."""
    files = sorted((p for p in tree.rglob("*") if p.is_file()),
                   key=lambda p: p.relative_to(tree).as_posix())
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(f"{tree.name}/{path.relative_to(tree).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(zip_path)
    return len(files)


def build(out: Path = KIT_ROOT / "dist", root: Path = KIT_ROOT) -> Path:
    """Build ``out/student/`` and ``out/student.zip`` from the kit at ``root``; return the
    zip's path. Raises :class:`LeakError` (and writes no zip) if the tree leaks."""
    out = Path(out)
    tree = out / RELEASE_NAME
    zip_path = out / f"{RELEASE_NAME}.zip"
    if tree.exists():
        shutil.rmtree(tree)
    zip_path.unlink(missing_ok=True)
    tree.mkdir(parents=True)
    populate(tree, root)
    scan(tree, root)
    write_zip(tree, zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else KIT_ROOT / "dist"
    try:
        zip_path = build(out)
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    tree = zip_path.with_suffix("")
    count = sum(1 for p in tree.rglob("*") if p.is_file())
    size = zip_path.stat().st_size
    print(f"release: {tree} ({count} files, leak scan clean) -> {zip_path} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
