"""The kit's pytest plugin: the ``--impl`` seam, point markers, determinism, and one
JSON line per test written as soon as the test ends (so a crash loses nothing
already done).

Loaded for every run through ``addopts = "-p grading.plugin"`` in pyproject.toml.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import random
import signal
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grading.i18n import t
from grading.registry import EXERCISES, exercise_of_test_file
from grading.results import TestResult, classify_failure
from grading.seam import Implementation, TestTimeout, resolve

RESULTS_KEY = pytest.StashKey[dict[str, TestResult]]()
SINK_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dlkit", "dlkit exercise kit")
    group.addoption("--impl", default="exercises",
                    help="code under test: 'exercises' (student stubs, default), 'reference' "
                         "(solutions) or PATH, a folder holding any subset of the modules "
                         "(flat or under exercises/)")
    group.addoption("--kit-results", default=None, metavar="FILE",
                    help="append one JSON line per test to FILE (or fd:N, an open file "
                         "descriptor) as each test ends")
    group.addoption("--kit-timeout", type=float, default=60.0, metavar="SECONDS",
                    help="time limit of each exercise test, setup included (0: none)")
    group.addoption("--kit-manifest", default=None, metavar="FILE",
                    help="write the collected exercise tests (JSON lines) to FILE")
    group.addoption("--kit-first", default="", metavar="TEXT",
                    help="run first the tests whose source mentions TEXT (case-insensitive), "
                         "the others after in their usual order (kit developers: a planted "
                         "bug's expected message)")


def pytest_configure(config: pytest.Config) -> None:
    for ex in EXERCISES:
        config.addinivalue_line("markers", f"{ex.id}: tests of {ex.module} (from the file name)")
    config.addinivalue_line("markers", "points(n): points the test is worth (required on "
                                       "every exercise test)")
    config.addinivalue_line("markers", "hidden: instructor-only test (set for grading/hidden/)")
    config.addinivalue_line("markers", "hints(*levels): hint levels of a public test for "
                                       "`make hint`, first (what to look at) to last (most "
                                       "precise, never the solution)")
    config.addinivalue_line("markers",
                            "cuda: needs a CUDA device; skipped with a reason without one")
    _make_deterministic()
    # torch, torch._dynamo and hypothesis are a heap of millions of objects that live as
    # long as the process: out of the collector's sight, each full collection (pytest runs
    # five at exit) costs milliseconds instead of ~0.2 s.
    gc.freeze()
    _PRISTINE.update(_guarded())
    config.stash[RESULTS_KEY] = {}
    config.stash[SINK_KEY] = _open_sink(config.getoption("kit_results"))


def _open_sink(target: str | None):
    if not target:
        return None
    if target.startswith("fd:"):  # a pipe from the batch grader: nothing on disk to forge
        return os.fdopen(int(target[3:]), "w", encoding="utf-8", closefd=True)
    return open(target, "a", encoding="utf-8")  # noqa: SIM115


def pytest_unconfigure(config: pytest.Config) -> None:
    sink = config.stash.get(SINK_KEY, None)
    if sink is not None:
        sink.close()


def _make_deterministic() -> None:
    """One thread, deterministic kernels, derandomised hypothesis: same code, same verdict."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # No hub, ever: transformers must fail fast on a missing local file, not try the network.
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[var] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import torch

    torch.set_num_threads(1)
    # The first optimizer built in a process imports torch._dynamo (2-4 s, measured on
    # torch 2.14): pay it here, outside every test's time limit.
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    # CPU kernels are already deterministic with one thread; the switch matters on CUDA,
    # and on CPU it would import torch._inductor (1.5 s per pytest process, measured).
    if torch.cuda.is_available():
        torch.use_deterministic_algorithms(True)
    try:
        from hypothesis import HealthCheck, Phase, settings
    except ImportError:  # pragma: no cover
        return
    settings.register_profile(
        "kit", derandomize=True, deadline=None, max_examples=20, print_blob=False, database=None,
        # No "explain" phase: it costs ~5 s per failing property and its output is never shown.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    settings.load_profile("kit")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import torch

    no_cuda = pytest.mark.skip(reason="CUDA absent sur cette machine / no CUDA device here")
    for item in items:
        ex = exercise_of_test_file(item.path.name)
        if ex is None:
            continue
        item.add_marker(getattr(pytest.mark, ex.id))
        if item.path.parent.name == "hidden":  # grading/hidden/, or hidden/ in a sandbox
            item.add_marker(pytest.mark.hidden)
        if item.get_closest_marker("points") is None:
            raise pytest.UsageError(f"{item.nodeid}: every exercise test needs @pytest.mark.points")
        if item.get_closest_marker("cuda") and not torch.cuda.is_available():
            item.add_marker(no_cuda)
    first = config.getoption("kit_first")
    if first:
        items[:] = run_first(items, first)
    manifest = config.getoption("kit_manifest")
    if manifest:
        with open(manifest, "w", encoding="utf-8") as f:
            for item in items:
                ex = exercise_of_test_file(item.path.name)
                if ex is not None:
                    f.write(json.dumps(_new_result(item, ex.id).to_json(),
                                       ensure_ascii=False) + "\n")


def run_first(items: list[pytest.Item], text: str) -> list[pytest.Item]:
    """``items`` with those whose test function's source (decorators, hence parametrized
    values, included) mentions ``text`` moved to the front, both parts in their order.
    Every test starts from the same seeds (:func:`_seeded`), so the order changes no result."""
    wanted = text.casefold()
    sources: dict[object, bool] = {}

    def mentions(item: pytest.Item) -> bool:
        function = getattr(item, "function", None)
        if function not in sources:
            try:
                sources[function] = wanted in inspect.getsource(function).casefold()
            except (OSError, TypeError):
                sources[function] = False
        return sources[function]

    marked = [item for item in items if mentions(item)]
    return marked + [item for item in items if not mentions(item)]


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    """The code under test, chosen by --impl."""
    return Implementation(resolve(request.config.getoption("impl"), request.config.rootpath))


@pytest.fixture(scope="module")
def ex(impl: Implementation, request: pytest.FixtureRequest) -> ModuleType:
    """The module under test of the requesting file's exercise (``test_ex03_*.py`` ->
    ``ex03_simple_nn``), loaded once per test module; a file may still define its own."""
    exercise = exercise_of_test_file(request.path.name)
    if exercise is None:
        pytest.fail(f"{request.path.name}: the ex fixture serves exercise test files only "
                    "(test_exNN_*.py)", pytrace=False)
    return impl.load(exercise.module)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same seeds and torch's default global state (a student's
    set_default_dtype or set_grad_enabled(False) does not leak into the next test)."""
    import numpy as np
    import torch

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)


def _guarded() -> dict[str, Any]:
    """The functions the checks rely on; replacing one is sabotage, not a solution."""
    import builtins
    import math

    import torch

    import grading.expect as expect

    found = {f"torch.{n}": getattr(torch, n) for n in ("allclose", "equal", "isclose", "isfinite")}
    found |= {f"torch.Tensor.{n}": getattr(torch.Tensor, n) for n in ("__eq__", "abs", "sum")}
    found |= {f"builtins.{n}": getattr(builtins, n) for n in ("isinstance", "abs", "float", "len")}
    found["math.isfinite"] = math.isfinite
    found |= {f"grading.expect.{n}": getattr(expect, n) for n in dir(expect)
              if n.startswith("expect")}
    return found


_PRISTINE: dict[str, Any] = {}


def tampered() -> list[str]:
    """Names of guarded functions that no longer are the originals."""
    if not _PRISTINE:
        return []
    now = _guarded()
    return sorted(name for name, fn in _PRISTINE.items() if now.get(name) is not fn)


@pytest.fixture(scope="session")
def mnist():
    """The shipped real MNIST subset: 4,000 training and 1,000 held-out digits."""
    from grading.data import load_mnist_subset

    return load_mnist_subset()


def _new_result(item: pytest.Item, exercise: str) -> TestResult:
    marker = item.get_closest_marker("points")
    hidden = item.get_closest_marker("hidden") is not None
    return TestResult(nodeid=item.nodeid, exercise=exercise, name=_display_name(item),
                      points=0.0, max_points=float(marker.args[0]) if marker else 0.0,
                      status="passed", message="", hidden=hidden,
                      hints=[] if hidden else _hints(item))


def _hints(item: pytest.Item) -> list[str]:
    marker = item.get_closest_marker("hints")
    if marker is None:
        return []
    if not marker.args or not all(isinstance(h, str) and h.strip() for h in marker.args):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.hints takes non-empty strings")
    return [h.strip() for h in marker.args]


def _display_name(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    name = doc.strip().splitlines()[0].strip() if doc.strip() else item.name
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None and doc.strip() else name


def _alarm(signum, frame) -> None:
    raise TestTimeout()


DEADLINE_KEY = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """One time budget per exercise test, shared by its setup, call and teardown."""
    seconds = item.config.getoption("kit_timeout")
    if not seconds or exercise_of_test_file(item.path.name) is None:
        return (yield)
    item.stash[DEADLINE_KEY] = time.monotonic() + seconds
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


TEARDOWN_GRACE = 2.0
"""Seconds a teardown always gets, even once its test used the whole budget."""


def _timed(item: pytest.Item, grace: float = 0.0):
    """The alarm runs only while the test's own phase does, never in pytest's reporting
    (hypothesis imports libcst there): an alarm in a hook is an INTERNALERROR.

    A phase that starts with no time left never starts (the timeout is raised here, at a
    known point), except the teardown: it gets ``grace`` seconds, since an alarm 1 ms into
    it would stop pytest's own teardown half-way and leave the next tests to fail."""
    deadline = item.stash.get(DEADLINE_KEY, None)
    if deadline is None:
        return (yield)
    remaining = deadline - time.monotonic()
    if remaining <= 0 and not grace:
        raise TestTimeout()
    signal.setitimer(signal.ITIMER_REAL, max(remaining, grace))
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    return (yield from _timed(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    return (yield from _timed(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    return (yield from _timed(item, grace=TEARDOWN_GRACE))


def pytest_internalerror(excrepr, excinfo) -> None:
    """pytest's own error (the kit's fault, never the student's): its last line goes to
    the batch grader, which names it in the internal error's reason."""
    config = _CONFIG.get("config")
    sink = config.stash.get(SINK_KEY, None) if config is not None else None
    if sink is None or sink.closed:
        return
    lines = [line for line in str(excrepr).splitlines() if line.strip()]
    sink.write(json.dumps({"kit_internal_error": (lines[-1] if lines else "")[-300:]},
                          ensure_ascii=False) + "\n")
    sink.flush()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    ex = exercise_of_test_file(item.path.name)
    if ex is None:
        return report
    results = item.config.stash[RESULTS_KEY]
    if item.nodeid not in results:
        results[item.nodeid] = _new_result(item, ex.id)
    res = results[item.nodeid]
    res.duration += report.duration
    if report.skipped and res.status == "passed":
        res.status = "skipped"
        res.message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
    elif report.failed and res.status in ("passed", "skipped"):
        impl_folder = resolve(item.config.getoption("impl"), item.config.rootpath)
        res.status, res.message = classify_failure(call.excinfo, impl_folder)
    sabotage = tampered()
    if sabotage and res.status != "error":
        res.status = "error"
        res.message = t(f"sabotage détecté : {', '.join(sabotage)} remplacé(s) ; résultat annulé",
                        f"tampering detected: {', '.join(sabotage)} replaced; result void")
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "teardown":
        return
    config = _CONFIG.get("config")
    if config is None:
        return
    res = config.stash[RESULTS_KEY].get(report.nodeid)
    if res is None:
        return
    if res.status == "passed":
        res.points = res.max_points
    sink = config.stash[SINK_KEY]
    if sink is not None:
        sink.write(json.dumps(res.to_json(), ensure_ascii=False) + "\n")
        sink.flush()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A test file that fails to import is recorded, not lost."""
    config = _CONFIG.get("config")
    if not report.failed or config is None:
        return
    ex = exercise_of_test_file(Path(report.nodeid.split("::")[0]).name)
    res = TestResult(nodeid=report.nodeid, exercise=ex.id if ex else "", name=report.nodeid,
                     points=0.0, max_points=0.0, status="error",
                     message=str(report.longrepr).strip().splitlines()[-1][:300],
                     hidden=False)
    config.stash[RESULTS_KEY][report.nodeid] = res
    sink = config.stash[SINK_KEY]
    if sink is not None:
        sink.write(json.dumps(res.to_json(), ensure_ascii=False) + "\n")
        sink.flush()


# Report hooks receive no config; keep the one of this session.
_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config
