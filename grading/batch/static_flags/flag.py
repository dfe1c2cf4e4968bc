"""One static flag: a construct to review in one module."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """One construct to review in one module."""

    module: str
    """Path relative to the scanned folder: ``ex03_simple_nn.py`` or ``exercises/...``."""
    line: int
    kind: str
    """Short stable slug, e.g. ``import-ctypes``: reports group and count by it."""
    detail: str
    """One line in English for the instructor."""
