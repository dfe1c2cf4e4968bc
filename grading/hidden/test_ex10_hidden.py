"""Hidden tests of ex10_transfer_vision (instructor only): other head sizes, the forward
pass against torchvision's own, gradients of a frozen model, a head that learns on real
digits while the whole backbone (buffers included) stays bit-identical, full fine-tuning,
trainable counts and confusion matrices on random cases, the saved file as a plain
state_dict both ways, and loading without a network."""

import copy
import inspect
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch
import torchvision
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from grading.expect import (
    LearnerFailure,
    expect,
    expect_close,
    expect_converges,
    expect_grad_flow,
    expect_param_count,
    expect_shape,
    expect_type,
    fmt_number,
)
from grading.i18n import t
from grading.testkit import ex10_forbid_downloads
from grading.testkit import ex10_is_head as _is_head
from grading.testkit import ex10_snapshot as _snapshot
from grading.testkit import ex10_total as _total


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    """No download, ever: an empty torch.hub cache and a download function that refuses."""
    ex10_forbid_downloads(
        monkeypatch, tmp_path_factory,
        hint=t("les tests tournent sans réseau : build_resnet18 transmet weights "
               "(None par défaut) à resnet18, et load_model construit son ResNet18 "
               "avec weights=None : des poids téléchargés seraient aussitôt écrasés",
               "the tests run offline: build_resnet18 passes weights (None by default) "
               "to resnet18, and load_model builds its ResNet18 with weights=None: "
               "downloaded weights would be overwritten at once"))


@lru_cache(maxsize=4)
def _template(num_classes: int) -> nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(2000 + num_classes)
        model = torchvision.models.resnet18(weights=None)
        model.fc = nn.Linear(512, num_classes)
    return model


def _resnet(num_classes: int) -> nn.Module:
    """The tests' own ResNet18 (torchvision, new head)."""
    return copy.deepcopy(_template(num_classes))


def _moved(model: nn.Module, before: dict[str, torch.Tensor], head: bool) -> list[str]:
    """State entries (parameters and buffers) of the head or of the backbone that changed."""
    return [k for k, v in model.state_dict().items()
            if _is_head(k) == head and not torch.equal(v, before[k])]


def _digits(mnist, per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Real digits 0, 1, 2 as 3-channel 28×28 images (the grey channel repeated)."""
    images, labels = mnist.train.tensors
    gen = torch.Generator().manual_seed(seed)
    idx = torch.cat([(labels == c).nonzero().flatten()[torch.randperm(400, generator=gen)]
                     [:per_class] for c in range(3)])
    return images[idx].repeat(1, 3, 1, 1), labels[idx]


# --- build_resnet18 --------------------------------------------------------------------


@pytest.mark.points(1)
def test_build_resnet18_other_sizes(ex):
    """build_resnet18 pour 1, 2 et 10 classes, et poids pré-entraînés transmis à torchvision"""
    for c in (1, 2, 10):
        model = ex.build_resnet18(c, weights=None)
        hint = t(f"la tête doit être nn.Linear(512, num_classes) : utilisez l'argument "
                 f"num_classes (ici {c}), pas une taille écrite en dur",
                 f"the head must be nn.Linear(512, num_classes): use the num_classes "
                 f"argument (here {c}), not a hard-coded size")
        expect_param_count(model, _total(c), todo="build_resnet18", hint=hint)
        model.train()
        out = model(torch.randn(2, 3, 48, 48))
        expect_shape(out, (2, c), what=t(f"sortie de build_resnet18({c}) pour 2 images 48×48",
                                         f"output of build_resnet18({c}) for 2 images 48×48"),
                     todo="build_resnet18", hint=hint)
    # weights= must reach torchvision: a checkpoint planted in the (test's own, empty) hub
    # cache is what torchvision loads for "DEFAULT" when present, so nothing is downloaded.
    url = torchvision.models.ResNet18_Weights.DEFAULT.url
    planted = _template(1000).state_dict()
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(planted, cache / Path(urlparse(url).path).name)
    loaded = ex.build_resnet18(3, weights="DEFAULT").state_dict()
    same = [k for k, v in planted.items() if not k.startswith("fc.") and k in loaded
            and torch.equal(loaded[k], v)]
    backbone = [k for k in planted if not k.startswith("fc.")]
    expect(len(same) == len(backbone),
           what=t('poids du backbone avec build_resnet18(3, weights="DEFAULT")',
                  'backbone weights with build_resnet18(3, weights="DEFAULT")'),
           expected=t(f"les {len(backbone)} tenseurs pré-entraînés chargés par torchvision",
                      f"the {len(backbone)} pretrained tensors loaded by torchvision"),
           got=t(f"{len(same)} identiques", f"{len(same)} identical"),
           todo="build_resnet18",
           hint=t("transmettez l'argument weights à torchvision.models.resnet18 au lieu de "
                  "weights=None écrit en dur : sinon l'étudiant n'obtient jamais les poids "
                  "ImageNet",
                  "pass the weights argument on to torchvision.models.resnet18 instead of a "
                  "hard-coded weights=None: otherwise the ImageNet weights are never loaded"))


@pytest.mark.points(1)
def test_build_resnet18_forward_is_torchvision(ex):
    """build_resnet18 : calcule exactement comme torchvision (logits bruts), gradient partout"""
    model = ex.build_resnet18(4, weights=None)
    oracle = _resnet(4)
    try:
        oracle.load_state_dict(model.state_dict())
    except RuntimeError as exc:
        raise LearnerFailure(
            what=t("state_dict de build_resnet18(4) chargé dans torchvision.models.resnet18",
                   "state_dict of build_resnet18(4) loaded into torchvision.models.resnet18"),
            expected=t("les mêmes clés et formes", "the same keys and shapes"),
            got=str(exc).splitlines()[0][:200], todo="build_resnet18",
            hint=t("seul model.fc change : nn.Linear(512, num_classes)",
                   "only model.fc changes: nn.Linear(512, num_classes)")) from None
    x = torch.randn(3, 3, 40, 40)
    model.eval()
    oracle.eval()
    with torch.no_grad():
        out, want = model(x), oracle(x)
    expect_close(out, want, atol=1e-5,
                 what=t("sortie de build_resnet18(4) comparée à torchvision avec les mêmes poids",
                        "output of build_resnet18(4) against torchvision with the same weights"),
                 todo="build_resnet18",
                 hint=t("renvoyez le ResNet18 lui-même : pas de softmax ni de couche ajoutée "
                        "(nn.CrossEntropyLoss attend des logits bruts)",
                        "return the ResNet18 itself: no softmax, no extra layer "
                        "(nn.CrossEntropyLoss expects raw logits)"))
    model.train()
    F.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 3])).backward()
    expect_grad_flow(model, todo="build_resnet18",
                     hint=t("build_resnet18 ne gèle rien et ne détache rien : tous les "
                            "paramètres reçoivent un gradient",
                            "build_resnet18 freezes and detaches nothing: every parameter "
                            "gets a gradient"))


# --- freeze_backbone / unfreeze_all ----------------------------------------------------


@pytest.mark.points(1)
def test_freeze_backbone_ten_classes(ex):
    """freeze_backbone (10 classes) : 5 130 paramètres entraînables, gradients sur fc seule"""
    model = _resnet(10)
    result = ex.freeze_backbone(model)
    expect(result is model, what=t("valeur renvoyée par freeze_backbone(model)",
                                   "value returned by freeze_backbone(model)"),
           expected=t("le modèle reçu", "the model received"), got=type(result).__name__,
           todo="freeze_backbone", hint=t("terminez par return model", "end with return model"))
    hint = t("requires_grad=False sur chaque paramètre hors de model.fc (BatchNorm compris), "
             "True sur tous ceux de model.fc",
             "requires_grad=False on every parameter outside model.fc (BatchNorm included), "
             "True on all of model.fc's")
    expect_param_count(model, 5_130, todo="freeze_backbone", hint=hint)
    ex.freeze_backbone(model)
    expect_param_count(model, 5_130, todo="freeze_backbone",
                       hint=t("appelée deux fois, freeze_backbone donne le même résultat",
                              "called twice, freeze_backbone gives the same result"))
    model.train()
    F.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 3, 7, 9])).backward()
    with_grad = sorted(n for n, p in model.named_parameters() if p.grad is not None)
    expect(with_grad == ["fc.bias", "fc.weight"],
           what=t("paramètres ayant un gradient après backward",
                  "parameters with a gradient after backward"),
           expected="fc.weight, fc.bias", got=", ".join(with_grad[:6]) or t("aucun", "none"),
           todo="freeze_backbone", hint=hint)


@pytest.mark.points(1)
def test_frozen_backbone_learns_head(ex, mnist):
    """Extraction de caractéristiques : la tête apprend sur des chiffres, le backbone est figé"""
    # Reference, 12 AdamW steps on 24 real digits (3 classes), backbone in eval mode:
    # cross-entropy 1.05-1.19 before, 0.23-0.58 after over 20 seeds (0.40 with this one;
    # 0.7-2 s on a shared 2-core CPU); the 0.8 threshold leaves ≥ 0.22 of margin.
    torch.manual_seed(7)
    model = ex.build_resnet18(3, weights=None)
    ex.freeze_backbone(model)
    x, y = _digits(mnist, 8, seed=7)
    model.eval()  # BatchNorm statistics frozen too: the whole backbone must stay identical
    before = _snapshot(model)
    # AdamW with weight decay over every parameter: frozen ones have no gradient and are
    # skipped, so not even the decay may touch them.
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    with torch.no_grad():
        start = F.cross_entropy(model(x), y).item()
    for _ in range(12):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        end = F.cross_entropy(model(x), y).item()
    moved = _moved(model, before, head=False)
    expect(not moved, what=t("backbone (paramètres et buffers) après 12 pas d'AdamW",
                             "backbone (parameters and buffers) after 12 AdamW steps"),
           expected=t("identique au bit près", "bit-identical"),
           got=t(f"{len(moved)} entrées modifiées : {', '.join(moved[:4])}",
                 f"{len(moved)} entries changed: {', '.join(moved[:4])}"),
           todo="freeze_backbone",
           hint=t("gelez tous les paramètres hors de model.fc (BatchNorm compris) ; "
                  "ne touchez à aucune valeur",
                  "freeze every parameter outside model.fc (BatchNorm included); "
                  "change no value"))
    expect_converges(end, 0.8, higher_is_better=False,
                     what=t(f"perte sur 24 chiffres après 12 pas (au départ {start:.3f})",
                            f"loss on 24 digits after 12 steps (initially {start:.3f})"),
                     todo="freeze_backbone",
                     hint=t("la tête fc doit rester entraînable (requires_grad=True) et "
                            "build_resnet18 renvoyer des logits bruts",
                            "the fc head must stay trainable (requires_grad=True) and "
                            "build_resnet18 return raw logits"))


@pytest.mark.points(1)
def test_unfreeze_all_full_fine_tuning(ex):
    """unfreeze_all après freeze_backbone : fine-tuning complet, gradient sur chaque paramètre"""
    model = _resnet(5)
    ex.freeze_backbone(model)
    before = _snapshot(model)
    result = ex.unfreeze_all(model)
    expect(result is model, what=t("valeur renvoyée par unfreeze_all(model)",
                                   "value returned by unfreeze_all(model)"),
           expected=t("le modèle reçu", "the model received"), got=type(result).__name__,
           todo="unfreeze_all", hint=t("terminez par return model", "end with return model"))
    expect_param_count(model, _total(5), todo="unfreeze_all",
                       hint=t("requires_grad=True sur tous les paramètres, BatchNorm compris",
                              "requires_grad=True on every parameter, BatchNorm included"))
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    expect(not changed, what=t("state_dict après unfreeze_all", "state_dict after unfreeze_all"),
           expected=t("identique au bit près", "bit-identical"), got=", ".join(changed[:4]),
           todo="unfreeze_all", hint=t("ne changez que les drapeaux requires_grad",
                                       "only change the requires_grad flags"))
    model.train()
    F.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 4, 2])).backward()
    expect_grad_flow(model, todo="unfreeze_all")


# --- trainable_parameter_count ---------------------------------------------------------


@st.composite
def _mlps(draw):
    sizes = draw(st.lists(st.integers(1, 9), min_size=2, max_size=5))
    layers: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers.append(nn.Linear(a, b, bias=draw(st.booleans())))
        if draw(st.booleans()):
            layers.append(nn.BatchNorm1d(b))
    flags = draw(st.lists(st.booleans(), min_size=2 * len(layers), max_size=2 * len(layers)))
    return nn.Sequential(*layers), flags


@pytest.mark.points(1)
@given(case=_mlps())
def test_trainable_parameter_count_random(ex, case):
    """trainable_parameter_count sur des réseaux tirés au hasard, en partie gelés"""
    model, flags = case
    for p, flag in zip(model.parameters(), flags):
        p.requires_grad_(flag)
    want = sum(p.numel() for p in model.parameters() if p.requires_grad)
    got = ex.trainable_parameter_count(model)
    shapes = [(tuple(p.shape), p.requires_grad) for p in model.parameters()]
    expect(type(got) is int and got == want,
           what=t(f"trainable_parameter_count (paramètres, entraînable : {shapes})"[:200],
                  f"trainable_parameter_count (parameters, trainable: {shapes})"[:200]),
           expected=fmt_number(want), got=f"{type(got).__name__} {got!r}"[:80],
           todo="trainable_parameter_count",
           hint=t("un int : somme de p.numel() sur les seuls paramètres avec requires_grad=True "
                  "(0 si tout est gelé)",
                  "an int: sum of p.numel() over the parameters with requires_grad=True only "
                  "(0 when everything is frozen)"))


# --- confusion_matrix ------------------------------------------------------------------


@pytest.mark.points(1)
def test_confusion_matrix_rows_are_true_classes(ex):
    """confusion_matrix : lignes = classes vraies, classes absentes, 0 exemple, entrées intactes"""
    targets = torch.tensor([0, 0, 0, 1, 2, 2])
    preds = torch.tensor([1, 1, 0, 1, 2, 0])
    kept = (preds.clone(), targets.clone())
    cm = ex.confusion_matrix(preds, targets, 5)
    want = torch.tensor([[1, 2, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 1, 0, 0],
                         [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
    expect_type(cm, torch.Tensor, what=t("résultat de confusion_matrix",
                                         "result of confusion_matrix"),
                todo="confusion_matrix", hint=t("renvoyez un tenseur", "return a tensor"))
    expect(tuple(cm.shape) == (5, 5) and cm.dtype == torch.int64,
           what=t("confusion_matrix avec num_classes=5 (classes 3 et 4 absentes)",
                  "confusion_matrix with num_classes=5 (classes 3 and 4 missing)"),
           expected=t("forme (5, 5), dtype torch.int64", "shape (5, 5), dtype torch.int64"),
           got=f"{tuple(cm.shape)}, {cm.dtype}", todo="confusion_matrix",
           hint=t("la taille vient de num_classes, pas des valeurs présentes ; "
                  "dtype=torch.int64", "the size comes from num_classes, not from the "
                  "values present; dtype=torch.int64"))
    expect(torch.equal(cm, want),
           what=t("targets [0,0,0,1,2,2], preds [1,1,0,1,2,0]",
                  "targets [0,0,0,1,2,2], preds [1,1,0,1,2,0]"),
           expected=str(want.tolist()), got=str(cm.tolist()), todo="confusion_matrix",
           hint=t("lignes = classes vraies : cm[0, 1] compte les deux 0 prédits 1"
                  if not torch.equal(cm, want.T) else
                  "matrice transposée : les lignes sont les classes vraies (targets), "
                  "les colonnes les classes prédites",
                  "rows = true classes: cm[0, 1] counts the two 0s predicted as 1"
                  if not torch.equal(cm, want.T) else
                  "transposed matrix: rows are the true classes (targets), columns the "
                  "predicted ones"))
    expect(torch.equal(preds, kept[0]) and torch.equal(targets, kept[1]),
           what=t("preds et targets après confusion_matrix",
                  "preds and targets after confusion_matrix"),
           expected=t("inchangés", "unchanged"), got=t("modifiés", "changed"),
           todo="confusion_matrix", hint=t("n'écrivez pas dans les entrées",
                                           "do not write into the inputs"))
    empty = torch.zeros(0, dtype=torch.int64)
    cm = ex.confusion_matrix(empty, empty, 3)
    expect(isinstance(cm, torch.Tensor) and tuple(cm.shape) == (3, 3)
           and cm.dtype == torch.int64 and int(cm.abs().sum()) == 0,
           what=t("confusion_matrix de 0 exemple, 3 classes", "confusion_matrix of 0 examples, "
                  "3 classes"),
           expected=t("zéros int64 de forme (3, 3)", "int64 zeros of shape (3, 3)"),
           got=f"{cm.tolist() if isinstance(cm, torch.Tensor) else cm!r}", todo="confusion_matrix",
           hint=t("partez d'une matrice de zéros [num_classes, num_classes] : "
                  "sans exemple, elle reste nulle",
                  "start from a [num_classes, num_classes] matrix of zeros: "
                  "with no example it stays zero"))


@st.composite
def _predictions(draw):
    c = draw(st.integers(1, 12))
    n = draw(st.integers(0, 300))
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    targets = torch.randint(0, c, (n,), generator=gen)
    # Mostly right, as a trained model's: the diagonal dominates.
    noise = torch.randint(0, c, (n,), generator=gen)
    preds = torch.where(torch.rand(n, generator=gen) < 0.6, targets, noise)
    return c, preds, targets


@pytest.mark.points(1)
@given(case=_predictions())
def test_confusion_matrix_margins(ex, case):
    """confusion_matrix : sommes des lignes = effectifs vrais, des colonnes = prédictions"""
    c, preds, targets = case
    cm = ex.confusion_matrix(preds, targets, c)
    what = t(f"confusion_matrix, N = {len(preds)} exemples, {c} classes",
             f"confusion_matrix, N = {len(preds)} examples, {c} classes")
    expect_shape(cm, (c, c), what=what, todo="confusion_matrix",
                 hint=t("forme [num_classes, num_classes]", "shape [num_classes, num_classes]"))
    expect(cm.dtype == torch.int64, what=what, expected="dtype torch.int64",
           got=f"dtype {cm.dtype}", todo="confusion_matrix",
           hint=t("des comptes entiers : dtype=torch.int64", "integer counts: dtype=torch.int64"))
    rows = torch.bincount(targets, minlength=c)
    cols = torch.bincount(preds, minlength=c)
    correct = int((preds == targets).sum())
    checks = (
        (cm.sum(dim=1), rows, t("sommes des lignes (exemples de chaque classe vraie)",
                                "row sums (examples of each true class)")),
        (cm.sum(dim=0), cols, t("sommes des colonnes (prédictions de chaque classe)",
                                "column sums (predictions of each class)")),
        (cm.diagonal().sum(), torch.tensor(correct), t("somme de la diagonale (bonnes réponses)",
                                                       "sum of the diagonal (correct answers)")),
    )
    for got, want, label in checks:
        expect(torch.equal(got, want), what=f"{what} : {label}", expected=str(want.tolist()),
               got=str(got.tolist()), todo="confusion_matrix",
               hint=t("lignes = classes vraies (targets), colonnes = classes prédites (preds) : "
                      "cm[vraie, prédite] += 1 pour chaque exemple",
                      "rows = true classes (targets), columns = predicted classes (preds): "
                      "cm[true, predicted] += 1 for each example"))
    want = torch.zeros(c, c, dtype=torch.int64)
    want.index_put_((targets, preds), torch.ones(len(targets), dtype=torch.int64), accumulate=True)
    expect_close(cm, want, atol=0, rtol=0, what=what, todo="confusion_matrix",
                 hint=t("cm[vraie, prédite] += 1 pour chaque exemple",
                        "cm[true, predicted] += 1 for each example"))


# --- save_model / load_model -----------------------------------------------------------


@pytest.mark.points(1)
def test_saved_file_is_a_state_dict(ex, tmp_path):
    """save_model écrit un state_dict (lu par torch.load + load_state_dict), chemin str"""
    model = _resnet(5)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 32, 32))
        model(torch.randn(4, 3, 32, 32))  # num_batches_tracked = 2
        model.fc.bias.copy_(torch.arange(5.0))
    path = str(tmp_path / "state.pth")
    ex.save_model(model, path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a plain state_dict"
        raise LearnerFailure(
            what=t("fichier de save_model lu par torch.load(path, weights_only=True)",
                   "save_model's file read by torch.load(path, weights_only=True)"),
            expected=t("un state_dict (dictionnaire de tenseurs)",
                       "a state_dict (dictionary of tensors)"),
            got=t(f"{type(exc).__name__} : ce n'est pas un simple dictionnaire de tenseurs",
                  f"{type(exc).__name__}: not a plain dictionary of tensors"), todo="save_model",
            hint=t("enregistrez model.state_dict(), pas le modèle entier : "
                   "torch.save(model.state_dict(), path)",
                   "save model.state_dict(), not the whole model: "
                   "torch.save(model.state_dict(), path)")) from None
    want = model.state_dict()
    keys = sorted(state) if isinstance(state, dict) else []
    expect(keys == sorted(want),
           what=t("clés du state_dict enregistré", "keys of the saved state_dict"),
           expected=t(f"les {len(want)} clés de model.state_dict() (conv1.weight, …, fc.bias)",
                      f"the {len(want)} keys of model.state_dict() (conv1.weight, …, fc.bias)"),
           got=(", ".join(keys[:4]) if keys else type(state).__name__) or t("aucune", "none"),
           todo="save_model",
           hint=t("le fichier contient exactement model.state_dict() (paramètres et buffers), "
                  "sans dictionnaire autour",
                  "the file holds exactly model.state_dict() (parameters and buffers), "
                  "with no dictionary around it"))
    differ = [k for k in want if not torch.equal(state[k], want[k])]
    expect(not differ, what=t("valeurs du state_dict enregistré", "values of the saved state_dict"),
           expected=t("celles du modèle", "the model's"), got=", ".join(differ[:4]),
           todo="save_model", hint=t("torch.save(model.state_dict(), path)",
                                     "torch.save(model.state_dict(), path)"))
    # And the other way round: load_model reads a state_dict saved by anyone.
    other = _resnet(5)
    with torch.no_grad():
        other.layer1[0].conv1.weight.mul_(-1)
        other.bn1.running_var.fill_(2.0)
    torch.save(other.state_dict(), tmp_path / "plain.pt")
    loaded = ex.load_model(str(tmp_path / "plain.pt"), 5)
    got = loaded.state_dict()
    differ = [k for k, v in other.state_dict().items()
              if k not in got or got[k].shape != v.shape or not torch.equal(got[k].cpu(), v)]
    expect(not differ, what=t("load_model d'un fichier torch.save(model.state_dict(), path)",
                              "load_model of a torch.save(model.state_dict(), path) file"),
           expected=t("le même state_dict", "the same state_dict"),
           got=t(f"{len(differ)} entrées différentes : {', '.join(differ[:4])}",
                 f"{len(differ)} entries differ: {', '.join(differ[:4])}"),
           todo="load_model",
           hint=t("model.load_state_dict(torch.load(path, map_location=\"cpu\")) sur un "
                  "ResNet18 neuf à num_classes classes",
                  "model.load_state_dict(torch.load(path, map_location=\"cpu\")) on a fresh "
                  "ResNet18 with num_classes classes"))


@pytest.mark.points(1)
def test_load_model_offline(ex, tmp_path):
    """load_model fonctionne sans réseau (weights=None), weights vaut None par défaut"""
    default = inspect.signature(ex.build_resnet18).parameters.get("weights")
    expect(default is not None and default.default is None,
           what=t("valeur par défaut de weights dans build_resnet18",
                  "default value of weights in build_resnet18"),
           expected="weights=None",
           got=f"weights={default.default!r}" if default is not None else t("pas de paramètre "
                                                                            "weights",
                                                                            "no weights "
                                                                            "parameter"),
           todo="build_resnet18",
           hint=t("gardez la signature build_resnet18(num_classes, weights=None) : sans "
                  "réseau, les poids ImageNet ne se téléchargent pas",
                  "keep the signature build_resnet18(num_classes, weights=None): offline, "
                  "the ImageNet weights cannot be downloaded"))
    model = ex.build_resnet18(2)  # the default: random weights, no download
    path = tmp_path / "two.pt"
    ex.save_model(model, path)
    loaded = ex.load_model(path, 2)  # a download attempt fails this test (see _offline)
    devices = {p.device.type for p in loaded.parameters()}
    expect(devices == {"cpu"}, what=t("appareil du modèle rechargé", "device of the loaded model"),
           expected="cpu", got=", ".join(sorted(devices)), todo="load_model",
           hint=t('torch.load(path, map_location="cpu")', 'torch.load(path, map_location="cpu")'))
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    loaded.eval()
    with torch.no_grad():
        expect_close(loaded(x), model(x), atol=0, rtol=0,
                     what=t("sorties du modèle rechargé (2 classes)",
                            "outputs of the loaded model (2 classes)"),
                     todo="load_model",
                     hint=t("construisez le ResNet18 pour num_classes puis chargez le "
                            "state_dict du fichier", "build the ResNet18 for num_classes "
                            "then load the file's state_dict"))
