"""The pytest plugins every run of an exercise's tests uses, and no other.

Autoloading is off for ``make check``, ``watch``, notebooks and the batch grader
alike: a plugin that happens to be installed beside the kit (pytest-randomly
reorders and reseeds, pytest-xdist, anyio…) must not change a verdict, and
pytest assertion-rewrites the whole distribution of every autoloaded plugin
(all of hypothesis: ~1 s per process where bytecode cannot be cached, e.g.
under ``PYTHONDONTWRITEBYTECODE``). ``grading.plugin`` itself comes from the
ini file's ``addopts``.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points

# Entry-point names (group ``pytest11``): hypothesis' reporting and pytest-timeout
# (the ``timeout`` ini key).
ENTRY_POINTS = ("hypothesispytest", "timeout")
ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def args() -> list[str]:
    """The ``-p`` options that load the kit's plugins with autoloading off."""
    return [opt for name in ENTRY_POINTS for opt in ("-p", name)]


def use_in_this_process() -> None:
    """For a forked child about to call ``pytest.main``: same plugins as a fresh run."""
    os.environ.update(ENV)


def preload() -> None:
    """Import the plugins' modules in a warm parent, so forked children find them loaded."""
    for ep in entry_points(group="pytest11"):
        if ep.name in ENTRY_POINTS:
            ep.load()
