"""Learner-facing assertions: every failure says what was checked, expected vs. got,
a hint, and which TODO to revisit.

Tests use these helpers instead of bare ``assert`` so that a student never sees
test source, only a message written for them (in French, or English with
``KIT_LANG=en``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from grading.i18n import t


@dataclass(eq=False)  # exceptions must stay hashable
class LearnerFailure(AssertionError):
    """A failed check, described for the student."""

    what: str
    """What was checked, e.g. "forme de la sortie de SimpleNN"."""
    expected: str
    got: str
    todo: str | None = None
    """The function or method whose TODO to revisit, e.g. "SimpleNN.forward"."""
    hint: str | None = None
    """The likely cause, in the learner's language."""

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.what]
        lines.append(f"  {t('attendu', 'expected')} : {self.expected}")
        lines.append(f"  {t('obtenu ', 'got     ')} : {self.got}")
        if self.hint:
            lines.append(f"  {t('indice ', 'hint    ')} : {self.hint}")
        if self.todo:
            lines.append(f"  {t('à revoir', 'revisit ')} : TODO {t('de', 'in')} {self.todo}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def fmt_number(x: float | int) -> str:
    """Group thousands the French way (101 770) or the English way (101,770)."""
    if isinstance(x, int):
        s = f"{x:,}"
        return s.replace(",", "\u202f") if t("fr", "en") == "fr" else s
    return f"{x:.6g}"


def describe(value: Any) -> str:
    """A short, readable rendering of a value of any type (no tensor walls)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard dependency
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        shape = tuple(value.shape)
        if value.numel() <= 6:
            return f"tensor({value.detach().cpu().tolist()}, dtype={value.dtype})"
        return f"tensor of shape {shape}, dtype={value.dtype}"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def expect(condition: bool, *, what: str, expected: str, got: str,
           todo: str | None = None, hint: str | None = None) -> None:
    """The general form: raise a LearnerFailure unless ``condition``."""
    if not condition:
        raise LearnerFailure(what=what, expected=expected, got=got, todo=todo, hint=hint)


def expect_equal(got: Any, expected: Any, *, what: str, todo: str | None = None,
                 hint: str | None = None) -> None:
    expect(got == expected, what=what, expected=describe(expected), got=describe(got),
           todo=todo, hint=hint)


def expect_type(got: Any, types: type | tuple[type, ...], *, what: str,
                todo: str | None = None, hint: str | None = None) -> None:
    names = " | ".join(tp.__name__ if tp.__module__ == "builtins" else
                       f"{tp.__module__.split('.')[0]}.{tp.__qualname__}"
                       for tp in (types if isinstance(types, tuple) else (types,)))
    expect(isinstance(got, types), what=what, expected=names,
           got=f"{type(got).__name__} ({describe(got)})", todo=todo, hint=hint)


def expect_tensor(got: Any, *, what: str, todo: str | None = None) -> None:
    import torch

    expect_type(got, torch.Tensor, what=what, todo=todo,
                hint=t("la fonction doit renvoyer un torch.Tensor",
                       "the function must return a torch.Tensor"))


def expect_shape(got: Any, expected: Iterable[int], *, what: str, todo: str | None = None,
                 hint: str | None = None) -> None:
    """The tensor ``got`` has exactly the shape ``expected``."""
    expect_tensor(got, what=what, todo=todo)
    expected = tuple(expected)
    expect(tuple(got.shape) == expected, what=what,
           expected=t("forme ", "shape ") + str(expected),
           got=t("forme ", "shape ") + str(tuple(got.shape)), todo=todo, hint=hint)


def expect_dtype(got: Any, expected: Any, *, what: str, todo: str | None = None,
                 hint: str | None = None) -> None:
    expect_tensor(got, what=what, todo=todo)
    expect(got.dtype == expected, what=what, expected=f"dtype {expected}",
           got=f"dtype {got.dtype}", todo=todo, hint=hint)


def expect_close(got: Any, expected: Any, *, what: str, todo: str | None = None,
                 hint: str | None = None, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Numbers or tensors equal within ``atol + rtol * |expected|``; says where they differ most."""
    import torch

    if isinstance(expected, torch.Tensor):
        expect_tensor(got, what=what, todo=todo)
        expect(tuple(got.shape) == tuple(expected.shape), what=what,
               expected=t("forme ", "shape ") + str(tuple(expected.shape)),
               got=t("forme ", "shape ") + str(tuple(got.shape)), todo=todo, hint=hint)
        g = got.detach().to("cpu", torch.float64)
        e = expected.detach().to("cpu", torch.float64)
        if g.numel() == 0 or torch.allclose(g, e, atol=atol, rtol=rtol, equal_nan=False):
            return
        diff = (g - e).abs().nan_to_num(float("inf"))
        off = int((diff > atol + rtol * e.abs()).sum())
        flat = int(diff.argmax())
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), e.shape)) \
            if e.dim() else ()
        raise LearnerFailure(
            what=what,
            expected=t(f"{float(e[idx]):.6g} à l'indice {list(idx)} (tolérance {atol:g})",
                       f"{float(e[idx]):.6g} at index {list(idx)} (tolerance {atol:g})"),
            got=t(f"{float(g[idx]):.6g} (écart max {float(diff.max()):.3g} ; "
                  f"{off}/{e.numel()} valeurs hors tolérance)",
                  f"{float(g[idx]):.6g} (max difference {float(diff.max()):.3g}; "
                  f"{off}/{e.numel()} values off)"),
            todo=todo, hint=hint)
    try:
        g = float(got)
    except (TypeError, ValueError):
        raise LearnerFailure(what=what, expected=t("un nombre", "a number"),
                             got=f"{type(got).__name__} ({describe(got)})",
                             todo=todo, hint=hint) from None
    e = float(expected)
    expect(math.isfinite(g) and abs(g - e) <= atol + rtol * abs(e), what=what,
           expected=f"{e:.6g} (± {atol + rtol * abs(e):.2g})", got=f"{g:.6g}",
           todo=todo, hint=hint)


def expect_param_count(model: Any, expected: int, *, todo: str | None = None,
                       trainable_only: bool = True, hint: str | None = None) -> None:
    params = [p for p in model.parameters() if p.requires_grad or not trainable_only]
    got = sum(p.numel() for p in params)
    kind = t("paramètres entraînables", "trainable parameters") if trainable_only \
        else t("paramètres", "parameters")
    shapes = ", ".join(str(tuple(p.shape)) for p in params[:8])
    expect(got == expected, what=t(f"nombre de {kind}", f"number of {kind}"),
           expected=fmt_number(expected),
           got=f"{fmt_number(got)} ({t('tenseurs', 'tensors')} : {shapes}"
               f"{', ...' if len(params) > 8 else ''})",
           todo=todo, hint=hint)


def expect_grad_flow(model: Any, *, todo: str | None = None, hint: str | None = None) -> None:
    """After ``backward``, every trainable parameter has a finite, non-zero gradient."""
    import torch

    missing, bad, zero = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            missing.append(name)
        elif not torch.isfinite(p.grad).all():
            bad.append(name)
        elif not p.grad.abs().sum() > 0:
            zero.append(name)
    problems = []
    if missing:
        problems.append(t("sans gradient : ", "no gradient: ") + ", ".join(missing[:6]))
    if bad:
        problems.append(t("gradient non fini : ", "non-finite gradient: ") + ", ".join(bad[:6]))
    if zero:
        problems.append(t("gradient nul : ", "zero gradient: ") + ", ".join(zero[:6]))
    expect(not problems, what=t("le gradient atteint chaque paramètre",
                                "the gradient reaches every parameter"),
           expected=t("un gradient fini et non nul pour chaque paramètre entraînable",
                      "a finite, non-zero gradient for every trainable parameter"),
           got="; ".join(problems), todo=todo,
           hint=hint or t("un paramètre sans gradient n'est pas utilisé dans forward "
                          "(ou le calcul a été détaché du graphe : .detach(), .item(), numpy)",
                          "a parameter with no gradient is unused in forward "
                          "(or the computation left the graph: .detach(), .item(), numpy)"))


def expect_converges(value: float, threshold: float, *, what: str, todo: str | None = None,
                     hint: str | None = None, higher_is_better: bool = True) -> None:
    """A training metric reaches a threshold (the test's docstring states the margin)."""
    ok = value >= threshold if higher_is_better else value <= threshold
    sign = "≥" if higher_is_better else "≤"
    expect(ok, what=what, expected=f"{sign} {threshold:.4g}", got=f"{value:.4g}",
           todo=todo, hint=hint)


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any], *, what: str,
                  todo: str | None = None, hint: str | None = None) -> BaseException:
    """``fn()`` raises ``exc_type``; returns the exception for further checks."""
    try:
        result = fn()
    except exc_type as exc:
        return exc
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any other exception is the learner's mistake
        raise LearnerFailure(what=what, expected=exc_type.__name__,
                             got=f"{type(exc).__name__}: {exc}", todo=todo, hint=hint) from None
    raise LearnerFailure(what=what, expected=t(f"une exception {exc_type.__name__}",
                                               f"a {exc_type.__name__} exception"),
                         got=t(f"aucune exception (résultat : {describe(result)})",
                               f"no exception (result: {describe(result)})"),
                         todo=todo, hint=hint)
