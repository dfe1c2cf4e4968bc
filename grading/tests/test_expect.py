"""Learner messages say what was checked, expected vs. got, the hint and the TODO."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grading import expect as E


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(E.LearnerFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_shape_message(monkeypatch):
    monkeypatch.setenv("KIT_LANG", "fr")
    text = message(E.expect_shape, torch.zeros(2, 3), (2, 10), what="sortie", todo="Net.forward",
                   hint="aplatissez")
    assert "attendu : forme (2, 10)" in text and "obtenu  : forme (2, 3)" in text
    assert "indice  : aplatissez" in text and "à revoir : TODO de Net.forward" in text


def test_close_message_names_the_worst_index(monkeypatch):
    monkeypatch.setenv("KIT_LANG", "en")
    got, want = torch.zeros(3, 3), torch.zeros(3, 3)
    got[1, 2] = 0.5
    text = message(E.expect_close, got, want, what="values", todo="f")
    assert "at index [1, 2]" in text and "1/9 values off" in text


def test_close_accepts_within_tolerance():
    E.expect_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-8]), what="v")
    E.expect_close(0.5000001, 0.5, what="v")


def test_param_count_and_grad_flow():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    E.expect_param_count(model, 3 * 4 + 4 + 4 * 2 + 2)
    assert "25" in message(E.expect_param_count, model, 25)
    unused = nn.Linear(2, 2)
    model.add_module("unused", unused)
    model[0](torch.randn(5, 3)).sum().backward()
    text = message(E.expect_grad_flow, model, todo="Net")
    assert "unused.weight" in text or "sans gradient" in text


def test_raises_reports_missing_exception():
    text = message(E.expect_raises, ValueError, lambda: 3, what="nom inconnu")
    assert "ValueError" in text and "3" in text
    exc = E.expect_raises(ValueError, lambda: int("x"), what="conversion")
    assert isinstance(exc, ValueError)


def test_failures_stay_hashable():
    failure = E.LearnerFailure(what="w", expected="e", got="g")
    assert {failure}


def _failure(raise_it):
    try:
        raise_it()
    except Exception as exc:  # noqa: BLE001 - handed to the classifier like pytest's excinfo
        return type("ExcInfo", (), {"value": exc})()
    raise AssertionError("nothing raised")


def test_errors_in_the_students_code_and_in_the_tests_are_told_apart(monkeypatch, tmp_path):
    from grading.results import classify_failure

    monkeypatch.setenv("KIT_LANG", "fr")
    module = tmp_path / "ex01_tensors.py"
    namespace: dict = {}
    exec(compile("def to_float_image(img):\n    return img.nope\n", str(module), "exec"),
         namespace)
    status, text = classify_failure(_failure(lambda: namespace["to_float_image"](1)), tmp_path)
    assert status == "error" and text.startswith("ton code a levé AttributeError")
    assert "ex01_tensors.py, ligne 2, dans to_float_image" in text

    # The student's function returned None and the test used it: not "your code raised".
    status, text = classify_failure(_failure(lambda: None.shape), tmp_path)
    assert status == "error" and "a levé" not in text
    assert text.startswith("erreur en utilisant ce que renvoie ton code : AttributeError")
    assert "un return oublié donne None" in text
