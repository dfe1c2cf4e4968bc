"""Rewrites of the reference, applied as text edits, that test the tests.

- A :class:`Mutant` is a typical student mistake: at least one test of its
  exercise must fail with a learner message containing ``expect``
  (case-insensitive, French). A mistake the suite cannot see is a gap.
- A :class:`Variant` is a correct solution written another way (``nn.Sequential``
  instead of attributes, ``F.relu``, ``view``, a per-sample mean, prints...):
  every test must pass on it. A grader that fails it is unfair.

Each exercise keeps both in ``grading/authoring/mutants/exNN.py`` (``MUTANTS``, ``VARIANTS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Mutant:
    exercise: str
    """Exercise id, e.g. ``ex03``."""
    name: str
    """Short slug, unique within the exercise."""
    mistake: str
    """The student's mistake, in plain words."""
    old: str
    """A snippet of the reference module that occurs exactly once."""
    new: str
    """What the student wrote instead."""
    expect: str
    """A phrase the learner message of a failing test must contain."""

    @property
    def id(self) -> str:
        return f"{self.exercise}-{self.name}"

    def apply(self, source: str) -> str:
        if source.count(self.old) != 1:
            raise ValueError(f"mutant {self.id}: snippet found {source.count(self.old)} times")
        return source.replace(self.old, self.new)



@dataclass(frozen=True)
class Variant:
    exercise: str
    name: str
    style: str
    """How this correct solution differs from the reference."""
    edits: tuple[tuple[str, str], ...]
    """(old, new) pairs; each ``old`` occurs exactly once in the reference."""

    @property
    def id(self) -> str:
        return f"{self.exercise}-{self.name}"

    def apply(self, source: str) -> str:
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"variant {self.id}: snippet found {source.count(old)} times")
            source = source.replace(old, new)
        return source


def _collect(kind: str) -> tuple:
    from grading.registry import EXERCISES

    found: list = []
    for ex in EXERCISES:
        try:
            module = import_module(f"grading.authoring.mutants.{ex.id}")
        except ModuleNotFoundError:
            continue
        found += getattr(module, kind, ())
    return tuple(found)


MUTANTS: tuple[Mutant, ...] = _collect("MUTANTS")
VARIANTS: tuple[Variant, ...] = _collect("VARIANTS")
