"""Exercice 12 : séquences — RNN, GRU, LSTM (notes de cours).

Objectifs : classer des séquences ``[N, T, F]`` avec un réseau récurrent
(``nn.RNN``, ``nn.GRU`` ou ``nn.LSTM``) suivi d'une couche linéaire qui lit
l'état caché de la couche du haut au dernier pas de temps ; fabriquer une
petite tâche de séquences (le signe d'une somme) et l'apprendre.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CELLS = ("rnn", "gru", "lstm")
"""Les noms de cellule acceptés par ``SequenceClassifier``."""


class SequenceClassifier(nn.Module):
    """Classifieur de séquences : couche récurrente puis ``nn.Linear``.

    - L'entrée ``x`` est de forme ``[N, T, F]`` : **le lot d'abord**
      (``batch_first=True``), puis ``T`` pas de temps de ``F = input_size``
      valeurs. La sortie est faite de logits bruts ``[N, num_classes]`` (pas
      de softmax : ``nn.CrossEntropyLoss`` s'en charge).
    - ``cell`` choisit la couche récurrente de PyTorch : ``"rnn"`` →
      ``nn.RNN`` (tangente hyperbolique, la non-linéarité par défaut),
      ``"gru"`` → ``nn.GRU``, ``"lstm"`` → ``nn.LSTM``, chacune avec
      ``input_size``, ``hidden_size`` et ``num_layers`` couches empilées.
      Les noms s'écrivent en minuscules ; un autre nom lève une ``ValueError``
      dont le message cite les trois choix valides (accepter aussi
      ``"LSTM"`` ou ``"Gru"`` est permis : les tests acceptent les deux).
    - Attention au retour : ``nn.RNN`` et ``nn.GRU`` renvoient
      ``(output, h_n)``, ``nn.LSTM`` renvoie ``(output, (h_n, c_n))`` ;
      ``c_n`` est l'état de la cellule, **pas** l'état caché.
    - On classe à partir de l'état caché de la **couche du haut** au
      **dernier pas de temps**, de forme ``[N, hidden_size]`` : ``h_n[-1]``
      (``h_n`` est de forme ``[num_layers, N, hidden_size]``) ou, c'est la
      même chose pour un réseau dans un seul sens, ``output[:, -1, :]``.
      Une couche ``nn.Linear(hidden_size, num_classes)`` s'applique
      directement à cet état caché.
    - Nombre de paramètres (``H = hidden_size``) : ``k · (H·entrée + H·H + 2·H)``
      par couche récurrente, avec ``k`` = 1 (rnn), 3 (gru) ou 4 (lstm) blocs
      de portes et ``entrée`` = ``input_size`` pour la première couche,
      ``hidden_size`` pour les suivantes ; plus ``H·num_classes + num_classes``
      pour la couche linéaire.
    - Utilisez ces modules de PyTorch (les tests retrouvent vos poids par le
      type des modules et comparent vos sorties à celles de PyTorch). On peut
      aussi écrire la boucle sur le temps soi-même avec
      ``nn.RNNCell``/``nn.GRUCell``/``nn.LSTMCell`` (une cellule par couche,
      de bas en haut) : le résultat doit être le même.
    """

    def __init__(self, input_size: int, hidden_size: int, num_classes: int,
                 cell: str = "lstm", num_layers: int = 1) -> None:
        super().__init__()
        # BEGIN SOLUTION
        if cell == "rnn":
            recurrent = nn.RNN
        elif cell == "gru":
            recurrent = nn.GRU
        elif cell == "lstm":
            recurrent = nn.LSTM
        else:
            raise ValueError(f"cellule inconnue {cell!r} : choisissez parmi {', '.join(CELLS)}")
        self.cell = cell
        self.rnn = recurrent(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[N, T, input_size]`` → logits ``[N, num_classes]``."""
        # BEGIN SOLUTION
        output, state = self.rnn(x)  # output: [N, T, H]
        if self.cell == "lstm":
            h_n, c_n = state  # each [num_layers, N, H]
        else:
            h_n = state  # [num_layers, N, H]
        return self.head(h_n[-1])  # top layer, last time step: [N, H] → [N, C]
        # END SOLUTION


def make_sign_of_sum_dataset(n: int, length: int, seed: int = 0) -> TensorDataset:
    """Une petite tâche de séquences : le signe de la somme.

    - ``x`` : ``float32`` de forme ``[n, length, 1]`` (une valeur par pas de
      temps), valeurs aléatoires **symétriques autour de 0** (par exemple
      uniformes dans ``[-1, 1]`` : ``torch.rand(...) * 2 - 1``, ou
      gaussiennes : ``torch.randn``).
    - ``y`` : ``int64`` de forme ``[n]`` : 1 si la somme de la séquence est
      strictement positive, 0 sinon.
    - Reproductible : même ``seed`` → mêmes données, ``seed`` différent →
      données différentes. Utilisez un ``torch.Generator`` initialisé avec
      ``manual_seed(seed)`` (argument ``generator=`` de ``torch.rand``).

    Returns:
        ``TensorDataset(x, y)``.
    """
    # BEGIN SOLUTION
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, length, 1, generator=gen) * 2 - 1  # [n, T, 1], uniform in [-1, 1]
    y = (x.sum(dim=(1, 2)) > 0).long()  # [n]
    return TensorDataset(x, y)
    # END SOLUTION


def train_sequence_classifier(model: nn.Module, loader: DataLoader, epochs: int = 5,
                              lr: float = 1e-2, device: torch.device | str = "cpu",
                              seed: int = 0) -> list[float]:
    """Entraîne ``model`` sur ``loader`` et renvoie la perte moyenne de chaque époque.

    - Appelez ``torch.manual_seed(seed)`` au début (l'ordre d'un ``loader``
      mélangé en dépend : deux appels avec le même ``seed`` sur le même
      modèle de départ donnent les mêmes pertes).
    - Optimiseur ``torch.optim.Adam(model.parameters(), lr=lr)``, perte
      ``nn.CrossEntropyLoss()`` (le modèle renvoie des logits).
    - Déplacez le modèle et chaque lot sur ``device`` ; ``model.train()``
      avant d'entraîner.
    - À chaque lot : ``zero_grad``, perte, ``backward``, ``step``.
    - Perte d'une époque : la moyenne des pertes des lots (les tests utilisent
      des lots de même taille : la moyenne sur les exemples donne la même
      valeur).

    Returns:
        Une liste de ``epochs`` nombres (``float``), un par époque, dans l'ordre.
    """
    # BEGIN SOLUTION
    torch.manual_seed(seed)
    device = torch.device(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        model.train()
        total, batches = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        history.append(total / batches)
    return history
    # END SOLUTION
