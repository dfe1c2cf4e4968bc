"""What each name of a module stands for (aliases, star imports, local shadows), so that
``o.system`` is seen as ``os.system``."""

from __future__ import annotations

import ast

from grading.batch.static_flags.nodes import _is_watched, _literal
from grading.batch.static_flags.rules import _DYNAMIC_IMPORTS, _PYTHON_NAMES


class _Names:
    """What each name of the module stands for, to see ``os.system`` behind ``o.system`` or
    ``from os import system as s``. Flow- and scope-insensitive on purpose: a name imported
    anywhere counts everywhere. The one way this hides a flag is a name defined anywhere in
    the module shadowing a built-in (``def compile``): honest code does that, so it wins."""

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.aliases: dict[str, str] = {}
        self.local: set[str] = set()
        self.stars: list[str] = []
        """Modules imported with ``*``: ``from os import *`` then ``system(...)``."""
        methods = {id(f) for c in nodes if isinstance(c, ast.ClassDef) for f in c.body}
        for node in nodes:
            self._bind(node, methods)
        for assign in sorted((n for n in nodes if isinstance(n, ast.Assign)),
                             key=lambda n: (n.lineno, n.col_offset)):
            self._bind_assign(assign)
        for node in nodes:
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                if node.id not in self.aliases:
                    self.local.add(node.id)

    def _bind(self, node: ast.AST, methods: set[int]) -> None:
        """Imports become aliases; definitions shadow builtins (methods bind no name)."""
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                self.aliases[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name == "*" and node.module and not node.level:
                    self.stars.append(node.module)
                elif a.name != "*" and node.module and not node.level:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                elif a.name != "*":
                    self.local.add(a.asname or a.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if id(node) not in methods:
                self.local.add(node.name)
        elif isinstance(node, ast.arg):
            self.local.add(node.arg)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            self.local.add(node.name)

    def _bind_assign(self, node: ast.Assign) -> None:
        """``e = eval`` or ``t = __import__("torch")`` make ``e`` and ``t`` aliases."""
        target = self.resolve(node.value)
        if target is None:
            return
        for t in node.targets:
            if isinstance(t, ast.Name):
                self.aliases[t.id] = target

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for (``os.system``, ``builtins.eval``), or
        None for anything computed (a model, a tensor, ``self``)."""
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript):
            return self._item(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _name(self, name: str) -> str | None:
        if name in self.aliases:
            return self.aliases[name]
        if name == "__builtins__":
            return "builtins"
        if name in self.local:
            return None
        if name in _PYTHON_NAMES:
            return f"builtins.{name}"
        return next((f"{m}.{name}" for m in self.stars if _is_watched(f"{m}.{name}")), None)

    def _item(self, node: ast.Subscript) -> str | None:
        """``__builtins__["eval"]``, ``vars(torch)["allclose"]``, ``sys.modules["torch"]``."""
        base, key = self.resolve(node.value), _literal(node.slice)
        if base is None or key is None:
            return None
        if base == "sys.modules":
            return key
        if base == "builtins":
            return f"builtins.{key}"
        if base.endswith(".__dict__"):
            return f"{base.removesuffix('.__dict__')}.{key}"
        return None

    def _call(self, node: ast.Call) -> str | None:
        """``getattr(os, "system")``, ``__import__("os")``, ``vars(builtins)``."""
        func = self.resolve(node.func)
        args = node.args
        if func == "builtins.getattr" and len(args) >= 2:
            base, key = self.resolve(args[0]), _literal(args[1])
            return f"{base}.{key}" if base and key else None
        if func in _DYNAMIC_IMPORTS and args:
            name = _literal(args[0])
            if name and func == "builtins.__import__" and len(args) < 4:
                return name.split(".")[0]
            return name
        if func == "builtins.vars" and args:
            base = self.resolve(args[0])
            return f"{base}.__dict__" if base else None
        return None


