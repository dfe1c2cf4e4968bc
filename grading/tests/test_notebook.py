"""`from grading import check; r = check("ex1")` in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from grading.seam import KIT_ROOT

pytestmark = pytest.mark.timeout(300)


def test_import_grading_stays_cheap():
    code = ("import sys, grading; from grading import check; "
            "print(callable(check), 'torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.split() == ["True", "False"], proc.stderr


def test_check_in_a_notebook_shows_html_and_returns_a_result(tmp_path):
    (tmp_path / "exercises").mkdir()
    module = tmp_path / "exercises" / "ex01_tensors.py"
    shutil.copy(KIT_ROOT / "reference" / "ex01_tensors.py", module)
    broken = module.read_text(encoding="utf-8").replace(
        "return img.to(torch.float32) / 255.0", "return img.to(torch.float32) / 256.0")
    folder = json.dumps(str(tmp_path / "exercises"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"from grading import check\nr = check('ex1', impl={folder})"),
        nbformat.v4.new_code_cell("print(r.points, r.max_points, r.passed, len(r.failures))"),
        # The student edits the module in the kernel's session: the next check reads it.
        nbformat.v4.new_code_cell(
            f"import pathlib\npathlib.Path({json.dumps(str(module))}).write_text("
            f"{json.dumps(broken)})\nr = check(1, impl={folder})\n"
            "print(r.points, r.passed, r.failures[0][0])"),
        nbformat.v4.new_code_cell("r"),  # shown again when asked for, once
    ]
    NotebookClient(nb, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    first = nb.cells[0].outputs
    assert len(first) == 1 and first[0]["output_type"] == "display_data", first
    page = first[0]["data"]["text/html"]
    assert "ex01 — Tenseurs et couche linéaire" in page and "10/10" in page
    assert "Bravo" in page and "<pre" in page
    assert "Bravo" in first[0]["data"]["text/plain"]
    assert nb.cells[1].outputs[0]["text"].split() == ["10.0", "10.0", "True", "0"]

    third = nb.cells[2].outputs
    html = [o for o in third if o["output_type"] == "display_data"]
    assert len(html) == 1 and "✗" in html[0]["data"]["text/html"]
    printed = [o for o in third if o["output_type"] == "stream"][0]["text"]
    assert printed.startswith("9.0 False to_float_image : float32")
    last = nb.cells[3].outputs
    assert len(last) == 1 and "9/10" in last[0]["data"]["text/html"]
    for cell in nb.cells:
        for out in cell.outputs:
            assert out["output_type"] != "error", out
            assert "Traceback" not in json.dumps(out)


def test_check_outside_jupyter_prints_text(tmp_path):
    shutil.copy(KIT_ROOT / "reference" / "ex01_tensors.py", tmp_path)
    code = (f"from grading import check\nr = check('ex01', impl={str(tmp_path)!r})\n"
            "print('RESULT', r.points, r.max_points, r.passed, r.returncode)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "points (tests publics) : 10/10" in proc.stdout and "<pre" not in proc.stdout
    assert "RESULT 10.0 10.0 True 0" in proc.stdout
    # The run fed `make status`.
    status = json.loads((tmp_path / ".dlkit" / "status.json").read_text(encoding="utf-8"))
    assert set(status) == {"ex01"}


def test_html_is_escaped():
    from grading.notebook import CheckResult

    r = CheckResult(["ex01"], 0.0, 1.0, False, [("a", "<script>x</script>")], [],
                    "ex01 — t\n  ✗ a  (0/1)\n      obtenu  : <script>x</script>", 1)
    page = r._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert str(r) == r.text
