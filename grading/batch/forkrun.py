"""Run many rewritten versions of the reference through the batch grader's fork server.

The meta-tests run every exercise's suite once per planted bug and per correct
variant (~250 runs). A fresh ``python -m pytest`` per run pays torch's import,
the first optimizer's ``torch._dynamo`` import and the suites' own imports
(torchvision, transformers) every time; forking from one warm parent pays them
once. The runs are the kit's own code, so no sandbox is entered (no namespaces,
no uid change), only the batch grader's rlimits and time limits; but the
verdicts come from the same code path as ``dlkit grade``, so the meta-tests
also prove that grading in forked children gives the verdicts they expect.

Usage (the parent side is :func:`run`): JSON on stdin, a list of
``{"id", "exercise", "source"}`` and optionally ``"stop_at"``: a text that ends the
run at the first failing test whose message holds it (the results are then those of
the tests that ran; the tests whose source mentions it run first, so the one that
catches a planted bug seldom waits for the others); JSON lines on stdout,
``{"id", "results"}``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grading.registry import BY_ID
from grading.results import TestResult
from grading.seam import KIT_ROOT


def run(jobs: list[dict[str, str]], parallel: int = 2, root: Path = KIT_ROOT,
        timeout: float | None = None) -> dict[str, list[TestResult]]:
    """``jobs``: ``{"id", "exercise", "source"[, "stop_at"]}``; returns id -> results of
    that run."""
    proc = subprocess.run([sys.executable, "-m", "grading.batch.forkrun", str(parallel), str(root)],
                          input=json.dumps(jobs), capture_output=True, text=True,
                          timeout=timeout, cwd=root, env={**os.environ, "KIT_LANG": "fr"})
    out: dict[str, list[TestResult]] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            out[d["id"]] = [TestResult.from_json(r) for r in d["results"]]
    if proc.returncode != 0:
        raise RuntimeError(f"grading.batch.forkrun failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return out


def serve(jobs: list[dict[str, str]], parallel: int, root: Path) -> None:
    from grading.batch import pool, sandbox
    from grading.batch.submissions import Submission

    exercises = tuple(dict.fromkeys(BY_ID[j["exercise"]] for j in jobs))
    # Generous limits: these are the kit's own solutions, slowed down by a busy CI machine.
    limits = sandbox.Limits(test_seconds=120.0, wall_seconds=900.0, cpu_seconds=1800,
                            memory_bytes=16 << 30)
    pool.warm_up()
    suites = pool.load_suites(root, exercises)
    pool.preimport(suites)
    pool.collect_manifests(suites, limits)
    boxes = pool.Sandboxes(limits, sandbox.Protections(), parallel, None)
    todo = []
    for job in jobs:
        ex = BY_ID[job["exercise"]]
        files = {f"{ex.module}.py": job["source"].encode("utf-8")}
        stop_at = job.get("stop_at")
        todo.append(pool.Job(Submission(job["id"], root, files, []), suites[ex.id],
                             stop_when=(lambda r, s=stop_at: r.fails_saying(s)) if stop_at
                             else None, run_first=stop_at or ""))

    def on_done(job: pool.Job, results: list[TestResult]) -> None:
        line = {"id": job.submission.student, "results": [r.to_json() for r in results]}
        print(json.dumps(line, ensure_ascii=False), flush=True)

    try:
        pool.run_jobs(todo, boxes, parallel, [], on_done)
    finally:
        boxes.close()


def main() -> int:
    parallel, root = int(sys.argv[1]), Path(sys.argv[2])
    jobs = json.load(sys.stdin)
    # Unsandboxed children make their work folders with tempfile: keep them in one place.
    scratch = tempfile.mkdtemp(prefix="dlkit-forkrun-")
    tempfile.tempdir = scratch
    try:
        serve(jobs, parallel, root)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
