"""Public tests of ex09_training_tricks: EarlyStopper on hand-made loss sequences, the L1
penalty (value and gradient), make_sgd's settings, fit's history (values, learning rate,
schedulers, early stopping, L1 kept out of train_loss) and parameter_stats.

``fit`` is graded apart from the rest of the exercise: the tests give it their own small
model, optimizer, scheduler and stopper. Where the weights must not move (so that every
epoch sees the same losses), the optimizer either has ``lr=0`` or holds only a parameter
outside the model: the learning rate can then still be scheduled and observed.
Losses and deltas given to EarlyStopper are exact in binary (multiples of 1/8).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.lr_scheduler import ReduceLROnPlateau, StepLR

from grading.data import loader, take
from grading.expect import expect, expect_close, expect_equal, expect_tensor, expect_type
from grading.i18n import t
from grading.testkit import EX09_CURVES as CURVES
from grading.testkit import ex09_idle_optimizer as _idle_optimizer
from grading.testkit import ex09_mlp as _mlp


@pytest.fixture(scope="module")
def digits(mnist):
    """200 training digits (4 batches of 50, shuffled) and 100 validation digits (2 batches)."""
    return loader(take(mnist.train, 200), 50, shuffle=True), loader(take(mnist.test, 100), 50)


def _oracle(model: nn.Module, data_loader) -> tuple[float, float]:
    """Mean cross-entropy over the batches and accuracy of a model that does not change."""
    model.eval()
    losses, correct, seen = [], 0, 0
    with torch.no_grad():
        for x, y in data_loader:
            logits = model(x)
            losses.append(F.cross_entropy(logits, y).item())
            correct += int((logits.argmax(dim=1) == y).sum())
            seen += len(y)
    return sum(losses) / len(losses), correct / seen


def _curves(history, epochs: int) -> dict[str, list[float]]:
    """The five lists of ``history``, checked to hold one number per epoch."""
    for name in CURVES:
        expect(hasattr(history, name),
               what=t("attributs de l'historique renvoyé par fit",
                      "attributes of the history fit returns"),
               expected=", ".join(CURVES),
               got=t(f"pas d'attribut {name} ({type(history).__name__})",
                     f"no attribute {name} ({type(history).__name__})"),
               todo="fit",
               hint=t("renvoyez un History (fourni dans le fichier) rempli époque par époque",
                      "return a History (provided in the file) filled epoch by epoch"))
    lengths = {name: len(getattr(history, name)) for name in CURVES}
    expect(all(n == epochs for n in lengths.values()),
           what=t(f"longueur des listes de l'historique après {epochs} époque(s)",
                  f"length of the history's lists after {epochs} epoch(s)"),
           expected=t(f"{epochs} valeurs dans chaque liste", f"{epochs} values in each list"),
           got=", ".join(f"{name}: {n}" for name, n in lengths.items()), todo="fit",
           hint=t("ajoutez une valeur par époque effectuée à chacune des cinq listes "
                  "(ni une par lot, ni seulement la dernière)",
                  "append one value per epoch run to each of the five lists "
                  "(not one per batch, not only the last one)"))
    return {name: [float(v) for v in getattr(history, name)] for name in CURVES}


def _stops(ex, patience: int, min_delta: float, losses: list[float]) -> list[bool]:
    stopper = ex.EarlyStopper(patience=patience, min_delta=min_delta)
    return [bool(stopper.step(v)) for v in losses]


def _expect_stops(ex, patience: int, min_delta: float, losses: list[float],
                  expected: list[bool], hint: str) -> None:
    got = _stops(ex, patience, min_delta, losses)
    first = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), None)
    where = "" if first is None else t(
        f" ; premier écart à l'appel n°{first + 1} (perte {losses[first]})",
        f"; first difference at call #{first + 1} (loss {losses[first]})")
    expect(got == expected,
           what=t(f"EarlyStopper(patience={patience}, min_delta={min_delta}) : valeurs "
                  f"renvoyées par step pour les pertes {losses}",
                  f"EarlyStopper(patience={patience}, min_delta={min_delta}): values "
                  f"returned by step for the losses {losses}"),
           expected=str(expected), got=f"{got}{where}", todo="EarlyStopper.step", hint=hint)


# --- EarlyStopper ---------------------------------------------------------------------------


@pytest.mark.points(1)
def test_early_stopper_patience(ex):
    """EarlyStopper : le 1er appel améliore ; arrêt après patience époques sans progrès"""
    _expect_stops(ex, 1, 0.25, [1e6], [False],
                  hint=t("le premier appel à step est toujours une amélioration : partez de "
                         "best_loss = float(\"inf\") (ou de None, traité à part), pas de 0",
                         "the first call to step always improves: start from "
                         "best_loss = float(\"inf\") (or from None, handled apart), not from 0"))
    _expect_stops(ex, 3, 0.25, [2.0, 2.0, 2.5, 2.0], [False, False, False, True],
                  hint=t("après patience époques sans progrès (counter >= patience), step "
                         "renvoie True ; avant, False",
                         "after patience epochs without progress (counter >= patience), step "
                         "returns True; before that, False"))


@pytest.mark.points(1)
def test_early_stopper_min_delta_and_reset(ex):
    """EarlyStopper : un progrès égal à min_delta compte, un plus petit non ; counter remis à 0"""
    _expect_stops(ex, 1, 0.25, [1.0, 0.75, 0.5], [False, False, False],
                  hint=t("une amélioration exactement égale à min_delta compte : "
                         "best_loss - val_loss >= min_delta (>=, pas >)",
                         "an improvement exactly equal to min_delta counts: "
                         "best_loss - val_loss >= min_delta (>=, not >)"))
    _expect_stops(ex, 2, 0.25, [1.0, 0.875, 0.875], [False, False, True],
                  hint=t("un progrès inférieur à min_delta n'est pas une amélioration : "
                         "counter augmente",
                         "progress smaller than min_delta is no improvement: counter grows"))
    _expect_stops(ex, 2, 0.25, [1.0, 1.0, 0.5, 0.5, 0.5], [False, False, False, False, True],
                  hint=t("après une amélioration, remettez counter à 0 (et retenez "
                         "best_loss = val_loss)",
                         "after an improvement, reset counter to 0 (and keep "
                         "best_loss = val_loss)"))


# --- l1_penalty -----------------------------------------------------------------------------


@pytest.mark.points(1)
def test_l1_penalty_value_and_gradient(ex):
    """l1_penalty : coef × Σ|θ| en tenseur scalaire, de gradient coef × signe(θ)"""
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    params = list(model.parameters())
    total = sum(float(p.detach().abs().sum()) for p in params)
    for coef, args in ((0.01, (0.01,)), (0.001, ())):
        call = f"l1_penalty(model{', ' + str(coef) if args else ''})"
        penalty = ex.l1_penalty(model, *args)
        expect_tensor(penalty, what=t(f"type renvoyé par {call}", f"type returned by {call}"),
                      todo="l1_penalty")
        expect_equal(tuple(penalty.shape), (), what=t(f"forme de {call}", f"shape of {call}"),
                     todo="l1_penalty",
                     hint=t("sommez tout : un seul nombre (forme ()), pas un tenseur par couche",
                            "sum everything: a single number (shape ()), not one per layer"))
        expect_close(penalty, torch.tensor(coef * total), atol=1e-6, rtol=1e-5,
                     what=t(f"valeur de {call} (coef × Σ|θ| = {coef} × {total:.6g})",
                            f"value of {call} (coef × Σ|θ| = {coef} × {total:.6g})"),
                     todo="l1_penalty",
                     hint=t("coef × la somme des valeurs absolues de tous les paramètres "
                            "(poids et biais), ni carrés ni moyenne ; coef vaut 0.001 par défaut",
                            "coef × the sum of the absolute values of every parameter "
                            "(weights and biases), no squares, no mean; coef defaults to 0.001"))
    penalty = ex.l1_penalty(model, 0.01)
    expect(penalty.requires_grad,
           what=t("l1_penalty reste dans le graphe de calcul",
                  "l1_penalty stays in the computation graph"),
           expected=t("un tenseur avec requires_grad=True", "a tensor with requires_grad=True"),
           got=t("un tenseur détaché", "a detached tensor"), todo="l1_penalty",
           hint=t("pas de .item(), float(), .detach() ni torch.no_grad() : la pénalité doit "
                  "pouvoir être ajoutée à la perte et dérivée",
                  "no .item(), float(), .detach() or torch.no_grad(): the penalty must be "
                  "added to the loss and differentiated"))
    penalty.backward()
    for (name, p) in model.named_parameters():
        expect(p.grad is not None,
               what=t(f"gradient de l1_penalty par rapport à {name}",
                      f"gradient of l1_penalty with respect to {name}"),
               expected="0.01 × sign(θ)", got="None", todo="l1_penalty",
               hint=t("chaque paramètre entraînable doit entrer dans la somme",
                      "every trainable parameter must enter the sum"))
        expect_close(p.grad, 0.01 * torch.sign(p.detach()), atol=1e-7,
                     what=t(f"gradient de l1_penalty(model, 0.01) par rapport à {name}",
                            f"gradient of l1_penalty(model, 0.01) with respect to {name}"),
                     todo="l1_penalty",
                     hint=t("la dérivée de coef × |θ| est coef × signe(θ) : utilisez "
                            "p.abs().sum() (pas p ** 2, pas de moyenne)",
                            "the derivative of coef × |θ| is coef × sign(θ): use "
                            "p.abs().sum() (not p ** 2, no mean)"))


# --- make_sgd -------------------------------------------------------------------------------


@pytest.mark.points(1)
def test_make_sgd_settings(ex):
    """make_sgd : un SGD sur tous les paramètres, avec lr, momentum et weight_decay"""
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    cases = (((), {}, (0.1, 0.9, 0.0)),
             ((0.03,), {"momentum": 0.5, "weight_decay": 0.01}, (0.03, 0.5, 0.01)))
    for args, kwargs, (lr, momentum, decay) in cases:
        shown = ", ".join(["model", *map(str, args)] + [f"{k}={v}" for k, v in kwargs.items()])
        call = f"make_sgd({shown})"
        opt = ex.make_sgd(model, *args, **kwargs)
        expect_type(opt, torch.optim.SGD, what=t(f"type renvoyé par {call}",
                                                 f"type returned by {call}"),
                    todo="make_sgd", hint=t("renvoyez torch.optim.SGD(...)",
                                            "return torch.optim.SGD(...)"))
        held = {id(p) for group in opt.param_groups for p in group["params"]}
        missing = [name for name, p in model.named_parameters() if id(p) not in held]
        expect(not missing, what=t(f"paramètres optimisés par {call}",
                                   f"parameters optimised by {call}"),
               expected=t("tous les paramètres du modèle", "every parameter of the model"),
               got=t(f"il manque {', '.join(missing)}", f"missing {', '.join(missing)}"),
               todo="make_sgd", hint=t("passez model.parameters() à SGD",
                                       "pass model.parameters() to SGD"))
        for key, want in (("lr", lr), ("momentum", momentum), ("weight_decay", decay)):
            got = [group.get(key) for group in opt.param_groups]
            expect(all(g is not None and abs(g - want) <= 1e-12 for g in got),
                   what=t(f"{key} de {call} (dans optimizer.param_groups)",
                          f"{key} of {call} (in optimizer.param_groups)"),
                   expected=str(want), got=str(got[0] if len(got) == 1 else got),
                   todo="make_sgd",
                   hint=t("transmettez lr, momentum et weight_decay reçus à torch.optim.SGD "
                          "(défauts 0.1, 0.9 et 0.0) ; weight_decay est la régularisation L2",
                          "pass the lr, momentum and weight_decay received to torch.optim.SGD "
                          "(defaults 0.1, 0.9 and 0.0); weight_decay is the L2 regularisation"))


# --- fit ------------------------------------------------------------------------------------


def _expect_history_matches(curves, model, train, val, lr, what_fr, what_en, hint_train):
    want_train, want_train_acc = _oracle(model, train)
    want_val, want_val_acc = _oracle(model, val)
    epochs = len(curves["lr"])
    checks = (
        ("train_loss", want_train, hint_train),
        ("val_loss", want_val,
         t("perte moyenne sur val_loader (moyenne des pertes des lots), en mode eval, sous "
           "torch.no_grad()",
           "mean loss over val_loader (mean of the batch losses), in eval mode, under "
           "torch.no_grad()")),
        ("train_acc", want_train_acc,
         t("exactitude dans [0, 1] : bonnes prédictions (argmax des logits) / nombre "
           "d'exemples, pas un pourcentage",
           "accuracy in [0, 1]: correct predictions (argmax of the logits) / number of "
           "examples, not a percentage")),
        ("val_acc", want_val_acc,
         t("exactitude dans [0, 1] sur val_loader : bonnes prédictions / nombre d'exemples, "
           "pas un pourcentage",
           "accuracy in [0, 1] on val_loader: correct predictions / number of examples, "
           "not a percentage")),
        ("lr", lr, t("notez optimizer.param_groups[0][\"lr\"] à chaque époque",
                     "record optimizer.param_groups[0][\"lr\"] at every epoch")),
    )
    for name, want, hint in checks:
        expect_close(torch.tensor(curves[name], dtype=torch.float64),
                     torch.full((epochs,), float(want), dtype=torch.float64),
                     atol=1e-5, rtol=1e-5, todo="fit", hint=hint,
                     what=t(f"history.{name} {what_fr}", f"history.{name} {what_en}"))


@pytest.mark.points(1)
def test_fit_history_frozen_model(ex, digits):
    """fit : une valeur par époque dans chaque liste ; pertes et exactitudes exactes (lr = 0)"""
    train, val = digits
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    history = ex.fit(model, train, val, optimizer, nn.CrossEntropyLoss(), "cpu", 3)
    curves = _curves(history, 3)
    _expect_history_matches(
        curves, model, train, val, 0.0,
        "sur 3 époques à lr = 0 (les poids ne bougent pas : même valeur à chaque époque)",
        "over 3 epochs at lr = 0 (the weights do not move: same value at every epoch)",
        t("moyenne des pertes des lots de l'époque (total / len(train_loader)) : "
          "additionnez loss.item() de chaque lot",
          "mean of the epoch's batch losses (total / len(train_loader)): add up "
          "loss.item() of every batch"))


@pytest.mark.points(1)
def test_fit_train_loss_without_l1(ex, digits):
    """fit avec l1_coef > 0 : train_loss est la perte des données, sans le terme L1"""
    train, val = digits
    model = _mlp()
    l1 = 0.01 * sum(float(p.detach().abs().sum()) for p in model.parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    history = ex.fit(model, train, val, optimizer, nn.CrossEntropyLoss(), "cpu", 2,
                     l1_coef=0.01)
    curves = _curves(history, 2)
    _expect_history_matches(
        curves, model, train, val, 0.0,
        f"avec l1_coef=0.01 et lr = 0 (perte des données sans le terme L1 = {l1:.4g})",
        f"with l1_coef=0.01 and lr = 0 (data loss without the L1 term = {l1:.4g})",
        t("train_loss enregistre loss_fn(logits, y) seule : le terme L1 s'ajoute à "
          "l'objectif optimisé (backward), pas à la perte enregistrée",
          "train_loss records loss_fn(logits, y) alone: the L1 term is added to the "
          "optimised objective (backward), not to the recorded loss"))


@pytest.mark.points(1)
def test_fit_step_lr_each_epoch(ex, digits):
    """fit avec StepLR : un pas du scheduler par époque, history.lr lu avant ce pas"""
    train, val = digits
    optimizer = _idle_optimizer(1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    history = ex.fit(_mlp(), train, val, optimizer, nn.CrossEntropyLoss(), "cpu", 4,
                     scheduler=scheduler)
    lrs = _curves(history, 4)["lr"]
    expect_close(torch.tensor(lrs), torch.tensor([1.0, 0.5, 0.25, 0.125]), atol=1e-9,
                 what=t("history.lr avec StepLR(step_size=1, gamma=0.5) partant de lr = 1 "
                        f"({len(train)} lots par époque)",
                        "history.lr with StepLR(step_size=1, gamma=0.5) starting from lr = 1 "
                        f"({len(train)} batches per epoch)"),
                 todo="fit",
                 hint=t("notez optimizer.param_groups[0][\"lr\"] avant l'entraînement de "
                        "l'époque, puis appelez scheduler.step() sans argument une fois par "
                        "époque (pas par lot), après la validation",
                        "record optimizer.param_groups[0][\"lr\"] before the epoch's training, "
                        "then call scheduler.step() without argument once per epoch (not per "
                        "batch), after the validation"))


@pytest.mark.points(1)
def test_fit_reduce_on_plateau(ex, digits):
    """fit avec ReduceLROnPlateau : le lr baisse quand la perte de validation stagne"""
    train, val = digits
    optimizer = _idle_optimizer(1.0)
    scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
    history = ex.fit(_mlp(), train, val, optimizer, nn.CrossEntropyLoss(), "cpu", 6,
                     scheduler=scheduler)
    lrs = _curves(history, 6)["lr"]
    # Constant validation loss, patience 1: a drop after epochs 3 and 5 (1-based).
    expect_close(torch.tensor(lrs), torch.tensor([1.0, 1.0, 1.0, 0.5, 0.5, 0.25]), atol=1e-9,
                 what=t("history.lr avec ReduceLROnPlateau(factor=0.5, patience=1) quand la "
                        "perte de validation reste constante (poids immobiles, lr initial 1)",
                        "history.lr with ReduceLROnPlateau(factor=0.5, patience=1) when the "
                        "validation loss stays constant (weights still, initial lr 1)"),
                 todo="fit",
                 hint=t("un ReduceLROnPlateau s'appelle scheduler.step(val_loss), une fois par "
                        "époque, après avoir noté le lr de l'époque",
                        "a ReduceLROnPlateau is called as scheduler.step(val_loss), once per "
                        "epoch, after recording the epoch's lr"))


class _SpyStopper:
    """A stopper that records the losses it is given and says stop at its n-th call."""

    def __init__(self, stop_at: int | None) -> None:
        self.stop_at = stop_at
        self.seen: list[float] = []

    def step(self, val_loss) -> bool:
        self.seen.append(float(val_loss))
        return self.stop_at is not None and len(self.seen) >= self.stop_at


@pytest.mark.points(1)
def test_fit_early_stopping(ex, digits):
    """fit avec un early_stopper : consulté avec val_loss à chaque époque, arrêt quand il le dit"""
    train, val = digits
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    stopper = _SpyStopper(stop_at=3)
    history = ex.fit(model, train, val, optimizer, nn.CrossEntropyLoss(), "cpu", 6,
                     early_stopper=stopper)
    expect(len(stopper.seen) == 3 and all(len(getattr(history, n, ())) == 3 for n in CURVES),
           what=t("fit(..., epochs=6) avec un early_stopper qui renvoie True à son 3e appel",
                  "fit(..., epochs=6) with an early_stopper returning True at its 3rd call"),
           expected=t("3 appels à early_stopper.step et 3 époques dans l'historique",
                      "3 calls to early_stopper.step and 3 epochs in the history"),
           got=t(f"{len(stopper.seen)} appel(s), longueurs "
                 + ", ".join(f"{n}: {len(getattr(history, n, ()))}" for n in CURVES),
                 f"{len(stopper.seen)} call(s), lengths "
                 + ", ".join(f"{n}: {len(getattr(history, n, ()))}" for n in CURVES)),
           todo="fit",
           hint=t("à la fin de chaque époque, après avoir tout enregistré : "
                  "if early_stopper is not None and early_stopper.step(val_loss): break "
                  "(arrêtez dès qu'il renvoie True)",
                  "at the end of every epoch, after recording everything: "
                  "if early_stopper is not None and early_stopper.step(val_loss): break "
                  "(stop as soon as it returns True)"))
    expect_close(torch.tensor(stopper.seen), torch.tensor([float(v) for v in history.val_loss]),
                 atol=1e-6, what=t("pertes passées à early_stopper.step, comparées à "
                                   "history.val_loss", "losses given to early_stopper.step, "
                                   "against history.val_loss"),
                 todo="fit",
                 hint=t("donnez au stopper la perte de validation de l'époque (pas la perte "
                        "d'entraînement)",
                        "give the stopper the epoch's validation loss (not the training loss)"))


# --- parameter_stats ------------------------------------------------------------------------


@pytest.mark.points(1)
def test_parameter_stats(ex):
    """parameter_stats : min, max, moyenne et écart-type de tous les paramètres mis bout à bout"""
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.add_(1.0)  # layers with different means: a mean of means is off
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    stats = ex.parameter_stats(model)
    expect_type(stats, dict, what=t("type renvoyé par parameter_stats",
                                    "type returned by parameter_stats"),
                todo="parameter_stats")
    expect_equal(sorted(stats), ["max", "mean", "min", "std"],
                 what=t("clés du dictionnaire de parameter_stats",
                        "keys of parameter_stats's dict"),
                 todo="parameter_stats",
                 hint=t("exactement \"min\", \"max\", \"mean\" et \"std\"",
                        "exactly \"min\", \"max\", \"mean\" and \"std\""))
    wanted = {"min": flat.min(), "max": flat.max(), "mean": flat.mean(), "std": flat.std()}
    hints = {
        "std": t("écart-type non biaisé (division par N − 1), celui de torch.std par défaut, "
                 "sur tous les paramètres mis bout à bout",
                 "unbiased standard deviation (division by N − 1), torch.std's default, "
                 "over all parameters put end to end"),
    }
    for key, want in wanted.items():
        expect_close(float(stats[key]), float(want), atol=1e-6, rtol=1e-5,
                     what=t(f"parameter_stats(model)[\"{key}\"] sur {flat.numel()} paramètres",
                            f"parameter_stats(model)[\"{key}\"] over {flat.numel()} parameters"),
                     todo="parameter_stats",
                     hint=hints.get(key, t(
                         "mettez tous les paramètres (poids et biais) bout à bout avec "
                         "torch.cat de p.detach().flatten(), puis calculez sur ce vecteur "
                         "(pas une moyenne des moyennes par couche)",
                         "put all parameters (weights and biases) end to end with torch.cat "
                         "of p.detach().flatten(), then compute on that vector (not a mean of "
                         "per-layer means)")))
