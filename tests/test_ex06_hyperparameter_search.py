"""Public tests of ex06_hyperparameter_search: grid (the cartesian product), kfold_indices
(a partition for cross-validation), grid_search (one training per configuration, the best
score wins) and make_scheduler (StepLR and ReduceLROnPlateau change the learning rate as
documented).

The grid search is checked on a real, tiny problem: a logistic regression trained for
one epoch on 512 MNIST digits, where the test computes every configuration's score
itself (same seeds) and compares.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from grading.data import loader, take
from grading.expect import (
    expect,
    expect_close,
    expect_equal,
    expect_raises,
)
from grading.i18n import t
from grading.testkit import Ex06ScoreTable as ScoreTable
from grading.testkit import ex06_call_grid as call_grid
from grading.testkit import ex06_call_kfold as call_kfold
from grading.testkit import ex06_fold_signature as fold_signature
from grading.testkit import ex06_lrs as record_lrs

# --- helpers --------------------------------------------------------------------------------

KEYS = ("lr", "batch_size", "hidden", "dropout", "optimizer")
VALUES = st.one_of(st.integers(0, 512), st.sampled_from([1e-3, 0.01, 0.1, 0.5]),
                   st.sampled_from(["sgd", "adam", "relu", "tanh"]))


@st.composite
def spaces(draw, max_keys: int = 3, max_values: int = 3) -> dict[str, list]:
    """A small search space: 1..max_keys names, each with 1..max_values distinct values."""
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=max_keys, unique=True))
    return {k: draw(st.lists(VALUES, min_size=1, max_size=max_values, unique=True))
            for k in keys}


def expect_partition(folds, n: int, k: int, seed: int) -> None:
    """Every index in exactly one validation fold; each train is the complement of its val."""
    call = f"kfold_indices({n}, {k}, seed={seed})"
    seen = Counter(i for _, val in folds for i in val)
    missing = [i for i in range(n) if seen[i] == 0]
    twice = sorted(i for i, c in seen.items() if c > 1)
    outside = sorted(i for i in seen if not 0 <= i < n)
    expect(not missing and not twice and not outside,
           what=t(f"plis de validation de {call}", f"validation folds of {call}"),
           expected=t(f"chaque indice de 0 à {n - 1} dans exactement un pli de validation",
                      f"every index from 0 to {n - 1} in exactly one validation fold"),
           got=t(f"absents : {missing[:8]}, en double : {twice[:8]}, hors de 0..{n - 1} : "
                 f"{outside[:8]}",
                 f"missing: {missing[:8]}, repeated: {twice[:8]}, outside 0..{n - 1}: "
                 f"{outside[:8]}"),
           todo="kfold_indices",
           hint=t("mélangez range(n) puis répartissez-le en k plis sans rien perdre : "
                  "les derniers indices aussi quand k ne divise pas n",
                  "shuffle range(n) then split it into k folds losing nothing: "
                  "the last indices too when k does not divide n"))
    for i, (train, val) in enumerate(folds):
        want = sorted(set(range(n)) - set(val))
        expect(sorted(train) == want,
               what=t(f"train du pli {i} de {call}", f"train of fold {i} of {call}"),
               expected=t(f"le complément de val : {len(want)} indices, chacun une fois",
                          f"the complement of val: {len(want)} indices, each once"),
               got=t(f"{len(train)} indices dont {len(set(train) & set(val))} aussi dans val "
                     f"et {len(train) - len(set(train))} en double",
                     f"{len(train)} indices, {len(set(train) & set(val))} of them also in val "
                     f"and {len(train) - len(set(train))} repeated"),
               todo="kfold_indices",
               hint=t("train = tous les indices qui ne sont pas dans val (le complément)",
                      "train = every index that is not in val (the complement)"))


def results_table(results, *, todo: str = "grid_search") -> list[tuple[dict, float]]:
    """``results`` of grid_search as (config, float score) pairs, after checking its form."""
    expect(isinstance(results, (list, tuple)),
           what=t("results renvoyé par grid_search", "results returned by grid_search"),
           expected=t("une liste de paires (config, score)", "a list of (config, score) pairs"),
           got=f"{type(results).__name__} ({repr(results)[:150]})", todo=todo,
           hint=t("renvoyez (best, results) : results liste toutes les paires (config, score)",
                  "return (best, results): results lists every (config, score) pair"))
    table = []
    for pair in results:
        ok = isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], dict)
        try:
            score = float(pair[1]) if ok else math.nan
        except (TypeError, ValueError):
            ok = False
        expect(ok, what=t("un élément de results", "an element of results"),
               expected=t("une paire (config, score) : un dict et un nombre",
                          "a (config, score) pair: a dict and a number"),
               got=repr(pair)[:200], todo=todo,
               hint=t("ajoutez (config, score) à results pour chaque configuration",
                      "append (config, score) to results for every configuration"))
        table.append((pair[0], score))
    return table


def expect_search_result(out, space: dict[str, list], score_of, *, todo: str = "grid_search",
                         tolerance: float = 0.0) -> None:
    """``out`` = grid_search(space, ...) holds every configuration once with its score, and
    its best configuration has the highest score (ties: any of the best)."""
    expect(isinstance(out, tuple) and len(out) == 2,
           what=t("valeur renvoyée par grid_search", "value returned by grid_search"),
           expected=t("un tuple (best, results)", "a tuple (best, results)"),
           got=repr(out)[:200], todo=todo,
           hint=t("return best, results", "return best, results"))
    best, results = out
    table = results_table(results, todo=todo)
    combos = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    for config in combos:
        found = [score for c, score in table if c == config]
        expect(len(found) == 1,
               what=t(f"résultats de grid_search pour la configuration {config}",
                      f"grid_search's results for the configuration {config}"),
               expected=t("exactement une paire (config, score)",
                          "exactly one (config, score) pair"),
               got=t(f"{len(found)} paire(s) sur {len(table)} résultats",
                     f"{len(found)} pair(s) among {len(table)} results"),
               todo=todo,
               hint=t("une paire (config, score) par configuration de grid(space), "
                      "ni oubli ni doublon",
                      "one (config, score) pair per configuration of grid(space), "
                      "none missing, none twice"))
        expect_close(found[0], score_of(config), atol=tolerance, rtol=0.0,
                     what=t(f"score enregistré pour {config}", f"score recorded for {config}"),
                     todo=todo,
                     hint=t("gardez le score que train_and_score(config) a renvoyé pour "
                            "cette configuration",
                            "keep the score train_and_score(config) returned for this "
                            "configuration"))
    expect(len(table) == len(combos),
           what=t("nombre de résultats de grid_search", "number of grid_search results"),
           expected=str(len(combos)), got=str(len(table)), todo=todo,
           hint=t("une paire (config, score) par configuration de grid(space)",
                  "one (config, score) pair per configuration of grid(space)"))
    top = max(score_of(c) for c in combos)
    winners = [c for c in combos if score_of(c) >= top - tolerance]
    expect(isinstance(best, dict) and best in winners,
           what=t("meilleure configuration renvoyée par grid_search",
                  "best configuration returned by grid_search"),
           expected=t(f"la configuration de score le plus élevé ({top:.4g}) : {winners[0]}",
                      f"the configuration with the highest score ({top:.4g}): {winners[0]}"),
           got=repr(best)[:200], todo=todo,
           hint=t("best est le dictionnaire de configuration (pas son score) dont le score est "
                  "le plus élevé : max(results, key=lambda r: r[1])[0], pas min",
                  "best is the configuration dict (not its score) with the highest score: "
                  "max(results, key=lambda r: r[1])[0], not min"))


def expect_called_once_each(scorer: ScoreTable, space: dict[str, list]) -> None:
    combos = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    counts = [sum(c == config for c in scorer.calls) for config in combos]
    wrong = [(config, n) for config, n in zip(combos, counts) if n != 1]
    expect(not wrong and len(scorer.calls) == len(combos),
           what=t("appels à train_and_score pendant grid_search",
                  "calls to train_and_score during grid_search"),
           expected=t(f"une fois par configuration : {len(combos)} appels",
                      f"once per configuration: {len(combos)} calls"),
           got=t(f"{len(scorer.calls)} appels ; " + ", ".join(
                     f"{c} : {n} fois" for c, n in wrong[:3]),
                 f"{len(scorer.calls)} calls; " + ", ".join(
                     f"{c}: {n} times" for c, n in wrong[:3])),
           todo="grid_search",
           hint=t("appelez train_and_score une seule fois par configuration de grid(space) et "
                  "gardez son score (un entraînement coûte cher : ne le refaites pas pour "
                  "trouver le meilleur)",
                  "call train_and_score once per configuration of grid(space) and keep its "
                  "score (training is expensive: do not redo it to find the best)"))


def sgd(lr: float) -> torch.optim.Optimizer:
    param = nn.Parameter(torch.zeros(3))
    param.grad = torch.zeros(3)  # so optimizer.step() runs before scheduler.step()
    return torch.optim.SGD([param], lr=lr)


# --- grid -----------------------------------------------------------------------------------


@pytest.mark.points(1)
@given(space=spaces())
def test_grid_is_cartesian_product(ex, space):
    """grid : le produit cartésien, chaque combinaison exactement une fois"""
    configs = call_grid(ex, space)
    size = math.prod(len(v) for v in space.values())
    expect(len(configs) == size,
           what=t(f"nombre de configurations de grid({space!r})",
                  f"number of configurations of grid({space!r})"),
           expected=" × ".join(str(len(v)) for v in space.values()) + f" = {size}",
           got=str(len(configs)), todo="grid",
           hint=t("le produit cartésien combine chaque valeur de chaque clé avec toutes les "
                  "valeurs des autres (itertools.product, ou des boucles imbriquées), "
                  "pas zip",
                  "the cartesian product combines each value of each key with all the values "
                  "of the others (itertools.product, or nested loops), not zip"))
    got = Counter(tuple(c[k] for k in space) for c in configs)
    for combo in itertools.product(*space.values()):
        expect(got[combo] == 1,
               what=t(f"combinaison {dict(zip(space, combo))} dans grid({space!r})",
                      f"combination {dict(zip(space, combo))} in grid({space!r})"),
               expected=t("exactement une fois", "exactly once"),
               got=t(f"{got[combo]} fois", f"{got[combo]} times"), todo="grid",
               hint=t("chaque combinaison d'une valeur par clé apparaît exactement une fois",
                      "each combination of one value per key appears exactly once"))


@pytest.mark.points(1)
def test_grid_deterministic_order(ex):
    """grid : ordre déterministe, space inchangé"""
    space = {"lr": [0.1, 0.01, 0.001], "batch_size": [32, 64], "optimizer": ["sgd", "adam"]}
    before = {k: list(v) for k, v in space.items()}
    first = call_grid(ex, space)
    second = call_grid(ex, space)
    expect_equal(space, before, what=t("space après grid(space)", "space after grid(space)"),
                 todo="grid", hint=t("ne modifiez pas le dictionnaire reçu (ni ses listes)",
                                     "do not modify the dict received (nor its lists)"))
    expect(first == second, what=t("deux appels de grid sur le même space",
                                   "two calls of grid on the same space"),
           expected=t("la même liste, dans le même ordre", "the same list, in the same order"),
           got=t(f"{first[:3]}... puis {second[:3]}...", f"{first[:3]}... then {second[:3]}..."),
           todo="grid",
           hint=t("l'ordre doit être déterministe : pas de hasard ni de set, parcourez les "
                  "clés dans l'ordre du dictionnaire (itertools.product)",
                  "the order must be deterministic: no randomness nor set, go through the "
                  "keys in the dict's order (itertools.product)"))
    expect(len(first) == 12 and {"lr": 0.001, "batch_size": 64, "optimizer": "adam"} in first,
           what=t("grid sur 3 × 2 × 2 valeurs", "grid over 3 × 2 × 2 values"),
           expected=t("12 configurations, dont {'lr': 0.001, 'batch_size': 64, "
                      "'optimizer': 'adam'}",
                      "12 configurations, among them {'lr': 0.001, 'batch_size': 64, "
                      "'optimizer': 'adam'}"),
           got=t(f"{len(first)} configurations", f"{len(first)} configurations"), todo="grid",
           hint=t("une configuration par combinaison (produit cartésien)",
                  "one configuration per combination (cartesian product)"))


# --- kfold_indices ----------------------------------------------------------------------------

SIZES = st.integers(2, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, min(n, 10))))


@pytest.mark.points(1)
@given(nk=SIZES, seed=st.integers(0, 10_000))
def test_kfold_partition(ex, nk, seed):
    """kfold_indices : chaque indice dans exactement un pli de validation, train = complément"""
    n, k = nk
    expect_partition(call_kfold(ex, n, k, seed), n, k, seed)


@pytest.mark.points(1)
@given(nk=SIZES, seed=st.integers(0, 10_000))
def test_kfold_fold_sizes(ex, nk, seed):
    """kfold_indices : les plis de validation ont la même taille, à 1 près"""
    n, k = nk
    folds = call_kfold(ex, n, k, seed)
    sizes = [len(val) for _, val in folds]
    expect(max(sizes) - min(sizes) <= 1 and sum(sizes) == n,
           what=t(f"tailles des plis de validation de kfold_indices({n}, {k}, seed={seed})",
                  f"sizes of the validation folds of kfold_indices({n}, {k}, seed={seed})"),
           expected=t(f"{n} indices répartis en {k} plis de {n // k} ou {n // k + 1}",
                      f"{n} indices split into {k} folds of {n // k} or {n // k + 1}"),
           got=str(sizes), todo="kfold_indices",
           hint=t("répartissez le reste n % k sur les premiers plis (un de plus chacun), "
                  "ou prenez un indice sur k (perm[i::k])",
                  "spread the remainder n % k over the first folds (one more each), "
                  "or take every k-th index (perm[i::k])"))


@pytest.mark.points(1)
def test_kfold_seeded_shuffle(ex):
    """kfold_indices : même seed → mêmes plis ; autre seed → autres plis (mélange)"""
    n, k = 30, 5
    first = call_kfold(ex, n, k, seed=0)
    torch.rand(7)  # the global generators move on between the two calls
    random.random()
    np.random.rand(3)
    again = call_kfold(ex, n, k, seed=0)
    expect(fold_signature(first) == fold_signature(again),
           what=t(f"deux appels de kfold_indices({n}, {k}, seed=0)",
                  f"two calls of kfold_indices({n}, {k}, seed=0)"),
           expected=t("les mêmes plis de validation", "the same validation folds"),
           got=t(f"pli 0 : {sorted(first[0][1])} puis {sorted(again[0][1])}",
                 f"fold 0: {sorted(first[0][1])} then {sorted(again[0][1])}"),
           todo="kfold_indices",
           hint=t("mélangez avec un générateur initialisé par seed "
                  "(torch.Generator().manual_seed(seed), random.Random(seed)…), pas avec "
                  "l'état global",
                  "shuffle with a generator seeded with seed "
                  "(torch.Generator().manual_seed(seed), random.Random(seed)…), not with "
                  "the global state"))
    for other in (1, 2):
        folds = call_kfold(ex, n, k, seed=other)
        expect(fold_signature(folds) != fold_signature(first),
               what=t(f"kfold_indices({n}, {k}, seed={other}) comparé à seed=0",
                      f"kfold_indices({n}, {k}, seed={other}) compared with seed=0"),
               expected=t("d'autres plis de validation", "other validation folds"),
               got=t(f"les mêmes (pli 0 : {sorted(folds[0][1])})",
                     f"the same ones (fold 0: {sorted(folds[0][1])})"),
               todo="kfold_indices",
               hint=t("mélangez les indices avant de les répartir, avec un générateur qui "
                      "dépend de seed",
                      "shuffle the indices before splitting them, with a generator that "
                      "depends on seed"))


# --- grid_search ------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_grid_search_calls_and_best(ex):
    """grid_search : un appel par configuration, renvoie la meilleure et tous les résultats"""
    space = {"lr": [0.1, 0.01, 0.001], "hidden": [16, 64]}
    table = {(0.1, 16): 0.62, (0.1, 64): 0.70, (0.01, 16): 0.81,
             (0.01, 64): 0.93, (0.001, 16): 0.55, (0.001, 64): 0.74}

    def score_of(config: dict) -> float:
        return table[config["lr"], config["hidden"]]

    scorer = ScoreTable(score_of)
    out = ex.grid_search(space, scorer)
    expect_called_once_each(scorer, space)
    expect_search_result(out, space, score_of)


def logistic_score(config: dict, train: TensorDataset, val: TensorDataset) -> float:
    """Validation accuracy of a logistic regression after one SGD epoch (fixed seeds)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
    for x, y in loader(train, 64, shuffle=True, seed=0):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        x, y = val.tensors
        return (model(x).argmax(dim=1) == y).float().mean().item()


@pytest.mark.points(1)
def test_grid_search_mnist_learning_rate(ex, mnist):
    """grid_search sur MNIST : choisit le taux d'apprentissage de meilleure exactitude"""
    # One SGD epoch (8 batches of 64) of nn.Linear(784, 10) on 512 digits, accuracy on 300
    # held-out digits. Measured with the reference (0.1 s): lr 1e-3 → 0.087, 1e-2 → 0.447,
    # 0.1 → 0.773, 1.0 → 0.540; over 6 data seeds lr 0.1 always wins, by 0.07 to 0.23.
    # The test computes every score itself, so no threshold is involved.
    train, val = take(mnist.train, 512), take(mnist.test, 300)
    space = {"lr": [1e-3, 1e-2, 0.1, 1.0]}
    expected = {lr: logistic_score({"lr": lr}, train, val) for lr in space["lr"]}
    scorer = ScoreTable(lambda config: logistic_score(config, train, val))
    out = ex.grid_search(space, scorer)
    expect_called_once_each(scorer, space)
    expect_search_result(out, space, lambda config: expected[config["lr"]])


# --- make_scheduler ---------------------------------------------------------------------------

STEP_CASES = ((1, 0.5), (2, 0.1), (3, 0.5), (4, 0.9))
PLATEAU_CASES = ((0, 0.5), (1, 0.1), (2, 0.5), (3, 0.25))


@pytest.mark.points(1)
def test_make_scheduler_step(ex):
    """make_scheduler("step") : lr = lr0 · gamma^(époque // step_size)"""
    epochs, lr0 = 10, 0.5
    for step_size, gamma in STEP_CASES:
        optimizer = sgd(lr0)
        scheduler = ex.make_scheduler(optimizer, "step", step_size=step_size, gamma=gamma)
        got = []
        for _ in range(epochs):
            got.append(record_lrs(optimizer)[0])
            optimizer.step()
            scheduler.step()
        want = [lr0 * gamma ** (e // step_size) for e in range(epochs)]
        expect_close(torch.tensor(got, dtype=torch.float64),
                     torch.tensor(want, dtype=torch.float64), atol=1e-12, rtol=1e-6,
                     what=t(f"lr pendant les époques 0 à {epochs - 1} avec make_scheduler(opt, "
                            f"\"step\", step_size={step_size}, gamma={gamma}), lr0 = {lr0}",
                            f"lr during epochs 0 to {epochs - 1} with make_scheduler(opt, "
                            f"\"step\", step_size={step_size}, gamma={gamma}), lr0 = {lr0}"),
                     todo="make_scheduler",
                     hint=t("construisez torch.optim.lr_scheduler.StepLR(optimizer, **kw) en "
                            "lui transmettant step_size et gamma",
                            "build torch.optim.lr_scheduler.StepLR(optimizer, **kw) passing "
                            "it step_size and gamma"))


def expect_lr(optimizer, want: float, *, what: str, hint: str) -> None:
    expect_close(record_lrs(optimizer)[0], want, atol=1e-12, rtol=1e-6, what=what,
                 todo="make_scheduler", hint=hint)


@pytest.mark.points(1)
def test_make_scheduler_plateau(ex):
    """make_scheduler("plateau") : lr × factor après patience + 1 époques sans progrès"""
    for patience, factor in PLATEAU_CASES:
        optimizer = sgd(1.0)
        scheduler = ex.make_scheduler(optimizer, "plateau", patience=patience, factor=factor)
        setting = f"patience={patience}, factor={factor}"
        losses = [2.0, 1.5, 1.0, 0.5, 0.25, 0.125]  # always improving: lr must not move
        for i, loss in enumerate(losses):
            scheduler.step(loss)
            expect_lr(optimizer, 1.0,
                      what=t(f"lr ({setting}) après les pertes de validation {losses[:i + 1]}",
                             f"lr ({setting}) after the validation losses {losses[:i + 1]}"),
                      hint=t("une perte qui baisse est un progrès : ReduceLROnPlateau en "
                             "mode=\"min\" (il surveille une perte)",
                             "a falling loss is progress: ReduceLROnPlateau with mode=\"min\" "
                             "(it watches a loss)"))
        for bad in range(1, patience + 2):
            scheduler.step(0.125)  # no better than the best so far
            dropped = bad == patience + 1
            expect_lr(optimizer, factor if dropped else 1.0,
                      what=t(f"lr ({setting}) après {bad} époque(s) sans progrès",
                             f"lr ({setting}) after {bad} epoch(s) without progress"),
                      hint=t("transmettez patience et factor à ReduceLROnPlateau (**kw) : le "
                             "taux est multiplié par factor après patience + 1 époques sans "
                             "progrès, pas avant",
                             "pass patience and factor on to ReduceLROnPlateau (**kw): the "
                             "rate is multiplied by factor after patience + 1 epochs without "
                             "progress, not before"))


@pytest.mark.points(1)
def test_make_scheduler_unknown_name(ex):
    """make_scheduler : un nom inconnu lève une ValueError qui cite les choix"""
    exc = expect_raises(ValueError, lambda: ex.make_scheduler(sgd(0.1), "cosine"),
                        what=t("make_scheduler(optimizer, \"cosine\")",
                               "make_scheduler(optimizer, \"cosine\")"),
                        todo="make_scheduler",
                        hint=t("terminez par raise ValueError(...) quand aucun nom ne "
                               "correspond (pas return None)",
                               "end with raise ValueError(...) when no name matches "
                               "(not return None)"))
    for choice in ("step", "plateau"):
        expect(choice in str(exc),
               what=t("message de la ValueError de make_scheduler",
                      "message of make_scheduler's ValueError"),
               expected=t(f"cite le choix valide {choice!r}", f"names the valid choice {choice!r}"),
               got=repr(str(exc)), todo="make_scheduler",
               hint=t("citez les deux noms valides, \"step\" et \"plateau\", dans le message",
                      "name the two valid choices, \"step\" and \"plateau\", in the message"))
