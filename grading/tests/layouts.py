"""Where instructors install the kit: build real copies of those layouts for the tests.

A layout is a copy of the kit checkout plus a real virtual environment (``python -m
venv``) whose site-packages hold the packages of the running interpreter, hard-linked
(gigabytes of torch cost no disk and a few seconds), and the kit installed in it from
the copy. Nothing of the runtime then lives where the original one does: pytest,
torch and the kit itself are imported from inside the layout, as after ``uv venv`` and
``uv pip install -e .``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from grading.seam import KIT_ROOT

KIT_PARTS = ("Makefile", "README.md", "pyproject.toml", "data", "exercises", "reference",
             "tests", "grading")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info")


def copy_kit(dest: Path) -> Path:
    """A copy of the kit's files (what a clone holds), without caches."""
    dest.mkdir(parents=True)
    for name in KIT_PARTS:
        src = KIT_ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORE)
        else:
            shutil.copy2(src, dest / name)
    return dest


def make_venv(prefix: Path, kit: Path, python: str = sys.executable) -> Path:
    """A venv at ``prefix`` made by ``python``, holding every package of the running
    interpreter (hard links) and the kit of ``kit``; returns its interpreter."""
    subprocess.run([python, "-m", "venv", "--without-pip", str(prefix)], check=True)
    exe = prefix / "bin" / "python"
    target = Path(subprocess.run(
        [str(exe), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    source = Path(sysconfig.get_paths()["purelib"])
    subprocess.run(["cp", "-al", f"{source}/.", str(target)], check=True)
    # The copied kit is the one installed, as `pip install -e .` from the copy would do
    # (a path entry: the kit's root on sys.path, like setuptools' compat editable mode).
    for stale in [*target.glob("__editable__*dlkit*"), *target.glob("dlkit-*.dist-info")]:
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    (target / "dlkit-kit.pth").write_text(f"{kit}\n")
    return exe


def give_to(user: str, *paths: Path) -> None:
    """Make ``user`` the owner of ``paths``' folders and of the files that are not hard
    links into another installation (those stay root's, read-only to everyone)."""
    import pwd

    pw = pwd.getpwnam(user)
    for top in paths:
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, pw.pw_uid, pw.pw_gid)
            for name in filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                if st.st_nlink == 1:
                    os.lchown(path, pw.pw_uid, pw.pw_gid)


def ensure_user(name: str) -> None:
    """An ordinary user (CI runs as root; the grader must work without root)."""
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
