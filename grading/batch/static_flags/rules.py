"""What the static scan flags: imports, calls, attributes and literals honest course code
never uses, each with its stable kind and the reason shown to the instructor."""

from __future__ import annotations

import builtins
import re

_PYTHON_NAMES = frozenset(dir(builtins))
_NETWORK = "network access"


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


