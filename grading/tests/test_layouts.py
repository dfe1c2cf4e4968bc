"""The batch grader wherever an instructor installs it, and never a silent class of zeros.

Three real layouts, each graded with honest copies and the attacks that matter most
(reading the reference, hidden tests or a neighbour, network, bombs, loops, a daemon,
forgery, undoing the sandbox from inside):

- ``venv-in-kit``: the kit checkout with its own ``.venv/`` (uv's and poetry's default);
- ``venv-in-tmp``: a venv under ``/tmp``;
- ``user``: an ordinary user (no root) with a venv of the distribution's Python in
  their home: the user-namespace sandbox.

Each venv holds the packages (pytest, torch, the kit…), so anything imported lazily
after the fork comes from inside the hidden folders: the failure of issue 11.
Then a real grader fault (a module the tests need that the sandbox hides) proves the
self-check refuses to grade and that, without it, a fault is never a student's zero.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.seam import KIT_ROOT
from grading.tests.attacks import ATTACKS, inject
from grading.tests.layouts import copy_kit, ensure_user, give_to, make_venv
from grading.tests.test_adversarial import Listener, sandbox_processes

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux"),
              pytest.mark.timeout(1800)]
USER = "dlkit-ci"
ARGS = ["--exercises", "ex01", "-j", "2", "--timeout", "60", "--test-timeout", "8",
        "--memory-gb", "1.5"]
"""test_adversarial's limits: a memory bomb must reach the memory limit before the test's
time limit even on a busy machine (with 3 s, the user layout's bomb once timed out first)."""
KEPT = ("loop-call", "memory-bomb", "fork-bomb", "read-reference-file", "read-hidden-tests",
        "read-other-hidden", "read-neighbour", "write-canary", "network", "daemon",
        "unmount-covers", "write-runtime", "patch-allclose", "forge-results-pipe")
LAYOUT_ATTACKS = [a for a in ATTACKS if a.name in KEPT]
HONEST = ("ref0", "ref1", "stub")


def _distribution_python() -> str | None:
    """A Python of the same minor version that is not under /root (an ordinary user
    must be able to run it), for the hard-linked packages' ABI."""
    for candidate in (f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}",
                      "/usr/bin/python3"):
        if not os.path.exists(candidate):
            continue
        out = subprocess.run([candidate, "-c", "import sys, venv; print(sys.version_info[:2])"],
                             capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == str(tuple(sys.version_info[:2])):
            return candidate
    return None


def _build(name: str, base: Path) -> dict:
    """The layout's kit, interpreter, class folder and the command prefix to run as."""
    if os.geteuid() != 0:
        pytest.skip("layouts are built as root (CI); the user layout creates a user")
    run_as: list[str] = []
    if name == "venv-in-kit":
        kit = copy_kit(base / "kit")
        exe = make_venv(kit / ".venv", kit)
    elif name == "venv-in-tmp":
        kit = copy_kit(base / "kit")
        exe = make_venv(Path(f"/tmp/dlkit-venv-{os.getpid()}-{base.name}"), kit)
    else:
        python = _distribution_python()
        if python is None:
            pytest.skip("no distribution Python of this minor version for the user layout")
        ensure_user(USER)
        home = Path(f"/home/{USER}") / f"layout-{os.getpid()}"
        shutil.rmtree(home, ignore_errors=True)
        kit = copy_kit(home / "kit")
        exe = make_venv(home / "venvs" / "dlkit", kit, python=python)
        base = home
        run_as = ["runuser", "-u", USER, "--", "env", f"HOME=/home/{USER}"]
    return {"kit": kit, "exe": exe, "base": base, "run_as": run_as}


def _write_class(folder: Path, kit: Path, canary: Path, port: int) -> None:
    reference = (kit / "reference" / "ex01_tensors.py").read_text()
    stub = (kit / "exercises" / "ex01_tensors.py").read_text()
    for student, source in (("ref0", reference), ("ref1", reference), ("stub", stub)):
        (folder / student).mkdir(parents=True)
        (folder / student / "ex01_tensors.py").write_text(source)
    for attack in LAYOUT_ATTACKS:
        d = folder / f"attack-{attack.name}"
        d.mkdir()
        source = inject(reference if attack.base == "reference" else stub, attack, kit=kit,
                        canary=canary, neighbour=folder / "ref0", port=port)
        (d / "ex01_tensors.py").write_text(source)


def _grade(layout: dict, submissions: Path, out: Path, *extra: str,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [*layout["run_as"], str(layout["exe"]), "-m", "grading", "grade", str(submissions),
           "--out", str(out), *ARGS, *extra]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.Popen(cmd, cwd=cwd or layout["kit"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = proc.communicate(timeout=1500)
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    done.pid = proc.pid  # names its sandboxes' cgroups (root layouts)
    return done


def _pwned(layout: dict) -> list[str]:
    """Files the write-runtime attack would have left in the runtime or the kit."""
    probe = subprocess.run([str(layout["exe"]), "-c",
                            "import os, sys, torch; print(sys.prefix); "
                            "print(os.path.dirname(torch.__file__))"],
                           capture_output=True, text=True, cwd="/")
    folders = [*probe.stdout.split(), str(layout["kit"]), str(layout["kit"] / "grading")]
    return [f for f in folders if os.path.exists(os.path.join(f, "dlkit-pwned.txt"))]


def _leftovers(layout: dict, grader: subprocess.CompletedProcess) -> list[str]:
    """Processes of this grader's sandboxes still alive after it exited: in its cgroups
    as root (other graders of the machine, e.g. test_adversarial's, are not counted), as
    the layout's own user otherwise."""
    if not layout["run_as"]:
        return sandbox_processes(grader.pid)
    import pwd

    uid = pwd.getpwnam(USER).pw_uid
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if int(next(line for line in status.read_text().splitlines()
                        if line.startswith("Uid:")).split()[1]) == uid:
                found.append(status.parent.name)
        except (OSError, StopIteration, ValueError):
            continue
    return found


@pytest.fixture(scope="module", params=["venv-in-kit", "venv-in-tmp", "user"])
def graded(request, tmp_path_factory):
    layout = _build(request.param, tmp_path_factory.mktemp(request.param))
    base = layout["base"]
    canary = base / "canary.txt"
    canary.write_text("canary")
    listener = Listener()
    try:
        _write_class(base / "class", layout["kit"], canary, listener.port)
        if layout["run_as"]:
            give_to(USER, base)
        proc = _grade(layout, base / "class", base / "out")
    finally:
        listener.close()
    yield {**layout, "proc": proc, "out": base / "out", "canary": canary,
           "connections": listener.connections, "leftover": _leftovers(layout, proc),
           "pwned": _pwned(layout)}
    if request.param == "venv-in-tmp":
        shutil.rmtree(layout["exe"].parent.parent, ignore_errors=True)
    if layout["run_as"]:
        shutil.rmtree(base, ignore_errors=True)


def _record(out: Path, student: str) -> dict:
    return json.loads((out / f"{student}.json").read_text())


def test_layout_grades_with_sandbox_and_self_check(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "protections actives" in proc.stdout and "bac à sable impossible" not in proc.stdout
    assert "auto-vérification (ex01)" in proc.stdout and ": OK en" in proc.stdout
    if graded["run_as"]:
        assert "(userns)" in proc.stdout, proc.stdout


def test_layout_honest_scores(graded):
    out = graded["out"]
    for student in ("ref0", "ref1"):
        rec = _record(out, student)
        assert rec["exercises"]["ex01"]["points"] == 20, [
            (t["name"], t["status"], t["message"][:200]) for t in rec["tests"]
            if t["status"] != "passed"]
    assert _record(out, "stub")["exercises"]["ex01"]["points"] == 0
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["ref0"]["ex01"] == "20" and rows["stub"]["ex01"] == "0"


@pytest.mark.parametrize("attack", LAYOUT_ATTACKS, ids=[a.name for a in LAYOUT_ATTACKS])
def test_layout_attack_contained(graded, attack):
    rec = _record(graded["out"], f"attack-{attack.name}")
    points = rec["exercises"]["ex01"]["points"]
    messages = " | ".join(t["message"] for t in rec["tests"])
    assert not rec["internal_error"], messages[:1500]
    if attack.contained:
        low, high = attack.points
        assert low <= points <= high, f"{attack.name}: {points} points; {messages[:1500]}"
        if attack.reason:
            assert attack.reason in messages, f"{attack.name}: {messages[:1500]}"


def test_layout_side_effects_contained(graded):
    assert graded["canary"].read_text() == "canary"
    assert graded["connections"] == 0
    assert graded["leftover"] == [], "sandbox processes left running"
    assert graded["pwned"] == [], "the sandbox wrote into the runtime or the kit"


def test_layout_no_hidden_source_in_outputs(graded):
    secret = [line.strip() for p in (KIT_ROOT / "grading" / "hidden").glob("test_ex01*.py")
              for line in p.read_text().splitlines() if len(line.strip()) >= 30]
    for path in [*graded["out"].glob("*.json"), *(graded["out"] / "feedback").iterdir()]:
        leaked = [s for s in secret if s in path.read_text()]
        assert not leaked, f"{path.name}: {leaked[:3]}"


# --- a real grader fault -----------------------------------------------------------------

FAULT_MODULE = "dlkit_fault_probe"
"""A module in the kit's root: importable by the grader, hidden inside the sandbox."""


@pytest.fixture(scope="module")
def faulty_kit(tmp_path_factory):
    """A kit copy whose first ex01 test imports, lazily, a module the sandbox hides:
    the reference and every student fail it for the grader's reasons, not theirs."""
    if os.geteuid() != 0:
        pytest.skip("the fault is injected into a kit copy graded as root")
    base = tmp_path_factory.mktemp("fault")
    kit = copy_kit(base / "kit")
    (kit / f"{FAULT_MODULE}.py").write_text("VALUE = 1\n")
    test_file = kit / "tests" / "test_ex01_tensors.py"
    original = test_file.read_text()
    anchor = '    """to_float_image : float32, chaque niveau 0..255 divisé par 255"""\n'
    assert anchor in original
    # Imported by name at run time: no static scan of the tests can see it coming.
    test_file.write_text(original.replace(anchor, anchor + f"    __import__('{FAULT_MODULE}')\n"))
    subs = base / "subs"
    for student, folder in (("alice", "reference"), ("bob", "exercises")):
        (subs / student).mkdir(parents=True)
        shutil.copy(kit / folder / "ex01_tensors.py", subs / student)
    return {"kit": kit, "subs": subs, "base": base, "test_file": test_file,
            "original": original}


def _grade_kit(kit: Path, subs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(kit)}
    return subprocess.run([sys.executable, "-m", "grading", "grade", str(subs), "--out", str(out),
                           *ARGS, *extra], cwd=kit, capture_output=True, text=True,
                          timeout=900, env=env)


def test_self_check_refuses_a_faulty_grader(faulty_kit):
    out = faulty_kit["base"] / "out-refused"
    proc = _grade_kit(faulty_kit["kit"], faulty_kit["subs"], out)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "auto-vérification échouée" in proc.stderr, proc.stderr
    assert FAULT_MODULE in proc.stderr and "erreur interne" in proc.stderr, proc.stderr
    assert not list(out.glob("*.json")) and not (out / "grades.csv").exists()


def test_grader_fault_is_never_a_zero(faulty_kit):
    kit, subs, out = faulty_kit["kit"], faulty_kit["subs"], faulty_kit["base"] / "out"
    proc = _grade_kit(kit, subs, out, "--no-self-check")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "2 soumission(s) en erreur interne du correcteur" in proc.stdout, proc.stdout
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["alice"]["ex01"] == "" and rows["alice"]["total"] == "", rows
    rec = _record(out, "alice")
    assert rec["internal_error"] and rec["exercises"]["ex01"]["status"] == "internal"
    broken = [t for t in rec["tests"] if t["status"] == "internal"]
    assert len(broken) == 1 and FAULT_MODULE in broken[0]["message"]
    feedback = (out / "feedback" / "alice.md").read_text()
    assert "du côté du correcteur" in feedback and "0 / 20" not in feedback
    # Fixed, then re-run: exactly the faulty records are graded again.
    faulty_kit["test_file"].write_text(faulty_kit["original"])
    (subs / "carol").mkdir()
    shutil.copy(kit / "reference" / "ex01_tensors.py", subs / "carol")
    again = _grade_kit(kit, subs, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 corrigée(s), 0 ignorée(s)" in again.stdout, again.stdout
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert (rows["alice"]["ex01"], rows["bob"]["ex01"], rows["carol"]["ex01"]) == \
        ("20", "0", "20")
    third = _grade_kit(kit, subs, out)
    assert "0 corrigée(s), 3 ignorée(s)" in third.stdout, third.stdout


def test_runtime_inside_a_secret_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("built as root")
    kit = copy_kit(tmp_path / "kit")
    exe = make_venv(kit / "reference" / ".venv", kit)
    (tmp_path / "subs").mkdir()
    proc = subprocess.run([str(exe), "-m", "grading", "grade", str(tmp_path / "subs"),
                           "--out", str(tmp_path / "out"), *ARGS], cwd=kit,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Correction refusée" in proc.stderr and "reference" in proc.stderr, proc.stderr


def test_killed_grader_leaves_no_cgroup_behind(tmp_path):
    """SIGKILL the grader mid-batch: its sandboxes die with it (PDEATHSIG, PID 1) and
    the next run removes the cgroups it could not."""
    import signal
    import time

    from grading.batch import sandbox

    if os.geteuid() != 0 or sandbox._own_cgroup("memory") is None:
        pytest.skip("needs a writable memory cgroup (root)")
    subs = tmp_path / "subs"
    (subs / "sleeper").mkdir(parents=True)
    source = (KIT_ROOT / "reference" / "ex01_tensors.py").read_text()
    (subs / "sleeper" / "ex01_tensors.py").write_text(
        source + "\n\nimport time\ntime.sleep(600)\n")
    cmd = [sys.executable, "-m", "grading", "grade", str(subs), "--out", str(tmp_path / "out"),
           *ARGS, "--no-self-check"]
    proc = subprocess.Popen(cmd, cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    groups = []
    for _ in range(300):
        groups = list(sandbox._own_cgroup("memory").glob(f"dlkit-{proc.pid}-*"))
        if groups and any((g / "cgroup.procs").read_text().split() for g in groups):
            break
        time.sleep(0.2)
    assert groups, "the grader never started a sandbox"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert all(g.exists() for g in groups)  # nothing ran to remove them
    # The sleeper sleeps again: a short wall limit ends it (only the clean-up is checked).
    again = subprocess.run([*cmd, "--timeout", "5"], cwd=KIT_ROOT, capture_output=True,
                           text=True, timeout=600)
    assert "cgroup d'une correction interrompue supprimé" in again.stdout, again.stdout
    assert not any(g.exists() for g in groups)
