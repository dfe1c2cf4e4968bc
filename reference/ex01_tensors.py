"""Exercice 1 : tenseurs et couche linéaire.

Objectifs : manipuler dtype et plages de valeurs d'une image, normaliser un
tenseur, réécrire à la main le calcul d'une couche ``nn.Linear`` et choisir le
bon périphérique de calcul.
"""

from __future__ import annotations

import torch


def to_float_image(img: torch.Tensor) -> torch.Tensor:
    """Convertit une image ``uint8`` (valeurs 0..255) en ``float32`` dans [0, 1].

    Args:
        img: tenseur ``uint8`` de forme ``[..., H, W]`` (toute forme est acceptée :
            une image, un lot d'images, avec ou sans canal).

    Returns:
        Un tenseur ``float32`` de même forme, chaque valeur divisée par 255
        (0 → 0.0, 255 → 1.0). L'entrée n'est pas modifiée.
    """
    # BEGIN SOLUTION
    return img.to(torch.float32) / 255.0
    # END SOLUTION


def normalize(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Normalise ``x`` : ``(x - mean) / std``, élément par élément.

    Pour MNIST (images déjà dans [0, 1]) : ``mean=0.1307``, ``std=0.3081`` ;
    les pixels normalisés ont alors une moyenne proche de 0 et un écart-type
    proche de 1. Renvoie un nouveau tenseur de même forme (``x`` n'est pas modifié).
    """
    # BEGIN SOLUTION
    return (x - mean) / std
    # END SOLUTION


def linear_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Calcule à la main la sortie d'une couche linéaire : ``y = x @ W^T + b``.

    Args:
        x: entrée de forme ``[..., in_features]`` (n'importe quel nombre de
            dimensions de lot, y compris aucune).
        weight: matrice ``W`` de forme ``[out_features, in_features]`` (la
            convention de ``nn.Linear``).
        bias: vecteur ``b`` de forme ``[out_features]``.

    Returns:
        Un tenseur de forme ``[..., out_features]``, égal à la sortie de
        ``nn.Linear`` ayant ces poids. N'utilisez ni ``nn.Linear`` ni
        ``F.linear`` : c'est le calcul qu'on vous demande d'écrire. Le gradient
        doit pouvoir remonter jusqu'à ``x``, ``weight`` et ``bias``.
    """
    # BEGIN SOLUTION
    return x @ weight.T + bias
    # END SOLUTION


def get_device() -> torch.device:
    """Choisit le périphérique de calcul : ``cuda`` s'il est disponible, sinon
    ``mps`` (GPU des Mac Apple Silicon) s'il est disponible, sinon ``cpu``.

    Returns:
        Un ``torch.device`` (pas une chaîne de caractères).
    """
    # BEGIN SOLUTION
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    # END SOLUTION
