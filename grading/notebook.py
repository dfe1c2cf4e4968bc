"""``from grading import check; r = check("ex3")`` in a notebook (the TPs are notebooks).

Runs the public tests of the exercise on the student's current file in a fresh
pytest process (an edited module is always read again, never a stale import of
the kernel), shows the same report as ``make check`` (HTML in Jupyter, text
elsewhere) and returns a :class:`CheckResult`.
"""

from __future__ import annotations

import html
import io
import sys
from dataclasses import dataclass, field

from grading.i18n import t
from grading.registry import EXERCISES, lookup
from grading.results import TestResult

COLOURS = {"✓": "#1a7f37", "✗": "#cf222e", "–": "#6e7781"}


@dataclass
class CheckResult:
    """What ``check("ex3")`` found, with the report ``make check`` prints."""

    exercises: list[str]
    """Exercise ids checked, e.g. ``["ex03"]``."""
    points: float
    """Public points earned."""
    max_points: float
    """Public points possible."""
    passed: bool
    """Every public test passed (skipped ones aside)."""
    failures: list[tuple[str, str]]
    """(test name, learner message) of each failing test."""
    results: list[TestResult] = field(repr=False)
    """Every test's result."""
    text: str = field(repr=False)
    """The report, as ``make check`` prints it."""
    returncode: int = 0
    """``make check``'s exit status: 0 all passed, 1 failures, 2 the tests did not run."""
    _shown_in: object = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        lines = []
        for line in self.text.splitlines():
            text = html.escape(line)
            icon = line.strip()[:1]
            if icon in COLOURS and line.startswith("  "):
                text = f'<span style="color:{COLOURS[icon]}">{text}</span>'
            elif line.strip() and not line.startswith(" "):
                text = f"<b>{text}</b>"
            lines.append(text)
        return ('<div class="dlkit-report"><pre style="white-space:pre-wrap;'
                'font-family:monospace">' + "\n".join(lines) + "</pre></div>")

    def _ipython_display_(self) -> None:
        # check() has already shown the report in this cell: `check("ex3")` as a cell's
        # last line must not print it twice; `r` alone in a later cell shows it again.
        if self._shown_in is not None and self._shown_in == _execution_count():
            return
        _display(self)


def _kernel():
    """The running Jupyter kernel's shell, or None (plain Python, terminal IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and "IPKernelApp" in getattr(shell, "config", {}) \
        else None


def _execution_count() -> object:
    shell = _kernel()
    return getattr(shell, "execution_count", None) if shell is not None else None


def _display(result: CheckResult) -> None:
    from IPython.display import display

    display({"text/html": result._repr_html_(), "text/plain": result.text}, raw=True)


def run(*exercises: str, impl: str = "exercises") -> CheckResult:
    """Check ``exercises`` (all when none) without showing anything."""
    from grading.checking import print_report
    from grading.progress import record, snapshot
    from grading.runner import run_suite

    try:
        found = [lookup(q) for q in exercises] if exercises else list(EXERCISES)
    except KeyError as exc:
        return CheckResult([], 0.0, 0.0, False, [], [], exc.args[0], 2)
    digests = snapshot(found, impl)
    suite = run_suite(found, impl)
    if suite.results:
        record(found, suite.results, impl, digests)
    out, err = io.StringIO(), io.StringIO()
    code = print_report(found, suite.results, output="", out=out, err=err)
    if code == 2:  # pytest's own output stays for kit developers (runner.SuiteRun.output)
        text = t("Les tests n'ont pas pu démarrer (erreur interne du kit) : lancez "
                 "`make check` dans un terminal.",
                 "The tests could not start (internal kit error): run `make check` "
                 "in a terminal.")
    else:
        text = (err.getvalue() + out.getvalue()).rstrip("\n")
    results = suite.results
    return CheckResult(
        exercises=[ex.id for ex in found], points=sum(r.points for r in results),
        max_points=sum(r.max_points for r in results), passed=code == 0,
        failures=[(r.name, r.message) for r in results if r.status not in ("passed", "skipped")],
        results=results, text=text, returncode=code)


def check(*exercises: str, impl: str = "exercises", show: bool = True) -> CheckResult:
    """Run the public tests of ``exercises`` (``"ex3"``, ``3``…; all when none) on the
    current files, show the report (unless ``show=False``) and return the result."""
    result = run(*(str(q) for q in exercises), impl=impl)
    if show:
        if _kernel() is not None:
            _display(result)
            result._shown_in = _execution_count()
        else:
            print(result.text)
    return result
