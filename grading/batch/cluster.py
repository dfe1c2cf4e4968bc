"""``dlkit grade SUBS --out OUT --dask ADDRESS``: the batch on a Dask cluster.

The client (the instructor's ``grade``) reads the class, sends each (submission,
exercise) job to the cluster as a task carrying the submission's files as bytes,
and writes ``OUT/`` itself as results come back: no shared filesystem. A worker
grades with the very sandbox of a local ``grade -j``: the worker process is the
warm parent (torch, pytest and the suites' imports paid once, on its first task,
followed by the self-check), and each job runs in a child forked from it, which
unshares its namespaces after the fork (a Dask worker is multi-threaded; the
forked child is not).

``ADDRESS``: ``tcp://host:port``, a scheduler file, ``local:N`` (a ``LocalCluster`` of
N single-threaded worker processes) or ``slurm:N`` (N jobs of dask-jobqueue's
``SLURMCluster``, configured in the user's dask config).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grading.batch import pool, sandbox
from grading.batch.submissions import MAX_TOTAL_BYTES, Submission
from grading.results import INTERNAL_LABEL, TestResult
from grading.seam import KIT_ROOT

MAX_TASK_BYTES = MAX_TOTAL_BYTES
"""Files one task may carry (the class reader's own cap; checked again on sending)."""
ATTEMPTS = 2
"""A job whose worker dies is retried once on another; a second death scores 0."""
NO_WORKER_GRACE = 300.0
"""Seconds the batch waits with no worker at all before it stops (``DLKIT_DASK_GRACE``)."""
KILLED_TWICE = ("le correcteur distant (worker Dask) est mort deux fois en corrigeant cet "
                "exercice : code qui fait tomber le correcteur ?")


class WorkerRefused(RuntimeError):
    """A worker will not grade (no sandbox, bad layout, another kit, failed self-check)."""


class SchedulerLost(RuntimeError):
    """The scheduler went away mid-batch: what was graded is written, the rest is not."""


def suites_digest(suites: dict[str, pool.Suite]) -> str:
    """Hash of every test file: a worker with another kit version must not grade."""
    h = hashlib.sha256()
    for ex_id in sorted(suites):
        for rel, data in sorted(suites[ex_id].files.items()):
            h.update(rel.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


# --- the worker side ------------------------------------------------------------------

class _WorkerState:
    """What a worker builds once per batch configuration: its sandboxes, suites, verdict
    of the self-check. One job at a time per worker process (one slot)."""

    def __init__(self, config: dict[str, Any]) -> None:
        from grading.batch.selfcheck import self_check
        from grading.registry import BY_ID

        self.config = config
        self.lines: list[str] = []
        self.boxes: pool.Sandboxes | None = None
        self.refusal = ""
        limits = sandbox.Limits(**config["limits"])
        exercises = tuple(BY_ID[i] for i in config["exercises"])
        try:
            for stale in sandbox.remove_stale_cgroups():
                self.lines.append(f"cgroup d'une correction interrompue supprimé : {stale}")
            protections = sandbox.detect(limits, unsafe=config["unsafe"])
            if not protections.sandboxed and not config["unsafe"]:
                raise WorkerRefused(sandbox.unsafe_refusal(protections))
            self.sandboxed = protections.sandboxed
            # Empty stand-ins for the class and the output folder, which live on the client.
            scratch = Path(tempfile.mkdtemp(prefix="dlkit-worker-"))
            (scratch / "submissions").mkdir()
            (scratch / "out").mkdir()
            layout = None
            if protections.hide_paths:
                try:
                    layout = sandbox.plan_layout(KIT_ROOT, scratch / "submissions",
                                                 scratch / "out", protections.uid_drop)
                except sandbox.LayoutError as exc:
                    raise WorkerRefused(f"Correction refusée : {exc}") from None
            pool.warm_up()
            self.suites = pool.load_suites(KIT_ROOT, exercises)
            if suites_digest(self.suites) != config["suites_digest"]:
                raise WorkerRefused(
                    f"le kit installé sur ce worker ({KIT_ROOT}) n'a pas les mêmes tests que "
                    "celui du client : installez la même version du kit sur chaque machine")
            pool.preimport(self.suites)
            pool.collect_manifests(self.suites, limits)
            self.lines.append(protections.describe())
            self.boxes = pool.Sandboxes(limits, protections, 1, layout)
            atexit.register(self.boxes.close)
            self.redact = pool.secret_lines(self.suites)
            if config["check"]:
                self_check(self.boxes, self.suites, exercises, KIT_ROOT, self.redact,
                           log=self.lines.append)
        except Exception as exc:  # noqa: BLE001 - every refusal is reported, never raised raw
            self.refusal = str(exc) or repr(exc)
            if self.boxes is not None:
                self.boxes.close()

    def grade(self, task: dict[str, Any]) -> list[TestResult]:
        sub = Submission(task["student"], Path(task["student"]), task["files"], [])
        job = pool.Job(sub, self.suites[task["exercise"]])
        got: list[TestResult] = []
        pool.run_jobs([job], self.boxes, 1, self.redact, lambda _job, res: got.extend(res))
        return got


class _WarmParent:
    """The worker's grading process: ``python -m grading.batch.cluster``, single-threaded, the
    warm parent every sandbox of this worker is forked from. Forking straight from the
    multi-threaded Dask worker breaks CPython 3.11 in the child (``SystemError: AST
    constructor recursion depth mismatch`` inside pytest's traceback formatting)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grading.batch.cluster", str(os.getpid())], cwd=KIT_ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        hello = self._ask(config)
        self.refusal, self.sandboxed = hello["refusal"], hello["sandboxed"]
        self.lines: list[str] = hello["lines"]

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            code = self.proc.poll()
            raise RuntimeError(f"le processus de correction du worker est mort (code {code})")
        return json.loads(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def grade(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        files = {name: base64.b64encode(data).decode() for name, data in task["files"].items()}
        return self._ask({"student": task["student"], "exercise": task["exercise"],
                          "files": files})["results"]


class _Spawner:
    """One thread that lives as long as the worker and starts every warm parent: a
    child's parent-death signal fires when the *thread* that forked it ends, and
    Dask's own threads (or a prewarm thread) may end before the worker does."""

    def __init__(self) -> None:
        self.requests: queue.Queue = queue.Queue()
        threading.Thread(target=self._loop, name="dlkit-spawner", daemon=True).start()

    def _loop(self) -> None:
        while True:
            fn, box = self.requests.get()
            try:
                box.put((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box.put((False, exc))

    def call(self, fn):
        box: queue.Queue = queue.Queue(1)
        self.requests.put((fn, box))
        ok, value = box.get()
        if not ok:
            raise value
        return value


_PARENT: _WarmParent | None = None
_LOCK = threading.Lock()
_SPAWNER: _Spawner | None = None


def _warm_parent(config: dict[str, Any]) -> _WarmParent:
    """This worker's warm parent for ``config`` (started on first use). Hold _LOCK."""
    global _PARENT, _SPAWNER
    if _PARENT is None or _PARENT.config != config or not _PARENT.alive():
        if _PARENT is not None:
            _PARENT.close()
        _SPAWNER = _SPAWNER or _Spawner()
        _PARENT = _SPAWNER.call(lambda: _WarmParent(config))
        atexit.register(_PARENT.close)
    return _PARENT


def prewarm(config: dict[str, Any]) -> None:
    """Start the warm parent now (``client.run``, while the client reads the class)."""
    threading.Thread(target=lambda: _locked(_warm_parent, config), daemon=True).start()


def _locked(fn, *args):
    with _LOCK:
        return fn(*args)


def grade_task(task: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: grade one (submission, exercise) on this worker; JSON-able result.
    Raises :class:`WorkerRefused` when this worker cannot grade."""
    with _LOCK:  # one sandbox slot per worker process, whatever its --nthreads
        parent = _warm_parent(task["config"])
        if parent.refusal:
            raise WorkerRefused(parent.refusal)
        results = parent.grade(task)
        # The protections and the self-check's verdict come back with the worker's first job.
        lines, parent.lines = parent.lines, []
        return {"results": results, "pid": os.getpid(), "sandboxed": parent.sandboxed,
                "lines": lines}


def serve(worker_pid: int) -> None:
    """The warm parent's loop: the configuration, then one task per line of stdin."""
    # Dies with its worker, but through SIGTERM: its sandboxes and cgroups go with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != worker_pid:
        return
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the answer channel
    config = json.loads(sys.stdin.readline())
    state = _WorkerState(config)
    try:
        out.write(json.dumps({"refusal": state.refusal, "lines": state.lines,
                              "sandboxed": getattr(state, "sandboxed", False)}) + "\n")
        out.flush()
        for line in sys.stdin:
            task = json.loads(line)
            task["files"] = {name: base64.b64decode(data)
                             for name, data in task["files"].items()}
            results = [r.to_json() for r in state.grade(task)]
            out.write(json.dumps({"results": results}, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if state.boxes is not None:
            state.boxes.close()  # kills what still runs in the slot, removes its cgroups


# --- the client side ------------------------------------------------------------------

def connect(address: str):
    """A ``distributed.Client`` for ``address`` (see the module's docstring), and the
    cluster object this process started (``None`` for an existing scheduler)."""
    from distributed import Client

    kind, _, count = address.partition(":")
    if kind == "local" and count.isdigit():
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    if kind == "slurm" and count.isdigit():
        cluster = slurm_cluster()
        cluster.scale(jobs=int(count))
        return Client(cluster), cluster
    if Path(address).is_file():
        return Client(scheduler_file=address), None
    return Client(address), None


def slurm_cluster(**overrides: Any):
    """dask-jobqueue's ``SLURMCluster`` from the ``jobqueue.slurm`` section of the user's
    dask config (queue, account, walltime, memory...), one single-threaded worker per
    job: the kit grades one job per worker process."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise WorkerRefused("--dask slurm:N demande dask-jobqueue : "
                            "pip install 'dlkit[slurm]'") from None
    options = {"cores": 1, "processes": 1} | overrides
    return SLURMCluster(**options)


class DaskRunner:
    """Runs the batch's jobs on a cluster; ``on_done(job, results)`` as each returns,
    exactly like :func:`grading.batch.pool.run_jobs`."""

    def __init__(self, address: str, config: dict[str, Any], log: Callable[[str], Any]
                 ) -> None:
        self.address, self.config, self.log = address, config, log
        self.client, self.cluster = connect(address)
        self.unsandboxed: set[str] = set()
        """Students graded by a worker without a sandbox (``--unsafe-no-sandbox``)."""
        # A job whose worker dies is retried once on another worker, then KilledWorker.
        self.client.run_on_scheduler(_set_allowed_failures, ATTEMPTS - 1)
        try:  # workers warm up while the client collects the suites
            self.client.run(prewarm, config)  # returns at once: a thread warms up
        except Exception:  # noqa: BLE001 - only an optimisation: the first task warms up too
            pass

    def close(self) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - closing a lost cluster may fail too
                    pass

    def run(self, jobs: list[pool.Job], on_done) -> None:

        if not jobs:
            return
        if not self.client.nthreads():
            self.log("en attente d'un worker Dask…")
            try:
                self.client.wait_for_workers(1, timeout=no_worker_grace())
            except TimeoutError:
                raise SchedulerLost(f"aucun worker Dask n'a rejoint {self.address} en "
                                    f"{no_worker_grace():g} s : rien n'a été corrigé") from None
        futures = {}
        for job in jobs:
            task = self.payload(job)
            if isinstance(task, list):  # refused before sending
                on_done(job, task)
                continue
            key = f"dlkit-{job.submission.student}-{job.suite.exercise.id}-{uuid.uuid4().hex}"
            futures[self.client.submit(grade_task, task, key=key, pure=False)] = job
        refused: set[str] = set()
        self._orphaned = ""
        stop = threading.Event()
        watchdog = threading.Thread(target=self._watch_workers, args=(list(futures), stop),
                                    name="dlkit-no-worker-watchdog", daemon=True)
        watchdog.start()
        try:
            self._collect(futures, on_done, refused)
        finally:
            stop.set()

    def _watch_workers(self, futures, stop: threading.Event) -> None:
        """Dask waits for ever when every worker is gone: after NO_WORKER_GRACE seconds
        without one, cancel what is left, and the batch stops with that reason."""
        alone_since = None
        while not stop.wait(1.0):
            try:
                workers = len(self.client.nthreads())
            except Exception:  # noqa: BLE001 - the scheduler itself is gone: handled there
                return
            if workers:
                alone_since = None
                continue
            alone_since = alone_since or time.monotonic()
            if time.monotonic() - alone_since > no_worker_grace():
                self._orphaned = (
                    f"plus aucun worker Dask depuis {no_worker_grace():g} s : correction "
                    "arrêtée. Les copies déjà corrigées sont écrites ; relancez des workers "
                    "puis la même commande pour corriger les autres.")
                self.client.cancel([f for f in futures if not f.done()])
                return

    def _collect(self, futures, on_done, refused: set[str]) -> None:
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        for future in as_completed(futures):
            job = futures[future]
            try:
                answer = future.result()
            except KilledWorker:
                results = _verdict_for_all(job, "crash", KILLED_TWICE)
            except WorkerRefused as exc:
                if str(exc) not in refused:
                    refused.add(str(exc))
                    self.log(f"worker Dask refusé : {exc}")
                results = _verdict_for_all(job, "internal", f"{INTERNAL_LABEL} : {exc}")
            except Exception as exc:  # noqa: BLE001
                if self._orphaned:
                    raise SchedulerLost(self._orphaned) from None
                if self._scheduler_gone(future, exc):
                    raise SchedulerLost(
                        f"le planificateur Dask ({self.address}) ne répond plus : correction "
                        "arrêtée. Les copies déjà corrigées sont écrites ; relancez la même "
                        "commande pour corriger les autres.") from None
                results = _verdict_for_all(
                    job, "internal", f"{INTERNAL_LABEL} : erreur du worker Dask : {exc!r}"[:500])
            else:
                for line in answer["lines"]:
                    self.log(f"worker {answer['pid']} : {line}")
                if not answer["sandboxed"]:
                    self.unsandboxed.add(job.submission.student)
                results = [TestResult.from_json(r) for r in answer["results"]]
            on_done(job, results)

    def _scheduler_gone(self, future, exc: Exception) -> bool:
        """A lost connection, or futures the client cancelled when it lost the scheduler
        (a task's own exception is a worker's or the task's, not the cluster's)."""
        from distributed.comm.core import CommClosedError

        return isinstance(exc, (CommClosedError, OSError, TimeoutError)) or \
            future.cancelled() or "Cancelled" in type(exc).__name__ or \
            self.client.status not in ("running", "connecting")

    def payload(self, job: pool.Job) -> dict[str, Any] | list[TestResult]:
        size = sum(len(d) for d in job.submission.files.values())
        if size > MAX_TASK_BYTES:
            return _verdict_for_all(
                job, "crash", f"soumission trop volumineuse pour être envoyée aux workers "
                              f"({size / 2**20:.1f} Mio > {MAX_TASK_BYTES / 2**20:g} Mio)")
        return {"student": job.submission.student, "exercise": job.suite.exercise.id,
                "files": dict(job.submission.files), "config": self.config}


def no_worker_grace() -> float:
    return float(os.environ.get("DLKIT_DASK_GRACE", NO_WORKER_GRACE))


def _set_allowed_failures(n: int, dask_scheduler=None) -> None:
    dask_scheduler.allowed_failures = n  # the scheduler object, passed by run_on_scheduler


def _verdict_for_all(job: pool.Job, status: str, message: str) -> list[TestResult]:
    return [TestResult(nodeid=r.nodeid, exercise=r.exercise, name=r.name, points=0.0,
                       max_points=r.max_points, status=status, message=message,
                       hidden=r.hidden) for r in job.suite.manifest]


def worker_config(limits: sandbox.Limits, exercises, suites: dict[str, pool.Suite],
                  check: bool, unsafe: bool) -> dict[str, Any]:
    """What every task carries so that each worker builds the same sandboxes."""
    return {"limits": asdict(limits), "exercises": [ex.id for ex in exercises],
            "suites_digest": suites_digest(suites), "check": check, "unsafe": unsafe}


if __name__ == "__main__":
    serve(int(sys.argv[1]))
