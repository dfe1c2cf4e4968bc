"""Exercice 8 : LeNet-5 sur des images 28×28 (TP7, exercices 1 et 2).

Objectifs : écrire le réseau convolutif LeNet-5, lui ajouter en option du
dropout et une normalisation par lot, compter ses paramètres, puis charger
FashionMNIST avec torchvision en n'en gardant qu'une partie (l'astuce du TP
pour aller vite).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset, Subset
from torchvision import datasets, transforms


class LeNet5(nn.Module):
    """LeNet-5 pour des images ``[N, 1, 28, 28]`` ; renvoie des logits ``[N, num_classes]``.

    Dans l'ordre d'application :

    - C1 : ``Conv2d(1, 6, kernel_size=5)`` (sans padding : 28 → 24), ReLU,
      pooling 2×2 (24 → 12) ;
    - C2 : ``Conv2d(6, 16, kernel_size=5)`` (12 → 8), ReLU, pooling 2×2 (8 → 4) ;
    - aplatissement : 16·4·4 = 256 valeurs par image ;
    - F3 : ``Linear(256, 120)`` + ReLU ; F4 : ``Linear(120, 84)`` + ReLU ;
    - F5 : ``Linear(84, num_classes)``, sortie brute (pas de softmax :
      ``nn.CrossEntropyLoss`` s'en charge).

    Le pooling du TP est ``nn.MaxPool2d(2)`` ; le sous-échantillonnage par
    moyenne du LeNet-5 d'origine (``nn.AvgPool2d(2)``) est aussi accepté.
    Sans option, le réseau a 44 426 paramètres entraînables
    (156 + 2 416 + 30 840 + 10 164 + 850).

    Options :

    - ``dropout`` (probabilité p) : un dropout entre C1 et C2 (après le bloc
      C1 : avant ou après son pooling, au choix) et un autre entre F3 et F4
      (après la ReLU de F3). ``dropout=0.0`` : aucun effet, le réseau est
      déterministe même en mode ``train`` ; en mode ``eval`` il l'est toujours.
      Un seul module ``nn.Dropout`` réutilisé deux fois, ou ``F.dropout(x, p,
      self.training)``, conviennent aussi.
    - ``batchnorm`` : une seule ``nn.BatchNorm2d(6)`` entre les deux
      convolutions (juste après la convolution C1, avant ou après sa ReLU ou
      son pooling, au choix) : 12 paramètres de plus, soit 44 438.

    ``F.relu`` / ``nn.ReLU``, ``nn.Sequential`` ou des attributs,
    ``flatten`` / ``view`` : tout est accepté, seul le comportement est testé.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.0,
                 batchnorm: bool = False) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.bn = nn.BatchNorm2d(6) if batchnorm else nn.Identity()
        self.c2 = nn.Conv2d(6, 16, kernel_size=5)
        self.f3 = nn.Linear(16 * 4 * 4, 120)
        self.f4 = nn.Linear(120, 84)
        self.f5 = nn.Linear(84, num_classes)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(dropout)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[N, 1, 28, 28]`` → logits ``[N, num_classes]``."""
        # BEGIN SOLUTION
        x = self.pool(self.relu(self.bn(self.c1(x))))  # (N, 6, 12, 12)
        x = self.dropout(x)
        x = self.pool(self.relu(self.c2(x)))  # (N, 16, 4, 4)
        x = torch.flatten(x, 1)  # (N, 256)
        x = self.dropout(self.relu(self.f3(x)))  # (N, 120)
        x = self.relu(self.f4(x))  # (N, 84)
        return self.f5(x)  # (N, num_classes)
        # END SOLUTION


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Nombre de paramètres (valeurs scalaires) de ``model``, en ``int`` Python.

    - ``trainable_only=True`` : seulement ceux dont ``requires_grad`` est vrai
      (un paramètre gelé n'est pas compté) ;
    - ``trainable_only=False`` : tous les paramètres, gelés compris.

    Seuls les paramètres comptent (``model.parameters()``), pas les buffers
    comme les moyennes glissantes d'une ``BatchNorm`` ; un paramètre partagé
    entre deux couches compte une fois.
    """
    # BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    # END SOLUTION


def load_fashion_mnist(root: str | Path, train_size: int | None = None,
                       val_size: int | None = None,
                       download: bool = False) -> tuple[Dataset, Dataset]:
    """Charge FashionMNIST avec ``torchvision.datasets.FashionMNIST`` : ``(train, val)``.

    - ``root`` est le dossier passé tel quel à torchvision (qui lit
      ``root/FashionMNIST/raw/``) ; ``download`` lui est transmis tel quel
      (``False`` par défaut : pas de téléchargement).
    - Transformation : ``transforms.ToTensor()`` seule (pas de normalisation) :
      chaque élément est ``(image float [1, 28, 28] dans [0, 1], label int)``.
    - ``train`` : la partie d'entraînement officielle (``train=True``) ;
      ``val`` : la partie de test officielle (``train=False``, fichiers t10k).
    - ``train_size`` / ``val_size`` : si ce n'est pas ``None``, ne garder que
      les N **premiers** exemples, dans l'ordre
      (``torch.utils.data.Subset(ds, range(N))``) ; ``None`` garde tout.
    """
    # BEGIN SOLUTION
    to_tensor = transforms.ToTensor()
    train = datasets.FashionMNIST(root, train=True, transform=to_tensor, download=download)
    val = datasets.FashionMNIST(root, train=False, transform=to_tensor, download=download)
    if train_size is not None:
        train = Subset(train, range(train_size))
    if val_size is not None:
        val = Subset(val, range(val_size))
    return train, val
    # END SOLUTION
