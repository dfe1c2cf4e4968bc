"""Class statistics from the graded records: which test is too harsh, which concept was missed.

Per test, over the students who **submitted** the exercise (a missing module is
counted apart, as "absent", so that a test is not blamed for work never handed in):
the pass rate, the mean points and what the failures were (``failed``, ``todo``,
``error``, ``timeout``…: many ``todo`` means unfinished work, many ``failed``
means a misunderstood concept or a harsh test).

Per exercise: submitted / absent counts, mean, median, min and max of the
submitted scores, and their histogram in five bins of a fifth of the maximum
each (the last bin includes full marks).

A test is **flagged** when fewer than ``HARSH_PASS_RATE`` (20 %) of the students
who submitted its exercise pass it while the exercise's median score is at
least ``DECENT_MEDIAN`` (half the points): the class did the rest of the
exercise, so this one test is either too harsh or checks a concept the class
missed. The table of ``statistics.md`` lists flagged tests first, then the
others by increasing pass rate.

Pictures (matplotlib, drawn on ``Figure`` objects with the Agg canvas, never
through pyplot: no global backend state, no display needed): ``scores.png``
(per exercise, box plot of the submitted scores with every student as a dot)
and ``pass_rates_<exNN>.png`` (per exercise, one bar per test, flagged tests in
red).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grading.batch.records import Record
from grading.i18n import t
from grading.registry import BY_ID, EXERCISES
from grading.results import points_text, status_label

HARSH_PASS_RATE = 0.20
"""Below this pass rate among submitters, a test is suspicious..."""
DECENT_MEDIAN = 0.5
"""...if the exercise's median score is at least this fraction of its points."""
BINS = 5
"""Histogram bins per exercise, each a fifth of the maximum."""


@dataclass
class TestStats:
    __test__ = False  # not a pytest test class

    nodeid: str
    exercise: str
    name: str
    hidden: bool
    max_points: float
    submitted: int = 0
    """Students who handed in this exercise's module (the pass rate's denominator)."""
    passed: int = 0
    points: float = 0.0
    """Points earned, summed over the submitters."""
    outcomes: Counter = field(default_factory=Counter)
    """Status of each non-passing submitter: failed, todo, error, timeout…"""
    flagged: bool = False

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submitted if self.submitted else 0.0

    @property
    def mean_points(self) -> float:
        return self.points / self.submitted if self.submitted else 0.0


@dataclass
class ExerciseStats:
    exercise: str
    max_points: float
    scores: list[float]
    """Scores of the students who submitted the module."""
    absent: int

    @property
    def submitted(self) -> int:
        return len(self.scores)

    def summary(self) -> dict[str, float]:
        """mean, median, min, max of the submitted scores (all 0 when nobody submitted)."""
        if not self.scores:
            return {"mean": 0.0, "median": 0.0, "min": 0.0, "max": 0.0}
        return {"mean": statistics.fmean(self.scores), "median": statistics.median(self.scores),
                "min": min(self.scores), "max": max(self.scores)}

    def histogram(self) -> list[int]:
        """Counts in BINS equal bins over [0, max_points]; full marks fall in the last one."""
        counts = [0] * BINS
        for s in self.scores:
            k = int(BINS * s / self.max_points) if self.max_points else 0
            counts[min(max(k, 0), BINS - 1)] += 1
        return counts


@dataclass
class ClassStats:
    students: int
    exercises: list[ExerciseStats]
    """Exercises present in the records, in registry order."""
    tests: list[TestStats]
    """Every test seen, flagged first, then by increasing pass rate."""


def compute(records: list[Record]) -> ClassStats:
    """Pass rates per test and score distributions per exercise (see the module docstring)."""
    ex_stats: dict[str, ExerciseStats] = {}
    tests: dict[str, TestStats] = {}
    for ex in EXERCISES:
        infos = [rec.exercises[ex.id] for rec in records if ex.id in rec.exercises]
        if not infos:
            continue
        graded = [i.points for i in infos if i.status == "graded"]
        max_points = max(i.max_points for i in infos)
        absent = sum(i.status == "absent" for i in infos)
        ex_stats[ex.id] = ExerciseStats(ex.id, max_points, graded, absent)
    for rec in records:
        handed_in = {ex_id for ex_id in rec.exercises if rec.handed_in(ex_id)}
        for test in rec.tests:
            if test.exercise not in handed_in:
                continue
            ts = tests.setdefault(test.nodeid, TestStats(
                test.nodeid, test.exercise, test.name, test.hidden, test.max_points))
            ts.submitted += 1
            ts.points += test.points
            if test.status == "passed":
                ts.passed += 1
            else:
                ts.outcomes[test.status] += 1
    for ts in tests.values():
        ex = ex_stats.get(ts.exercise)
        decent = ex is not None and ex.max_points > 0 and \
            ex.summary()["median"] >= DECENT_MEDIAN * ex.max_points
        ts.flagged = decent and ts.pass_rate < HARSH_PASS_RATE
    order = {ex.id: k for k, ex in enumerate(EXERCISES)}
    ranked = sorted(tests.values(), key=lambda s: (not s.flagged, s.pass_rate,
                                                   order.get(s.exercise, 99), s.nodeid))
    return ClassStats(len(records), list(ex_stats.values()), ranked)


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, one line."""
    return " ".join(text.split()).replace("|", "\\|")


def _status(status: str) -> str:
    return status_label(status)


def markdown(stats: ClassStats, pictures: dict[str, str] | None = None) -> str:
    """The ``statistics.md`` page; ``pictures`` maps a key (``scores``, ``ex01``…) to a PNG
    file name written next to it."""
    pictures = pictures or {}
    lines = [t("# Statistiques de la classe", "# Class statistics"), "",
             t(f"{stats.students} étudiant(e)s corrigé(e)s. Les taux de réussite sont calculés "
               "sur les étudiant(e)s ayant rendu l'exercice ; les modules absents sont comptés "
               "à part.",
               f"{stats.students} students graded. Pass rates are over the students who handed "
               "in the exercise; missing modules are counted apart."), ""]
    lines += [t("## Notes par exercice", "## Scores per exercise"), "",
              t("| exercice | rendus | absents | moyenne | médiane | min | max | sur | "
                "histogramme (5 tranches de 0 au max) |",
                "| exercise | submitted | absent | mean | median | min | max | out of | "
                "histogram (5 bins from 0 to max) |"),
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for ex in stats.exercises:
        title = _cell(BY_ID[ex.exercise].title if ex.exercise in BY_ID else "")
        if ex.scores:
            s = ex.summary()
            values = [points_text(s[k]) for k in ("mean", "median", "min", "max")]
            hist = " · ".join(str(c) for c in ex.histogram())
        else:  # nobody handed it in: no distribution to show
            values, hist = ["—"] * 4, "—"
        lines.append(f"| {ex.exercise} — {title} | {ex.submitted} | {ex.absent} | "
                     f"{' | '.join(values)} | {points_text(ex.max_points)} | {hist} |")
    lines.append("")
    if "scores" in pictures:
        lines += [f"![{t('distribution des notes', 'score distributions')}]"
                  f"({pictures['scores']})", ""]
    flagged = [ts for ts in stats.tests if ts.flagged]
    lines += [t("## Réussite par test", "## Pass rate per test"), "",
              t(f"⚠ : moins de {HARSH_PASS_RATE:.0%} de réussite alors que la médiane de "
                f"l'exercice atteint {DECENT_MEDIAN:.0%} des points : test trop sévère ou "
                f"notion manquée par la classe ({len(flagged)} test(s)).",
                f"⚠: under {HARSH_PASS_RATE:.0%} pass rate while the exercise's median reaches "
                f"{DECENT_MEDIAN:.0%} of its points: a test too harsh or a concept the class "
                f"missed ({len(flagged)} test(s))."), "",
              t("| | exercice | test | caché | réussite | points moyens | échecs |",
                "| | exercise | test | hidden | pass rate | mean points | failures |"),
              "|---|---|---|---|---:|---:|---|"]
    for ts in stats.tests:
        mark = "⚠" if ts.flagged else ""
        hidden = t("oui", "yes") if ts.hidden else ""
        fails = ", ".join(f"{_status(status)} {n}" for status, n in ts.outcomes.most_common())
        lines.append(f"| {mark} | {ts.exercise} | {_cell(ts.name)} | {hidden} | "
                     f"{ts.passed}/{ts.submitted} ({ts.pass_rate:.0%}) | "
                     f"{points_text(ts.mean_points)} / {points_text(ts.max_points)} | {fails} |")
    lines.append("")
    for ex in stats.exercises:
        if ex.exercise in pictures:
            lines += [f"![{t('réussite par test', 'pass rate per test')} {ex.exercise}]"
                      f"({pictures[ex.exercise]})", ""]
    return "\n".join(lines)


def plot_scores(stats: ClassStats, path: Path) -> Path:
    """Box plot of the submitted scores per exercise, each student a dot."""
    from matplotlib.figure import Figure

    shown = [ex for ex in stats.exercises if ex.scores]
    fig = Figure(figsize=(max(6.0, 1.1 * len(shown) + 1.5), 4.0))
    ax = fig.add_subplot()
    if shown:
        data = [[100 * s / ex.max_points if ex.max_points else 0.0 for s in ex.scores]
                for ex in shown]
        ax.boxplot(data, widths=0.5, showfliers=False)
        for k, values in enumerate(data, start=1):
            # Deterministic spread of the dots so equal scores stay visible side by side.
            offsets = [0.18 * ((j % 7) - 3) / 3 for j in range(len(values))]
            ax.scatter([k + o for o in offsets], values, s=12, alpha=0.6, color="#1f5fa8")
        ax.set_xticks(range(1, len(shown) + 1), [ex.exercise for ex in shown])
    ax.set_ylim(-5, 105)
    ax.set_ylabel(t("note (% des points)", "score (% of points)"))
    ax.set_title(t("Notes par exercice (étudiant(e)s ayant rendu)",
                   "Scores per exercise (students who handed in)"))
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    return path


def _short(name: str, width: int = 75) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def plot_pass_rates(stats: ClassStats, exercise: str, path: Path) -> Path:
    """One horizontal bar per test of ``exercise``: its pass rate; flagged tests in red."""
    from matplotlib.figure import Figure

    tests = sorted((ts for ts in stats.tests if ts.exercise == exercise),
                   key=lambda s: (s.hidden, s.nodeid))
    fig = Figure(figsize=(9.0, max(2.0, 0.28 * len(tests) + 1.2)))
    ax = fig.add_subplot()
    hidden = t(" (caché)", " (hidden)")
    labels = [("⚠ " if ts.flagged else "") + _short(ts.name) + (hidden if ts.hidden else "")
              for ts in tests]
    ax.barh(range(len(tests)), [100 * ts.pass_rate for ts in tests],
            color=["#b22222" if ts.flagged else "#1f5fa8" for ts in tests])
    ax.set_yticks(range(len(tests)), labels, fontsize=7)
    for k, ts in enumerate(tests):  # a 0 % bar is invisible: the counts say it
        ax.text(100 * ts.pass_rate + 1, k, f"{ts.passed}/{ts.submitted}", va="center",
                fontsize=7, color="#b22222" if ts.flagged else "#333333")
        if ts.flagged:
            ax.get_yticklabels()[k].set_color("#b22222")
    ax.invert_yaxis()
    ax.set_xlim(0, 108)
    ax.set_xlabel(t("réussite (% des étudiant(e)s ayant rendu)",
                    "pass rate (% of students who handed in)"))
    ax.set_title(t(f"{exercise} : réussite par test", f"{exercise}: pass rate per test"))
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    return path


def write(stats: ClassStats, folder: Path) -> list[Path]:
    """``statistics.md`` and its PNGs into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [plot_scores(stats, folder / "scores.png")]
    pictures = {"scores": "scores.png"}
    for ex in stats.exercises:
        if ex.scores:
            name = f"pass_rates_{ex.exercise}.png"
            written.append(plot_pass_rates(stats, ex.exercise, folder / name))
            pictures[ex.exercise] = name
    md = folder / "statistics.md"
    md.write_text(markdown(stats, pictures), encoding="utf-8")
    return [md, *written]
