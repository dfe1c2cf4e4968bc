# Exercice ex10 : Transfert en vision : ResNet18.
# Complétez chaque TODO ; vérifiez avec `make check ex10`.
"""Exercice 10 : transfert d'apprentissage en vision avec ResNet18 (leçon 3, partie 2).

Objectifs : partir du ResNet18 de torchvision, remplacer sa tête de
classification, geler le backbone (extraction de caractéristiques) puis tout
dégeler (fine-tuning complet), compter les paramètres entraînables, mesurer
les erreurs avec une matrice de confusion, et sauvegarder / recharger le
modèle par son ``state_dict``.

Sans réseau, utilisez toujours ``weights=None`` (poids aléatoires) : les
poids pré-entraînés sur ImageNet (``weights="DEFAULT"``) se téléchargent.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision import models


def build_resnet18(num_classes: int, weights: str | models.ResNet18_Weights | None = None
                   ) -> nn.Module:
    """Le ResNet18 de torchvision dont la tête ``fc`` est remplacée pour ``num_classes`` classes.

    - Construisez le modèle avec ``torchvision.models.resnet18(weights=weights)``
      et transmettez ``weights`` tel quel : ``None`` donne des poids aléatoires
      (aucun téléchargement) ; ``"DEFAULT"`` ou ``ResNet18_Weights.DEFAULT``
      charge les poids ImageNet (téléchargement : seulement avec un réseau).
    - Remplacez ensuite ``model.fc`` (une ``Linear(512, 1000)`` : les 1 000
      classes d'ImageNet) par une nouvelle ``nn.Linear(512, num_classes)``, avec
      biais, rien d'autre (pas de ``Sequential`` ni de ``Dropout``) : les clés du
      ``state_dict`` restent celles de torchvision (``fc.weight``, ``fc.bias``).
      Ne passez pas ``num_classes`` à ``resnet18`` : avec des poids
      pré-entraînés, torchvision exige 1 000 classes.
    - Tous les paramètres restent entraînables (geler est le rôle de
      ``freeze_backbone``) ; la sortie est faite de logits bruts
      ``[N, num_classes]`` (pas de softmax).
    - Nombre de paramètres : 11 689 512 − (512·1000 + 1000) + (512·C + C),
      soit 11 178 051 pour C = 3.
    """
    # TODO (ex10) : implémentez build_resnet18 (voir la docstring).
    raise NotImplementedError("ex10 : build_resnet18")


def freeze_backbone(model: nn.Module) -> nn.Module:
    """Gèle tout le modèle sauf la tête ``fc`` (extraction de caractéristiques) ; renvoie ``model``.

    - Après l'appel, seuls les paramètres de ``model.fc`` ont
      ``requires_grad=True`` ; tous les autres (convolutions **et** poids /
      biais des BatchNorm) ont ``requires_grad=False``.
    - Ne changez que les drapeaux ``requires_grad``, jamais une valeur : ne
      recréez pas ``model.fc`` (une tête déjà entraînée doit survivre) et ne
      touchez ni aux poids ni aux statistiques des BatchNorm.
    - Modifiez ``model`` sur place et renvoyez ce même objet.

    À savoir : un paramètre gelé n'a pas de gradient, donc un optimiseur
    (même avec momentum et ``weight_decay``) le laisse intact. En revanche,
    en mode ``train``, les BatchNorm du backbone mettent encore à jour leurs
    statistiques (``running_mean``, ``running_var`` : des buffers, pas des
    paramètres) à chaque forward. Pour un backbone entièrement figé, passez le
    modèle (ou ses seules BatchNorm) en mode ``eval`` pendant l'entraînement
    de la tête. Le mode train/eval n'est pas imposé ici : les tests le fixent
    eux-mêmes.
    """
    # TODO (ex10) : implémentez freeze_backbone (voir la docstring).
    raise NotImplementedError("ex10 : freeze_backbone")


def unfreeze_all(model: nn.Module) -> nn.Module:
    """Rend tous les paramètres entraînables (fine-tuning complet) ; renvoie ``model``.

    Comme ``freeze_backbone`` : sur place, seulement les drapeaux
    ``requires_grad``, aucune valeur modifiée.
    """
    # TODO (ex10) : implémentez unfreeze_all (voir la docstring).
    raise NotImplementedError("ex10 : unfreeze_all")


def trainable_parameter_count(model: nn.Module) -> int:
    """Nombre de valeurs entraînables (``requires_grad=True``) du modèle, en ``int`` Python.

    On compte des nombres, pas des tenseurs : un poids ``[512, 3]`` compte
    pour 1 536. Un ResNet18 à 3 classes gelé par ``freeze_backbone`` en a
    512·3 + 3 = 1 539.
    """
    # TODO (ex10) : implémentez trainable_parameter_count (voir la docstring).
    raise NotImplementedError("ex10 : trainable_parameter_count")


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """Matrice de confusion ``[num_classes, num_classes]`` de type ``torch.int64``.

    - ``preds`` et ``targets`` : tenseurs d'entiers de forme ``[N]`` (classes
      prédites, par ex. ``logits.argmax(dim=1)``, et classes vraies), à valeurs
      dans ``0 .. num_classes - 1``. ``N`` peut valoir 0.
    - ``cm[i, j]`` = nombre d'exemples de classe **vraie** ``i`` prédits ``j`` :
      les lignes sont les classes vraies, les colonnes les classes prédites.
      La diagonale compte les bonnes réponses ; la somme vaut ``N``.
    - La taille vient de ``num_classes``, même si certaines classes
      n'apparaissent pas. Les entrées ne sont pas modifiées.
    """
    # TODO (ex10) : implémentez confusion_matrix (voir la docstring).
    raise NotImplementedError("ex10 : confusion_matrix")


def save_model(model: nn.Module, path: str | Path) -> None:
    """Enregistre le ``state_dict`` du modèle dans le fichier ``path``.

    Le fichier contient exactement ``model.state_dict()`` (paramètres et
    buffers, comme les statistiques des BatchNorm), écrit par ``torch.save`` :
    pas le modèle entier (``torch.save(model, ...)``), pas de dictionnaire
    autour. ``path`` est une ``str`` ou un ``pathlib.Path``.
    """
    # TODO (ex10) : implémentez save_model (voir la docstring).
    raise NotImplementedError("ex10 : save_model")


def load_model(path: str | Path, num_classes: int) -> nn.Module:
    """Recrée le modèle enregistré par ``save_model`` dans ``path`` et le renvoie.

    - Construisez un ResNet18 neuf à ``num_classes`` classes **avec
      ``weights=None``** (inutile de télécharger des poids aussitôt écrasés, et
      ``load_model`` doit marcher sans réseau), puis chargez-y le
      ``state_dict`` lu par ``torch.load(path, map_location="cpu")``.
    - Le modèle renvoyé est sur CPU et a exactement le même ``state_dict``
      que le modèle enregistré, donc les mêmes sorties (en mode ``eval``).
      Le mode (``train`` ou ``eval``) du modèle renvoyé est libre : appelez
      ``model.eval()`` avant l'inférence.
    """
    # TODO (ex10) : implémentez load_model (voir la docstring).
    raise NotImplementedError("ex10 : load_model")
