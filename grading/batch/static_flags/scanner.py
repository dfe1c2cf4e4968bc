"""The scan itself: one pass over a module's tree applying the rules of each kind of node."""

from __future__ import annotations

import ast
import re

from grading.batch.static_flags.flag import Flag
from grading.batch.static_flags.names import _Names
from grading.batch.static_flags.nodes import (
    _argument,
    _call_rule_for,
    _display,
    _is_main_guard,
    _is_parents,
    _leading_text,
    _literal,
    _literal_int,
    _match_module,
    _renames_main,
    _short,
)
from grading.batch.static_flags.rules import (
    _ABSOLUTE,
    _ABSOLUTE_ANYWHERE,
    _CALLS,
    _DYNAMIC_IMPORTS,
    _ENV_METHODS,
    _EXIT_EXCEPTIONS,
    _INTROSPECTION,
    _KIT_DIRS,
    _METHODS,
    _MODE,
    _OPEN_CALLS,
    _OS_WRITE_FLAGS,
    _PATH_CALLS,
    _PATH_KEYWORDS,
    _PATH_WRAPPERS,
    _SCOPED_OK,
    _SYS_ATTRS,
    _UP,
    _UP_IN_FSTRING,
)


class _Scanner(ast.NodeVisitor):
    """One pass over the tree; each ``visit_*`` applies the rules of one kind of node."""

    def __init__(self, tree: ast.Module, module: str) -> None:
        self.module = module
        nodes = list(ast.walk(tree))
        self.names = _Names(nodes)
        self.flags: dict[tuple[int, str], Flag] = {}
        self._docstrings = {id(n.value) for n in nodes
                            if isinstance(n, ast.Expr) and _literal(n.value) is not None}
        self._path_args: set[int] = set()
        self._fstring_parts: set[int] = set()
        self._scoped: set[int] = set()
        self._subscripted: set[int] = set()
        self._main_guards = set() if _renames_main(nodes) else {
            id(s) for s in tree.body if _is_main_guard(s)}

    def add(self, node: ast.AST, kind: str, detail: str) -> None:
        """Keep the first flag of a kind on a line: the outermost node, visited first, says
        the most (``parent.parent.parent`` rather than ``parent.parent``)."""
        line = getattr(node, "lineno", 1)
        self.flags.setdefault((line, kind), Flag(self.module, line, kind, _short(detail)))

    # Code that only runs as a script: the grader imports modules, so it never runs there.

    def visit_If(self, node: ast.If) -> None:
        if id(node) in self._main_guards:
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)

    # Imports.

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._import(node, a.name, f"imports {a.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # relative: the grader loads modules outside any package
        for a in node.names:
            shown = f"imports {a.name} from {node.module}"
            if not self._import(node, f"{node.module}.{a.name}", shown):
                self._import(node, node.module, shown)

    def _import(self, node: ast.AST, name: str, shown: str) -> bool:
        """Flag ``name`` if listed; ``shown`` says how the source imports it."""
        rule = _match_module(name)
        if rule:
            kind, why = rule
            self.add(node, kind, f"{shown} ({why})")
        return rule is not None

    # Calls.

    def visit_With(self, node: ast.With) -> None:
        self._mark_scoped(node.items)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self._mark_scoped(node.items)
        self.generic_visit(node)

    def _mark_scoped(self, items: list[ast.withitem]) -> None:
        for item in items:
            call = item.context_expr
            if isinstance(call, ast.Call) and self.names.resolve(call.func) in _SCOPED_OK:
                self._scoped.update((id(call), id(call.func)))

    def visit_Call(self, node: ast.Call) -> None:
        q = self.names.resolve(node.func)
        if q and id(node) not in self._scoped:
            self._call_rule(node, q)
        self._method_rule(node, q)
        self._open_rule(node, q)
        self._path_rule(node, q)
        self._file_parent(node)
        self.generic_visit(node)

    def _call_rule(self, node: ast.Call, q: str) -> None:
        rule = _call_rule_for(q)
        if rule:
            self.add(node, rule[0], f"calls {_display(q)} ({rule[1]})")
        if q in _DYNAMIC_IMPORTS:
            self._dynamic_import(node, q)
        elif q in ("builtins.setattr", "builtins.delattr") and node.args:
            attr = _literal(node.args[1]) if len(node.args) > 1 else None
            self._patch(node, node.args[0], f"calls {_display(q)} on", attr=attr or "")
        base, _, method = q.rpartition(".")
        if base == "os.environ" and method in _ENV_METHODS:
            self.add(node, "env-write", f"calls os.environ.{method} (changes the environment)")

    def _dynamic_import(self, node: ast.Call, q: str) -> None:
        name = _literal(node.args[0]) if node.args else None
        if name is None or not self._import(node, name, f"imports {name} via {_display(q)}"):
            shown = repr(name) if name else "a computed name"
            self.add(node, "dynamic-import", f"calls {_display(q)} on {shown}")

    def _method_rule(self, node: ast.Call, q: str | None) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _METHODS and q not in _CALLS:
            kind, why = _METHODS[func.attr]
            self.add(node, kind, f"calls .{func.attr}() ({why})")

    def _open_rule(self, node: ast.Call, q: str | None) -> None:
        """Writing files is out of place in exercises; a mode we cannot read is flagged too."""
        if q in _OPEN_CALLS:
            mode = _argument(node, 1, "mode")
            text = _literal(mode) if mode is not None else "r"
            if text is None:
                self.add(node, "open-write", f"calls {_display(q)} with a computed mode")
            elif set(text) & set("wax+"):
                self.add(node, "open-write", f"opens a file in mode {text!r}")
        elif q == "os.open":
            names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
                     for a in node.args[1:] for n in ast.walk(a)}
            if names & _OS_WRITE_FLAGS:
                self.add(node, "open-write", "calls os.open for writing")
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "open" and q is None:
            text = _literal(_argument(node, 0, "mode"))  # Path(...).open("w")
            if text and _MODE.match(text) and set(text) & set("wax+"):
                self.add(node, "open-write", f"opens a file in mode {text!r}")

    def _path_rule(self, node: ast.Call, q: str | None) -> None:
        """Remember path arguments (checked as constants) and flag absolute ones now."""
        joinpath = isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath"
        if q not in _PATH_CALLS and not joinpath:
            return
        args = node.args if joinpath else node.args[:1]
        args = [*args, *(k.value for k in node.keywords if k.arg in _PATH_KEYWORDS)]
        for arg in args:
            self._path_args.add(id(arg))
            text = _leading_text(arg)
            if text and _ABSOLUTE.match(text):
                self.add(node, "path-outside", f"uses the absolute path {text!r}")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Div):  # Path(...) / "name"
            for side in (node.left, node.right):
                self._path_args.add(id(side))
            text = _leading_text(node.right)
            if text and _ABSOLUTE.match(text):
                self.add(node, "path-outside", f"joins the absolute path {text!r}")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        q = self.names.resolve(exc) if exc is not None else None
        if q in _EXIT_EXCEPTIONS:
            self.add(node, "exit", f"raises {_display(q)} (ends or interrupts the grader)")
        self.generic_visit(node)

    # Names, attributes and stores.

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add(node, "introspection", "uses __builtins__ (can replace built-in functions)")
        self._reference(node)

    def _reference(self, node: ast.Name | ast.Attribute) -> None:
        """``map(eval, ...)``, ``atexit.register(os._exit)``: a flagged function passed around
        rather than called. A direct call was flagged first, with a better detail."""
        q = self.names.resolve(node)
        rule = _call_rule_for(q) if q and id(node) not in self._scoped else None
        if rule and isinstance(node.ctx, ast.Load):
            self.add(node, rule[0], f"uses {_display(q or '')} ({rule[1]})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._reference(node)
        q = self.names.resolve(node)
        if q in _SYS_ATTRS:
            kind, why = _SYS_ATTRS[q]
            self.add(node, kind, f"uses {q} ({why})")
        if node.attr in _INTROSPECTION:
            self.add(node, "introspection",
                     f"reads .{node.attr} (reaches frames, globals or code of other modules)")
        if not isinstance(node.ctx, ast.Load):
            self._store(node)
        if id(node) not in self._subscripted:
            self._file_parent(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_parents(node.value):
            self._subscripted.add(id(node.value))
        self._file_parent(node)
        if not isinstance(node.ctx, ast.Load):
            self._store_item(node)
        self.generic_visit(node)

    def _store(self, node: ast.Attribute) -> None:
        """``torch.allclose = ...``, ``builtins.print = ...``, ``del os.environ``."""
        base = self.names.resolve(node.value)
        if base is None:
            return
        full = f"{base}.{node.attr}"
        if full.startswith("torch.backends."):
            self.add(node, "torch-global-state", f"sets {full} (changes torch for all tests)")
        elif full == "os.environ":
            self.add(node, "env-write", "replaces os.environ")
        elif full not in _SYS_ATTRS:
            verb = "deletes" if isinstance(node.ctx, ast.Del) else "assigns to"
            self._patch(node, node.value, verb, attr=node.attr)

    def _store_item(self, node: ast.Subscript) -> None:
        """``os.environ[...] = ``, ``__builtins__[...] = ``, ``vars(torch)[...] = ``."""
        base = self.names.resolve(node.value)
        if base == "os.environ":
            self.add(node, "env-write", "changes os.environ[...] (the grader's environment)")
        elif base == "builtins" or (base or "").endswith(".__dict__"):
            self._patch(node, node.value, "assigns into")

    def _patch(self, node: ast.AST, target: ast.AST, verb: str, attr: str = "") -> None:
        """Changing a module or a built-in from outside: the tests would see the change."""
        base = self.names.resolve(target)
        if base is None:
            return
        shown = f"{base}.{attr}" if attr else base
        if base == "builtins" or base.startswith("builtins."):
            self.add(node, "builtins-patch", f"{verb} {shown} (replaces a built-in)")
        else:
            root = base.split(".")[0]
            self.add(node, "monkeypatch", f"{verb} {shown} (patches the {root} module)")

    def _file_parent(self, node: ast.AST) -> None:
        steps = self._up_steps(node)
        if steps is not None and steps >= 2:
            self.add(node, "file-parent", f"reaches {steps - 1} folder(s) above its own folder "
                                          "from __file__ (the kit, the solutions)")

    def _up_steps(self, node: ast.AST) -> int | None:
        """Path steps from ``__file__``: 1 is the module's own folder, 2 its parent."""
        if isinstance(node, ast.Name):
            return 0 if node.id == "__file__" else None
        if isinstance(node, ast.Subscript) and _is_parents(node.value):
            inner = self._up_steps(node.value.value)
            index = _literal_int(node.slice)
            return None if inner is None else inner + (index + 1 if index is not None else 2)
        if isinstance(node, ast.Attribute):
            inner = self._up_steps(node.value)
            if inner is None:
                return None
            return inner + {"parent": 1, "parents": 2}.get(node.attr, 0)
        if isinstance(node, ast.Call):
            return self._up_steps_call(node)
        return None

    def _up_steps_call(self, node: ast.Call) -> int | None:
        q = self.names.resolve(node.func)
        func = node.func
        if q in ("os.path.dirname", *_PATH_WRAPPERS) and node.args:
            inner = self._up_steps(node.args[0])
            return None if inner is None else inner + (q == "os.path.dirname")
        if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute", "expanduser"):
            return self._up_steps(func.value)
        return None

    # String constants.

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._fstring_parts.update(id(v) for v in node.values)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """Path-like strings anywhere but in docstrings: ``..`` components, absolute paths,
        the kit's folders. Honest exercise code only names files next to itself."""
        text = node.value
        if not isinstance(text, str) or id(node) in self._docstrings:
            return
        in_fstring = id(node) in self._fstring_parts
        pathlike = id(node) in self._path_args or not re.search(r"\s", text)  # not prose
        if pathlike and (_UP_IN_FSTRING if in_fstring else _UP).search(text):
            self.add(node, "path-outside", f"uses the path {text!r} (climbs out of its folder)")
        elif not in_fstring and _ABSOLUTE_ANYWHERE.match(text):
            self.add(node, "path-outside", f"uses the absolute path {text!r}")
        parts = re.split(r"[/\\]", text)
        kit = sorted(set(parts) & _KIT_DIRS)
        is_path = len(parts) > 1 or id(node) in self._path_args
        if kit and is_path and not re.search(r"\s", text):
            folder = kit[0]
            self.add(node, "kit-path", f"names the kit's {folder}/ folder in {text!r}")
