"""The one list of exercises: ids, modules, titles and point totals.

Markers (``ex03``), the check runner, the release and the reports all read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.i18n import t


@dataclass(frozen=True)
class Exercise:
    id: str
    """Short id used everywhere: marker, CSV column, ``make check ex3``."""
    module: str
    """Module name, the same in ``exercises/`` and ``reference/``."""
    title_fr: str
    title_en: str
    points: int
    """Total over public and hidden tests; a kit test checks the markers add up to it."""

    @property
    def title(self) -> str:
        return t(self.title_fr, self.title_en)

    @property
    def number(self) -> int:
        return int(self.id[2:])


EXERCISES: tuple[Exercise, ...] = (
    Exercise("ex01", "ex01_tensors", "Tenseurs et couche linéaire",
             "Tensors and the Linear layer", 20),
    Exercise("ex02", "ex02_training_loop", "Boucle d'entraînement",
             "The training loop", 20),
    Exercise("ex03", "ex03_simple_nn", "SimpleNN et evaluate_model (axe 1)",
             "SimpleNN and evaluate_model (axis 1)", 20),
    Exercise("ex04", "ex04_activations_optimizers",
             "Activations et optimiseurs (axes 2 et 3)",
             "Activations and optimizers (axes 2 and 3)", 20),
    Exercise("ex05", "ex05_regularize_mlp",
             "MLP régularisé : dropout, batch norm, initialisation, TensorBoard (axes 4 et 6)",
             "Regularised MLP: dropout, batch norm, initialisation, TensorBoard (axes 4 and 6)",
             20),
    Exercise("ex06", "ex06_hyperparameter_search", "Recherche d'hyperparamètres (axe 5)",
             "Hyperparameter search (axis 5)", 20),
    Exercise("ex07", "ex07_cnn_basics",
             "Bases des CNN : convolutions, pooling, Dataset, checkpoints",
             "CNN basics: convolutions, pooling, Dataset, checkpoints", 20),
    Exercise("ex08", "ex08_lenet5", "LeNet-5 (TP7, exercices 1–2)",
             "LeNet-5 (TP7, exercises 1–2)", 20),
    Exercise("ex09", "ex09_training_tricks",
             "Astuces d'entraînement : early stopping, L1/L2, scheduler (TP7, exercices 3–7)",
             "Training tricks: early stopping, L1/L2, scheduler (TP7, exercises 3–7)", 20),
    Exercise("ex10", "ex10_transfer_vision", "Transfert en vision : ResNet18",
             "Transfer learning in vision: ResNet18", 20),
    Exercise("ex11", "ex11_transformers",
             "Transformers : DistilBERT, tête de classification, LoRA, rééquilibrage",
             "Transformers: DistilBERT, classification head, LoRA, data balancing", 20),
    Exercise("ex12", "ex12_sequences", "Séquences : RNN, GRU, LSTM",
             "Sequences: RNN, GRU, LSTM", 20),
)

BY_ID = {ex.id: ex for ex in EXERCISES}
BY_MODULE = {ex.module: ex for ex in EXERCISES}


def lookup(query: str) -> Exercise:
    """Find an exercise from what a user types: ``3``, ``ex3``, ``ex03`` or ``ex03_simple_nn``."""
    q = query.strip().lower().removesuffix(".py")
    if q in BY_MODULE:
        return BY_MODULE[q]
    m = re.fullmatch(r"(?:ex)?0*(\d+)", q)
    if m:
        key = f"ex{int(m.group(1)):02d}"
        if key in BY_ID:
            return BY_ID[key]
    choices = ", ".join(ex.id for ex in EXERCISES)
    raise KeyError(t(f"exercice inconnu : {query!r} (choix : {choices})",
                     f"unknown exercise: {query!r} (choices: {choices})"))


def exercise_of_test_file(filename: str) -> Exercise | None:
    """``test_ex03_simple_nn.py`` or ``test_ex03_hidden.py`` -> ex03; anything else -> None."""
    m = re.match(r"test_(ex\d\d)[_.]", filename)
    return BY_ID.get(m.group(1)) if m else None
