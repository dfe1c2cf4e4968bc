"""One test's result as plain data, and how a failure becomes a learner message."""

from __future__ import annotations

import re
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grading.expect import LearnerFailure
from grading.i18n import t
from grading.seam import (
    ModuleUnavailable,
    TestTimeout,
    raised_in_student_code,
    student_error,
)

STATUSES = ("passed", "failed", "todo", "absent", "import", "timeout", "error", "skipped", "crash",
            "internal")
"""passed; failed (a check said no); todo (NotImplementedError: not written yet);
absent / import (the module is missing / does not import); timeout; error (the
student's code raised); skipped (e.g. no CUDA); crash (the process died, set by
the batch grader); internal (the grader or the kit failed, not the student's code: the
test is not scored and the submission is graded again once the grader is fixed)."""
INTERNAL_LABEL = "erreur interne du correcteur"
STATUS_LABELS = {"passed": "réussi", "failed": "échoué", "todo": "pas encore implémenté",
                 "absent": "module absent", "import": "ne s'importe pas",
                 "timeout": "délai dépassé", "error": "erreur", "skipped": "ignoré",
                 "crash": "arrêt du processus", "internal": INTERNAL_LABEL}
"""Status -> French label, for every status of :data:`STATUSES` (in English, a report
shows the status itself)."""


def status_label(status: str) -> str:
    """The label of ``status`` in the run's language (the status itself if unknown)."""
    return t(STATUS_LABELS.get(status, status), status)


def points_text(x: float) -> str:
    """Points as every report prints them: at most two decimals, no trailing zeros."""
    return f"{round(float(x), 2):g}"


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    """pytest node id, stable across runs."""
    exercise: str
    """Exercise id, e.g. ``ex03``."""
    name: str
    """Display name: the test docstring's first line."""
    points: float
    """Points earned."""
    max_points: float
    status: str
    """One of STATUSES."""
    message: str
    """Learner message (never test source, never a traceback into the tests)."""
    hidden: bool
    duration: float = field(default=0.0)
    hints: list[str] = field(default_factory=list)
    """Hint levels of a public test (``@pytest.mark.hints``), first to last; see
    ``make hint``. Never set on hidden tests."""

    def fails_saying(self, phrase: str) -> bool:
        """Whether the test failed (any status but passed or skipped) with ``phrase`` in its
        message, whatever the case: how the meta-tests see that a planted bug is caught."""
        return self.status not in ("passed", "skipped") and phrase.lower() in self.message.lower()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration"] = round(self.duration, 4)
        if not self.hints:
            del d["hints"]  # the batch grader's outputs stay as they were
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TestResult:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _root_cause(exc: BaseException) -> BaseException:
    """Unwrap exception groups (hypothesis) to the first real failure."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _raised_by_student(exc: BaseException, impl_folder: Path | None) -> bool:
    """A stub's ``raise NotImplementedError("ex05 : f")`` or one from the student's own
    code; not one raised inside a library (e.g. tensorboard given None)."""
    if re.match(r"ex\d\d : ", str(exc)):
        return True
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or impl_folder is None:
        return not frames
    last = Path(frames[-1].filename)
    return last == impl_folder or impl_folder in last.parents


def classify_failure(excinfo: Any, impl_folder: Path | None = None) -> tuple[str, str]:
    """(status, learner message) for a failed test phase."""
    if excinfo is None:
        return "error", t("échec sans exception", "failure without an exception")
    exc = _root_cause(excinfo.value)
    for link in _chain(exc):
        if isinstance(link, NotImplementedError) and _raised_by_student(link, impl_folder):
            where = str(link).strip()
            return "todo", t("pas encore implémenté", "not implemented yet") + \
                (f" ({where})" if where else "")
    if isinstance(exc, ModuleUnavailable):
        return exc.reason, exc.message()
    if isinstance(exc, LearnerFailure):
        return "failed", exc.render()
    text = str(exc)
    if isinstance(exc, TestTimeout) or (type(exc).__name__ == "Failed" and "Timeout" in text):
        return "timeout", t("délai dépassé : le code ne termine pas à temps (boucle infinie ?)",
                            "time limit exceeded: the code does not finish in time "
                            "(infinite loop?)")
    if isinstance(exc, AssertionError):
        first = text.strip().splitlines()[0] if text.strip() else ""
        return "failed", t("vérification échouée", "check failed") + (f" : {first}" * bool(first))
    if isinstance(exc, MemoryError):
        return "error", t("mémoire épuisée : ton code alloue plus que la limite du correcteur "
                          "(une liste ou un tenseur qui grandit sans fin ?)",
                          "memory exhausted: your code allocates more than the grader's limit "
                          "(a list or tensor growing forever?)")
    if isinstance(exc, ImportError) and not raised_in_student_code(exc, impl_folder):
        # A module the *tests* need is missing (a broken install or sandbox): not a zero.
        return "internal", t(f"{INTERNAL_LABEL} : ", "grader internal error: ") + \
            f"{type(exc).__name__}: {exc}"
    if not raised_in_student_code(exc, impl_folder):
        return "error", t(
            "erreur en utilisant ce que renvoie ton code : ",
            "error while using what your code returned: ") + student_error(exc, impl_folder) \
            + t("\n  indice  : vérifie le type et la forme de ce que renvoie ta fonction "
                "(un return oublié donne None)",
                "\n  hint    : check the type and shape of what your function returns "
                "(a missing return gives None)")
    return "error", t("ton code a levé ", "your code raised ") + student_error(exc, impl_folder)
