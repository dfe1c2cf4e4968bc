"""Exercice 9 : astuces d'entraînement (TP7, exercices 3 à 7).

Objectifs : arrêter l'entraînement quand la validation ne progresse plus
(early stopping), régulariser les poids (pénalité L1, weight decay L2), faire
varier le taux d'apprentissage au fil des époques (scheduler), puis observer
la distribution des poids obtenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from torch.utils.data import DataLoader


@dataclass
class History:
    """Courbes d'apprentissage : une valeur par époque effectuée, dans l'ordre."""

    train_loss: list[float] = field(default_factory=list)
    """Perte moyenne d'entraînement de l'époque (perte des données seule, sans le terme L1)."""
    val_loss: list[float] = field(default_factory=list)
    """Perte moyenne sur le jeu de validation à la fin de l'époque."""
    train_acc: list[float] = field(default_factory=list)
    """Exactitude sur les données d'entraînement, dans [0, 1]."""
    val_acc: list[float] = field(default_factory=list)
    """Exactitude sur le jeu de validation, dans [0, 1]."""
    lr: list[float] = field(default_factory=list)
    """Taux d'apprentissage utilisé pendant l'époque."""


class EarlyStopper:
    """Arrêt précoce : signale quand la perte de validation ne progresse plus.

    Attributs (ils font partie de la consigne) :

    - ``patience`` et ``min_delta`` : les arguments reçus ;
    - ``best_loss`` : la meilleure perte de validation retenue jusqu'ici ;
    - ``counter`` : le nombre d'époques consécutives sans amélioration.

    Une époque **améliore** quand ``best_loss - val_loss >= min_delta``
    (une amélioration exactement égale à ``min_delta`` compte). Le premier
    appel à ``step`` améliore toujours : partez de ``best_loss = float("inf")``
    (ou de ``None``, traité à part ; les tests ne lisent ``best_loss`` qu'après
    un premier ``step``).
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.005) -> None:
        # BEGIN SOLUTION
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = float("inf")
        self.counter = 0
        # END SOLUTION

    def step(self, val_loss: float) -> bool:
        """Prend en compte la perte de validation d'une époque ; renvoie ``True`` s'il faut arrêter.

        - Amélioration (``best_loss - val_loss >= min_delta``) :
          ``best_loss = val_loss`` et ``counter = 0``.
        - Sinon : ``counter += 1`` et ``best_loss`` ne change pas (une suite de
          petits progrès, chacun inférieur à ``min_delta``, finit donc par
          compter quand leur somme atteint ``min_delta``).
        - Renvoie ``True`` (arrêter) dès que ``counter >= patience``, sinon
          ``False``. Avec ``patience=3`` : deux époques sans progrès ne
          suffisent pas, la troisième déclenche l'arrêt.
        """
        # BEGIN SOLUTION
        if self.best_loss - val_loss >= self.min_delta:
            self.best_loss = val_loss
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience
        # END SOLUTION


def l1_penalty(model: nn.Module, coef: float = 0.001) -> torch.Tensor:
    """Pénalité L1 : ``coef × Σ|θ|`` sur les paramètres **entraînables** de ``model``.

    - Seuls les paramètres avec ``requires_grad=True`` comptent (les
      paramètres gelés sont ignorés).
    - Renvoie un tenseur scalaire (forme ``()``) qui reste dans le graphe de
      calcul : ajouté à la perte, son gradient par rapport à chaque
      paramètre θ vaut ``coef × signe(θ)``. Pas de ``.item()`` ni de
      ``float(...)`` ici.
    """
    # BEGIN SOLUTION
    return coef * sum(p.abs().sum() for p in model.parameters() if p.requires_grad)
    # END SOLUTION


def make_sgd(model: nn.Module, lr: float = 0.1, momentum: float = 0.9,
             weight_decay: float = 0.0) -> torch.optim.SGD:
    """Un ``torch.optim.SGD`` sur les paramètres de ``model``.

    ``weight_decay`` est la régularisation L2 intégrée à l'optimiseur : à
    chaque pas, le gradient de chaque paramètre θ reçoit ``weight_decay × θ``
    en plus. Donnez ``lr``, ``momentum`` et ``weight_decay`` à l'optimiseur
    (on doit les retrouver dans ``optimizer.param_groups``). Tous les
    paramètres entraînables doivent y figurer (les paramètres gelés : au choix).
    """
    # BEGIN SOLUTION
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                           weight_decay=weight_decay)
    # END SOLUTION


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader,
        optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
        device: torch.device | str = "cpu", epochs: int = 10,
        scheduler: LRScheduler | None = None, early_stopper: EarlyStopper | None = None,
        l1_coef: float = 0.0) -> History:
    """Entraîne ``model`` au plus ``epochs`` époques et renvoie l'historique.

    Déplacez le modèle et chaque lot sur ``device``. À chaque époque :

    1. Notez le taux d'apprentissage utilisé pendant l'époque :
       ``optimizer.param_groups[0]["lr"]`` (lu **avant** que le scheduler
       ne le change).
    2. Entraînement (``model.train()``) : pour chaque lot, la perte des
       données ``loss_fn(logits, y)`` ; l'objectif optimisé est cette perte
       plus ``l1_penalty(model, l1_coef)`` quand ``l1_coef > 0`` ; puis
       ``zero_grad``, ``backward``, ``step``.
       ``train_loss`` est la moyenne de la perte **des données seule** (sans
       le terme L1) et ``train_acc`` la fraction de bonnes prédictions, dans
       [0, 1], sur les lots de l'époque (la mesurer après l'époque, en mode
       évaluation, est aussi accepté).
    3. Validation (``model.eval()`` et ``torch.no_grad()``) : ``val_loss``
       (perte moyenne) et ``val_acc`` (dans [0, 1]) sur ``val_loader``.
    4. Enregistrez les cinq valeurs de l'époque dans l'historique.
    5. Scheduler (s'il y en a un) : un ``ReduceLROnPlateau`` s'appelle avec
       la perte de validation, ``scheduler.step(val_loss)`` ; tout autre
       scheduler (``StepLR``…) s'appelle sans argument, ``scheduler.step()``.
       Une fois par époque, jamais par lot.
    6. Arrêt précoce (s'il y en a un) : si ``early_stopper.step(val_loss)``
       renvoie ``True``, arrêtez après cette époque (elle reste enregistrée).

    Les pertes moyennes : moyenne des pertes des lots (``total / len(loader)``)
    ou moyenne par échantillon ; les tests utilisent des lots de même taille,
    où les deux coïncident. ``early_stopper`` peut être tout objet ayant une
    méthode ``step(val_loss) -> bool``.

    Returns:
        Un ``History`` dont les cinq listes ont une valeur par époque
        effectuée (tout objet ayant ces cinq attributs est accepté).
    """
    # BEGIN SOLUTION
    device = torch.device(device)
    model.to(device)
    history = History()
    for _ in range(epochs):
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        total, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = loss_fn(logits, y)
            objective = loss + l1_penalty(model, l1_coef) if l1_coef > 0 else loss
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            total += loss.item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()
        train_loss, train_acc = total / len(train_loader), correct / seen

        model.eval()
        total, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item()
                correct += (logits.argmax(dim=1) == y).sum().item()
                seen += y.numel()
        val_loss, val_acc = total / len(val_loader), correct / seen

        history.train_loss.append(train_loss)
        history.val_loss.append(val_loss)
        history.train_acc.append(train_acc)
        history.val_acc.append(val_acc)
        history.lr.append(lr)

        if scheduler is not None:
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(val_loss)
            else:
                scheduler.step()
        if early_stopper is not None and early_stopper.step(val_loss):
            break
    return history
    # END SOLUTION


def parameter_stats(model: nn.Module) -> dict[str, float]:
    """Statistiques de **tous** les paramètres de ``model``, mis bout à bout.

    Concaténez les paramètres aplatis en un seul vecteur (``torch.cat`` de
    ``p.detach().flatten()``), puis calculez-en le minimum, le maximum, la
    moyenne et l'écart-type (celui de ``torch.std`` par défaut : non biaisé,
    division par N − 1). Les buffers (par ex. ``running_mean`` d'une
    BatchNorm) ne sont pas des paramètres : ils n'entrent pas dans le calcul.

    Returns:
        ``{"min": ..., "max": ..., "mean": ..., "std": ...}`` ; des ``float``
        (des tenseurs à un seul élément sont aussi acceptés).
    """
    # BEGIN SOLUTION
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    return {"min": flat.min().item(), "max": flat.max().item(),
            "mean": flat.mean().item(), "std": flat.std().item()}
    # END SOLUTION
