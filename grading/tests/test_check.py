"""The student's view: `make check` prints a French summary, never test source or tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from grading.seam import KIT_ROOT

pytestmark = pytest.mark.timeout(900)
LEAKS = ("Traceback", "def test_", "expect_close(", "assert ", "grading/hidden", "site-packages")


def run_check(*args: str, lang: str = "fr", cwd=KIT_ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "KIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "grading", "check", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)


def test_stubs_fail_with_french_summary():
    proc = run_check("ex03")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "ex03 — SimpleNN et evaluate_model" in out
    assert "pas encore implémenté" in out and "✗" in out
    assert "points (tests publics) : 0/10" in out
    for leak in LEAKS:
        assert leak not in out, leak


def test_english_on_request():
    proc = run_check("ex1", lang="en")
    assert proc.returncode == 1
    assert "not implemented yet" in proc.stdout and "pas encore" not in proc.stdout


def test_reference_copy_passes(tmp_path):
    shutil.copy(KIT_ROOT / "reference" / "ex03_simple_nn.py", tmp_path)
    proc = run_check("ex03", f"--impl={tmp_path}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "points (tests publics) : 10/10" in proc.stdout


def test_broken_and_missing_modules_are_explained(tmp_path):
    (tmp_path / "ex01_tensors.py").write_text("import torch\n\ndef to_float_image(img)\n")
    proc = run_check("ex01", "ex02", f"--impl={tmp_path}")
    assert proc.returncode == 1
    assert "ex01_tensors.py ne s'importe pas : SyntaxError" in proc.stdout
    assert "ligne 3" in proc.stdout
    assert "module ex02_training_loop.py absent" in proc.stdout
    for leak in LEAKS:
        assert leak not in proc.stdout, leak


def test_runtime_error_points_at_the_student_line(tmp_path):
    source = (KIT_ROOT / "reference" / "ex01_tensors.py").read_text()
    source = source.replace("return img.to(torch.float32) / 255.0",
                            "return img.to(torch.float32) / undefined_name")
    (tmp_path / "ex01_tensors.py").write_text(source)
    proc = run_check("ex01", f"--impl={tmp_path}")
    assert "ton code a levé NameError" in proc.stdout
    assert "ex01_tensors.py, ligne" in proc.stdout


@pytest.mark.parametrize("goal", [["check", "ex1"], ["check", "ex=1"]])
def test_make_check_goals(goal):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    proc = subprocess.run(["make", "-s", *goal], cwd=KIT_ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode != 0
    assert "ex01 — Tenseurs et couche linéaire" in proc.stdout
    assert "ex02" not in proc.stdout


def test_unknown_exercise():
    proc = run_check("ex99")
    assert proc.returncode == 2 and "exercice inconnu" in proc.stderr


def _install_stray_plugin(site) -> None:
    """A pytest plugin installed beside the kit (entry point, as pip would) that fails
    every test it sees: pytest-randomly, xdist & co. must not decide a verdict either."""
    (site / "stray_plugin.py").write_text(
        "def pytest_runtest_call(item):\n    raise RuntimeError('stray plugin ran')\n")
    info = site / "stray_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stray-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nstray = stray_plugin\n")


def test_plugins_installed_beside_the_kit_are_not_loaded(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_stray_plugin(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-m", "pytest", "--version", "--version"], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert "stray" in probe.stdout + probe.stderr  # pytest itself would load it
    shutil.copy(KIT_ROOT / "reference" / "ex03_simple_nn.py", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "grading", "check", "ex03",
                           f"--impl={tmp_path}"], cwd=KIT_ROOT, capture_output=True,
                          text=True, env={**env, "KIT_LANG": "fr"}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "points (tests publics) : 10/10" in proc.stdout


def test_batch_grader_ignores_plugins_installed_beside_the_kit(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_stray_plugin(site)
    student = tmp_path / "class" / "alice"
    student.mkdir(parents=True)
    shutil.copy(KIT_ROOT / "reference" / "ex03_simple_nn.py", student)
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", str(tmp_path / "class"),
                           "--out", str(tmp_path / "out"), "--exercises", "ex03", "-j", "1"],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    csv = (tmp_path / "out" / "grades.csv").read_text()
    assert "alice" in csv and ",20" in csv, csv
