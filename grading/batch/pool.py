"""Batch grading: each (submission, exercise) runs its public and hidden tests in its own
locked-down child, forked from a parent that imported torch and pytest once.

The parent is trusted and never runs student code. A child reports one JSON line
per finished test through a pipe; a test with no line was lost to a crash, a
timeout or an exhausted limit and scores 0 with that reason. The exit code of a
child is never trusted.
"""

from __future__ import annotations

import ast
import gc
import json
import os
import select
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from grading import pytest_plugins
from grading.batch import sandbox
from grading.batch.submissions import Submission
from grading.registry import EXERCISES, Exercise
from grading.results import INTERNAL_LABEL, STATUSES, TestResult
from grading.runner import test_files
from grading.seam import KIT_ROOT

MAX_REPORT_BYTES = 4 << 20
"""A child that sends more than this through its result pipe is cut off."""
MAX_MESSAGE_CHARS = 1500
EXIT_SANDBOX_ERROR, EXIT_KIT_ERROR = 71, 72
"""Exit codes of a child whose set-up (before any student code) or pytest itself failed."""
PYTEST_INI = """[pytest]
addopts = -p grading.plugin --strict-markers
timeout = 0
"""


# --- the test suites, read once by the parent -------------------------------------------

@dataclass
class Suite:
    """The test files of one exercise, as the sandbox lays them out."""

    exercise: Exercise
    files: dict[str, bytes]
    """Relative path in the work folder (``tests/...``, ``hidden/...``) -> content."""
    manifest: list[TestResult] = field(default_factory=list)
    """Every test the suite holds (collected once): a test with no report is a crash."""

    def files_by_nodeid(self) -> set[str]:
        """Node ids pytest gives the suite's files themselves (collection errors)."""
        return set(self.files)


def load_suites(root: Path = KIT_ROOT, exercises: tuple[Exercise, ...] = EXERCISES
                ) -> dict[str, Suite]:
    """Each exercise's public and hidden test files (:func:`grading.runner.test_files`, the
    definition ``make check`` uses too), laid out as ``tests/`` and ``hidden/``."""
    suites = {}
    for ex in exercises:
        files = {f"{'hidden' if p.parent.name == 'hidden' else 'tests'}/{p.name}": p.read_bytes()
                 for p in test_files(ex, hidden=True, root=root)}
        suites[ex.id] = Suite(ex, files)
    return suites


def preimport(suites: dict[str, Suite]) -> None:
    """Import, in the parent, every module the tests import at top level: once the kit
    is hidden from the sandbox, only what is already in memory can be imported."""
    # hypothesis.extra._patching: what hypothesis's pytest plugin imports (libcst, ~2 s)
    # after any failing property test; paid once here, not in each child.
    names = {"grading.plugin", "grading.data", "grading.expect", "grading.strategies",
             "pytest_timeout", "hypothesis"}
    try:
        import_module("hypothesis.extra._patching")
    except ImportError:  # libcst absent: hypothesis skips its patches too
        pass
    for suite in suites.values():
        for source in suite.files.values():
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    names |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
    # The kit's pytest plugins too: otherwise every child pays their imports again.
    pytest_plugins.preload()
    for name in sorted(names):
        module = import_module(name)
        # Kit data modules read their files now, before the kit is hidden (MNIST, texts).
        if name.startswith("grading.") and callable(getattr(module, "preload", None)):
            module.preload()


def write_layout(work: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (work / "pytest.ini").write_text(PYTEST_INI)


def pytest_args(work: Path, suite: Suite, results: str, limits: sandbox.Limits,
                first: str = "") -> list[str]:
    return [*(str(work / rel) for rel in suite.files), f"--impl={work / 'submission'}",
            f"--kit-results={results}", "-c", str(work / "pytest.ini"), "--rootdir", str(work),
            "-p", "no:cacheprovider", "-q", "-s", f"--kit-timeout={limits.test_seconds:g}",
            *([f"--kit-first={first}"] if first else []), *pytest_plugins.args()]


def collect_manifests(suites: dict[str, Suite], limits: sandbox.Limits) -> None:
    """Collect every suite once, in a throwaway fork (no student code involved)."""
    with tempfile.TemporaryDirectory(prefix="dlkit-manifest-") as tmp:
        work = Path(tmp)
        all_files = {rel: data for s in suites.values() for rel, data in s.files.items()}
        write_layout(work, all_files)
        manifest = work / "manifest.jsonl"
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            _quiet()
            import pytest

            args = [str(work / rel) for rel in all_files] + [
                f"--kit-manifest={manifest}", "--collect-only", "-c", str(work / "pytest.ini"),
                "--rootdir", str(work), "-p", "no:cacheprovider", "-q", *pytest_plugins.args()]
            pytest_plugins.use_in_this_process()
            os._exit(0 if pytest.main(args) == 0 else 1)
        _, status = os.waitpid(pid, 0)
        if not manifest.exists():
            raise RuntimeError("could not collect the test suites (run `make check`)")
        for line in manifest.read_text(encoding="utf-8").splitlines():
            res = TestResult.from_json(json.loads(line))
            suites[res.exercise].manifest.append(res)


def _quiet() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


# --- one sandboxed run ---------------------------------------------------------------

@dataclass
class Job:
    submission: Submission
    suite: Suite
    slot: int = -1
    pid: int = 0
    fd: int = -1
    started: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)
    received: int = 0
    killed_for: str = ""
    internal: str = ""
    """Why the grader (not the student's code) failed on this run, if it did."""
    status: int = 0
    kit_error: str = ""
    """pytest's own last error line, as its run reported it (redacted)."""
    stop_when: Callable[[TestResult], bool] | None = None
    """Stop the run at the first test whose result satisfies this; the job's results are
    then the tests that ran (the meta-tests: a planted bug is caught at its first failure
    that names it). Never set by the batch grader, which scores every test."""
    stopped: bool = False
    run_first: str = ""
    """Run first the tests whose source mentions this (``--kit-first``): with ``stop_when``,
    the test that catches a planted bug usually runs first instead of after the others."""


class Sandboxes:
    """Starts and watches sandboxed runs; one slot per parallel job."""

    def __init__(self, limits: sandbox.Limits, protections: sandbox.Protections, jobs: int,
                 layout: sandbox.Layout | None) -> None:
        self.limits = limits
        self.protections = protections
        self.layout = layout
        # Slot k of this grader is machine-wide slot self.slots[k] (uid, cgroup names).
        self.slots, self._slot_locks = sandbox.claim_slots(jobs)
        self.cgroups = [sandbox.SlotCgroups(m, limits, protections) for m in self.slots]

    def start(self, job: Job, slot: int) -> None:
        job.slot, job.started = slot, time.monotonic()
        self.cgroups[slot].reset()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(r)
            try:
                self._child(job, slot, w)
            except BaseException as exc:  # noqa: BLE001 - never unwind into the parent's code
                # Set-up failed before any student code ran: tell the instructor why.
                try:
                    os.write(w, (json.dumps({"sandbox_error": repr(exc)[:500]}) + "\n").encode())
                finally:
                    os._exit(EXIT_SANDBOX_ERROR)
            os._exit(70)
        os.close(w)
        os.set_blocking(r, False)
        job.pid, job.fd = pid, r

    def _child(self, job: Job, slot: int, w: int) -> None:
        """Trusted set-up, then pytest on the student's code (forked child)."""
        os.setsid()
        self.cgroups[slot].join(os.getpid())
        # Kit developers: pytest's own output of every run, appended to a file of theirs
        # (opened before the sandbox hides it). Never shown to students.
        log = os.environ.get("DLKIT_SANDBOX_LOG")
        log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if log else -1
        hidden = self.protections.hide_paths
        work = Path("/tmp/dlkit-work") if hidden else Path(tempfile.mkdtemp(prefix="dlkit-"))
        sandbox.enter_namespaces(self.protections, self.layout, work, self.limits)
        files = {f"submission/{name}": data for name, data in job.submission.files.items()}
        write_layout(work, files | job.suite.files)
        if self.protections.uid_drop:
            uid = sandbox.SANDBOX_UID_BASE + self.slots[slot]
            for dirpath, _, filenames in os.walk(work):
                os.chown(dirpath, uid, uid)
                for f in filenames:
                    os.chown(os.path.join(dirpath, f), uid, uid)
        if "pid" in self.protections.namespaces:
            runner = os.fork()  # pid 1 of the new namespace: all its descendants die with it
            if runner != 0:
                os.close(w)
                # pid 1 dies with the grader (SIGKILL included), and the whole sandbox with it.
                sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
                _quiet()
                _, status = os.waitpid(runner, 0)
                os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status)
                         else os.WEXITSTATUS(status))
            sandbox.mount_proc()
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        sandbox.drop_privileges(self.protections, self.limits, self.slots[slot])
        os.chdir(work)
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8",
                           "KIT_LANG": "fr", "PYTHONDONTWRITEBYTECODE": "1",
                           "PYTHONHASHSEED": "0", **pytest_plugins.ENV})
        sys.dont_write_bytecode = True
        _quiet()
        if log_fd >= 0:
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.close(log_fd)
        import pytest

        code = pytest.main(pytest_args(work, job.suite, f"fd:{w}", self.limits, job.run_first))
        # pytest's own internal or usage error: the kit's fault, never the student's.
        os._exit(EXIT_KIT_ERROR if code in (pytest.ExitCode.INTERNAL_ERROR,
                                            pytest.ExitCode.USAGE_ERROR) else 0)

    def read(self, job: Job) -> bool:
        """Drain the job's pipe; False at end of file."""
        while True:
            try:
                chunk = os.read(job.fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            job.received += len(chunk)
            if job.received > MAX_REPORT_BYTES:
                self.kill(job, "trop de données envoyées au correcteur")
                return False
            job.buffer += chunk

    def kill(self, job: Job, reason: str) -> None:
        job.killed_for = job.killed_for or reason
        self.cgroups[job.slot].kill_all()
        for target in (lambda: os.killpg(job.pid, signal.SIGKILL),
                       lambda: os.kill(job.pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass

    def finish(self, job: Job) -> None:
        os.close(job.fd)
        _, job.status = os.waitpid(job.pid, 0)
        self.cgroups[job.slot].kill_all()  # a daemon that outlived the runner

    def memory_exhausted(self, job: Job) -> bool:
        return self.cgroups[job.slot].memory_exhausted()

    def close(self) -> None:
        for cg in self.cgroups:
            cg.remove()
        for fd in self._slot_locks:
            os.close(fd)
        self._slot_locks = []


# --- from raw reports to verdicts ------------------------------------------------------

def crash_reason(job: Job, memory: bool, limits: sandbox.Limits) -> str:
    if job.killed_for:
        return job.killed_for
    code = os.WEXITSTATUS(job.status) if os.WIFEXITED(job.status) else \
        128 + os.WTERMSIG(job.status)
    if code == EXIT_KIT_ERROR and not job.internal:
        job.internal = "pytest s'est arrêté sur une erreur interne (kit ou installation)" + \
            (f" : {job.kit_error}" if job.kit_error else "")
    if code == EXIT_SANDBOX_ERROR and not job.internal:
        job.internal = "erreur interne du bac à sable avant le code de l'étudiant"
    if memory and code in (0, 128 + signal.SIGKILL):
        return f"mémoire épuisée (limite {limits.memory_bytes / 2**30:g} Gio)"
    if code > 128:
        sig = code - 128
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig == signal.SIGXCPU:
            return f"temps CPU dépassé (limite {limits.cpu_seconds} s)"
        if sig == signal.SIGKILL:
            return "processus tué (limite de mémoire ou de processus atteinte ?)"
        return f"le processus a planté (signal {name})"
    return f"le processus s'est arrêté avant la fin des tests (code {code} : os._exit, sys.exit ?)"


def parse_reports(job: Job, redact: list[str]) -> dict[str, TestResult]:
    """Validate the child's JSON lines against the manifest (a test reported twice is void);
    points come from the manifest, never from the child."""
    expected = {r.nodeid: r for r in job.suite.manifest}
    got: dict[str, TestResult] = {}
    for line in bytes(job.buffer).decode("utf-8", "replace").splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(d, dict) and "kit_internal_error" in d:
            # Named only if pytest's run also ends in its internal-error exit code.
            job.kit_error = redact_text(str(d["kit_internal_error"])[:300], redact)
        if isinstance(d, dict) and "sandbox_error" in d and not got:
            job.internal = f"erreur interne du bac à sable : {d['sandbox_error']}"
        if isinstance(d, dict) and d.get("nodeid") in job.suite.files_by_nodeid() \
                and not job.internal:
            # A test file of the kit that does not even import: the kit's fault.
            job.internal = ("un fichier de tests du kit n'a pas pu être chargé : "
                            f"{str(d.get('message', ''))[:300]}")
        if not isinstance(d, dict) or d.get("nodeid") not in expected:
            continue
        if d["nodeid"] in got:  # one report per test: a second one is forged
            got[d["nodeid"]].status, got[d["nodeid"]].points = "error", 0.0
            got[d["nodeid"]].message = "rapports contradictoires pour ce test (falsification ?)"
            continue
        status = d.get("status") if d.get("status") in STATUSES else "error"
        ref = expected[d["nodeid"]]
        message = redact_text(str(d.get("message", ""))[:MAX_MESSAGE_CHARS], redact)
        duration = d.get("duration") if isinstance(d.get("duration"), (int, float)) else 0.0
        got[ref.nodeid] = TestResult(
            nodeid=ref.nodeid, exercise=ref.exercise, name=ref.name,
            points=ref.max_points if status == "passed" else 0.0, max_points=ref.max_points,
            status=status, message=message, hidden=ref.hidden, duration=float(duration))
    return got


def redact_text(text: str, secret_lines: list[str]) -> str:
    """Remove any line of hidden test source that a message might carry out."""
    for secret in secret_lines:
        if secret in text:
            text = text.replace(secret, "[…]")
    return text


def secret_lines(suites: dict[str, Suite]) -> list[str]:
    lines = set()
    for suite in suites.values():
        for rel, data in suite.files.items():
            if rel.startswith("hidden/"):
                for line in data.decode("utf-8").splitlines():
                    line = line.strip()
                    if len(line) >= 16:
                        lines.add(line)
    return sorted(lines, key=len, reverse=True)


def finalize(job: Job, reports: dict[str, TestResult], reason: str) -> list[TestResult]:
    """One result per test of the manifest; a test with no report crashed, or, when the
    grader itself failed, ends in ``internal`` (never a zero charged to the student)."""
    status, message = ("internal", f"{INTERNAL_LABEL} : {job.internal}") if job.internal \
        else ("crash", reason)
    out = []
    for ref in job.suite.manifest:
        if ref.nodeid in reports:
            out.append(reports[ref.nodeid])
        else:
            out.append(TestResult(nodeid=ref.nodeid, exercise=ref.exercise, name=ref.name,
                                  points=0.0, max_points=ref.max_points, status=status,
                                  message=message, hidden=ref.hidden))
    return out


def absent(suite: Suite) -> list[TestResult]:
    module = f"{suite.exercise.module}.py"
    return [TestResult(nodeid=r.nodeid, exercise=r.exercise, name=r.name, points=0.0,
                       max_points=r.max_points, status="absent",
                       message=f"module {module} absent", hidden=r.hidden)
            for r in suite.manifest]


# --- the scheduler ---------------------------------------------------------------------

def run_jobs(jobs: list[Job], boxes: Sandboxes, parallel: int, redact: list[str],
             on_done) -> None:
    """Run ``jobs`` ``parallel`` at a time; ``on_done(job, results)`` as each ends."""
    # Everything imported so far is permanent: the children's gc.collect() calls (pytest
    # runs several per session) then skip torch's and transformers' objects, ~1.5 s a run,
    # and copy-on-write pages stay shared.
    gc.collect()
    gc.freeze()
    pending = deque(jobs)
    running: dict[int, Job] = {}
    free = list(range(parallel))
    while pending or running:
        while pending and free:
            job = pending.popleft()
            boxes.start(job, free.pop(0))
            running[job.fd] = job
        now = time.monotonic()
        deadline = min(j.started + boxes.limits.wall_seconds for j in running.values())
        ready, _, _ = select.select(list(running), [], [], max(0.0, min(deadline - now, 1.0)))
        for fd in ready:
            job = running[fd]
            alive = boxes.read(job)
            if alive and job.stop_when is not None and not job.stopped and any(
                    job.stop_when(r) for r in parse_reports(job, redact).values()):
                job.stopped = True
                boxes.kill(job, "arrêt demandé après le test attendu")
            if not alive:
                del running[fd]
                boxes.finish(job)
                memory = boxes.memory_exhausted(job)
                reports = parse_reports(job, redact)
                results = list(reports.values()) if job.stopped else \
                    finalize(job, reports, crash_reason(job, memory, boxes.limits))
                free.append(job.slot)
                free.sort()
                on_done(job, results)
        now = time.monotonic()
        for job in running.values():
            if now > job.started + boxes.limits.wall_seconds:
                boxes.kill(job, f"délai total dépassé ({boxes.limits.wall_seconds:g} s) : "
                                "processus arrêté")


def warm_up() -> None:
    """Pay torch's one-time costs once, in the parent, single-threaded before any op
    (forking after multi-threaded OpenMP work can deadlock the children)."""
    import torch

    torch.set_num_threads(1)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.zeros(1, 4)).sum().backward()
    opt.step()
