"""Helpers of the exercise tests, written once for each exercise's public and hidden suites.

Shipped to students with the public tests: only helpers a public suite uses live here (a
helper that only a hidden suite uses stays in its file). One section per exercise, and every
name starts with its exercise (``ex03_layers``, ``EX04_PROBE``, ``Ex06ScoreTable``); a suite
may import one under its own local name. Layers are found by type and shape, never by
attribute name. Imports: the standard library, torch, numpy, pytest and top-level grading
modules only (helpers that need transformers get it passed in).
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.data import DataLoader, Dataset

from grading.data import MnistSubset, loader, take
from grading.expect import LearnerFailure, expect, expect_close, expect_shape, expect_type
from grading.i18n import t

# --- ex03_simple_nn ------------------------------------------------------------------------------

def ex03_layers(model: nn.Module, fin: int = 784, hidden: int = 128, classes: int = 10, *,
                hint: str | None = None) -> tuple[nn.Linear, nn.Linear]:
    """The two nn.Linear layers of a SimpleNN, told apart by their shapes (never by name);
    checks there are exactly Linear(fin, hidden) and Linear(hidden, classes)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    first = [m for m in linears if tuple(m.weight.shape) == (hidden, fin)]
    second = [m for m in linears if tuple(m.weight.shape) == (classes, hidden)]
    found = ", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears)
    expect(len(linears) == 2 and len(first) == 1 and len(second) == 1,
           what=t(f"couches nn.Linear de SimpleNN({fin}, {hidden}, {classes})",
                  f"nn.Linear layers of SimpleNN({fin}, {hidden}, {classes})"),
           expected=t(f"Linear({fin}, {hidden}) puis Linear({hidden}, {classes})",
                      f"Linear({fin}, {hidden}) then Linear({hidden}, {classes})"),
           got=found or t("aucune couche nn.Linear", "no nn.Linear layer"),
           todo="SimpleNN.__init__",
           hint=hint if hint is not None else
           t("deux couches nn.Linear : in_features → hidden, puis hidden → num_classes",
             "two nn.Linear layers: in_features → hidden, then hidden → num_classes"))
    return first[0], second[0]


def ex03_mlp() -> nn.Module:
    """The tests' own small model, so that evaluate_model is graded apart from SimpleNN."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))


def ex03_accuracy(model: nn.Module, data_loader: Iterable) -> float:
    """Test-set accuracy recomputed by the test: correct predictions / examples."""
    model.eval()
    correct, seen = 0, 0
    with torch.no_grad():
        for x, y in data_loader:
            correct += int((model(x).argmax(dim=1) == y).sum())
            seen += len(y)
    return correct / seen


class CountingSGD(torch.optim.SGD):
    """SGD that counts its optimizer.step() calls (ex03; ex09's hidden tests too)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


# --- ex04_activations_optimizers -----------------------------------------------------------------
# compare is observed from the outside: ex04_run_compare passes a make_model that builds an
# Ex04TinyNet (Flatten → Linear(784, 32) → activation → Linear(32, 10)) recording what it
# received and its parameters at its first forward, and a global optimizer step hook tells
# which optimizer trained which model.

EX04_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
EX04_PROBE = torch.linspace(-4, 4, 17)
"""Inputs on which an activation module is compared with torch.relu / tanh / sigmoid."""
EX04_TRAIN_DIGITS, EX04_TEST_DIGITS, EX04_BATCH = 200, 100, 50
"""Tiny on purpose: 4 steps per epoch keep every compare call under 0.1 s on a CPU."""


def ex04_loaders(mnist: MnistSubset) -> tuple[DataLoader, DataLoader]:
    """Non-shuffled train (200 digits) and test (100 digits) loaders, batches of 50."""
    return (loader(take(mnist.train, EX04_TRAIN_DIGITS), EX04_BATCH),
            loader(take(mnist.test, EX04_TEST_DIGITS), EX04_BATCH))


def _ex04_record_initial(model: Ex04TinyNet, args: tuple) -> None:
    """Keep the parameters of the first forward with autograd on: where training starts."""
    if model.initial is None and torch.is_grad_enabled():
        model.initial = [p.detach().clone() for p in model.parameters()]


class Ex04TinyNet(nn.Module):
    """The model ``make_model`` builds; remembers what it received and how it started."""

    def __init__(self, activation) -> None:
        super().__init__()
        self.received = [activation]  # a plain list: not registered as a submodule
        act = activation if isinstance(activation, nn.Module) else nn.Identity()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), act, nn.Linear(32, 10))
        self.initial: list[torch.Tensor] | None = None
        """Parameters at the first forward with grad enabled: training's starting point."""
        self.steps: list[Any] = []
        """One label per optimizer step taken on this model's parameters (by default the
        optimizer's class; see :func:`ex04_watching_steps`)."""
        self.register_forward_pre_hook(_ex04_record_initial)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    @property
    def kind(self) -> str | None:
        return ex04_kind_of(self.received[0])


def ex04_kind_of(module: object) -> str | None:
    """"relu", "tanh" or "sigmoid" when ``module`` computes that function, else None."""
    if not isinstance(module, nn.Module):
        return None
    try:
        with torch.no_grad():
            out = module(EX04_PROBE.clone())
    except Exception:  # noqa: BLE001 - any failure means "not an activation we know"
        return None
    for name, fn in EX04_ACTIVATIONS.items():
        if isinstance(out, torch.Tensor) and out.shape == EX04_PROBE.shape and \
                torch.allclose(out.float(), fn(EX04_PROBE), atol=1e-6):
            return name
    return None


@contextmanager
def ex04_watching_steps(models: list[Ex04TinyNet],
                        label: Callable[[torch.optim.Optimizer], Any] = type) -> Iterator[None]:
    """Record, on each model of ``models``, ``label(optimizer)`` for every optimizer step
    taken on its parameters (the optimizer's class by default)."""
    def hook(optimizer, args, kwargs) -> None:
        ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
        for model in models:
            if any(id(p) in ids for p in model.parameters()):
                model.steps.append(label(optimizer))

    handle = register_optimizer_step_post_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def ex04_run_compare(ex: ModuleType, configs: dict[str, dict],
                     loaders: tuple[DataLoader, DataLoader], epochs: int = 1,
                     device: str | torch.device = "cpu",
                     label: Callable[[torch.optim.Optimizer], Any] = type
                     ) -> tuple[Any, list[Ex04TinyNet]]:
    """Call ``compare`` with a recording ``make_model``; return its result and the models
    (each model's steps labelled by ``label``, see :func:`ex04_watching_steps`)."""
    models: list[Ex04TinyNet] = []

    def make_model(activation):
        model = Ex04TinyNet(activation)
        models.append(model)
        return model

    with ex04_watching_steps(models, label):
        results = ex.compare(configs, make_model, *loaders, device=device, epochs=epochs)
    return results, models


# --- ex05_regularize_mlp -------------------------------------------------------------------------

EX05_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def ex05_linear_layers(model: nn.Module, sizes: list[int], todo: str = "MLP.__init__", *,
                       hint: str | None = None) -> list:
    """The nn.Linear layers of MLP(sizes), in order, told apart by their shapes; checks
    there is exactly one Linear(sizes[i], sizes[i + 1]) per pair of neighbouring sizes."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    shapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
    found = [[m for m in linears if tuple(m.weight.shape) == shape] for shape in shapes]
    wanted = ", ".join(f"Linear({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
    got = ", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears)
    expect(len(linears) == len(shapes) and all(len(f) == 1 for f in found),
           what=t(f"couches nn.Linear de MLP({sizes})", f"nn.Linear layers of MLP({sizes})"),
           expected=wanted, got=got or t("aucune couche nn.Linear", "no nn.Linear layer"),
           todo=todo,
           hint=hint if hint is not None else
           t("une nn.Linear(sizes[i], sizes[i + 1]) par paire de tailles voisines, "
             "la dernière comprise",
             "one nn.Linear(sizes[i], sizes[i + 1]) per pair of neighbouring sizes, "
             "the last one included"))
    return [f[0] for f in found]


def ex05_histogram_matches(value: Any, tensor: torch.Tensor) -> bool:
    """A TensorBoard histogram describes ``tensor``: same count, minimum, maximum and sum."""
    v = tensor.detach().double().flatten()
    tol = 1e-6 * (1 + float(v.abs().max()))
    return (int(value.num) == v.numel() and abs(value.min - float(v.min())) <= tol
            and abs(value.max - float(v.max())) <= tol
            and abs(value.sum - float(v.sum())) <= 1e-4 * (1 + float(v.abs().sum())))


# --- ex06_hyperparameter_search ------------------------------------------------------------------

def ex06_call_grid(ex: ModuleType, space: dict[str, list], *, label: str | None = None,
                   hint: str | None = None) -> list[dict]:
    """``grid(space)``, checked to be a list of dicts holding exactly the keys of ``space``.
    ``label`` names the call in the messages (``grid(space)`` written out by default),
    ``hint`` is the hint for a configuration with the wrong keys."""
    configs = ex.grid(space)
    call = label if label is not None else f"grid({space!r})"
    expect_type(configs, list, what=t(f"type renvoyé par {call}", f"type returned by {call}"),
                todo="grid", hint=t("renvoyez une liste de dictionnaires (pas un générateur)",
                                    "return a list of dicts (not a generator)"))
    for config in configs:
        expect(isinstance(config, dict) and sorted(config) == sorted(space),
               what=t(f"une configuration de {call}", f"a configuration of {call}"),
               expected=t(f"un dict avec les clés {sorted(space)}",
                          f"a dict with the keys {sorted(space)}"),
               got=repr(config)[:200], todo="grid",
               hint=hint if hint is not None else
               t("chaque configuration est un dictionnaire nom → valeur avec toutes les "
                 "clés de space (par ex. dict(zip(clés, valeurs)))",
                 "every configuration is a dict name → value with all the keys of space "
                 "(e.g. dict(zip(keys, values)))"))
    return configs


def ex06_as_indices(seq: Any, *, what: str) -> list[int]:
    """A fold's indices as a list of Python ints (a numpy array or a tensor is accepted)."""
    if hasattr(seq, "tolist"):
        seq = seq.tolist()
    ok = isinstance(seq, (list, tuple)) and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in seq)
    expect(ok, what=what, expected=t("une liste d'entiers", "a list of integers"),
           got=repr(seq)[:200], todo="kfold_indices",
           hint=t("train et val sont des listes d'indices entiers (.tolist() sur un tenseur)",
                  "train and val are lists of integer indices (.tolist() on a tensor)"))
    return [int(i) for i in seq]


def ex06_call_kfold(ex: ModuleType, n: int, k: int,
                    seed: int) -> list[tuple[list[int], list[int]]]:
    """``kfold_indices(n, k, seed)`` as k pairs of int lists, after checking its structure."""
    folds = ex.kfold_indices(n, k, seed)
    call = f"kfold_indices({n}, {k}, seed={seed})"
    expect(isinstance(folds, (list, tuple)) and len(folds) == k,
           what=t(f"résultat de {call}", f"result of {call}"),
           expected=t(f"une liste de {k} paires (train, val)", f"a list of {k} pairs (train, val)"),
           got=repr(folds)[:200], todo="kfold_indices",
           hint=t("une paire (train, val) par pli : k paires en tout",
                  "one (train, val) pair per fold: k pairs in all"))
    out = []
    for i, pair in enumerate(folds):
        expect(isinstance(pair, (list, tuple)) and len(pair) == 2,
               what=t(f"pli {i} de {call}", f"fold {i} of {call}"),
               expected=t("une paire (train, val)", "a pair (train, val)"),
               got=repr(pair)[:200], todo="kfold_indices")
        out.append((ex06_as_indices(pair[0], what=t(f"train du pli {i} de {call}",
                                                    f"train of fold {i} of {call}")),
                    ex06_as_indices(pair[1], what=t(f"val du pli {i} de {call}",
                                                    f"val of fold {i} of {call}"))))
    return out


def ex06_fold_signature(folds: list[tuple[list[int], list[int]]]) -> list[list[int]]:
    """What identifies a split: each fold's validation indices, fold by fold."""
    return [sorted(val) for _, val in folds]


class Ex06ScoreTable:
    """A ``train_and_score`` that looks scores up in a table and counts its calls (each
    configuration recorded as a deep copy, so that a later change by the caller does not
    show)."""

    def __init__(self, score_of: Callable[[dict], float]) -> None:
        self.score_of = score_of
        self.calls: list[dict] = []

    def __call__(self, config: dict) -> float:
        self.calls.append(copy.deepcopy(dict(config)))
        return self.score_of(config)


def ex06_lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    """The learning rate of each parameter group, in order."""
    return [group["lr"] for group in optimizer.param_groups]


# --- ex07_cnn_basics -----------------------------------------------------------------------------

def ex07_cnn_params(in_channels: int, num_classes: int, image_size: int) -> int:
    """Trainable parameters of SimpleCNN: two 3×3 convolutions and two Linear layers."""
    side = image_size // 2 // 2
    return ((in_channels * 9 * 32 + 32) + (32 * 9 * 64 + 64)
            + (64 * side * side * 128 + 128) + (128 * num_classes + num_classes))


def ex07_cnn_layers(model: nn.Module, in_channels: int, num_classes: int, image_size: int, *,
                    hint: str | None = None) -> tuple[nn.Conv2d, nn.Conv2d, nn.Linear, nn.Linear]:
    """The four layers of a SimpleCNN, told apart by their weight shapes (never by name);
    checks each of the four shapes is there exactly once."""
    side = image_size // 2 // 2
    shapes = ((32, in_channels, 3, 3), (64, 32, 3, 3), (128, 64 * side * side),
              (num_classes, 128))
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    found = [[m for m in layers if tuple(m.weight.shape) == shape] for shape in shapes]
    described = ", ".join(f"{type(m).__name__}{tuple(m.weight.shape)}" for m in layers)
    expect(len(layers) == 4 and all(len(f) == 1 for f in found),
           what=t(f"couches de SimpleCNN({in_channels}, {num_classes}, {image_size})",
                  f"layers of SimpleCNN({in_channels}, {num_classes}, {image_size})"),
           expected=t("poids de formes ", "weights of shapes ") + ", ".join(map(str, shapes)),
           got=described or t("aucune couche nn.Conv2d / nn.Linear",
                              "no nn.Conv2d / nn.Linear layer"),
           todo="SimpleCNN.__init__",
           hint=hint if hint is not None else
           t("Conv2d(in_channels, 32, 3), Conv2d(32, 64, 3), Linear(64·s·s, 128), "
             "Linear(128, num_classes) avec s = image_size // 4",
             "Conv2d(in_channels, 32, 3), Conv2d(32, 64, 3), Linear(64·s·s, 128), "
             "Linear(128, num_classes) with s = image_size // 4"))
    return tuple(f[0] for f in found)  # type: ignore[return-value]


def ex07_call_cnn(model: nn.Module, x: torch.Tensor, what: str, *,
                  hint: str | None = None) -> torch.Tensor:
    """model(x), a size mismatch inside the model becoming a learner message."""
    try:
        return model(x)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        expect(False, what=what, expected=t(f"une sortie pour une entrée {tuple(x.shape)}",
                                            f"an output for an input {tuple(x.shape)}"),
               got=f"RuntimeError: {first[:160]}", todo="SimpleCNN.__init__",
               hint=hint if hint is not None else
               t("utilisez in_channels pour la première convolution, padding=1 pour les "
                 "deux (la taille est conservée), et calculez l'entrée de la première "
                 "Linear à partir de image_size (64 · s · s, s = image_size // 4), sans "
                 "tailles écrites en dur",
                 "use in_channels for the first convolution, padding=1 for both (the "
                 "size is kept), and compute the first Linear's input from image_size "
                 "(64 · s · s, s = image_size // 4), with no hard-coded sizes"))
        raise


def ex07_distinct_values(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """A tensor whose values are all different (no ties in any pooling window), mixed signs."""
    gen = torch.Generator().manual_seed(seed)
    n = 1
    for side in shape:
        n *= side
    return (torch.randperm(n, generator=gen).float() - n / 2).reshape(shape) / n


def ex07_train(model: nn.Module, optimizer: torch.optim.Optimizer, data_loader: Iterable,
               epochs: int) -> float:
    """The tests' own training loop; returns the last batch loss."""
    model.train()
    loss = torch.tensor(0.0)
    for _ in range(epochs):
        for x, y in data_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
    return loss.item()


def ex07_module_state_close(got: nn.Module, want: dict, what: str, todo: str, hint: str) -> None:
    """Every entry of ``got.state_dict()`` (parameters and buffers) equals the one in
    ``want``."""
    for name, value in got.state_dict().items():
        expect_close(value.float(), want[name].float(), what=f"{what} : {name}", todo=todo,
                     atol=1e-7, hint=hint)


def ex07_optimizer_state_close(got: dict, want: dict, what: str, todo: str, hint: str) -> None:
    """Two optimizer states ({param index: {name: tensor or number}}) hold the same values."""
    expect(sorted(got) == sorted(want), what=what,
           expected=t(f"un état pour {len(want)} paramètres",
                      f"a state for {len(want)} parameters"),
           got=t(f"un état pour {len(got)} paramètres", f"a state for {len(got)} parameters"),
           todo=todo, hint=hint)
    for index, entries in want.items():
        for name, value in entries.items():
            other = got[index].get(name)
            expect(other is not None, what=what, expected=t(f"« {name} » pour le paramètre {index}",
                                                           f"'{name}' for parameter {index}"),
                   got=t("absent", "missing"), todo=todo, hint=hint)
            if isinstance(value, torch.Tensor):
                expect_close(torch.as_tensor(other).float(), value.float(),
                             what=f"{what} ({name}, {index})", todo=todo, atol=1e-7, hint=hint)
            else:
                expect_close(float(other), float(value), what=f"{what} ({name}, {index})",
                             todo=todo, atol=1e-7, hint=hint)


# --- ex08_lenet5 ---------------------------------------------------------------------------------

EX08_STAGES = ("C1", "C2", "F3", "F4", "F5")


def ex08_describe(module: nn.Module) -> str:
    """``Conv2d(1→6, 5×5)`` or ``Linear(256→120)``: a layer as the messages show it."""
    if isinstance(module, nn.Conv2d):
        k = "×".join(str(s) for s in module.kernel_size)
        return f"Conv2d({module.in_channels}→{module.out_channels}, {k})"
    return f"Linear({module.in_features}→{module.out_features})"


def ex08_layers(model: nn.Module, classes: int = 10, *,
                hint: str | None = None) -> dict[str, nn.Module]:
    """C1, C2, F3, F4 and F5 of a LeNet5, told apart by their sizes (never by name); checks
    each is there exactly once."""
    wanted = {"C1": (nn.Conv2d, 1, 6), "C2": (nn.Conv2d, 6, 16), "F3": (nn.Linear, 256, 120),
              "F4": (nn.Linear, 120, 84), "F5": (nn.Linear, 84, classes)}
    found: dict[str, list[nn.Module]] = {name: [] for name in wanted}
    described = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            sizes = (nn.Conv2d, m.in_channels, m.out_channels)
        elif isinstance(m, nn.Linear):
            sizes = (nn.Linear, m.in_features, m.out_features)
        else:
            continue
        described.append(ex08_describe(m))
        for name, want in wanted.items():
            if sizes == want:
                found[name].append(m)
    expect(all(len(ms) == 1 for ms in found.values()),
           what=t(f"couches de LeNet5(num_classes={classes})",
                  f"layers of LeNet5(num_classes={classes})"),
           expected=t(f"une fois chacune : Conv2d(1→6), Conv2d(6→16), Linear(256→120), "
                      f"Linear(120→84), Linear(84→{classes})",
                      f"once each: Conv2d(1→6), Conv2d(6→16), Linear(256→120), "
                      f"Linear(120→84), Linear(84→{classes})"),
           got=", ".join(described) or t("aucune couche Conv2d ni Linear",
                                         "no Conv2d or Linear layer"),
           todo="LeNet5.__init__",
           hint=hint if hint is not None else
           t("sans padding, 28 → 24 → 12 → 8 → 4 : F3 reçoit 16·4·4 = 256 valeurs ; "
             "la dernière couche utilise num_classes",
             "without padding, 28 → 24 → 12 → 8 → 4: F3 receives 16·4·4 = 256 values; "
             "the last layer uses num_classes"))
    return {name: ms[0] for name, ms in found.items()}


def ex08_write_idx(path: Path, data: torch.Tensor) -> None:
    """An uncompressed IDX file as in the FashionMNIST archives (magic 2051 images,
    2049 labels: big-endian, uint8 data)."""
    magic = 2048 + data.dim()  # 0x08 (uint8) << 8 | number of dimensions
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(f">{data.dim()}I", *data.shape))
        f.write(data.to(torch.uint8).numpy().tobytes())


# --- ex09_training_tricks ------------------------------------------------------------------------

EX09_CURVES = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")
"""The five per-epoch lists of fit's history."""


def ex09_mlp(hidden: int = 16) -> nn.Module:
    """The tests' own small model, so that fit is graded apart from any other exercise."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def ex09_idle_optimizer(lr: float = 1.0) -> torch.optim.SGD:
    """An SGD holding one parameter outside the model: the model's weights never move (every
    epoch sees the same losses), while its learning rate can be scheduled and read."""
    return torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)


# --- ex10_transfer_vision ------------------------------------------------------------------------

EX10_RESNET18_PARAMS = 11_689_512
"""torchvision's resnet18 with its 1,000-class ImageNet head (512·1000 + 1000 = 513,000)."""


def ex10_total(num_classes: int) -> int:
    """Parameters of resnet18 once its head is nn.Linear(512, num_classes)."""
    return EX10_RESNET18_PARAMS - 513_000 + 513 * num_classes


def ex10_forbid_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
                          *, hint: str | None = None) -> None:
    """No download, ever: an empty torch.hub cache and a download function that refuses
    with a learner message (``hint`` its hint)."""
    empty = tmp_path_factory.mktemp("torch_hub")

    def refuse(url, *args, **kwargs):
        raise LearnerFailure(
            what=t("téléchargement de poids pendant les tests",
                   "weights download during the tests"),
            expected=t("aucun téléchargement (weights=None)", "no download (weights=None)"),
            got=t(f"tentative de télécharger {url}", f"attempt to download {url}"),
            todo="build_resnet18 / load_model",
            hint=hint if hint is not None else
            t("les tests tournent sans réseau : build_resnet18 transmet weights "
              "(None par défaut) à resnet18, et load_model construit son ResNet18 "
              "avec weights=None",
              "the tests run offline: build_resnet18 passes weights (None by default) "
              "to resnet18, and load_model builds its ResNet18 with weights=None"))

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(empty))
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


def ex10_is_head(name: str) -> bool:
    """A parameter or state entry of resnet18's classification head ``fc``."""
    return name.startswith("fc.")


def ex10_snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of every entry of ``model.state_dict()``."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- ex11_transformers ---------------------------------------------------------------------------
# transformers is never imported here: the tests pass it in (their hf fixture), as it costs
# ~10 s to import.

EX11_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
EX11_DIM, EX11_HIDDEN, EX11_MAX_POS = 32, 64, 128
"""Sizes of the tests' tiny models: width, feed-forward width, longest sequence."""
EX11_SCALE_HINT = t("forward = base(x) + dropout(x) @ A.T @ B.T * (alpha / r) : le facteur "
                    "d'échelle est alpha / r, pas r / alpha",
                    "forward = base(x) + dropout(x) @ A.T @ B.T * (alpha / r): the scaling is "
                    "alpha / r, not r / alpha")


def ex11_tiny(hf: ModuleType, tok: Any, seed: int = 0, layers: int = 2,
              **settings: Any) -> nn.Module:
    """A tiny, randomly initialised DistilBertForSequenceClassification (2 labels); ``hf``
    is transformers, ``settings`` further DistilBertConfig settings."""
    config = hf.DistilBertConfig(vocab_size=len(tok), dim=EX11_DIM, n_layers=layers, n_heads=2,
                                 hidden_dim=EX11_HIDDEN, max_position_embeddings=EX11_MAX_POS,
                                 pad_token_id=tok.pad_token_id, **settings)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return hf.DistilBertForSequenceClassification(config)


def ex11_names(names: list[str], limit: int = 4) -> str:
    """The first ``limit`` names, comma-separated, with ", ..." when there are more."""
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def ex11_lora_modules(ex: ModuleType, model: nn.Module) -> dict[str, nn.Module]:
    """The student's LoRALinear modules of ``model``, by qualified name."""
    return {n: m for n, m in model.named_modules() if isinstance(m, ex.LoRALinear)}


def ex11_inner_linear(lora: nn.Module) -> nn.Linear | None:
    """The one nn.Linear a LoRALinear wraps, or None when it holds none or several."""
    inner = [m for m in lora.modules() if isinstance(m, nn.Linear)]
    return inner[0] if len(inner) == 1 else None


# --- ex12_sequences ------------------------------------------------------------------------------

EX12_CELLS = ("rnn", "gru", "lstm")
EX12_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
"""Gate blocks per recurrent layer: nn.RNN 1, nn.GRU 3, nn.LSTM 4."""


def ex12_expected_params(cell: str, fin: int, hidden: int, classes: int, layers: int) -> int:
    """k · (H·in + H·H + 2H) per layer (in = F for the first, H above), plus the head."""
    k = EX12_GATES[cell]
    recurrent = sum(k * (hidden * (fin if i == 0 else hidden) + hidden * hidden + 2 * hidden)
                    for i in range(layers))
    return recurrent + hidden * classes + classes


def ex12_saturating_batch(fin: int = 2) -> torch.Tensor:
    """Long sequences of large values: an LSTM's cell state c grows well past 1 on them
    (measured: max |c| ≥ 5 over 100 random initialisations), its hidden state h never does."""
    x = 10 * torch.randn(16, 30, fin)
    directions = torch.tensor([[1.0, 1], [-1, -1], [1, -1], [-1, 1], [1, 0], [0, 1], [-1, 0],
                               [0, -1]])
    x[:8] = 10 * directions[:, None, :fin]
    return x


def ex12_sign_of_sum(n: int, steps: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The tests' own data: x [n, steps, 1] standard normal, y = 1 when the sum is > 0."""
    x = torch.randn(n, steps, 1, generator=torch.Generator().manual_seed(seed))
    return x, (x.sum(dim=(1, 2)) > 0).long()


def ex12_train_and_score(model: nn.Module, seed: int, epochs: int = 5) -> float:
    """The tests' own loop: Adam (lr 1e-2), batches of 50 of 1,000 sequences of 10 steps;
    accuracy on 500 other sequences. Checks the output shape of every batch."""
    x, y = ex12_sign_of_sum(1000, 10, 100 + seed)
    xt, yt = ex12_sign_of_sum(500, 10, 200 + seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    order = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=order)
        for i in range(0, len(x), 50):
            idx = perm[i:i + 50]
            optimizer.zero_grad()
            out = model(x[idx])
            expect_shape(out, (50, 2), what=t("sortie pour un lot de 50 séquences (50, 10, 1)",
                                              "output for a batch of 50 sequences (50, 10, 1)"),
                         todo="SequenceClassifier.forward",
                         hint=t("l'entrée est [N, T, F] (batch_first=True) ; la sortie "
                                "[N, num_classes]",
                                "the input is [N, T, F] (batch_first=True); the output "
                                "[N, num_classes]"))
            F.cross_entropy(out, y[idx]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(xt).argmax(dim=1) == yt).float().mean())


def ex12_tensors(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All (x, y) of a dataset stacked, read through __getitem__ as a DataLoader would."""
    items = [dataset[i] for i in range(len(dataset))]
    return torch.stack([x for x, _ in items]), torch.stack([torch.as_tensor(y) for _, y in items])
