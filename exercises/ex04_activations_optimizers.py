# Exercice ex04 : Activations et optimiseurs (axes 2 et 3).
# Complétez chaque TODO ; vérifiez avec `make check ex04`.
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
    # TODO (ex04) : implémentez make_activation (voir la docstring).
    raise NotImplementedError("ex04 : make_activation")


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """Construit l'optimiseur nommé sur ``params`` (par ex. ``model.parameters()``).

    - ``"sgd"`` : ``SGD``, lr 0.01
    - ``"sgd_momentum"`` : ``SGD``, lr 0.01, momentum 0.9
    - ``"adam"`` : ``Adam``, lr 1e-3
    - ``"rmsprop"`` : ``RMSprop``, lr 1e-2

    Tout autre nom lève une ``ValueError`` qui cite les choix valides
    (variantes de casse comme ``"SGD"`` : acceptées ou refusées, au choix).
    """
    # TODO (ex04) : implémentez make_optimizer (voir la docstring).
    raise NotImplementedError("ex04 : make_optimizer")


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
    # TODO (ex04) : implémentez compare (voir la docstring).
    raise NotImplementedError("ex04 : compare")
