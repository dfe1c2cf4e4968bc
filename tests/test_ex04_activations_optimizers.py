"""Public tests of ex04_activations_optimizers: activations and optimizers by name, and
``compare``, which trains one model per configuration from the same initial weights.

``compare`` is observed from the outside: the tests pass a ``make_model`` that builds a
tiny network (Flatten → Linear(784, 32) → activation → Linear(32, 10)) recording what it
received and its parameters at its first forward, and a global optimizer step hook tells
which optimizer trained which model. Nothing depends on the student's ex03 code.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grading.expect import (
    expect,
    expect_close,
    expect_equal,
    expect_raises,
    expect_type,
)
from grading.i18n import t
from grading.testkit import EX04_ACTIVATIONS as ACTIVATIONS
from grading.testkit import EX04_PROBE as PROBE
from grading.testkit import Ex04TinyNet as TinyNet
from grading.testkit import ex04_loaders
from grading.testkit import ex04_run_compare as run_compare

OPTIMIZER_NAMES = ("sgd", "sgd_momentum", "adam", "rmsprop")


@pytest.fixture(scope="module")
def loaders(mnist):
    """Non-shuffled train (200 digits) and test (100 digits) loaders, batches of 50."""
    return ex04_loaders(mnist)


def expect_received_activations(models: list[TinyNet], configs) -> None:
    kinds = [m.kind for m in models]
    for run, config in configs.items():
        expect(config["activation"] in kinds,
               what=t(f"activation reçue par make_model pour l'essai {run!r}",
                      f"activation received by make_model for run {run!r}"),
               expected=t(f"un module qui calcule {config['activation']}",
                          f"a module computing {config['activation']}"),
               got=", ".join(type(m.received[0]).__name__ for m in models) or
               t("make_model jamais appelé", "make_model never called"),
               todo="compare",
               hint=t("appelez make_model(make_activation(config[\"activation\"])) : "
                      "un module, pas son nom",
                      "call make_model(make_activation(config[\"activation\"])): "
                      "a module, not its name"))


# --- make_activation ------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_make_activation_computes(ex, name):
    """make_activation : le module renvoyé calcule la bonne fonction"""
    act = ex.make_activation(name)
    expect_type(act, nn.Module, what=t(f"type de make_activation({name!r})",
                                       f"type of make_activation({name!r})"),
                todo="make_activation",
                hint=t("renvoyez une instance, par ex. nn.ReLU() avec les parenthèses",
                       "return an instance, e.g. nn.ReLU() with the parentheses"))
    expect_close(act(PROBE.clone()), ACTIVATIONS[name](PROBE),
                 what=t(f"sortie de l'activation {name!r} sur [-4, 4]",
                        f"output of activation {name!r} on [-4, 4]"),
                 todo="make_activation", atol=1e-6,
                 hint=t("relu → nn.ReLU, tanh → nn.Tanh, sigmoid → nn.Sigmoid : "
                        "vérifiez la correspondance des noms",
                        "relu → nn.ReLU, tanh → nn.Tanh, sigmoid → nn.Sigmoid: "
                        "check which name maps to which module"))


@pytest.mark.points(1)
def test_make_activation_unknown_name(ex):
    """make_activation : un nom inconnu lève une ValueError qui cite les choix"""
    exc = expect_raises(ValueError, lambda: ex.make_activation("gelu"),
                        what=t("make_activation(\"gelu\")", "make_activation(\"gelu\")"),
                        todo="make_activation",
                        hint=t("levez ValueError vous-même (raise ValueError(...)) : "
                               "un dictionnaire lève KeyError",
                               "raise ValueError yourself (raise ValueError(...)): "
                               "a dict lookup raises KeyError"))
    for choice in ACTIVATIONS:
        expect(choice in str(exc), what=t("message de la ValueError de make_activation",
                                          "message of make_activation's ValueError"),
               expected=t(f"cite le choix valide {choice!r}", f"names the valid choice {choice!r}"),
               got=repr(str(exc)), todo="make_activation",
               hint=t("citez les trois noms valides dans le message",
                      "name the three valid choices in the message"))


# --- make_optimizer -------------------------------------------------------------------------

EXPECTED_OPTIMIZERS = {
    "sgd": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.0}),
    "sgd_momentum": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    "adam": (torch.optim.Adam, {"lr": 1e-3}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 1e-2}),
}
SETTING_NAMES = {"lr": ("taux d'apprentissage (lr)", "learning rate (lr)"),
                 "momentum": ("momentum", "momentum")}


def check_optimizer(ex, name: str) -> None:
    layer = TinyNet(nn.ReLU()).net[1]
    opt = ex.make_optimizer(name, layer.parameters())  # a generator, as model.parameters()
    cls, settings = EXPECTED_OPTIMIZERS[name]
    expect_type(opt, cls, what=t(f"type de make_optimizer({name!r}, ...)",
                                 f"type of make_optimizer({name!r}, ...)"),
                todo="make_optimizer",
                hint=t("sgd et sgd_momentum → torch.optim.SGD, adam → torch.optim.Adam, "
                       "rmsprop → torch.optim.RMSprop",
                       "sgd and sgd_momentum → torch.optim.SGD, adam → torch.optim.Adam, "
                       "rmsprop → torch.optim.RMSprop"))
    got = [p for group in opt.param_groups for p in group["params"]]
    expect(len(got) == 2 and got[0] is layer.weight and got[1] is layer.bias,
           what=t(f"paramètres optimisés par make_optimizer({name!r}, ...)",
                  f"parameters optimised by make_optimizer({name!r}, ...)"),
           expected=t("exactement les 2 tenseurs passés (poids et biais d'une couche)",
                      "exactly the 2 tensors passed (weight and bias of one layer)"),
           got=t(f"{len(got)} tenseur(s) de formes {[tuple(p.shape) for p in got]}",
                 f"{len(got)} tensor(s) of shapes {[tuple(p.shape) for p in got]}"),
           todo="make_optimizer",
           hint=t("passez params tel quel à l'optimiseur ; c'est souvent un générateur : "
                  "ne le parcourez pas avant",
                  "pass params as is to the optimizer; it is often a generator: "
                  "do not iterate over it first"))
    group = opt.param_groups[0]
    for key, value in settings.items():
        fr, en = SETTING_NAMES[key]
        expect_close(group.get(key), value, what=t(f"{fr} de make_optimizer({name!r}, ...)",
                                                   f"{en} of make_optimizer({name!r}, ...)"),
                     todo="make_optimizer", atol=0, rtol=1e-6,
                     hint=t("sgd : lr 0.01 ; sgd_momentum : lr 0.01, momentum 0.9 ; "
                            "adam : lr 1e-3 ; rmsprop : lr 1e-2",
                            "sgd: lr 0.01; sgd_momentum: lr 0.01, momentum 0.9; "
                            "adam: lr 1e-3; rmsprop: lr 1e-2"))


@pytest.mark.points(1)
def test_make_optimizer_sgd(ex):
    """make_optimizer : sgd et sgd_momentum (type, lr, momentum, paramètres)"""
    check_optimizer(ex, "sgd")
    check_optimizer(ex, "sgd_momentum")


@pytest.mark.points(1)
def test_make_optimizer_adam_rmsprop(ex):
    """make_optimizer : adam et rmsprop (type, lr, paramètres), nom inconnu refusé"""
    check_optimizer(ex, "adam")
    check_optimizer(ex, "rmsprop")
    exc = expect_raises(ValueError,
                        lambda: ex.make_optimizer("adamw", nn.Linear(2, 2).parameters()),
                        what=t("make_optimizer(\"adamw\", ...)", "make_optimizer(\"adamw\", ...)"),
                        todo="make_optimizer",
                        hint=t("terminez par raise ValueError(...) quand aucun nom ne correspond",
                               "end with raise ValueError(...) when no name matches"))
    for choice in OPTIMIZER_NAMES:
        expect(choice in str(exc),
               what=t("message de la ValueError de make_optimizer",
                      "message of make_optimizer's ValueError"),
               expected=t(f"cite le choix valide {choice!r}", f"names the valid choice {choice!r}"),
               got=repr(str(exc)), todo="make_optimizer",
               hint=t("citez les quatre noms valides dans le message",
                      "name the four valid choices in the message"))


# --- compare --------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_compare_returns_metrics_per_config(ex, loaders):
    """compare : une mesure par configuration (durée, mémoire, précision)"""
    configs = {"relu_sgd": {"activation": "relu", "optimizer": "sgd"},
               "tanh_adam": {"activation": "tanh", "optimizer": "adam"}}
    results, models = run_compare(ex, configs, loaders)
    expect_type(results, dict, what=t("type renvoyé par compare", "type returned by compare"),
                todo="compare")
    expect_equal(sorted(results), sorted(configs),
                 what=t("clés du dictionnaire renvoyé par compare",
                        "keys of the dict returned by compare"),
                 todo="compare", hint=t("une entrée par nom d'essai de configs, rien d'autre",
                                        "one entry per run name of configs, nothing else"))
    for run, metrics in results.items():
        fields = ("seconds_per_epoch", "peak_memory_gb", "accuracy")
        expect(all(hasattr(metrics, f) for f in fields),
               what=t(f"mesures de l'essai {run!r}", f"metrics of run {run!r}"),
               expected=t("un Metrics(seconds_per_epoch, peak_memory_gb, accuracy)",
                          "a Metrics(seconds_per_epoch, peak_memory_gb, accuracy)"),
               got=f"{type(metrics).__name__}", todo="compare")
        spe = metrics.seconds_per_epoch
        expect(isinstance(spe, (int, float)) and spe > 0,
               what=t(f"seconds_per_epoch de l'essai {run!r}", f"seconds_per_epoch of run {run!r}"),
               expected=t("une durée > 0 en secondes", "a duration > 0 in seconds"),
               got=repr(spe), todo="compare",
               hint=t("mesurez avec time.perf_counter() autour de l'entraînement",
                      "time the training with time.perf_counter()"))
        expect(metrics.peak_memory_gb is None,
               what=t(f"peak_memory_gb de l'essai {run!r} sur cpu",
                      f"peak_memory_gb of run {run!r} on cpu"),
               expected="None", got=repr(metrics.peak_memory_gb), todo="compare",
               hint=t("la mémoire de pointe n'a de sens que sur cuda ; None sinon",
                      "peak memory only makes sense on cuda; None otherwise"))
        acc = metrics.accuracy
        expect(isinstance(acc, (int, float)) and 0 <= acc <= 1,
               what=t(f"précision de l'essai {run!r}", f"accuracy of run {run!r}"),
               expected=t("un nombre dans [0, 1]", "a number in [0, 1]"), got=repr(acc),
               todo="compare",
               hint=t("un float Python (.item()) : bonnes prédictions / nombre d'exemples "
                      "du test (pas de lots, pas de %)",
                      "a Python float (.item()): correct predictions / number of test "
                      "examples (not batches, not %)"))
    expect_received_activations(models, configs)


@pytest.mark.points(1)
def test_compare_same_initial_weights(ex, loaders):
    """compare : tous les essais partent des mêmes poids initiaux"""
    configs = {"relu_sgd": {"activation": "relu", "optimizer": "sgd"},
               "tanh_sgd": {"activation": "tanh", "optimizer": "sgd"},
               "sigmoid_adam": {"activation": "sigmoid", "optimizer": "adam"}}
    _, models = run_compare(ex, configs, loaders)
    started = [m for m in models if m.initial is not None]
    expect(len(started) >= len(configs),
           what=t("modèles entraînés par compare", "models trained by compare"),
           expected=t(f"au moins {len(configs)} (un par essai, construits par make_model)",
                      f"at least {len(configs)} (one per run, built by make_model)"),
           got=str(len(started)), todo="compare",
           hint=t("entraînez le modèle renvoyé par make_model pour chaque essai",
                  "train the model make_model returns for each run"))
    first = started[0]
    for k, model in enumerate(started[1:], start=2):
        for (pname, _), got, want in zip(model.named_parameters(), model.initial, first.initial):
            expect_close(got, want, what=t(f"mêmes poids initiaux : {pname} du modèle n°{k} "
                                           "comparé au modèle n°1",
                                           f"same initial weights: {pname} of model #{k} "
                                           "against model #1"),
                         todo="compare", atol=0, rtol=0,
                         hint=t("copiez (copy.deepcopy) le state_dict du premier modèle et "
                                "chargez-le (load_state_dict) dans chaque modèle avant "
                                "l'entraînement",
                                "deep-copy the first model's state_dict and load it "
                                "(load_state_dict) into every model before training"))


@pytest.mark.points(1)
def test_compare_uses_each_config_optimizer(ex, loaders):
    """compare : chaque essai s'entraîne avec l'optimiseur de sa configuration"""
    configs = {"relu_sgd": {"activation": "relu", "optimizer": "sgd"},
               "tanh_rmsprop": {"activation": "tanh", "optimizer": "rmsprop"},
               "sigmoid_adam": {"activation": "sigmoid", "optimizer": "adam"}}
    _, models = run_compare(ex, configs, loaders)
    expect_received_activations(models, configs)
    for run, config in configs.items():
        trained = [m for m in models if m.kind == config["activation"] and m.steps]
        cls = EXPECTED_OPTIMIZERS[config["optimizer"]][0]
        used = sorted({c.__name__ for m in trained for c in m.steps}) or \
            [t("aucun pas d'optimisation", "no optimizer step")]
        expect(bool(trained) and all(issubclass(c, cls) for m in trained for c in m.steps),
               what=t(f"optimiseur de l'essai {run!r}", f"optimizer of run {run!r}"),
               expected=f"{cls.__name__} (make_optimizer({config['optimizer']!r}, ...))",
               got=", ".join(used), todo="compare",
               hint=t("dans la boucle des essais, créez l'optimiseur de chaque essai avec "
                      "make_optimizer(config[\"optimizer\"], model.parameters())",
                      "inside the loop over runs, build each run's optimizer with "
                      "make_optimizer(config[\"optimizer\"], model.parameters())"))


@pytest.mark.points(1)
def test_compare_trains_for_epochs(ex, loaders):
    """compare : chaque essai s'entraîne pendant `epochs` époques"""
    configs = {"relu_sgd": {"activation": "relu", "optimizer": "sgd"},
               "tanh_adam": {"activation": "tanh", "optimizer": "adam"}}
    epochs = 2
    _, models = run_compare(ex, configs, loaders, epochs=epochs)
    steps = epochs * len(loaders[0])
    for run, config in configs.items():
        counts = [len(m.steps) for m in models if m.kind == config["activation"] and m.steps]
        expect(counts == [steps],
               what=t(f"pas d'optimisation de l'essai {run!r} pour {epochs} époques "
                      f"de {len(loaders[0])} lots",
                      f"optimizer steps of run {run!r} for {epochs} epochs "
                      f"of {len(loaders[0])} batches"),
               expected=t(f"un modèle entraîné en {steps} pas",
                          f"one model trained in {steps} steps"),
               got=t(f"pas par modèle entraîné : {counts}", f"steps per trained model: {counts}"),
               todo="compare",
               hint=t("une boucle sur les époques (range(epochs)), puis une sur les lots : "
                      "un optimizer.step() par lot",
                      "a loop over epochs (range(epochs)), then one over batches: "
                      "one optimizer.step() per batch"))
