"""Small helpers of the scan: rule lookups by dotted name and readers of AST nodes."""

from __future__ import annotations

import ast
from typing import TypeGuard

from grading.batch.static_flags.rules import (
    _CALL_PREFIXES,
    _CALLS,
    _DYNAMIC_IMPORTS,
    _IMPORTS,
    _PATH_CALLS,
    _SYS_ATTRS,
)


def _match_module(name: str) -> tuple[str, str] | None:
    """The rule of the longest listed prefix of a dotted module name."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        rule = _IMPORTS.get(prefix) or _SYS_ATTRS.get(prefix)
        if rule:
            return rule
    return None


def _call_rule_for(q: str) -> tuple[str, str] | None:
    """(kind, why) of a called dotted name, exact or by prefix (``os.exec*``)."""
    return _CALLS.get(q) or next(((k, w) for p, k, w in _CALL_PREFIXES if q.startswith(p)), None)


def _is_watched(q: str) -> bool:
    """Whether a dotted name is one the rules look for (to resolve ``*`` imports)."""
    return (q in _CALLS or q in _SYS_ATTRS or q in _PATH_CALLS or q in _DYNAMIC_IMPORTS
            or q == "os.environ" or any(q.startswith(p) for p, _, _ in _CALL_PREFIXES))


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _literal_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _leading_text(node: ast.AST) -> str | None:
    """The literal start of a string: all of ``"/etc"``, the ``"/etc/"`` of ``f"/etc/{x}"``."""
    if isinstance(node, ast.JoinedStr) and node.values:
        return _literal(node.values[0])
    return _literal(node)


def _argument(node: ast.Call, position: int, keyword: str) -> ast.AST | None:
    for k in node.keywords:
        if k.arg == keyword:
            return k.value
    return node.args[position] if len(node.args) > position else None


def _is_parents(node: ast.AST) -> TypeGuard[ast.Attribute]:
    return isinstance(node, ast.Attribute) and node.attr == "parents"


def _is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = {ast.dump(test.left), ast.dump(test.comparators[0])}
    return sides == {ast.dump(ast.Name("__name__", ast.Load())), ast.dump(ast.Constant("__main__"))}


def _renames_main(nodes: list[ast.AST]) -> bool:
    """A module that could change ``__name__`` (assigning it, naming it in a string, or through
    ``globals``/``vars``/``setattr``) could run its main block on import: then the block is
    scanned like the rest."""
    return any(
        (isinstance(n, ast.Name) and n.id == "__name__" and not isinstance(n.ctx, ast.Load))
        or _literal(n) == "__name__"
        or (isinstance(n, ast.Name) and n.id in ("globals", "vars", "setattr"))
        for n in nodes)


def _display(q: str) -> str:
    return q.removeprefix("builtins.")


def _short(text: str, limit: int = 160) -> str:
    """One line, bounded: a detail quotes student strings, which may be long or multi-line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."

