"""The stub generator keeps the API and the docstrings and removes every solution line."""

from __future__ import annotations

import ast

import pytest

from grading.authoring import stubgen

SOURCE = '''"""Module doc."""

import torch


class Net(torch.nn.Module):
    """Doc of Net."""

    def __init__(self, n: int = 3) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.secret_layer = torch.nn.Linear(n, n)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Doc of forward."""
        # BEGIN SOLUTION
        return self.secret_layer(x)
        # END SOLUTION


def helper(a: int, *, b: float = 1.0) -> float:
    """Doc of helper."""
    # BEGIN SOLUTION
    return a * b + 42
    # END SOLUTION
'''


def test_stub_keeps_signatures_and_docstrings():
    stub = stubgen.make_stub(SOURCE, "ex03_simple_nn")
    tree = ast.parse(stub)
    funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert set(funcs) == {"__init__", "forward", "helper"}
    assert ast.get_docstring(funcs["forward"]) == "Doc of forward."
    assert ast.unparse(funcs["helper"].args) == "a: int, *, b: float=1.0"
    assert ast.unparse(funcs["helper"].returns) == "float"
    assert "super().__init__()" in stub  # code outside the markers stays


def test_stub_removes_solutions_and_names_the_todo():
    stub = stubgen.make_stub(SOURCE, "ex03_simple_nn")
    assert "secret_layer" not in stub and "42" not in stub
    assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
    assert 'raise NotImplementedError("ex03 : Net.forward")' in stub
    assert "# TODO (ex03) : implémentez helper" in stub


def test_stub_raises_not_implemented_when_called():
    namespace: dict = {}
    exec(compile(stubgen.make_stub(SOURCE, "ex03_simple_nn"), "stub", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="ex03 : helper"):
        namespace["helper"](1)


@pytest.mark.parametrize("broken, error", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
])
def test_malformed_markers_are_reported(broken, error):
    with pytest.raises(stubgen.StubError, match=error):
        stubgen.make_stub(broken, "ex01_tensors")


def test_committed_stubs_have_no_solution_left():
    for path, text in stubgen.generate().items():
        assert "BEGIN SOLUTION" not in text, path
        compile(text, str(path), "exec")
