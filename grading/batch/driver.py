"""``dlkit grade SUBMISSIONS --out OUT -j 2``: grade a class, resumably, in parallel."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading.batch import confirm, outputs, pool, records, sandbox
from grading.batch.selfcheck import GraderRefused, self_check
from grading.batch.submissions import Submission, discover
from grading.registry import EXERCISES, Exercise
from grading.results import TestResult
from grading.seam import KIT_ROOT


@dataclass
class GradeSummary:
    graded: list[str]
    skipped: list[str]
    seconds: float
    protections: sandbox.Protections
    internal: list[str] = field(default_factory=list)
    """Students whose record holds a grader fault (not graded; re-graded next run)."""
    interrupted: str = ""
    """Why the batch stopped before the end (the Dask scheduler went away)."""


def up_to_date(path: Path, digest: str) -> bool:
    """Graded already with these files, and not left unfinished by a grader fault."""
    record = records.load(path)
    return record is not None and record.digest == digest and not record.internal_error


def scan_flags(sub: Submission) -> list[records.Flag]:
    try:
        from grading.batch.static_flags import scan_source
    except ImportError:  # pragma: no cover - flags are optional
        return []
    found: list[records.Flag] = []
    for name, data in sorted(sub.files.items()):
        found.extend(scan_source(data.decode("utf-8", "replace"), name))
    return found


class Progress:
    """One line on stderr: done/total, seconds per submission, ETA."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.start, self.stream = total, 0, time.monotonic(), stream

    def step(self, label: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.start
        rate = elapsed / self.done
        eta = rate * (self.total - self.done)
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{rate:5.2f} s/soumission  ETA {int(eta // 60)}:{int(eta % 60):02d}  {label}")
        end = "\r" if self.stream.isatty() and self.done < self.total else "\n"
        print(line[:110].ljust(110 if end == "\r" else 0), end=end, file=self.stream, flush=True)


UNSAFE_WARNING = "ATTENTION : corrigé SANS bac à sable (--unsafe-no-sandbox)"


def grade(submissions: Path, out: Path, jobs: int = 1, force: bool = False,
          limits: sandbox.Limits | None = None, root: Path = KIT_ROOT,
          log=print, exercises: tuple[Exercise, ...] = EXERCISES, *,
          check: bool = True, unsafe: bool = False, dask: str | None = None
          ) -> GradeSummary:
    """Grade every submission of ``submissions`` on ``exercises`` (all by default) into ``out``.

    Grading a subset (``--exercises``, e.g. from an nbgrader grade cell) only loads
    those suites; such a record is keyed by its subset, so a later full run re-grades.
    Raises :class:`GraderRefused` before writing anything when no sandbox can be had
    (unless ``unsafe``), when the runtime's layout cannot be sandboxed, or when the
    self-check (``check``) fails. ``dask``: grade on that Dask cluster instead of local
    sandboxes (:mod:`grading.batch.cluster`; ``jobs`` is then the cluster's business)."""
    start = time.monotonic()
    limits = limits or sandbox.Limits()
    out.mkdir(parents=True, exist_ok=True)  # before the layout: it must exist to be hidden
    if dask:
        # The workers detect, lay out and self-check their own sandboxes (first task).
        from grading.batch import cluster

        protections = sandbox.Protections()
        suites = pool.load_suites(root, exercises)
        runner = cluster.DaskRunner(dask, cluster.worker_config(
            limits, exercises, suites, check, unsafe), log)
        pool.collect_manifests(suites, limits)  # the workers warm up meanwhile
        log(f"correction sur le cluster Dask {dask} "
            f"({len(runner.client.nthreads())} worker(s))")
        boxes = None
        warning = ""
    else:
        for stale in sandbox.remove_stale_cgroups():
            log(f"cgroup d'une correction interrompue supprimé : {stale}")
        protections = sandbox.detect(limits, unsafe=unsafe)
        if not protections.sandboxed and not unsafe:
            raise GraderRefused(sandbox.unsafe_refusal(protections))
        layout = None
        if protections.hide_paths:
            try:
                layout = sandbox.plan_layout(root, submissions, out, protections.uid_drop)
            except sandbox.LayoutError as exc:
                raise GraderRefused(f"Correction refusée : {exc}") from None
        pool.warm_up()
        suites = pool.load_suites(root, exercises)
        pool.preimport(suites)
        pool.collect_manifests(suites, limits)
        log(protections.describe())
        warning = "" if protections.sandboxed else UNSAFE_WARNING
        boxes = pool.Sandboxes(limits, protections, max(1, jobs), layout)
        redact = pool.secret_lines(suites)
    try:
        if check and boxes is not None:
            self_check(boxes, suites, exercises, root, redact, log)
        subs = discover(submissions)
        scope = "" if exercises == EXERCISES else ":" + ",".join(ex.id for ex in exercises)
        todo = [s for s in subs
                if force or not up_to_date(out / f"{s.student}.json", s.digest + scope)]
        skipped = [s.student for s in subs if s not in todo]
        if skipped:
            log(f"{len(skipped)} soumission(s) déjà corrigée(s), ignorée(s) "
                "(--force pour refaire)")

        pending: dict[str, dict[str, list[TestResult]]] = {s.student: {} for s in todo}
        by_student = {s.student: s for s in todo}
        job_list: list[pool.Job] = []
        for sub in todo:
            for ex in exercises:
                suite = suites[ex.id]
                if f"{ex.module}.py" in sub.files:
                    job_list.append(pool.Job(sub, suite))
                else:
                    pending[sub.student][ex.id] = pool.absent(suite)
        expected = {s.student: sum(f"{ex.module}.py" in s.files for ex in exercises)
                    for s in todo}
        progress = Progress(len(todo))
        internal: list[str] = []
        interrupted = ""

        def save(student: str) -> None:
            sub = by_student[student]
            results = [r for ex in exercises for r in pending[student].get(ex.id, [])]
            unsafe_here = warning or (UNSAFE_WARNING if dask and student in
                                      runner.unsandboxed else "")
            record = records.Record.build(student, sub.digest + scope, results,
                                          scan_flags(sub), sub.problems, unsafe_here)
            if record.internal_error:
                internal.append(student)
            records.save(out, record)
            progress.step(student)

        for student, n in expected.items():
            if n == 0:
                save(student)

        faulty: list[tuple[pool.Job, list[TestResult]]] = []

        def on_done(job: pool.Job, results: list[TestResult]) -> None:
            if confirm.is_fault(results):
                faulty.append((job, results))  # believed only once confirmed, below
                return
            store(job, results)

        def store(job: pool.Job, results: list[TestResult]) -> None:
            student = job.submission.student
            pending[student][job.suite.exercise.id] = results
            graded = sum(1 for ex_id in pending[student]
                         if f"{suites[ex_id].exercise.module}.py" in job.submission.files)
            if graded == expected[student]:
                save(student)

        def run(batch: list[pool.Job], done: confirm.OnDone) -> None:
            if dask:
                runner.run(batch, done)
            else:
                pool.run_jobs(batch, boxes, max(1, jobs), redact, done)

        try:
            run(job_list, on_done)
            for job, results in confirm.confirm(faulty, run, root):
                store(job, results)
        except RuntimeError as exc:
            if not (dask and isinstance(exc, cluster.SchedulerLost)):
                raise
            interrupted = str(exc)  # what was graded is written below, as usual
    finally:
        if boxes is not None:
            boxes.close()
        if dask:
            runner.close()
    written = records.load_all(out)
    outputs.write_csv(out, written)
    outputs.write_feedback(out, written)
    outputs.write_flags(out, written)
    seconds = time.monotonic() - start
    outputs.write_run_info(out, submissions, seconds)
    log(f"{len(todo)} corrigée(s), {len(skipped)} ignorée(s) en {seconds:.1f} s ; "
        f"résultats dans {out}")
    if internal:
        log(f"{len(internal)} soumission(s) en erreur interne du correcteur (pas notées, "
            f"cellules vides dans grades.csv ; relancez après correction du problème, "
            f"elles seules seront refaites) : {', '.join(sorted(internal)[:10])}")
    if warning:
        log(warning)
    if interrupted:
        log(interrupted)
    return GradeSummary([s.student for s in todo], skipped, seconds, protections,
                        sorted(internal), interrupted)
