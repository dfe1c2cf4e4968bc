# Exercice ex11 : Transformers : DistilBERT, tête de classification, LoRA, rééquilibrage.
# Complétez chaque TODO ; vérifiez avec `make check ex11`.
"""Exercice 11 : transformers avec DistilBERT, tête de classification, LoRA, rééquilibrage.

Objectifs (leçon 3, partie 1) : charger un modèle pré-entraîné de Hugging Face
et son tokenizer, explorer ses paramètres et ses blocs, encoder des phrases,
n'entraîner que la tête de classification (base gelée), adapter le modèle
avec LoRA (quelques petites matrices entraînables au lieu de millions de
poids), puis compenser des classes déséquilibrées (poids de la perte ou
échantillonnage).

``transformers`` est lent à importer (~10 s) : il n'est importé qu'à
l'intérieur des fonctions qui en ont besoin. Sans réseau, ``load_pretrained``
ne marche que sur un dossier local (écrit par ``save_pretrained``) ; avec un
nom du Hub comme ``"distilbert-base-uncased"``, il télécharge le modèle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils.data import WeightedRandomSampler

if TYPE_CHECKING:  # annotations only: importing transformers costs ~10 s
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

HEAD_NAMES = ("pre_classifier", "classifier")
"""Attributs de la tête de classification : ``pre_classifier`` (DistilBERT seulement) et
``classifier`` (DistilBERT, BERT et leurs cousins)."""


def load_pretrained(name: str = "distilbert-base-uncased", num_labels: int = 2
                    ) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """Charge le tokenizer et le modèle de classification ``name`` ; renvoie ``(tokenizer, model)``.

    - ``name`` est un nom du Hub (``"distilbert-base-uncased"`` : téléchargement,
      seulement avec un réseau) ou le chemin d'un dossier local écrit par
      ``save_pretrained`` (c'est ce que font les tests, hors ligne).
    - Tokenizer : ``AutoTokenizer.from_pretrained(name)`` (ou
      ``DistilBertTokenizerFast.from_pretrained``).
    - Modèle : ``AutoModelForSequenceClassification.from_pretrained(name,
      num_labels=num_labels)`` (ou ``DistilBertForSequenceClassification``).
      Le point de départ est souvent un modèle de base, sans tête : la base
      (``model.distilbert``) reçoit les poids pré-entraînés et la tête
      (``pre_classifier``, ``classifier``) est créée au hasard avec
      ``num_labels`` sorties (transformers le signale par un avertissement).
    - Importez ``transformers`` dans la fonction, pas en haut du module.
    """
    # TODO (ex11) : implémentez load_pretrained (voir la docstring).
    raise NotImplementedError("ex11 : load_pretrained")


def describe(model: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    """La liste ``(nom, forme)`` de tous les paramètres, dans l'ordre de ``named_parameters()``.

    Par exemple ``("distilbert.embeddings.word_embeddings.weight", (30522, 768))``.
    Tous les paramètres y sont, gelés compris ; la forme est un tuple d'entiers
    (``tuple(p.shape)`` ; un ``torch.Size`` est accepté).
    """
    # TODO (ex11) : implémentez describe (voir la docstring).
    raise NotImplementedError("ex11 : describe")


def count_layers(model: nn.Module) -> int:
    """Nombre de blocs transformer du modèle (6 pour ``distilbert-base-uncased``, 12 pour BERT).

    Les blocs sont dans une ``nn.ModuleList`` : ``model.distilbert.transformer.layer``
    pour DistilBERT, ``model.bert.encoder.layer`` pour BERT. Deux façons
    acceptées de les compter :

    - lire la configuration : ``model.config.num_hidden_layers`` (DistilBERT
      l'appelle aussi ``n_layers``) ;
    - ou prendre la longueur de la plus longue ``nn.ModuleList`` du modèle.

    On compte des blocs, pas des modules : ``len(list(model.modules()))``
    compte aussi chaque couche, chaque LayerNorm, chaque dropout…
    """
    # TODO (ex11) : implémentez count_layers (voir la docstring).
    raise NotImplementedError("ex11 : count_layers")


def freeze_base(model: nn.Module) -> nn.Module:
    """Gèle tout sauf la tête de classification ; renvoie ``model`` (le même objet).

    - Après l'appel, seuls les paramètres de la tête ont ``requires_grad=True`` :
      ``pre_classifier`` et ``classifier`` pour
      ``DistilBertForSequenceClassification`` ; ``classifier`` seul pour un
      modèle sans ``pre_classifier`` (``BertForSequenceClassification`` : son
      ``bert.pooler`` fait partie de la base, il est gelé). Voir ``HEAD_NAMES``.
    - Tous les autres paramètres (embeddings, blocs, pooler…) ont
      ``requires_grad=False``.
    - Ne changez que les drapeaux ``requires_grad`` : aucune valeur modifiée,
      aucun module recréé ; modifiez ``model`` sur place.
    - Au choix : parcourir ``model.named_parameters()`` (le premier composant
      du nom dit si le paramètre est dans la tête) ou geler
      ``model.base_model`` et garder la tête.
    """
    # TODO (ex11) : implémentez freeze_base (voir la docstring).
    raise NotImplementedError("ex11 : freeze_base")


def encode(tokenizer: PreTrainedTokenizerBase, texts: str | Sequence[str],
           max_length: int = 64) -> Mapping[str, torch.Tensor]:
    """Encode un lot de textes en tenseurs PyTorch ; renvoie un dictionnaire (``Mapping``).

    - Le résultat contient au moins ``"input_ids"`` et ``"attention_mask"``,
      deux tenseurs ``torch.int64`` de forme ``[N, L]`` (``N`` textes). Le
      ``BatchEncoding`` du tokenizer convient (``return_tensors="pt"``).
    - Padding : tous les textes ont la même longueur ``L``, soit celle du plus
      long texte du lot (``padding=True``), soit ``max_length``
      (``padding="max_length"``) : les deux sont acceptés.
    - Troncature : aucun texte ne dépasse ``max_length`` jetons, jetons
      spéciaux ``[CLS]`` et ``[SEP]`` compris (``truncation=True``).
    - ``attention_mask`` vaut 1 sur les vrais jetons et 0 sur le padding.
    - Une chaîne seule est acceptée et traitée comme un lot d'un texte (``N = 1``) ;
      le tokenizer le fait déjà avec ``return_tensors="pt"``.
    """
    # TODO (ex11) : implémentez encode (voir la docstring).
    raise NotImplementedError("ex11 : encode")


class LoRALinear(nn.Module):
    """Une couche ``nn.Linear`` gelée plus une correction de rang ``r`` entraînable (LoRA).

    ``y = base(x) + dropout(x) @ A^T @ B^T * (alpha / r)``

    - ``base`` : la couche d'origine, gardée telle quelle (pas de copie) et
      gelée : ``requires_grad=False`` sur son poids et son biais.
    - ``A`` : ``nn.Parameter`` de forme ``[r, in_features]``, initialisé au
      hasard (``nn.init.kaiming_uniform_(A, a=math.sqrt(5))`` comme peft, ou
      une petite loi normale). Si ``A`` valait 0, ni ``A`` ni ``B`` ne
      recevraient de gradient.
    - ``B`` : ``nn.Parameter`` de forme ``[out_features, r]``, **nul** au
      départ : la couche rend alors exactement la sortie de ``base``, et
      l'entraînement part du modèle pré-entraîné.
    - Facteur d'échelle ``alpha / r`` (pas ``r / alpha``).
    - ``dropout`` (probabilité) ne s'applique qu'à l'entrée de la branche LoRA,
      jamais à ``base(x)`` ; ``dropout=0.0`` : aucun dropout.
    - ``x`` peut avoir des dimensions de tête quelconques ``[..., in_features]``.
      Créer ``A`` et ``B`` avec le ``dtype`` et le ``device`` du poids de ``base``
      évite des surprises sur GPU (non exigé).
    - Les seuls paramètres entraînables sont ``A`` et ``B`` : r·(in + out) valeurs.
    """

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16,
                 dropout: float = 0.0) -> None:
        super().__init__()
        # TODO (ex11) : implémentez LoRALinear.__init__ (voir la docstring).
        raise NotImplementedError("ex11 : LoRALinear.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : ``[..., in_features]`` → ``[..., out_features]``."""
        # TODO (ex11) : implémentez LoRALinear.forward (voir la docstring).
        raise NotImplementedError("ex11 : LoRALinear.forward")


def apply_lora(model: nn.Module, target_names: Sequence[str], r: int = 8,
               alpha: float = 16) -> nn.Module:
    """Remplace chaque ``nn.Linear`` visé par une ``LoRALinear`` ; renvoie ``model`` (sur place).

    - Un sous-module est visé s'il est un ``nn.Linear`` et si le dernier
      composant de son nom qualifié est dans ``target_names`` (``["q_lin",
      "v_lin"]`` vise ``distilbert.transformer.layer.0.attention.q_lin`` et
      les autres) ; un nom qualifié complet (``"distilbert.transformer.layer.0.attention.q_lin"``)
      ne vise que ce module-là.
    - Le remplacement se fait sur place, chez le module parent
      (``setattr(parent, nom, LoRALinear(couche, r=r, alpha=alpha))``) ; la
      ``LoRALinear`` garde la couche d'origine comme base.
    - Ensuite, **seuls les paramètres LoRA** (les ``A`` et ``B``) sont
      entraînables : tout le reste est gelé, tête de classification comprise
      (pour l'entraîner aussi, rendez-la entraînable après coup).
    - À l'initialisation, la sortie du modèle est inchangée (``B = 0``).
    - Collectez d'abord les modules visés (``list(model.named_modules())``),
      puis remplacez : on ne modifie pas un dictionnaire pendant qu'on le parcourt.
    """
    # TODO (ex11) : implémentez apply_lora (voir la docstring).
    raise NotImplementedError("ex11 : apply_lora")


def trainable_fraction(model: nn.Module) -> float:
    """Part des valeurs entraînables : (nombre de valeurs avec ``requires_grad``) / (total).

    On compte des nombres (``p.numel()``), pas des tenseurs, sur tous les
    paramètres du modèle (``A`` et ``B`` compris). Résultat dans [0, 1] ;
    0.0 pour un modèle sans paramètre. Après ``apply_lora`` sur DistilBERT
    base à 2 classes (r = 8, ``q_lin`` et ``v_lin`` des 6 blocs) :
    12 · 8 · (768 + 768) = 147 456 sur 67 102 466, soit ≈ 0.22 %.
    """
    # TODO (ex11) : implémentez trainable_fraction (voir la docstring).
    raise NotImplementedError("ex11 : trainable_fraction")


def class_weights(labels: Sequence[int] | torch.Tensor, num_classes: int) -> torch.Tensor:
    """Poids par classe, inverses de la fréquence, pour ``nn.CrossEntropyLoss(weight=...)``.

    - ``labels`` : liste d'entiers ou tenseur d'entiers de forme ``[N]``, à
      valeurs dans ``0 .. num_classes - 1`` (non modifié).
    - Résultat : tenseur ``float32`` de forme ``[num_classes]`` avec
      ``w_c = N / (num_classes · n_c)``, où ``n_c`` est le nombre d'exemples de
      la classe ``c`` : une classe deux fois plus rare pèse deux fois plus.
      Seule la proportionnalité à ``1 / n_c`` compte (la perte moyenne
      pondérée ne dépend pas de l'échelle), mais ``N / (C · n_c)`` donne 1 à
      chaque classe quand elles sont équilibrées.
    - Une classe sans aucun exemple reçoit le poids 0 (jamais ``inf`` ni ``nan`` :
      elle n'apparaît de toute façon pas dans la perte).
    """
    # TODO (ex11) : implémentez class_weights (voir la docstring).
    raise NotImplementedError("ex11 : class_weights")


def balanced_sampler(labels: Sequence[int] | torch.Tensor,
                     generator: torch.Generator | None = None) -> WeightedRandomSampler:
    """Un ``WeightedRandomSampler`` qui tire chaque classe aussi souvent que les autres.

    - ``labels`` : liste ou tenseur d'entiers ``[N]`` (une étiquette par exemple).
    - Poids **par exemple** : l'exemple ``i`` reçoit ``1 / n_{labels[i]}``
      (l'inverse de l'effectif de sa classe) ; ``N`` poids en tout, pas un
      par classe. Chaque classe a alors la même probabilité totale.
    - ``num_samples=N`` (une époque a la taille du jeu) et ``replacement=True``
      (sans remise, on retomberait sur la distribution d'origine).
    - ``generator`` est transmis au sampler (tirages reproductibles) ; avec
      ``None``, le sampler suit la graine globale (``torch.manual_seed``).
    - Usage : ``DataLoader(dataset, batch_size=32, sampler=balanced_sampler(y))``
      (pas de ``shuffle=True`` avec un sampler).
    """
    # TODO (ex11) : implémentez balanced_sampler (voir la docstring).
    raise NotImplementedError("ex11 : balanced_sampler")
