"""dlkit: auto-graded PyTorch exercises (registry, seam, learner messages, runners).

In a notebook next to the exercises: ``from grading import check; r = check("ex3")``
shows the report of the public tests of ex3 and returns a :class:`grading.notebook.
CheckResult`. Importing ``grading`` stays cheap (no torch): ``check`` is loaded on
first use. (``make check``'s own module is ``grading.checking``, so the name ``check``
is never shadowed by a submodule.)
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "check":
        from grading.notebook import check

        return check
    raise AttributeError(f"module 'grading' has no attribute {name!r}")
