"""``make bench``: wall time of a student check against a bare ``import torch``,
measured in the same run, printed as a ratio (machines are shared and noisy:
ratios, never absolute thresholds, and never inside an assertion)."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grading.registry import lookup
from grading.seam import KIT_ROOT


def _time(cmds: list[list[str]], repeat: int) -> list[float]:
    """Median wall time of each command over ``repeat`` rounds (one warm-up round first).

    The commands alternate within a round, so a machine that slows down or speeds up
    during the benchmark weighs on both sides of the ratio alike."""
    times: list[list[float]] = [[] for _ in cmds]
    for round_ in range(repeat + 1):
        for cmd, spent in zip(cmds, times):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=KIT_ROOT, capture_output=True, check=False)
            if round_:
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def bench_check(exercise: str = "ex03", repeat: int = 5) -> int:
    ex = lookup(exercise)
    baseline, check = _time([[sys.executable, "-c", "import torch"],
                             [sys.executable, "-m", "grading", "check", ex.id,
                              "--impl=reference"]], repeat)
    print(f"import torch                          : {baseline:6.2f} s (median of {repeat})")
    print(f"check {ex.id} on the reference        : {check:6.2f} s (median of {repeat})")
    print(f"ratio check / import torch            : {check / baseline:6.2f}")
    return 0


def _make_class(folder: Path, n: int) -> None:
    """``n`` submissions with every module: reference copies and stubs, alternating."""
    from grading.registry import EXERCISES

    for k in range(n):
        src = "reference" if k % 2 == 0 else "exercises"
        d = folder / f"student{k:02d}"
        d.mkdir(parents=True)
        for ex in EXERCISES:
            shutil.copy(KIT_ROOT / src / f"{ex.module}.py", d)


def bench_grade(n: int = 8, dask: bool = True) -> int:
    """Seconds per submission for the forked sandboxes (-j 1 and -j 2), a local Dask
    cluster of two workers (``--dask local:2``) and a fresh ``python -m pytest`` per
    submission, all measured in this run on the same class."""
    from grading.registry import EXERCISES
    from grading.runner import run_suite

    with tempfile.TemporaryDirectory(prefix="dlkit-bench-") as tmp:
        cls = Path(tmp) / "class"
        _make_class(cls, n)
        times = {}
        runs = {1: ["-j", "1"], 2: ["-j", "2"]}
        if dask:
            runs["dask"] = ["--dask", "local:2"]
        for name, extra in runs.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grading", "grade", str(cls), "--out",
                            str(Path(tmp) / f"out-{name}"), *extra],
                           cwd=KIT_ROOT, capture_output=True, check=True)
            times[name] = time.perf_counter() - start
        same = dask and (Path(tmp) / "out-dask" / "grades.csv").read_bytes() == \
            (Path(tmp) / "out-2" / "grades.csv").read_bytes()
        start = time.perf_counter()
        for k in range(2):
            run_suite(list(EXERCISES), str(cls / f"student{k:02d}"), hidden=True)
        fresh = (time.perf_counter() - start) / 2
    print(f"class of {n} submissions x {len(EXERCISES)} exercises (public + hidden tests)")
    print(f"grade -j 1                       : {times[1]:6.1f} s  "
          f"({times[1] / n:5.2f} s per submission, start-up included)")
    print(f"grade -j 2                       : {times[2]:6.1f} s  "
          f"({times[2] / n:5.2f} s per submission)")
    print(f"ratio -j 2 / -j 1                : {times[2] / times[1]:6.2f}")
    if dask:
        jobs = n * len(EXERCISES)
        print(f"grade --dask local:2             : {times['dask']:6.1f} s  "
              f"({times['dask'] / n:5.2f} s per submission, cluster start-up included)")
        print(f"ratio dask / -j 2                : {times['dask'] / times[2]:6.2f}  "
              f"(overhead {(times['dask'] - times[2]) / jobs * 1000:+.0f} ms per job; "
              f"grades.csv {'identical' if same else 'DIFFERENT'})")
    print(f"fresh `python -m pytest` per sub : {fresh:6.2f} s per submission (unsandboxed)")
    return 0
