"""Exercice 4 : fonctions d'activation et optimiseurs (axes 2 et 3).

Objectifs : construire activations et optimiseurs à partir de leur nom, puis
comparer des configurations à armes égales (mêmes poids initiaux).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader


@dataclass
class Metrics:
    """Mesures d'un essai (mêmes champs que l'exercice 3)."""

    seconds_per_epoch: float
    peak_memory_gb: float | None
    accuracy: float


def make_activation(name: str) -> nn.Module:
    """Renvoie le module d'activation nommé : ``"relu"``, ``"tanh"`` ou ``"sigmoid"``.

    Tout autre nom lève une ``ValueError`` dont le message cite les trois
    choix valides. Accepter aussi les variantes de casse (``"ReLU"``) ou les
    refuser : les deux lectures sont acceptées par les tests.
    """
    # BEGIN SOLUTION
    activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    if name not in activations:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(activations)}")
    return activations[name]()
    # END SOLUTION


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """Construit l'optimiseur nommé sur ``params`` (par ex. ``model.parameters()``).

    - ``"sgd"`` : ``SGD``, lr 0.01
    - ``"sgd_momentum"`` : ``SGD``, lr 0.01, momentum 0.9
    - ``"adam"`` : ``Adam``, lr 1e-3
    - ``"rmsprop"`` : ``RMSprop``, lr 1e-2

    Tout autre nom lève une ``ValueError`` qui cite les choix valides
    (variantes de casse comme ``"SGD"`` : acceptées ou refusées, au choix).
    """
    # BEGIN SOLUTION
    if name == "sgd":
        return torch.optim.SGD(params, lr=0.01)
    if name == "sgd_momentum":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=1e-3)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=1e-2)
    raise ValueError(f"unknown optimizer {name!r}; choose one of "
                     "['adam', 'rmsprop', 'sgd', 'sgd_momentum']")
    # END SOLUTION


def compare(configs: dict[str, dict[str, str]], make_model: Callable[[nn.Module], nn.Module],
            train_loader: DataLoader, test_loader: DataLoader,
            device: torch.device | str = "cpu", epochs: int = 1) -> dict[str, Metrics]:
    """Entraîne et mesure un modèle par configuration, tous partant des mêmes poids.

    Args:
        configs: nom d'essai → ``{"activation": nom, "optimizer": nom}``,
            par ex. ``{"relu_adam": {"activation": "relu", "optimizer": "adam"}}``.
        make_model: construit un modèle neuf à partir d'un module d'activation
            (par ex. ``lambda act: SimpleNN(activation=act)``).
        epochs: époques d'entraînement par essai (perte ``nn.CrossEntropyLoss``).

    Chaque essai part des **mêmes poids initiaux** : copiez (``copy.deepcopy``)
    le ``state_dict`` du premier modèle construit et chargez-le
    (``load_state_dict``) dans le modèle de chaque essai, puis créez
    l'optimiseur de l'essai sur ses paramètres.

    Returns:
        nom d'essai → mesures (``seconds_per_epoch``, ``peak_memory_gb``,
        ``accuracy`` dans [0, 1]), comme ``evaluate_model`` de l'exercice 3.
    """
    # BEGIN SOLUTION
    device = torch.device(device)
    loss_fn = nn.CrossEntropyLoss()
    initial_state = None
    results: dict[str, Metrics] = {}
    for run_name, config in configs.items():
        model = make_model(make_activation(config["activation"]))
        if initial_state is None:
            initial_state = copy.deepcopy(model.state_dict())
        model.load_state_dict(initial_state)
        model.to(device)
        optimizer = make_optimizer(config["optimizer"], model.parameters())
        on_cuda = device.type == "cuda"
        if on_cuda:
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        for _ in range(epochs):
            model.train()
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                loss = loss_fn(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        if on_cuda:
            torch.cuda.synchronize(device)  # count the GPU work still queued
        seconds = (time.perf_counter() - start) / epochs
        peak = torch.cuda.max_memory_allocated(device) / 1e9 if on_cuda else None
        model.eval()
        correct, seen = 0, 0
        with torch.no_grad():
            for x, y in test_loader:
                x, y = x.to(device), y.to(device)
                correct += (model(x).argmax(dim=1) == y).sum().item()
                seen += y.numel()
        results[run_name] = Metrics(seconds, peak, correct / seen)
    return results
    # END SOLUTION
