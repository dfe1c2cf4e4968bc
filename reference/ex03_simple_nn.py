"""Exercice 3 : un premier réseau, SimpleNN, et la mesure d'une expérience (axe 1).

Objectifs : définir un ``nn.Module`` à une couche cachée, compter ses
paramètres, puis mesurer une expérience : temps par époque, mémoire GPU de
pointe et exactitude sur le jeu de test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader


@dataclass
class Metrics:
    """Ce que mesure une expérience."""

    seconds_per_epoch: float
    """Durée moyenne d'une époque d'entraînement, en secondes."""
    peak_memory_gb: float | None
    """Pic de ``torch.cuda.max_memory_allocated`` en Go (octets / 1e9) ; ``None`` hors CUDA."""
    accuracy: float
    """Exactitude sur le jeu de test, dans [0, 1]."""


class SimpleNN(nn.Module):
    """Perceptron à une couche cachée pour MNIST.

    ``Linear(in_features, hidden)`` → activation → ``Linear(hidden, num_classes)``.

    - L'entrée est aplatie : ``[N, 1, 28, 28]`` et ``[N, 784]`` sont acceptés
      (``flatten`` ou ``view``, au choix).
    - ``activation`` est un module (``nn.ReLU()``, ``nn.Tanh()``…) appliqué
      après la couche cachée ; ``None`` signifie ReLU.
    - La sortie est faite de logits bruts ``[N, num_classes]`` (pas de
      softmax : ``nn.CrossEntropyLoss`` s'en charge).
    - Avec les valeurs par défaut : 784·128 + 128 + 128·10 + 10 = 101 770
      paramètres.
    """

    def __init__(self, in_features: int = 784, hidden: int = 128, num_classes: int = 10,
                 activation: nn.Module | None = None) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.activation = activation if activation is not None else nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[N, 1, 28, 28]`` ou ``[N, in_features]`` → logits ``[N, num_classes]``."""
        # BEGIN SOLUTION
        return self.fc2(self.activation(self.fc1(self.flatten(x))))
        # END SOLUTION


def evaluate_model(model: nn.Module, train_loader: DataLoader, test_loader: DataLoader,
                   optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                   device: torch.device | str = "cpu", epochs: int = 1) -> Metrics:
    """Entraîne ``model`` ``epochs`` époques sur ``train_loader`` puis l'évalue.

    - Déplacez le modèle et chaque lot sur ``device`` ; l'optimiseur est déjà
      construit sur les paramètres du modèle.
    - Sur CUDA, appelez ``torch.cuda.reset_peak_memory_stats(device)`` avant
      l'entraînement et lisez ``torch.cuda.max_memory_allocated(device)`` après
      (en Go : octets / 1e9). Hors CUDA, ``peak_memory_gb`` vaut ``None``.
    - ``seconds_per_epoch`` : durée totale de l'entraînement divisée par le
      nombre d'époques (``time.perf_counter()``).
    - ``accuracy`` : exactitude du modèle entraîné sur ``test_loader``
      (mode ``eval``, ``torch.no_grad()``), **dans [0, 1]**.

    Returns:
        Un ``Metrics`` (tout objet ayant ces trois attributs est accepté).
    """
    # BEGIN SOLUTION
    device = torch.device(device)
    model.to(device)
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
    return Metrics(seconds_per_epoch=seconds, peak_memory_gb=peak, accuracy=correct / seen)
    # END SOLUTION
