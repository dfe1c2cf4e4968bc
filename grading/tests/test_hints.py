"""`make hint ex1`: hint levels advance one by one, are remembered, and reset on a pass."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.authoring import release
from grading.seam import KIT_ROOT

pytestmark = pytest.mark.timeout(300)
TEST = "test_to_float_image_values"


def dlkit(*args: str, lang: str = "fr") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "KIT_LANG": lang})


def levels(folder: Path) -> dict[str, int]:
    path = folder / ".dlkit" / "hints.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def test_levels_advance_are_remembered_and_reset(tmp_path):
    module = tmp_path / "ex01_tensors.py"
    good = (KIT_ROOT / "reference" / "ex01_tensors.py").read_text(encoding="utf-8")
    module.write_text(good.replace("return img.to(torch.float32) / 255.0",
                                   "return img.to(torch.float32) / 256.0"), encoding="utf-8")
    impl = f"--impl={tmp_path}"
    shown = []
    for _ in range(4):
        proc = dlkit("hint", "ex1", impl)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "premier test qui échoue : to_float_image : float32" in proc.stdout
        assert "Traceback" not in proc.stdout + proc.stderr
        shown.append(re.search(r"Indice (\d)/(\d) :", proc.stdout).groups())
    assert shown == [("1", "3"), ("2", "3"), ("3", "3"), ("3", "3")]
    assert "dernier indice" in proc.stdout
    key = next(k for k in levels(tmp_path) if k.endswith(TEST))
    assert levels(tmp_path)[key] == 3

    proc = dlkit("hint", "ex1", impl, lang="en")
    assert "Hint 3/3:" in proc.stdout and "Check two pixels" in proc.stdout

    # Fixed and checked: the level of that test is forgotten, and no hint is needed.
    module.write_text(good, encoding="utf-8")
    assert dlkit("check", "ex1", impl).returncode == 0
    assert key not in levels(tmp_path)
    proc = dlkit("hint", "ex1", impl)
    assert proc.returncode == 0 and "pas besoin d'indice" in proc.stdout


def test_stub_gets_the_first_hint_of_its_first_test(tmp_path):
    shutil.copy(KIT_ROOT / "exercises" / "ex03_simple_nn.py", tmp_path)
    proc = dlkit("hint", "ex03", f"--impl={tmp_path}")
    assert proc.returncode == 1
    assert "pas encore implémenté" in proc.stdout and "Indice 1/3" in proc.stdout


def test_hints_in_public_tests_only_and_no_solution_line():
    """Hint levels are written next to public tests; none carries a line of a solution."""
    secrets = release.solution_lines()
    for path in sorted((KIT_ROOT / "tests").glob("test_ex*.py")):
        text = path.read_text(encoding="utf-8")
        assert not [s for s in secrets if s in text], path.name
    hidden = KIT_ROOT / "grading" / "hidden"
    for path in sorted(hidden.glob("*.py")) if hidden.is_dir() else []:
        assert "mark.hints" not in path.read_text(encoding="utf-8"), path.name
    for name in ("test_ex01_tensors.py", "test_ex02_training_loop.py", "test_ex03_simple_nn.py"):
        text = (KIT_ROOT / "tests" / name).read_text(encoding="utf-8")
        tests = len(re.findall(r"^def test_", text, re.M))
        cuda = len(re.findall(r"^@pytest\.mark\.cuda", text, re.M))
        assert text.count("@pytest.mark.hints(") == tests - cuda, name


def test_message_hint_fallback():
    from grading.hints import message_hint, next_hint
    from grading.results import TestResult

    r = TestResult(nodeid="n", exercise="ex01", name="x", points=0, max_points=1,
                   status="failed", message="quoi\n  attendu : 1\n  indice  : divisez par 255",
                   hidden=False)
    assert message_hint(r.message) == "divisez par 255"
    assert next_hint(r, {}) == (1, 1, "divisez par 255")
