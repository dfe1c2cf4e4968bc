"""``dlkit grade SUBMISSIONS --out OUT -j 2``: grade a class, resumably, in parallel."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grading import batch, outputs, sandbox
from grading.registry import EXERCISES, Exercise
from grading.results import TestResult
from grading.seam import KIT_ROOT
from grading.submissions import Submission, discover


@dataclass
class GradeSummary:
    graded: list[str]
    skipped: list[str]
    seconds: float
    protections: sandbox.Protections


def warm_up() -> None:
    """Pay torch's one-time costs once, in the parent, single-threaded before any op
    (forking after multi-threaded OpenMP work can deadlock the children)."""
    import torch

    torch.set_num_threads(1)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.zeros(1, 4)).sum().backward()
    opt.step()


def up_to_date(path: Path, digest: str) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("digest") == digest
    except (OSError, json.JSONDecodeError, AttributeError):
        return False


def scan_flags(sub: Submission) -> list[dict]:
    try:
        from grading.flags import scan_source
    except ImportError:  # pragma: no cover - flags are optional
        return []
    found = []
    for name, data in sorted(sub.files.items()):
        for flag in scan_source(data.decode("utf-8", "replace"), name):
            found.append({"module": flag.module, "line": flag.line, "kind": flag.kind,
                          "detail": flag.detail})
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


def grade(submissions: Path, out: Path, jobs: int = 1, force: bool = False,
          limits: sandbox.Limits | None = None, root: Path = KIT_ROOT,
          log=print, exercises: tuple[Exercise, ...] = EXERCISES) -> GradeSummary:
    """Grade every submission of ``submissions`` on ``exercises`` (all by default) into ``out``.

    Grading a subset (``--exercises``, e.g. from an nbgrader grade cell) only loads
    those suites; such a record is keyed by its subset, so a later full run re-grades."""
    start = time.monotonic()
    limits = limits or sandbox.Limits()
    out.mkdir(parents=True, exist_ok=True)
    warm_up()
    suites = batch.load_suites(root, exercises)
    batch.preimport(suites)
    batch.collect_manifests(suites, limits)
    protections = sandbox.detect(limits)
    log(protections.describe())
    subs = discover(submissions)
    scope = "" if exercises == EXERCISES else ":" + ",".join(ex.id for ex in exercises)
    todo = [s for s in subs
            if force or not up_to_date(out / f"{s.student}.json", s.digest + scope)]
    skipped = [s.student for s in subs if s not in todo]
    if skipped:
        log(f"{len(skipped)} soumission(s) déjà corrigée(s), ignorée(s) (--force pour refaire)")

    pending: dict[str, dict[str, list[TestResult]]] = {s.student: {} for s in todo}
    by_student = {s.student: s for s in todo}
    job_list: list[batch.Job] = []
    for sub in todo:
        for ex in exercises:
            suite = suites[ex.id]
            if f"{ex.module}.py" in sub.files:
                job_list.append(batch.Job(sub, suite))
            else:
                pending[sub.student][ex.id] = batch.absent(suite)
    expected = {s.student: sum(f"{ex.module}.py" in s.files for ex in exercises) for s in todo}
    progress = Progress(len(todo))

    def save(student: str) -> None:
        sub = by_student[student]
        results = [r for ex in exercises for r in pending[student].get(ex.id, [])]
        record = outputs.student_record(student, sub.digest + scope, results, scan_flags(sub),
                                        sub.problems)
        outputs.write_json_atomic(out / f"{student}.json", record)
        progress.step(student)

    for student, n in expected.items():
        if n == 0:
            save(student)

    def on_done(job: batch.Job, results: list[TestResult]) -> None:
        student = job.submission.student
        pending[student][job.suite.exercise.id] = results
        graded = sum(1 for ex_id in pending[student]
                     if f"{suites[ex_id].exercise.module}.py" in job.submission.files)
        if graded == expected[student]:
            save(student)

    hide = [root, submissions.resolve(), out.resolve()]
    boxes = batch.Sandboxes(limits, protections, max(1, jobs), hide)
    try:
        batch.run_jobs(job_list, boxes, max(1, jobs), batch.secret_lines(suites), on_done)
    finally:
        boxes.close()
    records = outputs.load_records(out)
    outputs.write_csv(out, records)
    outputs.write_feedback(out, records)
    outputs.write_flags(out, records)
    seconds = time.monotonic() - start
    outputs.write_run_info(out, submissions, seconds)
    log(f"{len(todo)} corrigée(s), {len(skipped)} ignorée(s) en {seconds:.1f} s ; "
        f"résultats dans {out}")
    return GradeSummary([s.student for s in todo], skipped, seconds, protections)
