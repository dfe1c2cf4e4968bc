# Exercice ex02 : Boucle d'entraînement.
# Complétez chaque TODO ; vérifiez avec `make check ex02`.
"""Exercice 2 : la boucle d'entraînement (forward, perte, backward, step).

Objectifs : écrire la descente de gradient d'une régression linéaire, puis les
deux fonctions réutilisées dans tous les TP suivants : une époque
d'entraînement et une évaluation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader


def fit_linear(X: torch.Tensor, Y: torch.Tensor, epochs: int = 2000,
               lr: float = 0.01) -> nn.Linear:
    """Apprend ``y ≈ w·x + b`` par descente de gradient sur le lot complet.

    Créez un ``nn.Linear(1, 1)``, une perte ``nn.MSELoss()`` et un optimiseur
    ``torch.optim.SGD(..., lr=lr)`` ; puis, ``epochs`` fois : prédiction sur
    tout ``X``, perte, remise à zéro des gradients, ``backward``, ``step``.

    Args:
        X: entrées de forme ``[N, 1]`` (float32).
        Y: cibles de forme ``[N, 1]`` (exemple du cours : ``Y = 2 * X``).
        epochs: nombre de pas de gradient.
        lr: taux d'apprentissage.

    Returns:
        La couche ``nn.Linear(1, 1)`` entraînée. Avec x = 1..4, y = 2x,
        2000 époques et lr = 0.01, ``|w - 2| < 0.003``.
    """
    # TODO (ex02) : implémentez fit_linear (voir la docstring).
    raise NotImplementedError("ex02 : fit_linear")


def train_one_epoch(model: nn.Module, loader: DataLoader, loss_fn: nn.Module,
                    optimizer: torch.optim.Optimizer,
                    device: torch.device | str = "cpu") -> float:
    """Entraîne ``model`` pendant une époque (un passage sur ``loader``).

    Met le modèle en mode entraînement (``model.train()``), puis pour chaque
    lot ``(x, y)`` : envoi sur ``device``, forward, perte, ``zero_grad``,
    ``backward``, ``step``.

    Returns:
        La perte moyenne de l'époque (un ``float``) : la moyenne des pertes
        des lots (``total / len(loader)``, comme au chapitre 5) ou la moyenne
        par échantillon ; les tests utilisent des lots de même taille, où les
        deux coïncident.
    """
    # TODO (ex02) : implémentez train_one_epoch (voir la docstring).
    raise NotImplementedError("ex02 : train_one_epoch")


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module,
             device: torch.device | str = "cpu") -> tuple[float, float]:
    """Évalue ``model`` sur ``loader`` sans le modifier.

    Passe le modèle en mode évaluation (``model.eval()``) et calcule sous
    ``torch.no_grad()`` : aucun poids ni gradient ne doit changer.

    Returns:
        ``(perte moyenne, exactitude)`` : la perte moyenne comme dans
        ``train_one_epoch`` et l'exactitude, fraction des prédictions
        correctes (``argmax`` des logits égal à l'étiquette), **dans [0, 1]**
        (pas un pourcentage).
    """
    # TODO (ex02) : implémentez evaluate (voir la docstring).
    raise NotImplementedError("ex02 : evaluate")
