"""Planted bugs: typical student mistakes, applied to the reference as text edits.

The kit's own tests apply each mutant to a copy of the reference module, run the
exercise's public and hidden tests on it, and require at least one test to fail
with a learner message containing ``expect`` (case-insensitive, French): a
mistake the suite cannot see, or reports under the wrong name, is a gap.
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



def _collect() -> tuple[Mutant, ...]:
    """Every exercise keeps its mutants in ``grading/mutants/exNN.py`` as ``MUTANTS``."""
    from grading.registry import EXERCISES

    found: list[Mutant] = []
    for ex in EXERCISES:
        try:
            module = import_module(f"grading.mutants.{ex.id}")
        except ModuleNotFoundError:
            continue
        found += module.MUTANTS
    return tuple(found)


MUTANTS: tuple[Mutant, ...] = _collect()
