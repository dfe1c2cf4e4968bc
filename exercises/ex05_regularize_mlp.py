# Exercice ex05 : MLP régularisé : dropout, batch norm, initialisation, TensorBoard (axes 4 et 6).
# Complétez chaque TODO ; vérifiez avec `make check ex05`.
"""Exercice 5 : régulariser un MLP — dropout, batch norm, initialisation, TensorBoard
(axes 4 et 6).

Objectifs : construire un perceptron multicouche configurable (dropout, batch
norm), comparer des initialisations des poids, mesurer la norme des gradients,
réserver un jeu de validation et suivre l'entraînement dans TensorBoard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils.data import Dataset, random_split

if TYPE_CHECKING:  # importer TensorBoard est lent : seulement pour les annotations
    from torch.utils.tensorboard import SummaryWriter


class MLP(nn.Module):
    """Perceptron multicouche configurable.

    ``sizes`` donne la largeur de chaque couche, entrée et sortie comprises :
    ``MLP([784, 128, 64, 10])`` a deux couches cachées (128 et 64 neurones) et
    10 sorties ; ``len(sizes) >= 2`` (avec deux tailles : une seule couche
    ``nn.Linear``, sans couche cachée).

    - L'entrée est aplatie en ``[N, sizes[0]]`` (``[N, 1, 28, 28]`` et
      ``[N, 784]`` sont acceptés : ``flatten``, ``view`` ou ``nn.Flatten``).
    - Chaque couche cachée applique, dans cet ordre :
      ``nn.Linear`` → ``nn.BatchNorm1d`` (seulement si ``batchnorm``) →
      activation → dropout (probabilité ``dropout`` ; avec 0, rien ne change).
    - La dernière couche est un ``nn.Linear`` seul : la sortie est faite de
      logits bruts ``[N, sizes[-1]]`` (ni activation, ni softmax, ni dropout).
    - ``activation`` est un nom : ``"relu"``, ``"tanh"`` ou ``"sigmoid"`` (un
      autre nom lève une ``ValueError``). ``nn.ReLU()`` ou ``F.relu``, un
      ``nn.Sequential`` ou des attributs, ``nn.Dropout`` ou
      ``F.dropout(x, p, self.training)`` : au choix.
    - Le dropout n'agit qu'en mode ``train()`` et la batch norm met à jour ses
      statistiques (``running_mean``, ``running_var``) en mode ``train()``
      seulement : c'est ce que font ``nn.Dropout`` et ``nn.BatchNorm1d``.
    - Paramètres : chaque ``nn.Linear(a, b)`` compte ``a·b + b`` (biais
      compris) et chaque ``nn.BatchNorm1d(b)`` ``2·b`` (``weight`` et
      ``bias``) ; ``MLP([784, 128, 64, 10])`` en a 109 386, 109 770 avec
      ``batchnorm=True``. Retirer le biais d'une ``nn.Linear`` suivie d'une
      batch norm (``bias=False``, la batch norm le rend inutile) est aussi
      accepté.
    """

    def __init__(self, sizes: list[int], activation: str = "relu", dropout: float = 0.0,
                 batchnorm: bool = False) -> None:
        super().__init__()
        # TODO (ex05) : implémentez MLP.__init__ (voir la docstring).
        raise NotImplementedError("ex05 : MLP.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[N, ...]`` aplati en ``[N, sizes[0]]`` → logits ``[N, sizes[-1]]``."""
        # TODO (ex05) : implémentez MLP.forward (voir la docstring).
        raise NotImplementedError("ex05 : MLP.forward")


def init_weights(model: nn.Module, strategy: str) -> None:
    """Réinitialise **le poids de chaque** ``nn.Linear`` de ``model`` (en place).

    ``model`` peut être n'importe quel module (un ``MLP``, un ``nn.Sequential``…) :
    parcourez ``model.modules()`` et traitez chaque ``nn.Linear``.

    - ``"zeros"`` : poids nuls (``nn.init.zeros_``). À essayer pour voir
      pourquoi c'est une mauvaise idée : le gradient des couches cachées
      s'annule et tous les neurones d'une couche restent identiques.
    - ``"kaiming"`` : initialisation de He, mode ``fan_in`` (le nombre
      d'entrées de la couche), pour ReLU : ``nn.init.kaiming_normal_``
      (écart-type √(2 / fan_in)) ou ``nn.init.kaiming_uniform_`` (uniforme
      sur ±√(6 / fan_in)) — les deux sont acceptées.
    - ``"default"`` : l'initialisation propre de PyTorch, celle d'une couche
      neuve (``reset_parameters()`` : uniforme sur ±1/√fan_in).
    - Tout autre nom lève une ``ValueError``.

    Les biais sont laissés à votre choix (le cours n'initialise que les
    poids) : les tests ne regardent que les poids. La valeur renvoyée est
    ignorée.
    """
    # TODO (ex05) : implémentez init_weights (voir la docstring).
    raise NotImplementedError("ex05 : init_weights")


def gradient_norms(model: nn.Module) -> dict[str, float]:
    """Norme L2 du gradient de chaque paramètre, après un ``backward()``.

    Les clés sont les noms de ``model.named_parameters()`` (par ex.
    ``"out.weight"``) ; chaque valeur est un ``float`` Python : la norme
    euclidienne de tout le tenseur ``p.grad`` (√ de la somme des carrés de
    ses éléments). Un paramètre sans gradient (``p.grad is None``) peut être
    omis ou valoir 0.0, au choix. Ne modifie pas les gradients.
    """
    # TODO (ex05) : implémentez gradient_norms (voir la docstring).
    raise NotImplementedError("ex05 : gradient_norms")


def split_train_val(dataset: Dataset, val_fraction: float,
                    seed: int) -> tuple[Dataset, Dataset]:
    """Sépare ``dataset`` en ``(train, val)`` au hasard, de façon reproductible.

    - ``val`` contient ``len(dataset) * val_fraction`` exemples (les tests
      choisissent des tailles où c'est un nombre entier), ``train`` tous les
      autres : chaque exemple est dans exactement un des deux.
    - Le tirage ne dépend que de ``seed`` (pas de l'état global de
      ``torch.manual_seed``) : même ``seed`` → même partage, ``seed``
      différents → partages différents. Par exemple
      ``random_split(..., generator=torch.Generator().manual_seed(seed))``.
    - ``dataset`` est un ``Dataset`` quelconque (``len`` et ``dataset[i]``) ;
      renvoyez deux ``Dataset`` (des ``Subset`` conviennent).
    """
    # TODO (ex05) : implémentez split_train_val (voir la docstring).
    raise NotImplementedError("ex05 : split_train_val")


def log_epoch(writer: SummaryWriter, epoch: int, metrics: dict[str, float],
              model: nn.Module | None = None) -> None:
    """Écrit dans TensorBoard les mesures d'une époque (et, si demandé, les poids).

    - Pour chaque mesure : ``writer.add_scalar(tag, valeur, epoch)``, avec le
      tag **exactement** tel que donné (``"loss/train"``, ``"accuracy/val"``…)
      et ``epoch`` comme étape. N'utilisez pas ``add_scalars`` : il range les
      courbes dans des sous-dossiers (sous-runs), sous d'autres noms.
    - Si ``model`` est donné : un histogramme des valeurs de chaque paramètre
      (``writer.add_histogram``), et un histogramme de son gradient quand il
      existe (``p.grad`` peut être ``None``, par exemple avant le premier
      ``backward()``). Les noms de ces histogrammes sont libres (par ex.
      ``"weights/" + name`` et ``"grads/" + name``).

    Le writer se crée avec ``SummaryWriter("runs/essai1")``
    (``from torch.utils.tensorboard import SummaryWriter``) et les courbes se
    lisent avec ``tensorboard --logdir runs``.
    """
    # TODO (ex05) : implémentez log_epoch (voir la docstring).
    raise NotImplementedError("ex05 : log_epoch")
