"""The batch grader against a class of honest and hostile submissions.

One class (reference copies, stubs, planted bugs, a zip, and every attack of
attacks.py) is graded on ex01-ex04; then the honest submissions alone are graded
again with ``--force`` over a copy of those results. Every attack must be contained
(bounded score, reason given, canary untouched, nothing listening received a byte,
no process left), and every honest record must be identical in both runs: the
attackers changed nobody's score, left nothing behind that changes a later run, and
``--force`` re-grades to the same verdicts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from grading.authoring.mutants import MUTANTS
from grading.batch.sandbox import SANDBOX_UID_BASE
from grading.registry import EXERCISES
from grading.seam import KIT_ROOT
from grading.tests.attacks import ATTACKS, inject

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux"),
              pytest.mark.timeout(3600)]
HONEST = EXERCISES[:4]
"""Honest submissions hold ex01-ex04 (quick suites); the attacks all target ex01."""
GRADE_ARGS = ["--exercises", ",".join(ex.id for ex in HONEST), "-j", "2", "--timeout", "60",
              "--test-timeout", "8", "--memory-gb", "1.5"]


def write_honest(folder: Path) -> list[str]:
    """Reference copies, stubs (one as a zip, one under exercises/), planted bugs."""
    names = []
    for k in range(3):
        (folder / f"ref{k}").mkdir()
        for ex in HONEST:
            shutil.copy(KIT_ROOT / "reference" / f"{ex.module}.py", folder / f"ref{k}")
        names.append(f"ref{k}")
    (folder / "stub-nested" / "exercises").mkdir(parents=True)
    for ex in HONEST:
        shutil.copy(KIT_ROOT / "exercises" / f"{ex.module}.py", folder / "stub-nested/exercises")
    with zipfile.ZipFile(folder / "stub-zip.zip", "w") as z:
        for ex in HONEST:
            z.write(KIT_ROOT / "exercises" / f"{ex.module}.py", f"dupont/{ex.module}.py")
    names += ["stub-nested", "stub-zip"]
    for mutant in [m for m in MUTANTS if m.exercise in ("ex01", "ex02")][:4]:
        ex = next(e for e in EXERCISES if e.id == mutant.exercise)
        d = folder / f"bug-{mutant.id}"
        d.mkdir()
        source = (KIT_ROOT / "reference" / f"{ex.module}.py").read_text()
        (d / f"{ex.module}.py").write_text(mutant.apply(source))
        names.append(d.name)
    return names


class Listener:
    """A TCP server on the host's loopback that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


def grade(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the batch grader; the result's ``pid`` names its sandboxes' cgroups."""
    proc = subprocess.Popen([sys.executable, "-m", "grading", "grade", str(submissions),
                             "--out", str(out), *GRADE_ARGS, *extra], cwd=KIT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=1800)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    done.pid = proc.pid
    return done


def sandbox_processes(grader_pid: int) -> list[str]:
    """Processes still running as a sandbox uid inside this grader's cgroups (a daemon
    cannot leave its cgroup; other graders running on the machine are not counted)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid = int(next(line for line in status.read_text().splitlines()
                           if line.startswith("Uid:")).split()[1])
            groups = (status.parent / "cgroup").read_text()
        except (OSError, StopIteration, ValueError):
            continue
        if SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + 64 and f"dlkit-{grader_pid}-" in groups:
            found.append(status.parent.name)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the full sandbox (uid drop, cgroups) is tested as root")
    base = tmp_path_factory.mktemp("class")
    honest_dir, class_dir = base / "honest", base / "class"
    honest_dir.mkdir()
    honest = write_honest(honest_dir)
    shutil.copytree(honest_dir, class_dir)
    canary = base / "canary.txt"
    canary.write_text("canary")
    listener = Listener()
    reference = (KIT_ROOT / "reference" / "ex01_tensors.py").read_text()
    stub = (KIT_ROOT / "exercises" / "ex01_tensors.py").read_text()
    for attack in ATTACKS:
        d = class_dir / f"attack-{attack.name}"
        d.mkdir()
        source = inject(reference if attack.base == "reference" else stub, attack,
                        kit=KIT_ROOT, canary=canary, neighbour=class_dir / "ref0",
                        port=listener.port)
        (d / "ex01_tensors.py").write_text(source)
    try:
        together = grade(class_dir, base / "out-class")
        leftover = sandbox_processes(together.pid)
        # The honest alone, re-graded over a copy of the class's results.
        shutil.copytree(base / "out-class", base / "out-honest")
        alone = grade(honest_dir, base / "out-honest", "--force")
    finally:
        listener.close()
    return {"base": base, "honest": honest, "alone": alone, "together": together,
            "canary": canary, "listener": listener, "leftover": leftover}


def record(out: Path, student: str) -> dict:
    return json.loads((out / f"{student}.json").read_text())


def test_batch_finishes_and_prints_protections(graded):
    proc = graded["together"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "protections actives" in proc.stdout
    out = graded["base"] / "out-class"
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0] == "student," + ",".join(ex.id for ex in EXERCISES) + ",total"
    assert len(rows) == 1 + len(graded["honest"]) + len(ATTACKS)
    assert len(list((out / "feedback").glob("*.md"))) == len(rows) - 1
    assert "attack-segfault" in (out / "flags.md").read_text()


def test_honest_scores_unchanged_by_attackers(graded):
    assert graded["alone"].returncode == 0, graded["alone"].stderr[-3000:]
    assert f"{len(graded['honest'])} corrigée(s), 0 ignorée(s)" in graded["alone"].stdout
    for student in graded["honest"]:  # re-written by the forced run, not the copies
        assert (graded["base"] / "out-honest" / f"{student}.json").stat().st_mtime_ns > \
            (graded["base"] / "out-class" / f"{student}.json").stat().st_mtime_ns, student
    for student in graded["honest"]:
        a = record(graded["base"] / "out-honest", student)
        b = record(graded["base"] / "out-class", student)
        assert a["exercises"] == b["exercises"], student
        assert [(t["nodeid"], t["status"]) for t in a["tests"]] == \
            [(t["nodeid"], t["status"]) for t in b["tests"]], student


def test_honest_scores_are_right(graded):
    out = graded["base"] / "out-class"
    for k in range(3):
        assert record(out, f"ref{k}")["total"] == sum(ex.points for ex in HONEST)
    for stub in ("stub-nested", "stub-zip"):
        rec = record(out, stub)
        assert rec["total"] == 0
        assert all(rec["exercises"][ex.id]["status"] == "graded" for ex in HONEST), stub
    for student in graded["honest"]:
        if student.startswith("bug-"):
            rec = record(out, student)
            assert 0 < rec["total"] < 20, student  # one exercise, partly wrong


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_contained(graded, attack):
    rec = record(graded["base"] / "out-class", f"attack-{attack.name}")
    points = rec["exercises"]["ex01"]["points"]
    messages = " | ".join(t["message"] for t in rec["tests"])
    if attack.contained:
        assert not rec["internal_error"], f"{attack.name}: {messages[:1500]}"
        low, high = attack.points
        assert low <= points <= high, f"{attack.name}: {points} points; {messages[:1500]}"
        if attack.reason:
            assert attack.reason in messages, f"{attack.name}: {messages[:1500]}"
    assert all(e["points"] == 0 for k, e in rec["exercises"].items() if k != "ex01")
    if attack.flag:
        kinds = {f["kind"] for f in rec["flags"]}
        assert attack.flag in kinds, f"{attack.name}: flags {kinds}"


def test_side_effects_contained(graded):
    assert graded["canary"].read_text() == "canary"
    assert graded["listener"].connections == 0
    assert graded["leftover"] == [], "sandbox processes left running"
    import torch  # where the write-runtime attack tried to plant a file

    folders = [sys.prefix, os.path.dirname(torch.__file__), KIT_ROOT, KIT_ROOT / "grading"]
    assert not [f for f in folders if os.path.exists(os.path.join(f, "dlkit-pwned.txt"))]


def test_no_hidden_source_in_outputs(graded):
    out = graded["base"] / "out-class"
    secret = [line.strip() for p in (KIT_ROOT / "grading" / "hidden").glob("*.py")
              for line in p.read_text().splitlines() if len(line.strip()) >= 30]
    for path in [*out.glob("*.json"), *(out / "feedback").iterdir(), out / "grades.csv"]:
        text = path.read_text()
        leaked = [s for s in secret if s in text]
        assert not leaked, f"{path.name}: {leaked[:3]}"


def test_outputs_stay_small(graded):
    out = graded["base"] / "out-class"
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 20 << 20


def test_second_run_grades_nothing_and_force_is_identical(graded):
    out = graded["base"] / "out-honest"
    again = grade(graded["base"] / "honest", out)
    assert again.returncode == 0 and "0 corrigée(s)" in again.stdout, again.stdout
    strip = lambda rec: [(t["nodeid"], t["status"], t["points"]) for t in rec["tests"]]  # noqa: E731
    before = {s: strip(record(graded["base"] / "out-class", s)) for s in graded["honest"]}
    after = {s: strip(record(out, s)) for s in graded["honest"]}
    assert before == after
