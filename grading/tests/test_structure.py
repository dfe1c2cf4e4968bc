"""The layout shows who uses what: grading/'s top level is the student's runtime, each
instructor wing a subpackage; imports flow from the wings to the top level, never back,
siblings meet only through stated interfaces, and no two modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

from grading.cli import WINGS
from grading.seam import KIT_ROOT

PACKAGE = KIT_ROOT / "grading"
INTERFACES: dict[str, set[str]] = {
    # reports and the gradebook read the batch grader's records and submissions folder
    "reports": {"batch.records", "batch.outputs", "batch.submissions"},
    "nbgrader": {"batch.records", "authoring.release"},  # a course is leak-scanned too
    "authoring": {"batch.forkrun"},  # the meta-tests grade through the batch fork server
    "batch": set(),
}
COMPAT = {"nbcell"}
"""Top-level modules allowed to import a wing: old notebooks' import path of the grade cell."""


def module_name(path: Path) -> str:
    rel = path.relative_to(KIT_ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def kit_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")
            if "tests" not in p.relative_to(PACKAGE).parts[:1]
            and "hidden" not in p.relative_to(PACKAGE).parts[:1]}


def imports(path: Path, known: set[str]) -> set[str]:
    """Kit modules imported anywhere in ``path`` (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names} & known
            # `from grading.batch import outputs` imports the module, not the package's names
            found |= subs or {node.module}
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    modules = kit_modules()
    return {name: imports(path, set(modules)) - {name} for name, path in modules.items()}


def wing_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else None


def test_the_top_level_imports_no_wing():
    bad = {m: sorted(d for d in deps if wing_of(d)) for m, deps in graph().items()
           if wing_of(m) is None and m.split(".")[-1] not in COMPAT}
    assert not {m: d for m, d in bad.items() if d}


def test_wings_meet_only_through_stated_interfaces():
    bad = []
    for module, deps in graph().items():
        wing = wing_of(module)
        for dep in deps:
            other = wing_of(dep)
            if wing and other and other != wing and \
                    dep.removeprefix("grading.") not in INTERFACES[wing]:
                bad.append(f"{module} -> {dep}")
    assert not bad


def test_no_import_cycle():
    deps = {m: {d for d in ds if d.count(".") or d == "grading"} for m, ds in graph().items()}
    deps = {m: {d for d in ds if d != "grading" and not m.startswith(d + ".")}
            for m, ds in deps.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(deps.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep] if dep in stack else [node, dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for node in sorted(deps):
        if node not in state:
            visit(node, [node])
    assert not cycles
