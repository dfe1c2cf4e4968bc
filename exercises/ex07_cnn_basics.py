# Exercice ex07 : Bases des CNN : convolutions, pooling, Dataset, checkpoints.
# Complétez chaque TODO ; vérifiez avec `make check ex07`.
"""Exercice 7 : bases des CNN — convolutions, pooling, Dataset, checkpoints (chapitre 5).

Objectifs : prévoir la taille de sortie d'une convolution, écrire un max-pooling
2×2 à la main, assembler un petit réseau convolutif, emballer des tenseurs dans
un ``Dataset`` et sauvegarder puis reprendre un entraînement.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset


def conv_output_size(h_in: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Hauteur (ou largeur) de la sortie d'une convolution ou d'un pooling.

    ``⌊(h_in + 2·padding − kernel_size) / stride⌋ + 1``, la formule de la
    documentation de ``nn.Conv2d`` (sans dilatation). Par exemple
    ``conv_output_size(28, 3, padding=1) == 28`` et
    ``conv_output_size(28, 2, stride=2) == 14``.

    - Le résultat est un ``int`` Python (division entière ``//``), utilisable
      directement comme taille de couche.
    - Les tests n'utilisent que des cas valides : ``kernel_size ≤ h_in + 2·padding``.
    """
    # TODO (ex07) : implémentez conv_output_size (voir la docstring).
    raise NotImplementedError("ex07 : conv_output_size")


def max_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    """Max-pooling 2×2 de pas 2, écrit **sans** ``nn.MaxPool2d`` ni ``F.max_pool2d``.

    ``x`` : ``[N, C, H, W]`` → ``[N, C, H // 2, W // 2]`` ; chaque valeur de
    sortie est le maximum d'une fenêtre 2×2 de l'entrée (fenêtres voisines,
    sans chevauchement). Le résultat doit être égal à ``F.max_pool2d(x, 2)``.

    - Tailles impaires : comme ``F.max_pool2d``, on arrondit à l'entier
      inférieur ; la dernière ligne (ou colonne) qui ne remplit pas une
      fenêtre est ignorée.
    - Restez dans le graphe d'autograd (opérations de tenseurs : ``reshape``,
      ``amax``/``max``, découpage ``x[..., ::2, ::2]``, ``unfold``…) : le
      gradient doit aller au maximum de chaque fenêtre. En cas d'égalité dans
      une fenêtre, toute répartition du gradient est acceptée.
    - Ne modifiez pas ``x``.
    """
    # TODO (ex07) : implémentez max_pool_2x2 (voir la docstring).
    raise NotImplementedError("ex07 : max_pool_2x2")


class SimpleCNN(nn.Module):
    """Petit réseau convolutif pour des images ``[N, in_channels, image_size, image_size]``.

    Deux blocs puis un classifieur :

    1. ``Conv2d(in_channels, 32, 3, padding=1)`` → ReLU → max-pooling 2×2 ;
    2. ``Conv2d(32, 64, 3, padding=1)`` → ReLU → max-pooling 2×2 ;
    3. aplatir → ``Linear(64 · s · s, 128)`` → ReLU → ``Linear(128, num_classes)``,

    où ``s`` est la taille après les deux poolings : ``image_size // 2 // 2``
    (chaque pooling arrondit à l'entier inférieur ; ``image_size`` n'a pas à
    être un multiple de 4). La convolution 3×3 avec ``padding=1`` garde la
    taille (voir ``conv_output_size``).

    - Modules (``nn.ReLU``, ``nn.MaxPool2d``, ``nn.Sequential``…) ou fonctions
      (``F.relu``, ``F.max_pool2d``, votre ``max_pool_2x2``) : au choix.
    - La sortie est faite de logits bruts ``[N, num_classes]`` (pas de softmax).
    - Avec les valeurs par défaut (3 canaux, 10 classes, 32×32) :
      896 + 18 496 + 524 416 + 1 290 = 545 098 paramètres.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10,
                 image_size: int = 32) -> None:
        super().__init__()
        # TODO (ex07) : implémentez SimpleCNN.__init__ (voir la docstring).
        raise NotImplementedError("ex07 : SimpleCNN.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[N, in_channels, image_size, image_size]`` → logits ``[N, num_classes]``."""
        # TODO (ex07) : implémentez SimpleCNN.forward (voir la docstring).
        raise NotImplementedError("ex07 : SimpleCNN.forward")


class TensorDataset(Dataset):
    """Un ``Dataset`` construit sur des données déjà en mémoire.

    Args:
        data: les entrées, indexables (par ex. un tenseur ``[N, C, H, W]``).
        labels: les étiquettes, une par entrée (par ex. un tenseur ``[N]``).
        transform: fonction optionnelle appliquée **à l'entrée seulement**
            (jamais à l'étiquette), au moment où l'exemple est lu.

    - ``len(dataset)`` : le nombre d'exemples.
    - ``dataset[i]`` : le couple ``(transform(data[i]), labels[i])`` (ou
      ``(data[i], labels[i])`` sans transform). L'étiquette peut être rendue
      telle quelle (tenseur) ou en ``int`` : les deux sont acceptées.
    - Le ``DataLoader`` doit pouvoir l'utiliser tel quel.
    """

    def __init__(self, data: Any, labels: Any,
                 transform: Callable[[Any], Any] | None = None) -> None:
        # TODO (ex07) : implémentez TensorDataset.__init__ (voir la docstring).
        raise NotImplementedError("ex07 : TensorDataset.__init__")

    def __len__(self) -> int:
        # TODO (ex07) : implémentez TensorDataset.__len__ (voir la docstring).
        raise NotImplementedError("ex07 : TensorDataset.__len__")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        # TODO (ex07) : implémentez TensorDataset.__getitem__ (voir la docstring).
        raise NotImplementedError("ex07 : TensorDataset.__getitem__")


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                    epoch: int, loss: float) -> None:
    """Écrit dans le fichier ``path`` de quoi reprendre l'entraînement plus tard.

    Sauvegardez (``torch.save``) l'état du modèle (``model.state_dict()``),
    celui de l'optimiseur (``optimizer.state_dict()`` : il contient par
    exemple les moyennes d'Adam ou la vitesse du momentum), ``epoch`` et
    ``loss``. Le nom des clés dans le fichier est libre : seul l'aller-retour
    avec ``load_checkpoint`` est vérifié. ``path`` peut être un ``str`` ou un
    ``pathlib.Path`` ; écrivez exactement à cet endroit.
    """
    # TODO (ex07) : implémentez save_checkpoint (voir la docstring).
    raise NotImplementedError("ex07 : save_checkpoint")


def load_checkpoint(path: str | Path, model: nn.Module,
                    optimizer: torch.optim.Optimizer) -> tuple[int, float]:
    """Recharge un fichier écrit par ``save_checkpoint`` dans ``model`` et ``optimizer``.

    ``model`` et ``optimizer`` sont des objets neufs, construits comme ceux de
    la sauvegarde (même architecture, même type d'optimiseur) : chargez-y
    les états sauvegardés (``load_state_dict``), sur place. Reprendre
    l'entraînement donne alors exactement les mêmes poids que si l'on ne
    s'était jamais arrêté.

    Returns:
        Le couple ``(epoch, loss)`` sauvegardé.
    """
    # TODO (ex07) : implémentez load_checkpoint (voir la docstring).
    raise NotImplementedError("ex07 : load_checkpoint")
