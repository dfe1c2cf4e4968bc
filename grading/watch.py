"""``make watch ex3``: re-run the public tests of ex3 each time its module is saved.

The watcher imports torch, pytest, the kit's plugin, hypothesis and the test files'
dependencies once (it never imports the student's module, nor the test files
themselves). Each check runs pytest in a child forked from that warm parent, so
the child reads the student's module and the tests afresh, and pays none of the
imports. The report and summary line are ``make check``'s (:func:`grading.checking.
print_report`).

A save is checked once the file has stayed unchanged for :data:`SETTLE` seconds
(an editor writing in several steps, a rename over the file) and compiles: a file
that still does not compile :data:`SYNTAX_GRACE` seconds later is reported as a
syntax error, without running any test. A save during a check cancels it and
starts a new one. Ctrl-C stops the running check and exits with status 0.
"""

from __future__ import annotations

import ast
import gc
import io
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from grading import pytest_plugins
from grading.i18n import t
from grading.registry import Exercise, lookup
from grading.results import TestResult
from grading.runner import test_files
from grading.seam import KIT_ROOT, resolve, student_error

SETTLE = 0.15
"""Seconds a saved file must stay unchanged before it is checked."""
SYNTAX_GRACE = 0.6
"""Seconds to wait for another save before reporting that the file does not compile."""
STEP_MS = 80
"""watchfiles groups changes until none came for this long (ms)."""
POLL_MS = 50
"""How often the loop looks at the running check (ms)."""


def warm_up(files: Sequence[Path]) -> None:
    """Import, once, what every check needs: torch (with its first optimizer, which
    imports torch._dynamo), pytest and its entry-point plugins, the kit's plugin, and
    the modules the test files import; read the MNIST subset. Single-threaded before
    any torch op: forking after multi-threaded OpenMP work can deadlock the children."""
    import torch

    torch.set_num_threads(1)
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.zeros(1, 4)).sum().backward()
    optimizer.step()
    names = {"pytest", "grading.plugin", "grading.data", "grading.expect", "hypothesis"}
    for path in files:
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    pytest_plugins.preload()
    for name in sorted(names):
        try:
            module = import_module(name)
        except Exception:  # noqa: BLE001 - the child will report it as the check does
            continue
        if name.startswith("grading.") and callable(getattr(module, "preload", None)):
            module.preload()
    # Everything imported so far is permanent: the children's gc passes skip it.
    gc.collect()
    gc.freeze()


@dataclass
class Child:
    pid: int
    results: Path
    log: Path
    started: float
    digests: dict[str, str | None]


def _snapshot(paths: Sequence[Path]) -> tuple:
    out = []
    for path in paths:
        try:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size, path.read_bytes()))
        except OSError:
            out.append(None)
    return tuple(out)


def _syntax_error(paths: Sequence[Path]) -> str | None:
    """The French message of the first module that does not compile (never run)."""
    for path in paths:
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return t(f"{path.name} ne se compile pas : {student_error(exc, path)}",
                     f"{path.name} does not compile: {student_error(exc, path)}")
        except OSError:
            return t(f"{path.name} est introuvable (supprimé ?)",
                     f"{path.name} cannot be found (deleted?)")
    return None


class Watcher:
    """The loop's state: what changed, what runs, what to print."""

    def __init__(self, exercises: list[Exercise], impl: str, paths: list[Path],
                 root: Path = KIT_ROOT, out=None) -> None:
        self.exercises, self.impl, self.paths, self.root = exercises, impl, paths, root
        self.out = out or sys.stdout
        self.files = [f for ex in exercises for f in test_files(ex, hidden=False, root=root)]
        self.child: Child | None = None
        self.changed_at: float | None = 0.0
        """Time of the last unchecked change (None: nothing to check)."""
        self.seen = _snapshot(paths)
        self.syntax_since: float | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="dlkit-watch-"))
        self.runs = 0

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # -- events ---------------------------------------------------------------------

    def changed(self, now: float) -> None:
        self.kill()  # its results would describe a file that no longer is
        self.changed_at = now
        self.syntax_since = None

    def poll(self, now: float) -> None:
        if self.child is not None:
            self._reap()
            return
        if self.changed_at is None or now - self.changed_at < SETTLE:
            return
        seen = _snapshot(self.paths)
        if seen != self.seen:  # still being written: wait until it stays put
            self.seen, self.changed_at = seen, now
            return
        error = _syntax_error(self.paths)
        if error is not None:
            if self.syntax_since is None:
                self.syntax_since = now  # half-written save? give the editor a moment
            if now - self.syntax_since >= SYNTAX_GRACE:
                self.changed_at = self.syntax_since = None
                self._banner()
                self.say(error)
                self.say(t("  aucun test lancé : corrigez la ligne indiquée puis enregistrez.",
                           "  no test run: fix the line shown, then save."))
                self._waiting()
            return
        self.changed_at = self.syntax_since = None
        self._start()

    # -- the forked check -----------------------------------------------------------

    def _start(self) -> None:
        from grading.progress import snapshot

        self.runs += 1
        results = self.tmp / f"results-{self.runs}.jsonl"
        log = self.tmp / f"pytest-{self.runs}.log"
        impl = self.impl if self.impl in ("exercises", "reference") else str(resolve(self.impl))
        args = [*map(str, self.files), f"--impl={impl}", f"--kit-results={results}", "-q",
                "-p", "no:cacheprovider", "--rootdir", str(self.root),
                "-c", str(self.root / "pyproject.toml"), *pytest_plugins.args()]
        digests = snapshot(self.exercises, self.impl)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                os.setpgid(0, 0)  # Ctrl-C reaches the watcher, which kills this group
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.chdir(self.root)
                import pytest

                pytest_plugins.use_in_this_process()
                pytest.main(args)
            finally:
                os._exit(0)
        self.child = Child(pid, results, log, time.monotonic(), digests)

    def _reap(self) -> None:
        child = self.child
        assert child is not None
        pid, _ = os.waitpid(child.pid, os.WNOHANG)
        if pid == 0:
            return
        self.child = None
        from grading.checking import print_report
        from grading.progress import record

        results = _read_results(child.results)
        output = child.log.read_text(encoding="utf-8", errors="replace") \
            if child.log.exists() else ""
        for path in (child.results, child.log):
            path.unlink(missing_ok=True)
        if results:
            record(self.exercises, results, self.impl, child.digests)
        report, errors = io.StringIO(), io.StringIO()
        print_report(self.exercises, results, output=output, out=report, err=errors)
        self._banner()
        self.say((errors.getvalue() + report.getvalue()).rstrip("\n"))
        self.say(t(f"  (tests lancés en {time.monotonic() - child.started:.1f} s)",
                   f"  (tests ran in {time.monotonic() - child.started:.1f} s)"))
        self._waiting()

    def kill(self) -> None:
        if self.child is None:
            return
        for target in (lambda: os.killpg(self.child.pid, signal.SIGKILL),
                       lambda: os.kill(self.child.pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.waitpid(self.child.pid, 0)
        except ChildProcessError:
            pass
        self.child = None

    def close(self) -> None:
        self.kill()
        for path in self.tmp.glob("*"):
            path.unlink(missing_ok=True)
        try:
            self.tmp.rmdir()
        except OSError:
            pass

    # -- messages -------------------------------------------------------------------

    def _banner(self) -> None:
        names = ", ".join(p.name for p in self.paths)
        self.say(f"\n── {time.strftime('%H:%M:%S')} · {names} " + "─" * 20)

    def _waiting(self) -> None:
        self.say(t("En attente du prochain enregistrement… (Ctrl-C pour quitter)",
                   "Waiting for the next save… (Ctrl-C to quit)"))


def _read_results(path: Path) -> list[TestResult]:
    import json

    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(TestResult.from_json(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def watch(queries: Sequence[str], impl: str = "exercises") -> int:
    """``dlkit watch ex3``: watch the modules of ``queries`` until Ctrl-C."""
    try:
        exercises = [lookup(q) for q in queries]
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if not exercises:
        print(t("précisez l'exercice à surveiller, par exemple : make watch ex3",
                "name the exercise to watch, e.g. make watch ex3"), file=sys.stderr)
        return 2
    from grading.progress import module_path

    paths = []
    for ex in exercises:
        path = module_path(ex, impl)
        if path is None:
            print(t(f"module {ex.module}.py absent de {resolve(impl)}",
                    f"module {ex.module}.py missing from {resolve(impl)}"), file=sys.stderr)
            return 2
        paths.append(path.resolve())
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C must stop the watch even when started from a shell that ignores SIGINT (a
    # background job, nohup): Python then keeps SIG_IGN instead of raising KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    watcher = None
    try:
        import watchfiles

        shown = ", ".join(str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd())
                          else str(p) for p in paths)
        print(t(f"Surveillance de {shown} : chaque enregistrement relance les tests publics "
                "(Ctrl-C pour quitter). Chargement de PyTorch…",
                f"Watching {shown}: every save re-runs the public tests (Ctrl-C to quit). "
                "Loading PyTorch…"), flush=True)
        watcher = Watcher(exercises, impl, paths)
        warm_up(watcher.files)
        targets = {str(p) for p in paths}
        folders = sorted({str(p.parent) for p in paths})

        def only_modules(change, path: str) -> bool:
            return os.path.realpath(path) in targets

        for changes in watchfiles.watch(*folders, watch_filter=only_modules, step=STEP_MS,
                                        rust_timeout=POLL_MS, yield_on_timeout=True,
                                        recursive=False, raise_interrupt=True):
            now = time.monotonic()
            if changes:
                watcher.changed(now)
            watcher.poll(now)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if watcher is not None:
            watcher.close()
        print(t("\nSurveillance arrêtée. À bientôt !", "\nWatch stopped. See you soon!"),
              flush=True)
        return 0
    finally:
        if watcher is not None:
            watcher.close()
    return 0
