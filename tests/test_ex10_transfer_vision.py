"""Public tests of ex10_transfer_vision: build_resnet18 (shape, parameters, torchvision's
architecture), freeze_backbone / unfreeze_all (flags only, an optimizer step leaves the
backbone bit-identical), trainable_parameter_count, confusion_matrix (against a direct
count) and the save_model / load_model round trip. No test downloads anything: every
test runs with torch.hub pointed at an empty folder and downloads refused."""

import copy
from functools import lru_cache

import pytest
import torch
import torchvision
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from grading.expect import (
    expect,
    expect_close,
    expect_param_count,
    expect_shape,
    expect_type,
    fmt_number,
)
from grading.i18n import t
from grading.testkit import EX10_RESNET18_PARAMS as RESNET18_PARAMS
from grading.testkit import ex10_forbid_downloads
from grading.testkit import ex10_is_head as _is_head
from grading.testkit import ex10_snapshot as _snapshot
from grading.testkit import ex10_total as _total

BN_PARAMS = 9_600
"""Weights and biases of resnet18's BatchNorm layers."""


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    """No download, ever: an empty torch.hub cache and a download function that refuses."""
    ex10_forbid_downloads(monkeypatch, tmp_path_factory)


@lru_cache(maxsize=4)
def _template(num_classes: int) -> nn.Module:
    with torch.random.fork_rng():
        torch.manual_seed(1000 + num_classes)
        model = torchvision.models.resnet18(weights=None)
        model.fc = nn.Linear(512, num_classes)
    return model


def _resnet(num_classes: int = 3) -> nn.Module:
    """The tests' own ResNet18 (torchvision, new head), so that freezing, counting and saving
    are graded apart from build_resnet18."""
    return copy.deepcopy(_template(num_classes))


def _trainable_names(model: nn.Module) -> list[str]:
    return [n for n, p in model.named_parameters() if p.requires_grad]


def _freeze_hint(model: nn.Module, num_classes: int) -> str:
    """The likely mistake behind a wrong trainable count after freeze_backbone."""
    got = sum(p.numel() for p in model.parameters() if p.requires_grad)
    head = 513 * num_classes
    if got == head + BN_PARAMS:
        return t("les poids et biais des BatchNorm sont encore entraînables : gelez tous les "
                 "paramètres (model.parameters()), pas seulement les convolutions",
                 "the BatchNorm weights and biases are still trainable: freeze every "
                 "parameter (model.parameters()), not only the convolutions")
    if got == 512 * num_classes:
        return t("le biais de fc est gelé : rendez entraînables tous les paramètres de "
                 "model.fc (poids et biais)",
                 "fc's bias is frozen: make every parameter of model.fc (weight and bias) "
                 "trainable")
    if got == _total(num_classes) - head:
        return t("c'est l'inverse : seule la tête fc doit rester entraînable, tout le reste "
                 "est gelé", "the other way round: only the fc head stays trainable, "
                 "everything else is frozen")
    if got == 0:
        return t("tout est gelé, la tête aussi : remettez requires_grad=True sur les "
                 "paramètres de model.fc", "everything is frozen, the head too: set "
                 "requires_grad=True back on model.fc's parameters")
    return t("requires_grad=False sur chaque paramètre, puis True sur ceux de model.fc",
             "requires_grad=False on every parameter, then True on model.fc's")


# --- build_resnet18 --------------------------------------------------------------------


@pytest.mark.points(1)
def test_build_resnet18_output_shape(ex):
    """build_resnet18 : logits [N, num_classes] sur de petites images (32×32 et 64×64)"""
    model = ex.build_resnet18(3, weights=None)
    expect_type(model, nn.Module, what=t("résultat de build_resnet18(3)",
                                         "result of build_resnet18(3)"),
                todo="build_resnet18", hint=t("renvoyez le modèle construit",
                                              "return the model you built"))
    hint = t("remplacez model.fc par nn.Linear(512, num_classes) et renvoyez le ResNet18 "
             "lui-même, sans softmax ni couche ajoutée",
             "replace model.fc with nn.Linear(512, num_classes) and return the ResNet18 "
             "itself, with no softmax and no extra layer")
    model.train()
    out = model(torch.randn(4, 3, 32, 32))
    expect_shape(out, (4, 3), what=t("sortie de build_resnet18(3) pour 4 images 3×32×32",
                                     "output of build_resnet18(3) for 4 images 3×32×32"),
                 todo="build_resnet18", hint=hint)
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64))
    expect_shape(out, (1, 3), what=t("sortie en mode eval pour 1 image 3×64×64",
                                     "output in eval mode for 1 image 3×64×64"),
                 todo="build_resnet18", hint=hint)


@pytest.mark.points(1)
def test_build_resnet18_param_count(ex):
    """build_resnet18(3) : 11 178 051 paramètres, tous entraînables"""
    model = ex.build_resnet18(3, weights=None)
    got = sum(p.numel() for p in model.parameters())
    if got == RESNET18_PARAMS:
        hint = t("model.fc est encore la tête ImageNet à 1 000 classes : remplacez-la",
                 "model.fc is still the 1,000-class ImageNet head: replace it")
    elif got == RESNET18_PARAMS + 1000 * 3 + 3:
        hint = t("une couche a été ajoutée après l'ancienne tête fc : remplacez model.fc "
                 "au lieu d'empiler une Linear(1000, num_classes)",
                 "a layer was added after the old fc head: replace model.fc instead of "
                 "stacking a Linear(1000, num_classes)")
    else:
        hint = t("11 689 512 − (512·1000 + 1000) + (512·3 + 3) : le ResNet18 de torchvision "
                 "dont la tête fc devient nn.Linear(512, 3), avec biais",
                 "11,689,512 − (512·1000 + 1000) + (512·3 + 3): torchvision's ResNet18 whose "
                 "fc head becomes nn.Linear(512, 3), with a bias")
    expect_param_count(model, _total(3), trainable_only=False, todo="build_resnet18",
                       hint=hint)
    expect_param_count(model, _total(3), todo="build_resnet18",
                       hint=t("build_resnet18 ne gèle rien : c'est le rôle de freeze_backbone",
                              "build_resnet18 freezes nothing: that is freeze_backbone's job"))


@pytest.mark.points(1)
def test_build_resnet18_is_torchvision(ex):
    """build_resnet18 : le ResNet18 de torchvision (mêmes clés et formes du state_dict)"""
    model = ex.build_resnet18(3, weights=None)
    want = {k: tuple(v.shape) for k, v in _template(3).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    resized = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    problems = []
    if missing:
        problems.append(t("clés absentes : ", "missing keys: ") + ", ".join(missing[:4]))
    if extra:
        problems.append(t("clés en trop : ", "extra keys: ") + ", ".join(extra[:4]))
    problems += [f"{k} : {got[k]} ≠ {want[k]}" for k in resized[:4]]
    expect(not problems,
           what=t("state_dict de build_resnet18(3) comparé à torchvision.models.resnet18",
                  "state_dict of build_resnet18(3) against torchvision.models.resnet18"),
           expected=t(f"les mêmes {len(want)} clés, fc.weight {want['fc.weight']} et "
                      f"fc.bias {want['fc.bias']}",
                      f"the same {len(want)} keys, fc.weight {want['fc.weight']} and "
                      f"fc.bias {want['fc.bias']}"),
           got="; ".join(problems), todo="build_resnet18",
           hint=t("partez de torchvision.models.resnet18(weights=weights) et remplacez "
                  "seulement model.fc par une nn.Linear(512, num_classes) (pas de Sequential)",
                  "start from torchvision.models.resnet18(weights=weights) and only replace "
                  "model.fc with an nn.Linear(512, num_classes) (no Sequential)"))


# --- freeze_backbone / unfreeze_all ----------------------------------------------------


@pytest.mark.points(1)
def test_freeze_backbone_only_head_trains(ex):
    """freeze_backbone : seule la tête fc reste entraînable (1 539 paramètres pour 3 classes)"""
    model = _resnet(3)
    result = ex.freeze_backbone(model)
    expect(result is model, what=t("valeur renvoyée par freeze_backbone(model)",
                                   "value returned by freeze_backbone(model)"),
           expected=t("le modèle reçu, modifié sur place", "the model received, changed in place"),
           got=type(result).__name__, todo="freeze_backbone",
           hint=t("terminez par return model", "end with return model"))
    expect_param_count(model, 513 * 3, todo="freeze_backbone", hint=_freeze_hint(model, 3))
    names = _trainable_names(model)
    expect(sorted(names) == ["fc.bias", "fc.weight"],
           what=t("paramètres entraînables après freeze_backbone",
                  "trainable parameters after freeze_backbone"),
           expected="fc.weight, fc.bias", got=", ".join(names[:6]) or t("aucun", "none"),
           todo="freeze_backbone", hint=_freeze_hint(model, 3))


@pytest.mark.points(1)
def test_freeze_backbone_optimizer_step(ex):
    """freeze_backbone : un pas de SGD (momentum, weight decay) ne change que la tête"""
    model = _resnet(3)
    ex.freeze_backbone(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    # Every parameter is handed to the optimizer, as a student often does: frozen ones
    # get no gradient, so neither momentum nor weight decay may touch them. Buffers (the
    # BatchNorm running statistics) do move in train mode; this test compares parameters.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    model.train()
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 0])
    for _ in range(2):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    moved = [n for n, p in model.named_parameters()
             if not _is_head(n) and not torch.equal(p.detach(), before[n])]
    expect(not moved, what=t("paramètres du backbone après 2 pas de SGD",
                             "backbone parameters after 2 SGD steps"),
           expected=t("identiques au bit près", "bit-identical"),
           got=t(f"{len(moved)} tenseurs modifiés : {', '.join(moved[:4])}",
                 f"{len(moved)} tensors changed: {', '.join(moved[:4])}"),
           todo="freeze_backbone",
           hint=t("un paramètre qui bouge a encore requires_grad=True : gelez tous les "
                  "paramètres du modèle (BatchNorm compris) sauf ceux de model.fc",
                  "a parameter that moves still has requires_grad=True: freeze every "
                  "parameter of the model (BatchNorm included) but model.fc's"))
    still = [n for n, p in model.named_parameters()
             if _is_head(n) and torch.equal(p.detach(), before[n])]
    expect(not still, what=t("tête fc après 2 pas de SGD", "fc head after 2 SGD steps"),
           expected=t("fc.weight et fc.bias modifiés", "fc.weight and fc.bias changed"),
           got=t(f"inchangés : {', '.join(still)}", f"unchanged: {', '.join(still)}"),
           todo="freeze_backbone",
           hint=t("la tête doit rester entraînable : requires_grad=True sur les paramètres "
                  "de model.fc", "the head must stay trainable: requires_grad=True on "
                  "model.fc's parameters"))


@pytest.mark.points(1)
def test_freeze_backbone_keeps_values(ex):
    """freeze_backbone : aucune valeur ne change (une tête déjà entraînée survit)"""
    model = _resnet(3)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 32, 32))  # BatchNorm running statistics move away from 0 / 1
        model.fc.weight.copy_(torch.linspace(-1, 1, 3 * 512).reshape(3, 512))  # "trained"
        model.fc.bias.copy_(torch.tensor([0.5, -0.25, 2.0]))
    before = _snapshot(model)
    ex.freeze_backbone(model)
    after = model.state_dict()
    changed = [k for k in before if k not in after or not torch.equal(after[k], before[k])]
    head = [k for k in changed if _is_head(k)]
    expect(not head, what=t("tête fc entraînée, après freeze_backbone",
                            "trained fc head, after freeze_backbone"),
           expected=t("les mêmes valeurs", "the same values"),
           got=t(f"modifiée ({', '.join(head)})", f"changed ({', '.join(head)})"),
           todo="freeze_backbone",
           hint=t("ne recréez pas model.fc dans freeze_backbone : changez seulement les "
                  "drapeaux requires_grad (la tête de build_resnet18 est déjà là)",
                  "do not re-create model.fc in freeze_backbone: only change the "
                  "requires_grad flags (build_resnet18's head is already there)"))
    expect(not changed, what=t("state_dict après freeze_backbone",
                               "state_dict after freeze_backbone"),
           expected=t("identique au bit près (poids, biais, statistiques des BatchNorm)",
                      "bit-identical (weights, biases, BatchNorm statistics)"),
           got=t(f"{len(changed)} entrées modifiées : {', '.join(changed[:4])}",
                 f"{len(changed)} entries changed: {', '.join(changed[:4])}"),
           todo="freeze_backbone",
           hint=t("geler, c'est seulement param.requires_grad = False : aucun forward, "
                  "aucune réinitialisation", "freezing is only param.requires_grad = False: "
                  "no forward pass, no re-initialisation"))


@pytest.mark.points(1)
def test_unfreeze_all(ex):
    """unfreeze_all : les 11 178 051 paramètres redeviennent entraînables, valeurs intactes"""
    model = _resnet(3)
    model.requires_grad_(False)
    model.fc.requires_grad_(True)  # frozen by the test itself, as freeze_backbone would
    before = _snapshot(model)
    result = ex.unfreeze_all(model)
    expect(result is model, what=t("valeur renvoyée par unfreeze_all(model)",
                                   "value returned by unfreeze_all(model)"),
           expected=t("le modèle reçu, modifié sur place", "the model received, changed in place"),
           got=type(result).__name__, todo="unfreeze_all",
           hint=t("terminez par return model", "end with return model"))
    expect_param_count(model, _total(3), todo="unfreeze_all",
                       hint=t("requires_grad=True sur tous les paramètres (model.parameters()), "
                              "pas seulement sur la tête",
                              "requires_grad=True on every parameter (model.parameters()), "
                              "not only on the head"))
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
    expect(not changed, what=t("state_dict après unfreeze_all", "state_dict after unfreeze_all"),
           expected=t("identique au bit près", "bit-identical"),
           got=", ".join(changed[:4]), todo="unfreeze_all",
           hint=t("ne changez que les drapeaux requires_grad",
                  "only change the requires_grad flags"))


# --- trainable_parameter_count ---------------------------------------------------------


@pytest.mark.points(1)
def test_trainable_parameter_count(ex):
    """trainable_parameter_count : un int, seulement les paramètres avec requires_grad"""
    small = nn.Sequential(nn.Linear(10, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    small[0].requires_grad_(False)
    frozen = _resnet(3)
    frozen.requires_grad_(False)
    frozen.fc.requires_grad_(True)
    for model, want, label in ((small, 5 * 2 + 10 + 2, "Linear(10,5) gelée + BatchNorm1d(5) + "
                                "Linear(5,2)"),
                               (frozen, 1_539, t("ResNet18 à 3 classes gelé",
                                                 "frozen 3-class ResNet18"))):
        got = ex.trainable_parameter_count(model)
        params = list(model.parameters())
        if got == sum(p.numel() for p in params):
            hint = t("ne comptez que les paramètres dont requires_grad vaut True",
                     "only count the parameters whose requires_grad is True")
        elif got == sum(p.requires_grad for p in params):
            hint = t("vous comptez des tenseurs : additionnez p.numel(), leurs nombres de "
                     "valeurs", "you count tensors: add up p.numel(), their numbers of values")
        else:
            hint = t("somme de p.numel() sur les paramètres avec requires_grad=True",
                     "sum of p.numel() over the parameters with requires_grad=True")
        expect(type(got) is int, what=t(f"type du résultat ({label})",
                                        f"type of the result ({label})"),
               expected="int", got=f"{type(got).__name__} ({got!r})"[:80],
               todo="trainable_parameter_count",
               hint=t("renvoyez un int Python (sum(...) de p.numel(), ou int(...))",
                      "return a Python int (sum(...) of p.numel(), or int(...))"))
        expect(got == want, what=t(f"trainable_parameter_count({label})",
                                   f"trainable_parameter_count({label})"),
               expected=fmt_number(want), got=fmt_number(got), todo="trainable_parameter_count",
               hint=hint)


# --- confusion_matrix ------------------------------------------------------------------


@st.composite
def _labels(draw, max_classes: int = 6, max_n: int = 40):
    c = draw(st.integers(1, max_classes))
    n = draw(st.integers(1, max_n))
    preds = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    targets = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    return c, torch.tensor(preds), torch.tensor(targets)


def _direct_count(preds: torch.Tensor, targets: torch.Tensor, c: int) -> list[list[int]]:
    counts = [[0] * c for _ in range(c)]
    for p, y in zip(preds.tolist(), targets.tolist()):
        counts[y][p] += 1
    return counts


@pytest.mark.points(1)
@given(case=_labels())
def test_confusion_matrix_counts(ex, case):
    """confusion_matrix : cm[vraie, prédite] compté exemple par exemple, int64 [C, C]"""
    c, preds, targets = case
    cm = ex.confusion_matrix(preds, targets, c)
    what = t(f"confusion_matrix, N = {len(preds)} prédictions, {c} classes",
             f"confusion_matrix, N = {len(preds)} predictions, {c} classes")
    expect_shape(cm, (c, c), what=what, todo="confusion_matrix",
                 hint=t("une matrice [num_classes, num_classes], même si des classes sont "
                        "absentes des données", "a [num_classes, num_classes] matrix, even "
                        "when some classes are missing from the data"))
    expect(cm.dtype == torch.int64, what=what, expected="dtype torch.int64",
           got=f"dtype {cm.dtype}", todo="confusion_matrix",
           hint=t("des comptes entiers : torch.zeros(..., dtype=torch.int64) (ou torch.long)",
                  "integer counts: torch.zeros(..., dtype=torch.int64) (or torch.long)"))
    want = torch.tensor(_direct_count(preds, targets, c))
    if c > 1 and torch.equal(cm, want.T) and not torch.equal(cm, want):
        hint = t("matrice transposée : les lignes sont les classes vraies (targets), les "
                 "colonnes les classes prédites (preds) : cm[vraie, prédite] += 1",
                 "transposed matrix: rows are the true classes (targets), columns the "
                 "predicted ones (preds): cm[true, predicted] += 1")
    else:
        hint = t("pour chaque exemple, cm[vraie, prédite] += 1 ; la somme vaut N",
                 "for each example, cm[true, predicted] += 1; the total is N")
    expect(torch.equal(cm, want), what=what, expected=str(want.tolist()),
           got=str(cm.tolist()), todo="confusion_matrix", hint=hint)


# --- save_model / load_model -----------------------------------------------------------


@pytest.mark.points(1)
def test_save_load_round_trip(ex, tmp_path):
    """save_model puis load_model : même state_dict, mêmes sorties en mode eval"""
    model = _resnet(3)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 32, 32))  # moves the BatchNorm running statistics
        model.fc.weight.mul_(3)
        model.fc.bias.fill_(0.5)
    path = tmp_path / "resnet18.pt"
    ex.save_model(model, path)
    expect(path.is_file(), what=t("fichier écrit par save_model", "file written by save_model"),
           expected=str(path), got=t("aucun fichier", "no file"), todo="save_model",
           hint=t("torch.save(model.state_dict(), path)", "torch.save(model.state_dict(), path)"))
    loaded = ex.load_model(path, 3)
    expect_type(loaded, nn.Module, what=t("résultat de load_model", "result of load_model"),
                todo="load_model", hint=t("renvoyez le modèle reconstruit",
                                          "return the rebuilt model"))
    want, got = model.state_dict(), loaded.state_dict()
    differ = [k for k in want if k not in got or got[k].shape != want[k].shape
              or not torch.equal(got[k].cpu(), want[k])]
    expect(not differ, what=t("state_dict du modèle rechargé", "state_dict of the loaded model"),
           expected=t("identique à celui du modèle enregistré", "identical to the saved model's"),
           got=t(f"{len(differ)} entrées différentes : {', '.join(differ[:4])}",
                 f"{len(differ)} entries differ: {', '.join(differ[:4])}"),
           todo="load_model",
           hint=t("construisez un ResNet18 neuf puis model.load_state_dict(torch.load(path)) : "
                  "sans load_state_dict, le modèle garde ses poids aléatoires",
                  "build a fresh ResNet18 then model.load_state_dict(torch.load(path)): "
                  "without load_state_dict the model keeps its random weights"))
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    loaded.eval()
    with torch.no_grad():
        expect_close(loaded(x).cpu(), model(x), atol=0, rtol=0,
                     what=t("sorties en mode eval du modèle rechargé",
                            "eval-mode outputs of the loaded model"),
                     todo="load_model",
                     hint=t("le modèle rechargé doit calculer exactement comme l'original",
                            "the loaded model must compute exactly like the original"))


@pytest.mark.cuda
@pytest.mark.points(0)
def test_transfer_on_cuda(ex, tmp_path):
    """Sur CUDA : tête seule entraînée, puis sauvegarde et rechargement sur CPU"""
    model = _resnet(3).to("cuda")
    ex.freeze_backbone(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(4, 3, 32, 32, device="cuda")
    y = torch.tensor([0, 1, 2, 0], device="cuda")
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    preds = model(x).argmax(dim=1)
    cm = ex.confusion_matrix(preds.cpu(), y.cpu(), 3)
    expect(int(cm.sum()) == 4, what=t("somme de la matrice de confusion",
                                      "sum of the confusion matrix"),
           expected="4", got=str(int(cm.sum())), todo="confusion_matrix")
    path = tmp_path / "cuda.pt"
    ex.save_model(model, path)
    loaded = ex.load_model(path, 3)
    devices = {p.device.type for p in loaded.parameters()}
    expect(devices == {"cpu"}, what=t("appareil du modèle rechargé", "device of the loaded model"),
           expected="cpu", got=", ".join(sorted(devices)), todo="load_model",
           hint=t('torch.load(path, map_location="cpu")', 'torch.load(path, map_location="cpu")'))
    model.eval()
    loaded.eval()
    with torch.no_grad():
        expect_close(loaded(x.cpu()), model(x).cpu(), atol=1e-4,
                     what=t("sorties du modèle rechargé sur CPU",
                            "outputs of the model loaded on CPU"), todo="load_model")
