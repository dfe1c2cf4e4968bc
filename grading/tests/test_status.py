"""`make status`: states, points, the cache fed by `make check`, and the JSON for tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.seam import KIT_ROOT

pytestmark = pytest.mark.timeout(300)


def dlkit(*args: str, cwd: Path = KIT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "KIT_LANG": "fr"})


def test_states_cache_and_json(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    shutil.copy(KIT_ROOT / "reference" / "ex01_tensors.py", folder)
    shutil.copy(KIT_ROOT / "exercises" / "ex02_training_loop.py", folder)  # the stub
    impl = f"--impl={folder}"

    proc = dlkit("status", "ex01", "ex02", impl)
    assert proc.returncode == 0, proc.stderr
    assert "Vérification de ex01, ex02" in proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert "terminé" in rows["ex01"] and "10/10" in rows["ex01"]
    assert "pas commencé" in rows["ex02"] and " 0/10" in rows["ex02"]
    assert "10/20" in rows["total"] and "1/2 terminé(s)" in rows["total"]
    cache = json.loads((tmp_path / ".dlkit" / "status.json").read_text(encoding="utf-8"))
    assert set(cache) == {"ex01", "ex02"}
    assert (tmp_path / ".dlkit" / ".gitignore").read_text().strip().endswith("*")

    # Nothing changed: the cached results are reused, nothing runs.
    proc = dlkit("status", "ex01", "ex02", impl, "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout) == {
        "ex01": {"state": "done", "points": 10.0, "max": 10.0},
        "ex02": {"state": "not_started", "points": 0.0, "max": 10.0}}

    # ex01 edited and checked with `make check`: status reuses that check's results.
    module = folder / "ex01_tensors.py"
    module.write_text(module.read_text(encoding="utf-8").replace(
        "return img.to(torch.float32) / 255.0", "return img.to(torch.float32) / 256.0"),
        encoding="utf-8")
    assert dlkit("check", "ex01", impl).returncode == 1
    proc = dlkit("status", "ex01", "ex02", impl, "--json")
    assert proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout)["ex01"] == {"state": "in_progress", "points": 9.0,
                                                "max": 10.0}

    # A stub with a comment added is still not started; a change is checked again.
    stub = folder / "ex02_training_loop.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n# je commence demain\n",
                    encoding="utf-8")
    proc = dlkit("status", "ex02", impl)
    assert "Vérification de ex02" in proc.stderr and "pas commencé" in proc.stdout


def test_status_of_an_unknown_exercise():
    proc = dlkit("status", "ex99")
    assert proc.returncode == 2 and "exercice inconnu" in proc.stderr
