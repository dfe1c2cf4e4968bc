"""``make bench``: wall time of a student check against a bare ``import torch``,
measured in the same run, printed as a ratio (machines are shared and noisy:
ratios, never absolute thresholds, and never inside an assertion)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from grading.registry import lookup
from grading.seam import KIT_ROOT


def _time(cmd: list[str], repeat: int) -> float:
    """Median wall time of ``cmd`` over ``repeat`` runs (one warm-up run first)."""
    subprocess.run(cmd, cwd=KIT_ROOT, capture_output=True, check=False)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=KIT_ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_check(exercise: str = "ex03", repeat: int = 3) -> int:
    ex = lookup(exercise)
    baseline = _time([sys.executable, "-c", "import torch"], repeat)
    check = _time([sys.executable, "-m", "grading", "check", ex.id, "--impl=reference"], repeat)
    print(f"import torch                          : {baseline:6.2f} s (median of {repeat})")
    print(f"check {ex.id} on the reference        : {check:6.2f} s (median of {repeat})")
    print(f"ratio check / import torch            : {check / baseline:6.2f}")
    return 0
