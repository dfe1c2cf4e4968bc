"""``make release``: the student release, ``dist/student/`` and ``dist/student.zip``.

The release holds only what a student needs to run ``make check``:

- ``exercises/``: the stubs, regenerated from ``reference/`` by the stub generator;
- ``tests/``: the public tests of the registered exercises and their helper files;
- ``data/``: the MNIST subset and its README (credits);
- ``grading/``: the runtime modules of the check (:data:`RUNTIME_MODULES`), with a
  student ``cli.py`` that refuses the instructor commands in one line;
- ``README.md`` (French), ``Makefile`` and ``pyproject.toml`` from ``grading/student/``.

Before the zip is written, :func:`scan` reads every file of the tree and raises
:class:`LeakError` on an instructor path (``reference``, ``hidden``, ``mutants``),
a solution marker, or a line of a solution body.
"""

from __future__ import annotations

import ast
import shutil
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from grading import stubgen
from grading.registry import EXERCISES, exercise_of_test_file
from grading.seam import KIT_ROOT

TEMPLATES = Path(__file__).resolve().parent / "student"
RELEASE_NAME = "student"
"""Name of the built folder in ``dist/`` and of the top folder inside the zip."""

RUNTIME_MODULES: tuple[str, ...] = (
    "__init__", "__main__", "cli", "checking", "runner", "plugin", "results", "seam",
    "expect", "i18n", "registry", "data", "textdata", "strategies",
    "watch", "status", "notebook", "hints", "pytest_plugins",
)
"""``grading`` modules shipped to students. :func:`required_modules` follows the
imports of the check, the plugin and the public tests and the build fails if one
is missing here; a kit test runs the release's check end to end."""

INSTRUCTOR_ONLY: tuple[str, ...] = ("stubgen", "meta", "bench", "mutants", "hidden", "tests",
                                    "release", "forkrun", "grade", "batch", "sandbox",
                                    "gradebook", "nbcourse", "nbcell", "report", "stats",
                                    "similarity", "exports", "outputs", "flags", "submissions",
                                    "cluster")
"""``grading`` modules and packages that must never ship."""

DATA_FILES: tuple[str, ...] = ("mnist_5k.npz", "sentiment_en.tsv", "README.md")
FORBIDDEN_PATH_PARTS: tuple[str, ...] = ("reference", "hidden", "mutants")
MARKERS: tuple[str, ...] = ("BEGIN SOLUTION", "END SOLUTION")
MIN_LINE = 25
"""Solution lines shorter than this (``return model``, ``model.eval()``) are too common
to reveal anything and are not searched for."""

ZIP_DATE = (1980, 1, 1, 0, 0, 0)

STUDENT_CLI = '''

# --- Version étudiante : ajouté par grading/release.py ------------------------------------
# Les commandes des enseignants (stubs, meta, bench, check --hidden) ont besoin de fichiers
# absents de cette version : elles s'arrêtent sur une ligne d'explication.
STUDENT_COMMANDS = ("check", "watch", "status", "hint", "list")


def _instructor_only(command: str) -> int:
    import sys as _sys

    from grading.i18n import t as _t

    print(_t(f"dlkit {command} : commande réservée aux enseignants (elle a besoin du kit "
             "complet, absent de la version étudiante) ; utilisez `make check` ou `make list`.",
             f"dlkit {command}: instructor-only command (it needs the full kit, which the "
             "student release does not include); use `make check` or `make list`."),
          file=_sys.stderr)
    return 2


_kit_main = main
_kit_build_parser = build_parser


def build_parser():
    """The kit's parser, with only the student commands (and no --hidden) in --help."""
    import argparse as _argparse

    parser = _kit_build_parser()
    for action in parser._subparsers._group_actions:
        action._choices_actions = [a for a in action._choices_actions
                                   if a.dest in STUDENT_COMMANDS]
        action.metavar = "{" + ",".join(STUDENT_COMMANDS) + "}"
        for name, subparser in action.choices.items():
            for option in subparser._actions:
                if "--hidden" in option.option_strings:
                    option.help = _argparse.SUPPRESS
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command not in STUDENT_COMMANDS:
        return _instructor_only(args.command)
    if getattr(args, "hidden", False):
        return _instructor_only(f"{args.command} --hidden")
    return _kit_main(argv)
'''


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
    """``grading`` modules the check needs: the imports of ``checking``, ``plugin``,
    ``__main__`` and the public tests, followed transitively. ``cli`` is shipped
    patched (:data:`STUDENT_CLI`), so its instructor imports are not followed."""
    package = root / "grading"
    todo = {"__init__", "__main__", "checking", "plugin"}
    for path in public_tests(root):
        if path.suffix == ".py":
            todo |= _grading_imports(path.read_text(encoding="utf-8"))
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        if name == "cli":
            continue
        file = package / f"{name}.py"
        if not file.is_file():
            file = package / name / "__init__.py"
        if file.is_file():
            todo |= _grading_imports(file.read_text(encoding="utf-8")) - needed
    return needed | {"cli"}


def student_cli(source: str) -> str:
    """The kit's ``cli.py`` with :data:`STUDENT_CLI` inserted before its ``__main__`` guard."""
    guard = '\nif __name__ == "__main__":'
    head, sep, tail = source.partition(guard)
    text = head.rstrip("\n") + "\n" + STUDENT_CLI + (("\n" + sep + tail) if sep else "")
    compile(text, "grading/cli.py", "exec")
    return text


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

    needed = required_modules(root)
    missing = sorted(needed - set(RUNTIME_MODULES))
    if missing:
        raise ReleaseError(f"the check imports grading modules not in RUNTIME_MODULES: {missing}")
    forbidden = sorted(set(RUNTIME_MODULES) & set(INSTRUCTOR_ONLY))
    if forbidden:
        raise ReleaseError(f"instructor-only modules in RUNTIME_MODULES: {forbidden}")
    for name in RUNTIME_MODULES:
        source = (root / "grading" / f"{name}.py").read_text(encoding="utf-8")
        _write(tree / "grading" / f"{name}.py", student_cli(source) if name == "cli" else source)

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
    shipped += [root / "grading" / f"{name}.py" for name in RUNTIME_MODULES]
    public = "\n".join([*stubgen.generate(root).values(),
                        *(p.read_text(encoding="utf-8") for p in shipped)])
    lines: set[str] = set()
    for path in sorted((root / "reference").glob("*.py")):
        for text in _solution_blocks(path.read_text(encoding="utf-8")):
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
    solution markers and solution lines of ``root``'s reference."""
    secrets = solution_lines(root)
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
