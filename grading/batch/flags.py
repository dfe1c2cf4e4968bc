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
import builtins
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

_PYTHON_NAMES = frozenset(dir(builtins))
_NETWORK = "network access"


@dataclass(frozen=True)
class Flag:
    """One construct to review in one module."""

    module: str
    """Path relative to the scanned folder: ``ex03_simple_nn.py`` or ``exercises/...``."""
    line: int
    kind: str
    """Short stable slug, e.g. ``import-ctypes``: reports group and count by it."""
    detail: str
    """One line in English for the instructor."""


# --- What is flagged -----------------------------------------------------------------------

_IMPORTS: dict[str, tuple[str, str]] = {
    "pytest": ("import-pytest", "the test framework: can patch or skip tests"),
    "_pytest": ("import-_pytest", "pytest internals"),
    "pluggy": ("import-pluggy", "pytest's plugin system"),
    "hypothesis": ("import-hypothesis", "the property-testing library of the tests"),
    "grading": ("import-grading", "the grading kit itself"),
    "reference": ("import-reference", "the reference solutions"),
    "ctypes": ("import-ctypes", "native code"),
    "cffi": ("import-cffi", "native code"),
    "torch.utils.cpp_extension": ("import-cpp-extension", "compiles native code"),
    "subprocess": ("import-subprocess", "runs other programs"),
    "multiprocessing": ("import-multiprocessing", "starts processes"),
    "torch.multiprocessing": ("import-multiprocessing", "starts processes"),
    "signal": ("import-signal", "signal handlers can defeat timeouts"),
    "pty": ("import-pty", "pseudo-terminals"),
    "shutil": ("import-shutil", "file operations such as rmtree"),
    "gc": ("import-gc", "reaches any live object, the tests' included"),
    "inspect": ("import-inspect", "reads the caller's frames and source"),
    "importlib": ("import-importlib", "imports modules by name"),
    "builtins": ("import-builtins", "can replace built-in functions"),
    "atexit": ("import-atexit", "runs code when the grader exits"),
    "runpy": ("import-runpy", "runs other modules"),
    "pdb": ("debugger", "a debugger waits for input and hangs the grader"),
    "ipdb": ("debugger", "a debugger waits for input and hangs the grader"),
    **{name: (f"import-{name}", _NETWORK)
       for name in ("socket", "ssl", "urllib", "urllib3", "http", "requests", "httpx",
                    "aiohttp", "ftplib", "smtplib")},
}
"""Module (or dotted prefix) -> (kind, why). ``import x.y``, ``from x import y`` and the
dynamic forms all match on the longest listed prefix."""

_SYS_ATTRS: dict[str, tuple[str, str]] = {
    "sys.modules": ("sys-modules", "the loaded modules: can swap what the tests import"),
    "sys.path": ("sys-path", "the import path: can reach the kit or the solutions"),
    "sys.meta_path": ("sys-path", "import hooks: can rewrite what the tests import"),
    "sys.path_hooks": ("sys-path", "import hooks: can rewrite what the tests import"),
}
"""Touching these at all (read, write, ``from sys import ...``) is worth a look."""

_CALLS: dict[str, tuple[str, str]] = {
    "os.system": ("os-process", "runs a shell command"),
    "os.popen": ("os-process", "runs a shell command"),
    "os.fork": ("os-process", "forks the grader process"),
    "os.forkpty": ("os-process", "forks the grader process"),
    "os.kill": ("os-kill", "sends a signal to a process"),
    "os.killpg": ("os-kill", "sends a signal to a process group"),
    "os.setsid": ("os-kill", "leaves the grader's session"),
    "os.setpgrp": ("os-kill", "leaves the grader's process group"),
    "os._exit": ("exit", "ends the grader process at once"),
    "os.abort": ("exit", "ends the grader process at once"),
    "sys.exit": ("exit", "ends the grader process"),
    "builtins.exit": ("exit", "ends the grader process"),
    "builtins.quit": ("exit", "ends the grader process"),
    "os.remove": ("file-delete", "deletes a file"),
    "os.unlink": ("file-delete", "deletes a file"),
    "os.rmdir": ("file-delete", "deletes a directory"),
    "os.removedirs": ("file-delete", "deletes directories"),
    "shutil.rmtree": ("file-delete", "deletes a directory tree"),
    "os.rename": ("file-modify", "renames a file"),
    "os.renames": ("file-modify", "renames a file"),
    "os.replace": ("file-modify", "replaces a file"),
    "os.link": ("file-modify", "creates a link"),
    "os.symlink": ("file-modify", "creates a link"),
    "os.chmod": ("file-modify", "changes permissions"),
    "os.chown": ("file-modify", "changes ownership"),
    "os.truncate": ("file-modify", "truncates a file"),
    "shutil.move": ("file-modify", "moves a file"),
    "builtins.eval": ("dynamic-code", "runs code built at run time"),
    "builtins.exec": ("dynamic-code", "runs code built at run time"),
    "builtins.compile": ("dynamic-code", "compiles code built at run time"),
    "torch.set_default_dtype": ("torch-global-state", "changes the default dtype for all tests"),
    "torch.set_default_tensor_type": ("torch-global-state", "changes the default tensor type"),
    "torch.set_default_device": ("torch-global-state", "changes the default device"),
    "torch.set_grad_enabled": ("torch-global-state", "switches autograd for all later tests"),
    "torch.autograd.set_grad_enabled": ("torch-global-state", "switches autograd globally"),
    "torch.autograd.set_detect_anomaly": ("torch-global-state", "slows every later test"),
    "torch.set_anomaly_enabled": ("torch-global-state", "slows every later test"),
    "torch.set_num_threads": ("torch-global-state", "changes the grader's thread count"),
    "torch.set_num_interop_threads": ("torch-global-state", "changes the thread count"),
    "torch.use_deterministic_algorithms": ("torch-global-state", "makes some ops raise"),
    "sys.settrace": ("trace-hook", "a tracer sees and can alter every line of the tests"),
    "sys.setprofile": ("trace-hook", "a profiler hook sees every call of the tests"),
    "threading.settrace": ("trace-hook", "a tracer sees every line of the tests"),
    "threading.setprofile": ("trace-hook", "a profiler hook sees every call of the tests"),
    "sys.addaudithook": ("trace-hook", "an audit hook sees the grader's actions"),
    "os.putenv": ("env-write", "changes the grader's environment"),
    "os.unsetenv": ("env-write", "changes the grader's environment"),
    "os.chdir": ("chdir", "changes the grader's working directory"),
    "os.fchdir": ("chdir", "changes the grader's working directory"),
    "builtins.breakpoint": ("debugger", "a debugger waits for input and hangs the grader"),
    "pdb.set_trace": ("debugger", "a debugger waits for input and hangs the grader"),
    "builtins.input": ("stdin", "waits for keyboard input and hangs the grader"),
}
"""Resolved dotted name of the called function -> (kind, why)."""

_CALL_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("os.exec", "os-process", "replaces the grader process"),
    ("os.spawn", "os-process", "runs another program"),
    ("os.posix_spawn", "os-process", "runs another program"),
    ("torch.hub.", "network", "downloads code or weights"),
)

_SCOPED_OK = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
                        "torch.autograd.set_detect_anomaly"})
"""Global switches that are fine as ``with`` items: the previous state comes back."""

_DYNAMIC_IMPORTS = frozenset({"builtins.__import__", "importlib.import_module",
                              "importlib.__import__"})
_OPEN_CALLS = frozenset({"builtins.open", "io.open", "codecs.open"})
_PATH_CALLS = _OPEN_CALLS | frozenset({
    "os.open", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
    "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "os.listdir", "os.scandir", "os.walk",
    "os.chdir", "glob.glob", "glob.iglob"})
"""Calls whose first argument (or ``file=``/``path=``) is a path to check."""
_PATH_KEYWORDS = frozenset({"file", "path", "pathname", "top"})
_PATH_WRAPPERS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
                            "os.path.abspath", "os.path.realpath", "os.path.normpath",
                            "os.path.expanduser", "os.fspath", "builtins.str"})
"""Calls that keep pointing at the same place as their argument (for ``__file__`` parents)."""
_OS_WRITE_FLAGS = frozenset({"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"})
_ENV_METHODS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__",
                          "__delitem__"})
_METHODS: dict[str, tuple[str, str]] = {
    "unlink": ("file-delete", "deletes a file"),
    "rmdir": ("file-delete", "deletes a directory"),
    "write_text": ("open-write", "writes a file"),
    "write_bytes": ("open-write", "writes a file"),
    "symlink_to": ("file-modify", "creates a link"),
    "hardlink_to": ("file-modify", "creates a link"),
}
"""Method names (``Path.unlink()``...) flagged whatever the object: no course code uses them.
``rename``/``replace`` are left out: ``str.replace`` is everywhere."""
_INTROSPECTION = frozenset({"__subclasses__", "__globals__", "__code__", "__closure__",
                            "__builtins__", "f_back", "f_globals", "f_locals", "f_builtins",
                            "f_code", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
                            "_getframe"})
"""Attributes that reach frames, globals or code of other modules (the tests')."""
_KIT_DIRS = frozenset({"reference", "grading"})
_EXIT_EXCEPTIONS = frozenset({"builtins.SystemExit", "builtins.KeyboardInterrupt"})

_UP = re.compile(r"(?:^|[/\\])\.\.(?:[/\\]|$)")
"""A ``..`` path component: "../reference", "a/..", ".." (not "Training..." or "...")."""
_UP_IN_FSTRING = re.compile(r"(?:^|[/\\])\.\.[/\\]|[/\\]\.\.(?:[/\\]|$)")
"""The same inside an f-string piece, where a bare ".." is range notation: f"{a}..{b}"."""
_ABSOLUTE_ANYWHERE = re.compile(r"^(?:/(?:[\w.\-]+/)+[\w.\-]*|~[/\\].*|[A-Za-z]:[/\\].*)$")
"""An absolute path in any string: at least two components, so "/s" or "/epoch" in a log
line do not count."""
_ABSOLUTE = re.compile(r"^(?:/|~|[A-Za-z]:[/\\]|\\\\)")
"""An absolute path where the string is known to be a path (argument of ``open``, ``Path``)."""
_MODE = re.compile(r"^[rwxabtU+]{1,4}$")


# --- Public API --------------------------------------------------------------------------


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


# --- Names -------------------------------------------------------------------------------


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


# --- The scan ----------------------------------------------------------------------------


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


# --- Helpers -----------------------------------------------------------------------------


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

