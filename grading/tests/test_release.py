"""`make release`: the student release holds only what `make check` needs, leaks no
solution, and its check works on its own, without the kit on sys.path."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from grading.authoring import release
from grading.registry import EXERCISES
from grading.seam import KIT_ROOT

TOP_LEVEL = {"README.md", "Makefile", "pyproject.toml", "exercises", "tests", "data", "grading"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The zip of one release build, shared by the tests of this module."""
    return release.build(tmp_path_factory.mktemp("dist"))


@pytest.fixture
def tree(built, tmp_path) -> Path:
    """A private copy of the built tree, free to tamper with."""
    return Path(shutil.copytree(built.with_suffix(""), tmp_path / "student"))


def student_env() -> dict[str, str]:
    """The environment of a student's shell: no PYTHONPATH to the kit, no parent make."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSAFEPATH", "PYTHONHOME", "MAKEFLAGS", "MFLAGS",
                        "MAKELEVEL", "MAKEOVERRIDES", "KIT_LANG")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def python(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=student_env(), timeout=120)


def test_tree_holds_only_the_student_files(built):
    tree = built.with_suffix("")
    assert built.name == "student.zip" and built.is_file()
    assert {p.name for p in tree.iterdir()} == TOP_LEVEL
    assert {p.name for p in (tree / "grading").iterdir()} == \
        {f"{m}.py" for m in release.runtime_modules()}
    assert sorted(p.name for p in (tree / "exercises").iterdir()) == \
        sorted(f"{ex.module}.py" for ex in EXERCISES)
    assert {p.name for p in (tree / "data").iterdir()} == set(release.DATA_FILES)
    shipped_tests = {p.name for p in (tree / "tests").iterdir()}
    assert {f.name for f in release.public_tests()} == shipped_tests
    assert all((KIT_ROOT / "tests" / name).is_file() for name in shipped_tests)
    for ex in EXERCISES:
        assert any(n.startswith(f"test_{ex.id}_") for n in shipped_tests), ex.id
    # The stubs are the generator's, the README lists every exercise.
    from grading.authoring import stubgen
    for path, text in stubgen.generate().items():
        assert (tree / "exercises" / path.name).read_text(encoding="utf-8") == text
    readme = (tree / "README.md").read_text(encoding="utf-8")
    assert "{{" not in readme and all(ex.module in readme for ex in EXERCISES)


def test_zip_is_the_tree_and_deterministic(built, tmp_path):
    tree = built.with_suffix("")
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {n.removeprefix("student/") for n in names} == \
            {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
        assert zf.read("student/exercises/ex01_tensors.py") == \
            (tree / "exercises" / "ex01_tensors.py").read_bytes()
    again = release.build(tmp_path / "again")
    assert again.read_bytes() == built.read_bytes()


def test_the_top_level_is_the_student_runtime():
    """grading/'s top level is what the release ships; every instructor module is in a wing.
    The one exception is the import path of grade cells in older generated notebooks."""
    needed = release.required_modules()
    assert {"checking", "plugin", "runner", "seam", "data", "cli"} <= needed
    shipped = set(release.runtime_modules())
    assert needed <= shipped
    top = {p.stem for p in (KIT_ROOT / "grading").glob("*.py")}
    assert top - shipped == {"nbcell"}
    assert {p.name for p in (KIT_ROOT / "grading").iterdir() if p.is_dir()} - {"__pycache__"} \
        == {*release.WINGS, "hidden", "tests"}


def test_student_pyproject_matches_the_kit():
    kit = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    student = tomllib.loads((release.TEMPLATES / "pyproject.toml").read_text(encoding="utf-8"))
    assert student["tool"]["pytest"]["ini_options"] == kit["tool"]["pytest"]["ini_options"]
    deps = {d.split(">")[0].split("=")[0] for d in student["project"]["dependencies"]}
    kit_deps = {d.split(">")[0].split("=")[0] for d in kit["project"]["dependencies"]}
    # Students get everything the public tests need; the reports' tools and the batch
    # grader's cluster engine stay with the kit.
    assert deps == kit_deps - {"nbgrader", "matplotlib", "distributed"}


def test_leak_scan_passes_on_the_release(tree):
    assert release.scan(tree) == sum(1 for p in tree.rglob("*") if p.is_file())
    assert len(release.solution_lines()) > 10
    assert len(release.hidden_test_lines()) > 100


def test_planted_solution_line_is_caught(tree):
    secret = "return self.fc2(self.activation(self.fc1(self.flatten(x))))"
    assert secret in release.solution_lines()
    stub = tree / "exercises" / "ex03_simple_nn.py"
    stub.write_text(stub.read_text(encoding="utf-8") + f"\n# {secret}\n", encoding="utf-8")
    with pytest.raises(release.LeakError, match="ex03_simple_nn.py: solution line"):
        release.scan(tree)


def test_planted_hidden_test_line_is_caught(tree):
    """A hidden test's line copied into a shipped helper (the testkit) is a leak."""
    hidden = release.hidden_test_lines()
    assert len(hidden) > 100
    source = (KIT_ROOT / "grading" / "hidden" / "test_ex05_hidden.py").read_text(encoding="utf-8")
    secret = next(line.strip() for line in source.splitlines()
                  if line.strip().startswith("expect(") and line.strip() in hidden)
    testkit = tree / "grading" / "testkit.py"
    testkit.write_text(testkit.read_text(encoding="utf-8") + f"\n# {secret}\n",
                       encoding="utf-8")
    with pytest.raises(release.LeakError, match="testkit.py: hidden test line"):
        release.scan(tree)


def _names_used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}


def test_testkit_holds_only_helpers_of_the_public_suites():
    """The testkit ships: each of its names is used by a public test file, or by a testkit
    name that is (a helper only a hidden suite uses belongs in that suite's file)."""
    tree = ast.parse((KIT_ROOT / "grading" / "testkit.py").read_text(encoding="utf-8"))
    defined: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {t.id: node for t in targets if isinstance(t, ast.Name)}
    used: set[str] = set()
    for path in release.public_tests():
        if path.suffix == ".py":
            used |= _names_used(ast.parse(path.read_text(encoding="utf-8"))) & defined.keys()
    frontier = set(used)
    while frontier:
        frontier = set().union(*(_names_used(defined[n]) for n in frontier)) & \
            defined.keys() - used
        used |= frontier
    assert len(defined) > 20
    assert sorted(defined.keys() - used) == [], "testkit names no public suite uses"


@pytest.mark.parametrize("planted", ["grading/hidden/test_ex01_hidden.py",
                                     "reference/ex01_tensors.py",
                                     "grading/authoring/mutants/ex01.py"])
def test_planted_instructor_file_is_caught(tree, planted):
    (tree / planted).parent.mkdir(parents=True, exist_ok=True)
    (tree / planted).write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(release.LeakError, match="instructor path"):
        release.scan(tree)


def test_planted_marker_is_caught(tree):
    (tree / "tests" / "notes.txt").write_text("# BEGIN SOLUTION\n", encoding="utf-8")
    with pytest.raises(release.LeakError, match="solution marker"):
        release.scan(tree)


def test_build_fails_without_zip_on_a_leak(tmp_path, monkeypatch):
    monkeypatch.setattr(release, "exercise_table", lambda: "# END SOLUTION")
    with pytest.raises(release.LeakError):
        release.build(tmp_path)
    assert not (tmp_path / "student.zip").exists()


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory) -> tuple[Path, Path]:
    """Two fresh unpacked copies of the zip: one left as shipped, one with ex01 solved."""
    folders = []
    for name in ("stubs", "solved"):
        dest = tmp_path_factory.mktemp(name)
        with zipfile.ZipFile(built) as zf:
            zf.extractall(dest)
        folders.append(dest / "student")
    shutil.copy(KIT_ROOT / "reference" / "ex01_tensors.py",
                folders[1] / "exercises" / "ex01_tensors.py")
    return folders[0], folders[1]


def test_release_uses_its_own_grading_and_has_no_reference(unpacked):
    folder = unpacked[0]
    proc = python(folder, "-c", "import grading; print(grading.__file__)")
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == folder / "grading" / "__init__.py"
    proc = python(folder, "-c", "import reference")
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr
    # The release ships no instructor module. (On an instructor's machine where the kit
    # itself is pip-installed in editable mode, its finder may still resolve them from
    # the kit's checkout: that is the instructor's install, not the release.)
    for module in ("grading.authoring.stubgen", "grading.authoring.meta", "grading.hidden"):
        code = (f"import importlib.util as u; s = u.find_spec({module!r}); "
                "print(getattr(s, 'origin', None) or list(getattr(s, "
                "'submodule_search_locations', None) or []))")
        proc = python(folder, "-c", code)
        assert str(folder) not in proc.stdout, (module, proc.stdout)


@pytest.mark.parametrize("command", [["stubs"], ["stubs", "--check"], ["meta", "ex01"],
                                     ["bench"], ["check", "--hidden", "ex01"]])
def test_instructor_commands_refuse_in_one_line(unpacked, command):
    proc = python(unpacked[0], "-m", "grading", *command)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "réservée aux enseignants" in proc.stderr


def test_release_help_lists_student_commands_only(unpacked):
    proc = python(unpacked[0], "-m", "grading", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "check" in proc.stdout and "list" in proc.stdout
    for instructor in ("stubs", "meta", "bench", "grade", "report", "gradebook"):
        assert instructor not in proc.stdout, (instructor, proc.stdout)
    proc = python(unpacked[0], "-m", "grading", "check", "--help")
    assert proc.returncode == 0 and "--hidden" not in proc.stdout, proc.stdout


def test_release_list(unpacked):
    proc = python(unpacked[0], "-m", "grading", "list")
    assert proc.returncode == 0, proc.stderr
    assert all(ex.module in proc.stdout for ex in EXERCISES)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("goals", "command"), [
    (["check", "ex3"], "PY -m grading check ex3"),
    (["check", "ex=3"], "PY -m grading check 3"),
    (["check"], "PY -m grading check"),
    (["list"], "PY -m grading list"),
    (["install"], "PY -m pip install -e ."),
])
def test_student_makefile_commands(unpacked, goals, command):
    proc = subprocess.run(["make", "-n", "--no-print-directory", *goals, "PY=PY"],
                          cwd=unpacked[0], capture_output=True, text=True, env=student_env())
    assert proc.returncode == 0, proc.stderr
    # The first line is the command; `make -n check ex3` then shows the no-op of goal ex3.
    assert " ".join(proc.stdout.splitlines()[0].split()) == command


def test_release_check_on_stubs_then_on_the_solution(unpacked):
    """The three checks run at once (each is one pytest process importing torch)."""
    stubs, solved = unpacked
    runs = {"stubs": (stubs, [sys.executable, "-m", "grading", "check", "ex01"]),
            "solved": (solved, [sys.executable, "-m", "grading", "check", "ex01"])}
    if shutil.which("make"):
        runs["make"] = (solved, ["make", "--no-print-directory", "check", "ex1",
                                 f"PY={sys.executable}"])
    procs = {name: subprocess.Popen(cmd, cwd=cwd, env=student_env(), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name, (cwd, cmd) in runs.items()}
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        out[name] = (proc.returncode, stdout, stderr)

    code, stdout, stderr = out["stubs"]
    assert code == 1, stdout + stderr
    assert "ex01 — Tenseurs et couche linéaire" in stdout
    assert "✗" in stdout and "pas encore implémenté" in stdout
    assert "points (tests publics) : 0/" in stdout
    assert "Traceback" not in stdout + stderr

    code, stdout, stderr = out["solved"]
    assert code == 0, stdout + stderr
    assert "✗" not in stdout and "Bravo" in stdout

    if "make" not in out:
        pytest.skip("make is not installed: `make check ex1` not tried")
    code, stdout, stderr = out["make"]
    assert code == 0, stdout + stderr
    assert stdout == out["solved"][1]


def test_release_watch_status_hint_and_notebook_check(unpacked):
    """The student loop works in the release on its own: watch, status, hint, check()."""
    import signal
    import time

    solved = unpacked[1]
    proc = python(solved, "-m", "grading", "--help")
    assert all(c in proc.stdout for c in ("watch", "status", "hint")), proc.stdout
    watch = subprocess.Popen([sys.executable, "-m", "grading", "watch", "ex1"], cwd=solved,
                             env={**student_env(), "PYTHONUNBUFFERED": "1"}, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines, deadline = [], time.monotonic() + 120
        while time.monotonic() < deadline:
            line = watch.stdout.readline()
            lines.append(line)
            if "réussi(s)" in line or not line:
                break
        assert "Bravo" in "".join(lines), "".join(lines) + watch.stderr.read()
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=30) == 0
        assert "Traceback" not in watch.stderr.read()
    finally:
        if watch.poll() is None:
            watch.kill()
    # The watch fed the status cache: ex01 is not run again.
    proc = python(solved, "-m", "grading", "status", "ex01", "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout) == {"ex01": {"state": "done", "points": 10.0, "max": 10.0}}
    proc = python(solved, "-m", "grading", "hint", "ex01")
    assert proc.returncode == 0 and "pas besoin d'indice" in proc.stdout
    proc = python(solved, "-c", "from grading import check; r = check('ex1', show=False); "
                                "print(r.points, r.passed)")
    assert proc.stdout.split() == ["10.0", "True"], proc.stderr
