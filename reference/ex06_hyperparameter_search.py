"""Exercice 6 : recherche d'hyperparamètres (axe 5).

Objectifs : énumérer une grille d'hyperparamètres, découper un jeu de données
en plis pour la validation croisée, choisir la meilleure configuration d'une
grille, et faire varier le taux d'apprentissage pendant l'entraînement avec un
planificateur (``StepLR``, ``ReduceLROnPlateau``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import torch


def grid(space: dict[str, list]) -> list[dict]:
    """Toutes les configurations de la grille ``space`` (le produit cartésien).

    ``space`` associe à chaque nom d'hyperparamètre la liste de ses valeurs,
    par ex. ``{"lr": [0.1, 0.01], "batch_size": [32, 64]}`` ; le résultat a
    alors 2 × 2 = 4 configurations, chacune un dictionnaire avec **toutes** les
    clés de ``space`` :
    ``[{"lr": 0.1, "batch_size": 32}, {"lr": 0.1, "batch_size": 64},
    {"lr": 0.01, "batch_size": 32}, {"lr": 0.01, "batch_size": 64}]``.

    - Chaque combinaison apparaît exactement une fois.
    - L'ordre doit être **déterministe** (deux appels donnent la même liste).
      Celui d'``itertools.product`` sur les clés dans leur ordre d'insertion
      (la dernière clé varie le plus vite, comme ci-dessus) convient ; tout
      autre ordre fixe aussi.
    - Les valeurs peuvent être de n'importe quel type, y compris des listes
      (par ex. ``"sizes": [[784, 128, 10], [784, 10]]`` pour le MLP de
      l'exercice 5) : ne les mettez pas dans un ``set``.
    - Une clé dont la liste est vide donne une grille vide ``[]`` ; ``space``
      n'est pas modifié.
    """
    # BEGIN SOLUTION
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]
    # END SOLUTION


def kfold_indices(n: int, k: int, seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """Découpe les indices ``0 .. n-1`` en ``k`` plis pour la validation croisée.

    Renvoie une liste de ``k`` paires ``(train, val)`` de listes d'entiers :

    - les indices sont d'abord **mélangés** avec un générateur initialisé par
      ``seed`` (par ex. ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``
      ou ``random.Random(seed).shuffle``) : même ``seed`` → mêmes plis,
      autre ``seed`` → autres plis, quel que soit l'état des générateurs
      globaux ;
    - chaque indice apparaît dans **exactement un** ``val`` ;
    - ``train`` est le complément de ``val`` (tous les autres indices, chacun
      une fois, dans l'ordre de votre choix) ;
    - les tailles des ``val`` diffèrent d'au plus 1 (``n = 10, k = 3`` →
      4, 3, 3 dans n'importe quel ordre).

    On suppose ``2 ≤ k ≤ n`` ; ``k = n`` donne le « leave-one-out ». Des listes
    Python d'entiers sont attendues (un tableau numpy ou un tenseur d'entiers
    est aussi accepté par les tests).
    """
    # BEGIN SOLUTION
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=generator).tolist()
    folds = []
    for i in range(k):
        val = perm[i::k]  # every k-th index: fold sizes differ by at most one
        held_out = set(val)
        train = [j for j in perm if j not in held_out]
        folds.append((train, val))
    return folds
    # END SOLUTION


def grid_search(space: dict[str, list],
                train_and_score: Callable[[dict], float]) -> tuple[dict, list[tuple[dict, float]]]:
    """Évalue chaque configuration de ``grid(space)`` et renvoie la meilleure.

    - ``train_and_score(config)`` entraîne un modèle avec la configuration
      ``config`` (un dictionnaire de ``grid``) et renvoie son score, par ex.
      l'exactitude de validation : **plus il est haut, mieux c'est**.
      Appelez-la **une seule fois par configuration** (un entraînement coûte
      cher).
    - Renvoie ``(best, results)`` : ``best`` est la configuration (le
      dictionnaire) de score le plus élevé, ``results`` la liste de toutes les
      paires ``(config, score)``, une par configuration (l'ordre de la grille
      convient ; trier par score aussi).
    - En cas d'égalité, n'importe laquelle des meilleures convient.
    """
    # BEGIN SOLUTION
    results: list[tuple[dict, float]] = []
    for config in grid(space):
        results.append((config, train_and_score(config)))
    best, _ = max(results, key=lambda pair: pair[1])
    return best, results
    # END SOLUTION


def make_scheduler(optimizer: torch.optim.Optimizer, name: str, **kw: Any):
    """Construit un planificateur de taux d'apprentissage pour ``optimizer``.

    - ``"step"`` : ``torch.optim.lr_scheduler.StepLR(optimizer, **kw)`` ; on
      passe ``step_size`` et ``gamma`` (par ex. ``step_size=10, gamma=0.1``).
      Appelé une fois par époque (``scheduler.step()``), le taux après ``e``
      époques vaut ``lr0 * gamma ** (e // step_size)``.
    - ``"plateau"`` : ``torch.optim.lr_scheduler.ReduceLROnPlateau`` en
      **mode "min"** (il surveille une perte de validation, qu'on lui passe à
      chaque époque : ``scheduler.step(val_loss)``) ; les autres arguments
      (``patience``, ``factor``…) lui sont transmis tels quels. Le taux est
      multiplié par ``factor`` après ``patience + 1`` époques de suite sans
      amélioration de la perte, pas avant.
    - Tout autre nom lève une ``ValueError`` dont le message cite les choix
      valides (``"step"``, ``"plateau"``) ; variantes de casse (``"Step"``) :
      acceptées ou refusées, au choix.
    """
    # BEGIN SOLUTION
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, **kw)
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", **kw)
    raise ValueError(f"unknown scheduler {name!r}; choose one of ['plateau', 'step']")
    # END SOLUTION
