"""Learner-facing language: French by default (the course's language), KIT_LANG=en for English."""

from __future__ import annotations

import os


def lang() -> str:
    """The language of learner messages, read at call time so tests can switch it."""
    return "en" if os.environ.get("KIT_LANG", "fr").lower().startswith("en") else "fr"


def t(fr: str, en: str) -> str:
    """Pick the French or English text of a learner message."""
    return en if lang() == "en" else fr
