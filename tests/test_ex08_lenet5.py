"""Public tests of ex08_lenet5: LeNet5 (shapes, parameter counts, layers in the order
forward applies them, where dropout acts, train/eval modes, learning on real digits),
count_parameters with frozen layers, and load_fashion_mnist on IDX files the tests write."""

from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from grading.data import loader
from grading.expect import (
    expect,
    expect_close,
    expect_converges,
    expect_equal,
    expect_param_count,
    expect_shape,
    expect_type,
)
from grading.i18n import t
from grading.strategies import batch_sizes
from grading.testkit import EX08_STAGES as STAGES
from grading.testkit import ex08_describe as _describe
from grading.testkit import ex08_layers as _layers
from grading.testkit import ex08_write_idx as _idx


def _trace(model: nn.Module, x: torch.Tensor):
    """The model's output and its Conv2d / Linear calls in the order forward applies them:
    (module, input, output), found by forward hooks (never by attribute name)."""
    calls = []

    def hook(module, args, out):
        calls.append((module, args[0] if args else None, out))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return out, calls


def _received(model: nn.Module, layers: dict[str, nn.Module], x: torch.Tensor,
              fixed: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """What each of C1…F5 receives in one forward pass, and the output. With ``fixed``,
    each layer then computes on ``fixed[name]`` instead, so that randomness upstream does
    not propagate: what a layer receives depends only on what happens since the previous
    one."""
    got: dict[str, torch.Tensor] = {}

    def pre_hook(name):
        def hook(module, args):
            got[name] = args[0].detach().clone()
            if fixed is not None:
                return (fixed[name], *args[1:])
            return None
        return hook

    handles = [layers[name].register_forward_pre_hook(pre_hook(name)) for name in STAGES]
    try:
        with torch.no_grad():
            got["out"] = model(x)
    finally:
        for h in handles:
            h.remove()
    return got


def _random_segments(model: nn.Module, x: torch.Tensor) -> list[str]:
    """The segments of the network (input → C1, C1 → C2, … F5 → output) whose result
    changes from one forward pass to the next on the same input."""
    layers = _layers(model)
    base = _received(model, layers, x)
    torch.manual_seed(1)
    first = _received(model, layers, x, fixed=base)
    torch.manual_seed(2)
    second = _received(model, layers, x, fixed=base)
    names = ("x", *STAGES, "out")
    return [f"{a} → {b}" for a, b in zip(names, names[1:])
            if not torch.equal(first[b], second[b])]


def _show(segments: list[str]) -> str:
    return ", ".join(segments) if segments else t("nulle part", "nowhere")


# --- FashionMNIST files --------------------------------------------------------------------


def _write_fashion(root: Path, n_train: int, n_val: int):
    """FashionMNIST-format files under root/FashionMNIST/raw/ with known pixels and labels;
    the test split (t10k) differs from the training one everywhere."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    r = torch.arange(28).view(28, 1)
    c = torch.arange(28).view(1, 28)

    def images(n, a, b, off):
        return torch.stack([(i * a + 7 * r + b * c + off) % 256 for i in range(n)]).to(torch.uint8)

    train_x, train_y = images(n_train, 31, 3, 0), (3 * torch.arange(n_train) + 1) % 10
    val_x, val_y = images(n_val, 17, 11, 100), (7 * torch.arange(n_val) + 2) % 10
    for split, xs, ys in (("train", train_x, train_y), ("t10k", val_x, val_y)):
        _idx(raw / f"{split}-images-idx3-ubyte", xs)
        _idx(raw / f"{split}-labels-idx1-ubyte", ys.to(torch.uint8))
    return train_x, train_y, val_x, val_y


def _check_item(item, image: torch.Tensor, label: int, name: str) -> None:
    """One dataset item: (float tensor [1, 28, 28] = pixels / 255, int label)."""
    expect(isinstance(item, (tuple, list)) and len(item) == 2,
           what=t(f"élément {name}", f"item {name}"),
           expected=t("un couple (image, label)", "a pair (image, label)"),
           got=type(item).__name__, todo="load_fashion_mnist",
           hint=t("renvoyez les datasets de torchvision (éventuellement dans un Subset)",
                  "return torchvision's datasets (possibly inside a Subset)"))
    x, y = item
    expect_type(x, torch.Tensor, what=t(f"image de {name}", f"image of {name}"),
                todo="load_fashion_mnist",
                hint=t("passez transform=transforms.ToTensor() à FashionMNIST : sans lui, "
                       "les images restent des images PIL",
                       "pass transform=transforms.ToTensor() to FashionMNIST: without it "
                       "the images stay PIL images"))
    expect_shape(x, (1, 28, 28), what=t(f"forme de l'image de {name}",
                                        f"shape of the image of {name}"),
                 todo="load_fashion_mnist",
                 hint=t("transforms.ToTensor() donne [1, 28, 28] (un canal)",
                        "transforms.ToTensor() gives [1, 28, 28] (one channel)"))
    expect(x.dtype == torch.float32, what=t(f"type de l'image de {name}",
                                            f"dtype of the image of {name}"),
           expected="torch.float32", got=str(x.dtype), todo="load_fashion_mnist",
           hint=t("transforms.ToTensor() convertit les octets en float32",
                  "transforms.ToTensor() turns the bytes into float32"))
    expect_close(x, image.float().unsqueeze(0) / 255,
                 what=t(f"pixels de {name} (octets du fichier / 255)",
                        f"pixels of {name} (bytes of the file / 255)"),
                 todo="load_fashion_mnist", atol=1e-6,
                 hint=t("transforms.ToTensor() seule, sans Normalize : des valeurs dans [0, 1] ; "
                        "et le bon exemple (train=True pour train, train=False pour val, "
                        "dans l'ordre du fichier)",
                        "transforms.ToTensor() alone, without Normalize: values in [0, 1]; "
                        "and the right example (train=True for train, train=False for val, "
                        "in the file's order)"))
    expect(type(y) is int, what=t(f"label de {name}", f"label of {name}"),
           expected=t("un int Python", "a Python int"), got=f"{type(y).__name__} ({y!r})",
           todo="load_fashion_mnist",
           hint=t("FashionMNIST renvoie déjà des labels int : pas de target_transform",
                  "FashionMNIST already returns int labels: no target_transform"))
    expect_equal(y, label, what=t(f"label de {name}", f"label of {name}"),
                 todo="load_fashion_mnist",
                 hint=t("gardez les exemples dans l'ordre du fichier",
                        "keep the examples in the file's order"))


# --- LeNet5 --------------------------------------------------------------------------------


@pytest.mark.points(1)
@given(n=batch_sizes(16), classes=st.integers(1, 20))
def test_lenet_output_shape(ex, n, classes):
    """LeNet5 : logits [N, num_classes] pour une entrée [N, 1, 28, 28]"""
    model = ex.LeNet5(num_classes=classes)
    with torch.no_grad():
        out = model(torch.randn(n, 1, 28, 28))
    expect_shape(out, (n, classes),
                 what=t(f"forme de la sortie de LeNet5({classes}) pour [{n}, 1, 28, 28]",
                        f"shape of LeNet5({classes})'s output for [{n}, 1, 28, 28]"),
                 todo="LeNet5.forward",
                 hint=t("aplatissez tout sauf la dimension du lot (torch.flatten(x, 1) ou "
                        "x.view(x.size(0), -1)) et terminez par Linear(84, num_classes)",
                        "flatten everything but the batch dimension (torch.flatten(x, 1) or "
                        "x.view(x.size(0), -1)) and end with Linear(84, num_classes)"))


PARAM_COUNTS = [
    pytest.param({}, 44_426, id="sans-option"),
    pytest.param({"dropout": 0.5, "batchnorm": True}, 44_438, id="dropout-et-batchnorm"),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(("options", "count"), PARAM_COUNTS)
def test_lenet_param_count(ex, options, count):
    """LeNet5 : 44 426 paramètres entraînables, 44 438 avec la batch norm"""
    args = ", ".join(f"{k}={v}" for k, v in options.items())
    expect_param_count(ex.LeNet5(**options), count, todo="LeNet5.__init__",
                       hint=t(f"LeNet5({args}) : 156 + 2 416 + 30 840 + 10 164 + 850 sans option ; "
                              "le dropout n'ajoute aucun paramètre, la BatchNorm2d(6) en ajoute "
                              "12 (une seule, et seulement si batchnorm=True)",
                              f"LeNet5({args}): 156 + 2,416 + 30,840 + 10,164 + 850 without "
                              "options; dropout adds no parameter, the BatchNorm2d(6) adds 12 "
                              "(only one, and only when batchnorm=True)"))


@pytest.mark.points(1)
def test_lenet_layers_in_order(ex):
    """LeNet5 : C1, C2 (5×5), puis F3, F4, F5 dans cet ordre, logits bruts en sortie"""
    model = ex.LeNet5()
    model.eval()
    out, calls = _trace(model, torch.randn(2, 1, 28, 28))
    want = ["Conv2d(1→6, 5×5)", "Conv2d(6→16, 5×5)", "Linear(256→120)", "Linear(120→84)",
            "Linear(84→10)"]
    got = [_describe(m) for m, _, _ in calls]
    expect(got == want, what=t("couches appliquées par LeNet5.forward, dans l'ordre",
                               "layers applied by LeNet5.forward, in order"),
           expected=" → ".join(want), got=" → ".join(got) or t("aucune", "none"),
           todo="LeNet5.__init__",
           hint=t("C1 : 6 filtres 5×5 sur 1 canal, C2 : 16 filtres 5×5 sur 6 canaux, sans "
                  "padding ; puis F3 (256 → 120), F4 (120 → 84), F5 (84 → num_classes), "
                  "chacune appliquée une fois dans forward",
                  "C1: 6 filters 5×5 over 1 channel, C2: 16 filters 5×5 over 6 channels, no "
                  "padding; then F3 (256 → 120), F4 (120 → 84), F5 (84 → num_classes), "
                  "each applied once in forward"))
    (_, _, c1_out), (_, c2_in, c2_out), (_, f3_in, _) = calls[:3]
    for tensor, shape, fr, en, hint in (
            (c1_out, (2, 6, 24, 24), "sortie de C1", "output of C1",
             t("pas de padding : 28 − 5 + 1 = 24", "no padding: 28 − 5 + 1 = 24")),
            (c2_in, (2, 6, 12, 12), "entrée de C2", "input of C2",
             t("un pooling 2×2 après C1 : 24 → 12", "a 2×2 pooling after C1: 24 → 12")),
            (c2_out, (2, 16, 8, 8), "sortie de C2", "output of C2",
             t("pas de padding : 12 − 5 + 1 = 8", "no padding: 12 − 5 + 1 = 8")),
            (f3_in, (2, 256), "entrée de F3", "input of F3",
             t("un pooling 2×2 après C2 (8 → 4), puis aplatir : 16·4·4 = 256",
               "a 2×2 pooling after C2 (8 → 4), then flatten: 16·4·4 = 256"))):
        expect_shape(tensor, shape, what=t(f"forme de la {fr} pour un lot de 2 images",
                                           f"shape of the {en} for a batch of 2 images"),
                     todo="LeNet5.forward", hint=hint)
    expect_close(out, calls[-1][2], what=t("sortie de LeNet5 comparée à celle de F5",
                                           "LeNet5's output against F5's"),
                 todo="LeNet5.forward", atol=1e-6,
                 hint=t("renvoyez la sortie de F5 telle quelle : ni softmax ni activation après "
                        "(nn.CrossEntropyLoss attend des logits bruts)",
                        "return F5's output as is: no softmax or activation after it "
                        "(nn.CrossEntropyLoss expects raw logits)"))


@pytest.mark.points(1)
def test_lenet_dropout_placement(ex):
    """LeNet5(dropout=0.5) en mode train : du hasard entre C1 et C2 et entre F3 et F4 seulement"""
    model = ex.LeNet5(dropout=0.5)
    model.train()
    segments = _random_segments(model, torch.randn(32, 1, 28, 28))
    want = ["C1 → C2", "F3 → F4"]
    missing = [s for s in want if s not in segments]
    extra = [s for s in segments if s not in want]
    if missing:
        hint = t(f"aucun dropout actif en {_show(missing)} : un dropout de probabilité dropout "
                 "après le bloc C1 (avant C2), un autre après la ReLU de F3 (avant F4)",
                 f"no active dropout in {_show(missing)}: one dropout of probability dropout "
                 "after the C1 block (before C2), another after F3's ReLU (before F4)")
    else:
        hint = t(f"dropout de trop en {_show(extra)} : seulement entre C1 et C2 et entre F3 et F4",
                 f"dropout too many in {_show(extra)}: only between C1 and C2 and between F3 "
                 "and F4")
    expect(segments == want,
           what=t("où deux passes sur la même entrée diffèrent (mode train, dropout=0.5)",
                  "where two passes over the same input differ (train mode, dropout=0.5)"),
           expected=_show(want), got=_show(segments), todo="LeNet5.forward", hint=hint)


@pytest.mark.points(1)
def test_lenet_train_eval_modes(ex):
    """LeNet5 : déterministe en mode eval, aléatoire en mode train avec dropout, pas sans"""
    x = torch.randn(16, 1, 28, 28)
    model = ex.LeNet5(dropout=0.5)
    model.eval()
    with torch.no_grad():
        a, b = model(x), model(x)
    expect(torch.equal(a, b), what=t("deux passes de LeNet5(dropout=0.5) en mode eval",
                                     "two passes of LeNet5(dropout=0.5) in eval mode"),
           expected=t("la même sortie", "the same output"),
           got=t("des sorties différentes", "different outputs"), todo="LeNet5.forward",
           hint=t("le dropout ne doit agir qu'en mode train : nn.Dropout le fait seul après "
                  "model.eval(), F.dropout seulement avec training=self.training",
                  "dropout must act in train mode only: nn.Dropout does it by itself after "
                  "model.eval(), F.dropout only with training=self.training"))
    model.train()
    with torch.no_grad():
        a, b = model(x), model(x)
    expect(not torch.equal(a, b), what=t("deux passes de LeNet5(dropout=0.5) en mode train",
                                         "two passes of LeNet5(dropout=0.5) in train mode"),
           expected=t("des sorties différentes (dropout actif)",
                      "different outputs (dropout active)"),
           got=t("la même sortie", "the same output"), todo="LeNet5.__init__",
           hint=t("ajoutez le dropout avec la probabilité reçue en argument",
                  "add the dropout with the probability received as argument"))
    plain = ex.LeNet5()
    plain.train()
    with torch.no_grad():
        a, b = plain(x), plain(x)
    expect(torch.equal(a, b), what=t("deux passes de LeNet5() (dropout=0.0) en mode train",
                                     "two passes of LeNet5() (dropout=0.0) in train mode"),
           expected=t("la même sortie", "the same output"),
           got=t("des sorties différentes", "different outputs"), todo="LeNet5.__init__",
           hint=t("avec dropout=0.0 rien n'est aléatoire : utilisez la probabilité reçue en "
                  "argument, pas une valeur écrite en dur comme 0.5",
                  "with dropout=0.0 nothing is random: use the probability received as "
                  "argument, not a hard-coded value such as 0.5"))


@pytest.mark.points(1)
def test_lenet_learns_mnist(ex, mnist):
    """LeNet5 apprend : ≥ 85 % sur 1 000 chiffres MNIST réservés après 2 époques d'Adam"""
    # Measured with the reference: 91.7-95.2 % over 10 seeds (this one: seed 0),
    # 1.5-2.5 s on one CPU thread; 85 % leaves ≥ 6.7 points of margin.
    model = ex.LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for epoch in range(2):
        for x, y in loader(mnist.train, 64, shuffle=True, seed=epoch):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader(mnist.test, 250):
            correct += int((model(x).argmax(dim=1) == y).sum())
    expect_converges(correct / len(mnist.test), 0.85,
                     what=t("exactitude sur les chiffres réservés",
                            "accuracy on the held-out digits"),
                     todo="LeNet5.forward",
                     hint=t("vérifiez l'enchaînement conv → ReLU → pooling (deux fois), puis "
                            "F3 → ReLU → F4 → ReLU → F5, sans softmax à la fin",
                            "check the chain conv → ReLU → pooling (twice), then "
                            "F3 → ReLU → F4 → ReLU → F5, without a softmax at the end"))


# --- count_parameters ----------------------------------------------------------------------


@pytest.mark.points(1)
def test_count_parameters_frozen(ex):
    """count_parameters : paramètres entraînables seulement, ou tous avec trainable_only=False"""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 5))
    model[0].weight.requires_grad_(False)  # 36 frozen values
    total = 40 + 2704 * 5 + 5
    for kwargs, want, fr, en in (
            ({}, total - 36, "count_parameters(model)", "count_parameters(model)"),
            ({"trainable_only": True}, total - 36, "count_parameters(model, trainable_only=True)",
             "count_parameters(model, trainable_only=True)"),
            ({"trainable_only": False}, total, "count_parameters(model, trainable_only=False)",
             "count_parameters(model, trainable_only=False)")):
        got = ex.count_parameters(model, **kwargs)
        expect(not isinstance(got, bool) and isinstance(got, int),
               what=t(f"type du résultat de {fr}", f"type of {en}'s result"),
               expected=t("un int Python", "a Python int"),
               got=f"{type(got).__name__} ({got!r})", todo="count_parameters",
               hint=t("sum(p.numel() for p in ...) donne un int", "sum(p.numel() for p in ...) "
                      "gives an int"))
        if got == total and want != total:
            hint = t("un paramètre gelé (requires_grad=False) ne compte pas quand "
                     "trainable_only=True", "a frozen parameter (requires_grad=False) does not "
                     "count when trainable_only=True")
        elif got == total - 36 and want == total:
            hint = t("avec trainable_only=False, comptez aussi les paramètres gelés",
                     "with trainable_only=False, also count the frozen parameters")
        else:
            hint = t("additionnez p.numel() sur model.parameters() (le nombre de valeurs, "
                     "pas le nombre de tenseurs)",
                     "add up p.numel() over model.parameters() (the number of values, "
                     "not the number of tensors)")
        expect(got == want, what=t(f"{fr}, 36 poids de la convolution gelés",
                                   f"{en}, the convolution's 36 weights frozen"),
               expected=f"{want}", got=f"{got}", todo="count_parameters", hint=hint)


# --- load_fashion_mnist --------------------------------------------------------------------


@pytest.mark.points(1)
def test_load_fashion_mnist_items(ex, tmp_path):
    """load_fashion_mnist : images ToTensor [1, 28, 28], labels int, val = partie test (t10k)"""
    train_x, train_y, val_x, val_y = _write_fashion(tmp_path, 12, 7)
    train, val = ex.load_fashion_mnist(tmp_path)
    for data, n, fr, en in ((train, 12, "train", "train"), (val, 7, "val", "val")):
        expect(len(data) == n, what=t(f"len({fr}) sans train_size ni val_size",
                                      f"len({en}) without train_size or val_size"),
               expected=str(n), got=str(len(data)), todo="load_fashion_mnist",
               hint=t("None garde tout ; train : train=True, val : la partie test officielle "
                      "(train=False)", "None keeps everything; train: train=True, val: the "
                      "official test split (train=False)"))
    for i in (0, 5, 11):
        _check_item(train[i], train_x[i], int(train_y[i]), f"train[{i}]")
    for i in (0, 6):
        _check_item(val[i], val_x[i], int(val_y[i]), f"val[{i}]")


@pytest.mark.points(1)
def test_load_fashion_mnist_truncated(ex, tmp_path):
    """load_fashion_mnist(train_size=5, val_size=3) : les 5 et 3 premiers exemples, dans l'ordre"""
    train_x, train_y, val_x, val_y = _write_fashion(tmp_path, 12, 7)
    train, val = ex.load_fashion_mnist(tmp_path, train_size=5, val_size=3)
    for data, n, fr, en in ((train, 5, "train", "train"), (val, 3, "val", "val")):
        expect(len(data) == n, what=t(f"len({fr}) avec train_size=5, val_size=3",
                                      f"len({en}) with train_size=5, val_size=3"),
               expected=str(n), got=str(len(data)), todo="load_fashion_mnist",
               hint=t("train_size pour train, val_size pour val : "
                      "torch.utils.data.Subset(ds, range(n))",
                      "train_size for train, val_size for val: "
                      "torch.utils.data.Subset(ds, range(n))"))
    for data, xs, ys, n, name in ((train, train_x, train_y, 5, "train"),
                                  (val, val_x, val_y, 3, "val")):
        labels = [int(data[i][1]) for i in range(n)]
        expect(labels == ys[:n].tolist(),
               what=t(f"labels de {name}, dans l'ordre", f"labels of {name}, in order"),
               expected=str(ys[:n].tolist()), got=str(labels), todo="load_fashion_mnist",
               hint=t("gardez les n premiers exemples (range(n)), pas un tirage au hasard",
                      "keep the first n examples (range(n)), not a random draw"))
        for i in range(n):
            _check_item(data[i], xs[i], int(ys[i]), f"{name}[{i}]")
