"""Static flags: each kind fires on a small snippet, honest course code raises none.

Sources are only parsed, never run, so these tests stay fast and need no torch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grading.batch import static_flags as F
from grading.batch.static_flags import rules as R
from grading.seam import KIT_ROOT


def kinds(source: str) -> set[str]:
    return {f.kind for f in F.scan_source(textwrap.dedent(source), "ex03_simple_nn.py")}


CASES: list[tuple[str, str]] = [
    # Imports, every form.
    ("import pytest", "import-pytest"),
    ("from _pytest.monkeypatch import MonkeyPatch", "import-_pytest"),
    ("import pluggy", "import-pluggy"),
    ("from hypothesis import given", "import-hypothesis"),
    ("from grading.expect import expect", "import-grading"),
    ("import reference.ex03_simple_nn as sol", "import-reference"),
    ("import ctypes", "import-ctypes"),
    ("import cffi", "import-cffi"),
    ("from torch.utils import cpp_extension", "import-cpp-extension"),
    ("import subprocess", "import-subprocess"),
    ("import torch.multiprocessing as mp", "import-multiprocessing"),
    ("import multiprocessing", "import-multiprocessing"),
    ("import signal", "import-signal"),
    ("import pty", "import-pty"),
    ("from shutil import rmtree", "import-shutil"),
    ("import gc", "import-gc"),
    ("import inspect", "import-inspect"),
    ("import importlib.util", "import-importlib"),
    ("import builtins", "import-builtins"),
    ("import atexit", "import-atexit"),
    ("import runpy", "import-runpy"),
    ("import socket", "import-socket"),
    ("import ssl", "import-ssl"),
    ("import urllib.request", "import-urllib"),
    ("import urllib3", "import-urllib3"),
    ("from http import client", "import-http"),
    ("import requests", "import-requests"),
    ("import httpx", "import-httpx"),
    ("import aiohttp", "import-aiohttp"),
    ("import ftplib", "import-ftplib"),
    ("import smtplib", "import-smtplib"),
    ("import pdb", "debugger"),
    ("import ipdb", "debugger"),
    ("from sys import modules", "sys-modules"),
    ("from sys import path", "sys-path"),
    ("__import__('subprocess')", "import-subprocess"),
    ("import importlib as il\nil.import_module('grading.hidden')", "import-grading"),
    ("__import__(name)", "dynamic-import"),
    ("import importlib\nimportlib.import_module('os')", "dynamic-import"),
    # Processes, exits, files.
    ("import os\nos.system('ls')", "os-process"),
    ("import os\nos.popen('ls')", "os-process"),
    ("import os\nos.fork()", "os-process"),
    ("import os\nos.execvp('sh', ['sh'])", "os-process"),
    ("import os\nos.spawnl(os.P_WAIT, '/bin/sh')", "os-process"),
    ("import os\nos.posix_spawn('/bin/sh', [], {})", "os-process"),
    ("import os\nos.kill(os.getppid(), 9)", "os-kill"),
    ("import os\nos.killpg(0, 9)", "os-kill"),
    ("import os\nos.setsid()", "os-kill"),
    ("import os\nos._exit(0)", "exit"),
    ("import sys\nsys.exit(0)", "exit"),
    ("exit()", "exit"),
    ("quit()", "exit"),
    ("raise SystemExit(0)", "exit"),
    ("raise KeyboardInterrupt", "exit"),
    ("import os\nos.remove('results.json')", "file-delete"),
    ("import os\nos.unlink(p)", "file-delete"),
    ("import os\nos.rmdir(p)", "file-delete"),
    ("import shutil\nshutil.rmtree(p)", "file-delete"),
    ("from pathlib import Path\nPath('x').unlink()", "file-delete"),
    ("import os\nos.rename(a, b)", "file-modify"),
    ("import os\nos.replace(a, b)", "file-modify"),
    ("import os\nos.symlink(a, b)", "file-modify"),
    ("import os\nos.chmod(p, 0o777)", "file-modify"),
    ("p.symlink_to(q)", "file-modify"),
    ("import os\nos.chdir(p)", "chdir"),
    ("eval('1 + 1')", "dynamic-code"),
    ("exec(code)", "dynamic-code"),
    ("compile(src, 'f', 'exec')", "dynamic-code"),
    ("results = list(map(eval, texts))", "dynamic-code"),
    ("import atexit, os\natexit.register(os._exit, 0)", "exit"),
    ("breakpoint()", "debugger"),
    ("import pdb\npdb.set_trace()", "debugger"),
    ("name = input()", "stdin"),
    # open / Path.
    ("open('out.txt', 'w')", "open-write"),
    ("open('log.txt', mode='a')", "open-write"),
    ("open('x.bin', 'r+b')", "open-write"),
    ("open(p, mode)", "open-write"),
    ("import io\nio.open('x', 'x')", "open-write"),
    ("import os\nos.open(p, os.O_WRONLY | os.O_CREAT)", "open-write"),
    ("from pathlib import Path\nPath('x').open('w')", "open-write"),
    ("p.write_text('0')", "open-write"),
    ("p.write_bytes(b'')", "open-write"),
    ("open('/etc/passwd')", "path-outside"),
    ("open(f'/home/{user}/x')", "path-outside"),
    ("from pathlib import Path\nPath('~/.ssh/id_rsa')", "path-outside"),
    ("from pathlib import Path\nPath('C:\\\\Users')", "path-outside"),
    ("import glob\nglob.glob('/srv/*')", "path-outside"),
    ("root / '/etc'", "path-outside"),
    ("open('../reference/ex03_simple_nn.py')", "path-outside"),
    ("open(f'{root}/../reference/{name}.py')", "path-outside"),
    ("open('../My Documents/x.txt')", "path-outside"),
    ("from pathlib import Path\nPath('data') / '..' / 'x'", "path-outside"),
    ("import os\nos.path.join(here, '..', 'x')", "path-outside"),
    ("target = '/home/prof/kit/solutions.py'", "path-outside"),
    ("open('reference/ex03_simple_nn.py')", "kit-path"),
    ("from pathlib import Path\nPath.cwd() / 'grading'", "kit-path"),
    ("from pathlib import Path\nPath(__file__).parent.parent", "file-parent"),
    ("from pathlib import Path\nPath(__file__).resolve().parents[1]", "file-parent"),
    ("from pathlib import Path\nPath(__file__).parents[i]", "file-parent"),
    ("import os\nos.path.dirname(os.path.dirname(os.path.abspath(__file__)))", "file-parent"),
    # Global state of the grader.
    ("import torch\ntorch.set_default_dtype(torch.float64)", "torch-global-state"),
    ("import torch\ntorch.set_grad_enabled(False)", "torch-global-state"),
    ("import torch\ntorch.set_num_threads(1)", "torch-global-state"),
    ("import torch\ntorch.backends.cudnn.benchmark = True", "torch-global-state"),
    ("import sys\nsys.settrace(tracer)", "trace-hook"),
    ("import sys\nsys.setprofile(tracer)", "trace-hook"),
    ("import threading\nthreading.settrace(tracer)", "trace-hook"),
    ("import os\nos.environ['KIT_LANG'] = 'en'", "env-write"),
    ("import os\ndel os.environ['HOME']", "env-write"),
    ("import os\nos.environ.update(X='1')", "env-write"),
    ("import os\nos.putenv('X', '1')", "env-write"),
    ("import sys\nsys.modules['torch'] = fake", "sys-modules"),
    ("import sys\nsys.modules.update(torch=fake)", "sys-modules"),
    ("import sys\nsys.path.insert(0, '..')", "sys-path"),
    ("import sys\nsys.meta_path.append(finder)", "sys-path"),
    ("import torch\ntorch.hub.load('repo', 'model')", "network"),
    # Patching modules and built-ins.
    ("import torch\ntorch.allclose = lambda *a, **k: True", "monkeypatch"),
    ("from torch import nn\nnn.Module.__call__ = fake", "monkeypatch"),
    ("import torch as T\nsetattr(T, 'equal', fake)", "monkeypatch"),
    ("import pytest\npytest.approx = fake", "monkeypatch"),
    ("import hypothesis\nhypothesis.given = fake", "monkeypatch"),
    ("import grading.expect\ngrading.expect.expect = fake", "monkeypatch"),
    ("import torch\nvars(torch)['allclose'] = fake", "monkeypatch"),
    ("import torch\ndel torch.testing", "monkeypatch"),
    ("import builtins\nbuiltins.print = fake", "builtins-patch"),
    ("import builtins\nsetattr(builtins, 'len', fake)", "builtins-patch"),
    ("__builtins__['open'] = fake", "builtins-patch"),
    ("__builtins__.open", "introspection"),
    ("import sys\nsys._getframe(1).f_globals", "introspection"),
    ("f.__globals__['x']", "introspection"),
    ("object.__subclasses__()", "introspection"),
    ("tb.tb_frame.f_back", "introspection"),
]


@pytest.mark.parametrize(("source", "kind"), CASES, ids=[f"{k}:{s[:30]}" for s, k in CASES])
def test_each_kind_fires(source: str, kind: str) -> None:
    assert kind in kinds(source)


def test_every_kind_has_a_case() -> None:
    tables = (
        {k for k, _ in R._IMPORTS.values()} | {k for k, _ in R._SYS_ATTRS.values()}
        | {k for k, _ in R._CALLS.values()} | {k for _, k, _ in R._CALL_PREFIXES}
        | {k for k, _ in R._METHODS.values()}
        | {"open-write", "path-outside", "kit-path", "file-parent", "monkeypatch",
           "builtins-patch", "introspection", "dynamic-import", "env-write"})
    assert tables <= {k for _, k in CASES}


@pytest.mark.parametrize("source", [
    "import os as o\no.system('ls')",
    "from os import system as run\nrun('ls')",
    "import os\ngetattr(os, 'system')('ls')",
    "import os\nshell = os.system\nshell('ls')",
    "o = __import__('os')\no.system('ls')",
    "from os import *\nsystem('ls')",
])
def test_aliases_are_followed(source: str) -> None:
    assert "os-process" in kinds(source)


@pytest.mark.parametrize("source", [
    "e = eval\ne('1')",
    "__builtins__['eval']('1')",
    "import builtins\nbuiltins.__dict__['eval']('1')",
    "from builtins import exec as run\nrun('1')",
])
def test_hidden_eval_is_found(source: str) -> None:
    assert "dynamic-code" in kinds(source)


HONEST = '''
    """Docstrings may say ../reference, /etc/passwd or sys.exit: they are not code."""
    import copy
    import math
    import time
    from collections.abc import Callable
    from dataclasses import dataclass
    from pathlib import Path

    import torch
    from torch import nn
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    DATA = Path(__file__).parent / "data" / "mnist.npz"


    def compile(model):
        """A local ``compile`` shadows the built-in one."""
        return model


    class Net(nn.Module):
        def open(self, mode="w"):
            return mode

        def eval(self):
            return super().eval()


    def run(model, loader: DataLoader, name: str, device="cpu"):
        model.eval()
        with torch.no_grad(), torch.set_grad_enabled(False):
            act = getattr(nn, name)()
        start = time.perf_counter()
        print(f"{1}/{10} epochs, {2.0:.1f} it/s, {3}/epoch", "Training...", f"{1}..{9}")
        help_text = "see ../docs in the course notes"
        label = "a/b".replace("/", "-")
        torch.save(model.state_dict(), "model.pt")
        with open(DATA.with_suffix(".txt")) as fh:
            fh.read()
        best = copy.deepcopy(model)
        return compile(best), act, math.sqrt(time.perf_counter() - start), label, help_text


    if __name__ == "__main__":
        import sys
        sys.exit(run(Net(), [], "ReLU"))
'''


def test_honest_code_has_no_flags() -> None:
    assert F.scan_source(textwrap.dedent(HONEST), "ex03_simple_nn.py") == []


@pytest.mark.parametrize("folder", ["reference", "exercises"])
def test_kit_modules_have_no_flags(folder: str) -> None:
    assert (KIT_ROOT / folder / "ex01_tensors.py").is_file()
    assert F.scan_folder(KIT_ROOT / folder) == []


def test_main_block_is_scanned_when_name_can_change() -> None:
    guarded = "if __name__ == '__main__':\n    import os\n    os.system('ls')\n"
    assert kinds(guarded) == set()
    assert "os-process" in kinds("__name__ = '__main__'\n" + guarded)
    assert "os-process" in kinds(guarded + "else:\n    import os\n    os.system('ls')\n")


def test_scoped_grad_switch_is_fine_but_a_bare_one_is_not() -> None:
    assert kinds("import torch\nwith torch.set_grad_enabled(False):\n    pass") == set()
    assert kinds("import torch\ntorch.set_grad_enabled(False)") == {"torch-global-state"}


def test_syntax_error_is_one_flag_with_its_line() -> None:
    found = F.scan_source("import torch\n\ndef f(:\n    pass\n", "ex01_tensors.py")
    assert [(f.module, f.line, f.kind) for f in found] == [("ex01_tensors.py", 3, "syntax-error")]
    assert [f.kind for f in F.scan_source("x = 1\x00", "m.py")] == ["syntax-error"]


def test_absurd_nesting_asks_for_a_manual_review() -> None:
    found = F.scan_source("x = a" + ".b" * 2000, "m.py")
    assert [f.kind for f in found] in (["syntax-error"], ["unscannable"])


def test_order_is_by_line_then_kind_one_flag_per_line_and_kind() -> None:
    source = "import os, subprocess, ctypes\nos.remove(a); os.remove(b)\neval('1')\n"
    found = F.scan_source(source, "m.py")
    assert [(f.line, f.kind) for f in found] == [
        (1, "import-ctypes"), (1, "import-subprocess"), (2, "file-delete"), (3, "dynamic-code")]
    assert found == F.scan_source(source, "m.py")
    assert all(f.detail and "\n" not in f.detail for f in found)


def test_details_stay_on_one_short_line() -> None:
    found = F.scan_source("open('../x' + '\\n' * 3 + 'y' * 500 + '/../z')", "m.py")
    assert found and all("\n" not in f.detail and len(f.detail) <= 160 for f in found)


def test_scan_folder_walks_flat_and_nested_and_skips_pycache(tmp_path: Path) -> None:
    (tmp_path / "exercises" / "__pycache__").mkdir(parents=True)
    (tmp_path / "ex01_tensors.py").write_text("import torch\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("import os\n\nos.system('ls')\n", encoding="utf-8")
    (tmp_path / "exercises" / "ex03_simple_nn.py").write_text("import pytest\n", encoding="utf-8")
    (tmp_path / "exercises" / "ex02_training_loop.py").write_bytes(b"\xef\xbb\xbfdef (\n")
    (tmp_path / "exercises" / "__pycache__" / "evil.py").write_text("import ctypes\n")
    (tmp_path / "notes.txt").write_text("import ctypes\n")
    found = F.scan_folder(tmp_path)
    assert [(f.module, f.line, f.kind) for f in found] == [
        ("exercises/ex02_training_loop.py", 1, "syntax-error"),
        ("exercises/ex03_simple_nn.py", 1, "import-pytest"),
        ("helpers.py", 3, "os-process"),
    ]


def test_unreadable_file_is_a_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ex01_tensors.py").write_text("import torch\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert [f.kind for f in F.scan_folder(tmp_path)] == ["unreadable"]


def test_format_flags() -> None:
    assert F.format_flags([]) == "no flags"
    text = F.format_flags(F.scan_source("import ctypes\nimport socket\n", "ex01_tensors.py"))
    lines = text.splitlines()
    assert lines[0] == "- `ex01_tensors.py:1` **import-ctypes**: imports ctypes (native code)"
    assert lines[1].startswith("- `ex01_tensors.py:2` **import-socket**: imports socket")
    assert len(lines) == 2
