"""The one seam between tests and the code under test.

``--impl=exercises`` (the default: the student's stubs), ``--impl=reference``
(the solutions, instructors only) or ``--impl=PATH``: a folder holding any
subset of the exercise modules, flat or under ``exercises/`` (a submission).
Tests ask the session's :class:`Implementation` for a module by name and never
import ``reference`` themselves.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from grading.i18n import t

KIT_ROOT = Path(__file__).resolve().parent.parent


class TestTimeout(BaseException):
    """Raised by the plugin's per-test alarm. A BaseException, so that neither the
    student's ``except Exception`` nor hypothesis (which retries on Exception and on
    pytest's Failed) can swallow it."""

    __test__ = False


class ModuleUnavailable(Exception):
    """The module under test is absent or does not import; the test scores 0 with this reason."""

    def __init__(self, module: str, reason: str, detail: str = "") -> None:
        self.module = module
        self.reason = reason
        """``absent``, ``import`` or ``timeout``."""
        self.detail = detail
        super().__init__(self.message())

    def message(self) -> str:
        if self.reason == "absent":
            return t(f"module {self.module}.py absent", f"module {self.module}.py missing")
        if self.reason == "timeout":
            return t(f"délai dépassé à l'import de {self.module}.py (boucle infinie au niveau "
                     "du module ?)", f"time limit exceeded while importing {self.module}.py "
                     "(infinite loop at module level?)")
        return t(f"{self.module}.py ne s'importe pas : {self.detail}",
                 f"{self.module}.py fails to import: {self.detail}")


def resolve(impl: str, root: Path = KIT_ROOT) -> Path:
    """Turn the --impl value into the folder that holds the modules."""
    if impl in ("exercises", "reference"):
        return root / impl
    return Path(impl).expanduser().resolve()


class Implementation:
    """The code under test for one pytest session: one folder, modules loaded once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, ModuleType | ModuleUnavailable] = {}

    def path_of(self, module: str) -> Path | None:
        for candidate in (self.folder / f"{module}.py", self.folder / "exercises" / f"{module}.py"):
            if candidate.is_file():
                return candidate
        return None

    def load(self, module: str) -> ModuleType:
        """Import ``module`` from the folder under its plain name, as a student runs it."""
        if module not in self._cache:
            self._cache[module] = self._import(module)
        found = self._cache[module]
        if isinstance(found, ModuleUnavailable):
            raise found
        return found

    def _import(self, module: str) -> ModuleType | ModuleUnavailable:
        path = self.path_of(module)
        if path is None:
            return ModuleUnavailable(module, "absent")
        # Sibling helper modules of the student import as they would at home.
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(module, path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[module] = mod
        try:
            spec.loader.exec_module(mod)
        except TestTimeout:
            sys.modules.pop(module, None)
            return ModuleUnavailable(module, "timeout")
        except BaseException as exc:  # noqa: BLE001 - a broken module is a result, not a crash
            sys.modules.pop(module, None)
            if isinstance(exc, KeyboardInterrupt):
                raise
            return ModuleUnavailable(module, "import", student_error(exc, path))
        return mod


def student_error(exc: BaseException, path: Path | None = None) -> str:
    """``TypeError: ... (ex03_simple_nn.py, ligne 42)``: the exception and the deepest
    line of the student's code (``path``: its file or folder), never a frame of the tests."""
    text = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{type(exc).__name__}: {exc.msg} ({Path(exc.filename or '?').name}, " \
               f"{t('ligne', 'line')} {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if _is_student_file(f.filename, path)]
    if own:
        f = own[-1]
        where = f", {t('dans', 'in')} {f.name}" if f.name != "<module>" else ""
        text += f" ({Path(f.filename).name}, {t('ligne', 'line')} {f.lineno}{where}"
        text += f" : {f.line})" if f.line else ")"
    return text


def raised_in_student_code(exc: BaseException, path: Path | None = None) -> bool:
    """Did the traceback pass through the code under test at all? If not, the test raised
    while using what that code returned (``None``, a wrong shape handed to a library...)."""
    return any(_is_student_file(f.filename, path)
               for f in traceback.extract_tb(exc.__traceback__))


def _is_student_file(filename: str, path: Path | None) -> bool:
    """Frames of the code under test: the module file itself, or anything in its folder."""
    p = Path(filename)
    if path is None:
        return p.name.startswith("ex") and "tests" not in p.parts and "hidden" not in p.parts
    return p == path if path.suffix == ".py" else path in p.parents
