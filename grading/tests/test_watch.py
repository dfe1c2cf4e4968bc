"""`make watch ex1`: a real watcher on a temp folder, driven by real saves.

The save -> report latency is printed (run with -s to see it), never asserted: the
machine is shared."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grading.seam import KIT_ROOT

pytestmark = pytest.mark.timeout(300)
SUMMARY = ("réussi(s), 0 échoué", "échoué(s). Corrigez")
LEAKS = ("Traceback", "def test_", "assert ", "site-packages")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Watch:
    """``python -m grading watch ex01 --impl=FOLDER``, its stdout read line by line.

    Started with SIGINT ignored, as from a background job or nohup: Ctrl-C must still
    stop it (the release's test starts it the usual way)."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "KIT_LANG": "fr", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grading", "watch", "ex01", f"--impl={folder}"],
            cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            preexec_fn=_ignore_sigint)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def report(self, timeout: float = 120) -> tuple[float, str]:
        """(time of the summary line, the lines since the last report)."""
        deadline = time.monotonic() + timeout
        block = []
        while True:
            try:
                at, line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no report within {timeout} s:\n" + "\n".join(self.seen + block))
            block.append(line)
            if any(s in line for s in SUMMARY) or "ne se compile pas" in line:
                self.seen += block
                return at, "\n".join(block)
            if time.monotonic() > deadline:
                pytest.fail("no report:\n" + "\n".join(self.seen + block))

    def quiet_for(self, seconds: float) -> list[str]:
        """Lines printed during ``seconds``."""
        end, got = time.monotonic() + seconds, []
        while time.monotonic() < end:
            try:
                got.append(self.lines.get(timeout=0.1)[1])
            except queue.Empty:
                pass
        self.seen += got
        return got

    def stop(self) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=30)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get()[1])
        return code, "\n".join(rest), self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "ex01_tensors.py").write_bytes(
        (KIT_ROOT / "reference" / "ex01_tensors.py").read_bytes())
    return tmp_path


def save(path: Path, text: str) -> float:
    path.write_text(text, encoding="utf-8")
    return time.monotonic()


def test_watch_rechecks_each_save_and_exits_on_ctrl_c(folder):
    module = folder / "ex01_tensors.py"
    good = module.read_text(encoding="utf-8")
    watch = Watch(folder)
    try:
        _, first = watch.report()
        assert "points (tests publics) : 10/10" in first and "Bravo" in first

        # A real change of the student's code is picked up (a fresh fork each time).
        broken = good.replace("return img.to(torch.float32) / 255.0",
                              "return img.to(torch.float32) / 256.0")
        assert broken != good
        saved = save(module, broken)
        at, report = watch.report()
        print(f"\nwatch ex01: save -> report {at - saved:.2f} s (broken save)")
        assert "✗ to_float_image : float32" in report and "échoué(s)" in report
        for leak in LEAKS:
            assert leak not in report, leak

        saved = save(module, good)
        at, report = watch.report()
        print(f"watch ex01: save -> report {at - saved:.2f} s (fixed save)")
        assert "10/10" in report and "✗" not in report

        code, rest, stderr = watch.stop()
        assert code == 0, stderr
        assert "Surveillance arrêtée" in rest
        assert "Traceback" not in stderr + rest and "KeyboardInterrupt" not in stderr
    finally:
        watch.kill()


def test_half_written_save_is_not_a_failure(folder):
    module = folder / "ex01_tensors.py"
    good = module.read_text(encoding="utf-8")
    watch = Watch(folder)
    try:
        watch.report()
        # An editor's save in two steps: first a truncated file, the rest 50 ms later.
        cut = good.index("def linear_forward")
        save(module, good[:cut] + "def linear_forward(x, weight,\n")
        time.sleep(0.05)
        saved = save(module, good + "\n# saved\n")
        at, report = watch.report()
        print(f"\nwatch ex01: save -> report {at - saved:.2f} s (two-step save)")
        assert "10/10" in report and "Bravo" in report
        assert "ne se compile pas" not in report and "✗" not in report

        # A file that stays broken is a syntax error in French, with no test run.
        save(module, good[:cut] + "def linear_forward(x, weight,\n")
        _, report = watch.report()
        assert "ex01_tensors.py ne se compile pas : SyntaxError" in report
        assert "ligne" in report and "✗" not in report and "points" not in report
        for leak in LEAKS:
            assert leak not in report, leak
        assert not any("réussi" in line for line in watch.quiet_for(1.0))

        save(module, good)
        _, report = watch.report()
        assert "10/10" in report
        code, _, stderr = watch.stop()
        assert code == 0 and "Traceback" not in stderr
    finally:
        watch.kill()


def test_watch_needs_an_exercise():
    proc = subprocess.run([sys.executable, "-m", "grading", "watch", "ex99"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "exercice inconnu" in proc.stderr
