"""The batch on a real Dask cluster over loopback: a scheduler and worker processes
started with Dask's own CLI (as the README shows), graded through ``grade --dask``.

Same verdicts as a local ``grade -j 2`` of the same class; a worker killed mid-batch
loses no student; a job that takes two workers down scores 0 with the reason; the
scheduler going away stops the batch with what was graded written.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.seam import KIT_ROOT

pytest.importorskip("distributed")
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux"),
              pytest.mark.timeout(900)]
ARGS = ["--exercises", "ex01,ex06", "--timeout", "60", "--test-timeout", "20",
        "--memory-gb", "1.5"]


def _class(folder: Path) -> Path:
    """Six submissions: full marks, stubs, a mix, a syntax error, one module missing."""
    ref, stub = KIT_ROOT / "reference", KIT_ROOT / "exercises"
    plan = {"full": [ref / "ex01_tensors.py", ref / "ex06_hyperparameter_search.py"],
            "stub": [stub / "ex01_tensors.py", stub / "ex06_hyperparameter_search.py"],
            "mixed": [ref / "ex01_tensors.py", stub / "ex06_hyperparameter_search.py"],
            "only06": [ref / "ex06_hyperparameter_search.py"],
            "ref01": [ref / "ex01_tensors.py"]}
    for student, files in plan.items():
        (folder / student).mkdir(parents=True)
        for f in files:
            shutil.copy(f, folder / student / f.name)
    (folder / "broken").mkdir()
    shutil.copy(ref / "ex01_tensors.py", folder / "broken")
    (folder / "broken" / "ex06_hyperparameter_search.py").write_text("def search(:\n    pass\n")
    return folder


def _grade(subs: Path, out: Path, *extra: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", "grade", str(subs), "--out", str(out),
                           *ARGS, *extra], cwd=KIT_ROOT, capture_output=True, text=True,
                          timeout=timeout)


def _records(out: Path) -> dict[str, dict]:
    """Per-student JSON without what differs from run to run (test durations)."""
    records = {}
    for path in sorted(out.glob("*.json")):
        if path.name.startswith("."):
            continue
        record = json.loads(path.read_text())
        for test in record["tests"]:
            test.pop("duration", None)
        records[path.stem] = record
    return records


def _csv(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


class Cluster:
    """``dask scheduler`` and ``dask worker … --nthreads 1`` processes on loopback."""

    def __init__(self, folder: Path, workers: int, nanny: bool = False) -> None:
        self.folder, self.file = folder, folder / "scheduler.json"
        self.scheduler = self._start(["scheduler", "--scheduler-file", str(self.file),
                                      "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard"], "scheduler")
        for _ in range(300):
            if self.file.exists() and self.file.stat().st_size:
                break
            time.sleep(0.1)
        self.workers = [self._start(["worker", "--scheduler-file", str(self.file),
                                     "--nthreads", "1", "--no-dashboard",
                                     "--nanny" if nanny else "--no-nanny"], f"worker{k}")
                        for k in range(workers)]

    def _start(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - kept for the process
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=KIT_ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _kill_busy(cluster: Cluster, deadline: float = 240) -> subprocess.Popen:
    """SIGKILL a worker the scheduler says is running one of the batch's tasks."""
    from distributed import Client

    end = time.monotonic() + deadline
    with Client(scheduler_file=str(cluster.file), timeout=30) as client:
        while time.monotonic() < end:
            pids = client.run(os.getpid)  # worker address -> pid
            for addr, keys in client.processing().items():
                if addr in pids and any(str(k).startswith("dlkit-") for k in keys):
                    worker = next((w for w in cluster.workers
                                   if w.pid == pids[addr] and w.poll() is None), None)
                    if worker is not None:
                        time.sleep(0.5)  # mid-job, not at its very first instant
                        os.killpg(worker.pid, signal.SIGKILL)
                        worker.wait()
                        return worker
            time.sleep(0.05)
    raise AssertionError("no worker ever ran a job of the batch")


@pytest.fixture(scope="module")
def graded_locally(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-local")
    subs = _class(folder / "subs")
    proc = _grade(subs, folder / "out", "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return subs, folder / "out"


def test_two_cli_workers_grade_like_local(graded_locally, tmp_path):
    subs, local = graded_locally
    cluster = Cluster(tmp_path, workers=2)
    try:
        proc = _grade(subs, tmp_path / "out", "--dask", str(cluster.file))
    finally:
        cluster.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "correction sur le cluster Dask" in proc.stdout
    # Each worker reports its sandbox and its own self-check before its first job.
    assert proc.stdout.count("auto-vérification (ex01)") == 2, proc.stdout
    assert proc.stdout.count("protections actives") == 2, proc.stdout
    assert _csv(tmp_path / "out") == _csv(local)
    assert _records(tmp_path / "out") == _records(local)
    assert {r["student"]: r["total"] for r in _csv(local)}["full"] == "40"


def test_worker_killed_mid_batch_loses_no_student(graded_locally, tmp_path):
    subs, local = graded_locally
    cluster = Cluster(tmp_path, workers=2)
    try:
        grader = subprocess.Popen(
            [sys.executable, "-m", "grading", "grade", str(subs), "--out", str(tmp_path / "out"),
             *ARGS, "--dask", str(cluster.file)], cwd=KIT_ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        _kill_busy(cluster)
        stdout, stderr = grader.communicate(timeout=600)
    finally:
        cluster.close()
    assert grader.returncode == 0, stdout + stderr
    assert _csv(tmp_path / "out") == _csv(local)
    assert _records(tmp_path / "out") == _records(local)


def test_job_that_kills_two_workers_scores_zero_with_reason(tmp_path):
    subs = tmp_path / "subs"
    (subs / "killer").mkdir(parents=True)
    shutil.copy(KIT_ROOT / "reference" / "ex01_tensors.py", subs / "killer")
    cluster = Cluster(tmp_path, workers=2)
    try:
        grader = subprocess.Popen(
            [sys.executable, "-m", "grading", "grade", str(subs), "--out", str(tmp_path / "out"),
             *ARGS, "--exercises", "ex01", "--no-self-check", "--dask", str(cluster.file)],
            cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = _kill_busy(cluster)
        second = _kill_busy(cluster)
        assert first is not second
        stdout, stderr = grader.communicate(timeout=300)
    finally:
        cluster.close()
    assert grader.returncode == 0, stdout + stderr
    record = json.loads((tmp_path / "out" / "killer.json").read_text())
    assert record["total"] == 0 and not record["internal_error"]
    assert {t["status"] for t in record["tests"]} == {"crash"}
    assert "mort deux fois" in record["tests"][0]["message"]


def test_scheduler_lost_stops_the_batch_and_keeps_what_was_graded(graded_locally, tmp_path):
    subs, local = graded_locally
    cluster = Cluster(tmp_path, workers=1)
    out = tmp_path / "out"
    try:
        grader = subprocess.Popen(
            [sys.executable, "-m", "grading", "grade", str(subs), "--out", str(out), *ARGS,
             "--dask", str(cluster.file)], cwd=KIT_ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 300
        while not list(out.glob("[a-z]*.json")) and time.monotonic() < end:
            time.sleep(0.1)
        os.killpg(cluster.scheduler.pid, signal.SIGKILL)
        stdout, stderr = grader.communicate(timeout=300)
    finally:
        cluster.close()
    assert grader.returncode == 4, stdout + stderr
    assert "ne répond plus" in stdout, stdout
    done = _records(out)
    expected = _records(local)
    assert done and len(done) < len(expected)
    assert all(done[s] == expected[s] for s in done)
    # The same command on a new cluster grades exactly the rest.
    (tmp_path / "again").mkdir()
    cluster = Cluster(tmp_path / "again", workers=1)
    try:
        proc = _grade(subs, out, "--dask", str(cluster.file))
    finally:
        cluster.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(done)} soumission(s) déjà corrigée(s)" in proc.stdout
    assert _records(out) == expected


def test_no_worker_left_stops_the_batch_with_the_reason(tmp_path):
    subs = _class(tmp_path / "subs")
    cluster = Cluster(tmp_path, workers=1)
    try:
        grader = subprocess.Popen(
            [sys.executable, "-m", "grading", "grade", str(subs), "--out", str(tmp_path / "out"),
             *ARGS, "--dask", str(cluster.file)], cwd=KIT_ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env={**os.environ, "DLKIT_DASK_GRACE": "5"})
        _kill_busy(cluster)
        stdout, stderr = grader.communicate(timeout=300)
    finally:
        cluster.close()
    assert grader.returncode == 4, stdout + stderr
    assert "plus aucun worker Dask depuis 5 s" in stdout, stdout
    assert (tmp_path / "out" / "grades.csv").exists()


def test_oversized_submission_is_refused_with_a_reason():
    from grading.batch import cluster, pool
    from grading.batch.submissions import Submission
    from grading.registry import BY_ID
    from grading.results import TestResult

    runner = object.__new__(cluster.DaskRunner)
    runner.config = {}
    suite = pool.Suite(BY_ID["ex01"], {}, [TestResult(
        nodeid="t::a", exercise="ex01", name="a", points=0.0, max_points=2.0, status="passed",
        message="", hidden=False)])
    big = Submission("big", Path("big"), {"ex01_tensors.py": b"#" * (cluster.MAX_TASK_BYTES + 1)},
                     [])
    results = runner.payload(pool.Job(big, suite))
    assert isinstance(results, list) and results[0].points == 0
    assert "trop volumineuse" in results[0].message
    small = Submission("s", Path("s"), {"ex01_tensors.py": b"x = 1\n"}, [])
    assert runner.payload(pool.Job(small, suite))["files"] == {"ex01_tensors.py": b"x = 1\n"}


def test_slurm_workers_are_single_threaded_dask_workers():
    pytest.importorskip("dask_jobqueue")
    from grading.batch.cluster import slurm_cluster

    cluster = slurm_cluster(memory="4GB", queue="tp", walltime="01:00:00")
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH -p tp" in script and "--mem=4G" in script
    assert "dask_worker" in script and "--nthreads 1" in script
