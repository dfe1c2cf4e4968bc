"""Public tests of ex07_cnn_basics: conv_output_size against nn.Conv2d, max_pool_2x2 against
F.max_pool2d (values, gradients, no library pooling), SimpleCNN (shapes, parameter counts,
forward computation, gradients), TensorDataset, and resuming from a checkpoint."""

import copy

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader
from torch.utils.data import TensorDataset as TorchTensorDataset

from grading.data import loader, take
from grading.expect import (
    expect,
    expect_close,
    expect_equal,
    expect_grad_flow,
    expect_param_count,
    expect_shape,
)
from grading.i18n import t
from grading.testkit import ex07_call_cnn as _call_cnn
from grading.testkit import ex07_cnn_layers as _cnn_layers
from grading.testkit import ex07_cnn_params as _cnn_params
from grading.testkit import ex07_distinct_values as _distinct_values
from grading.testkit import ex07_module_state_close as _weights_close
from grading.testkit import ex07_optimizer_state_close as _state_close
from grading.testkit import ex07_train as _train


def _cnn_oracle(layers, x: torch.Tensor) -> torch.Tensor:
    """The forward pass the docstring describes, computed by the test with the model's weights."""
    conv1, conv2, fc1, fc2 = layers
    h = F.max_pool2d(F.relu(F.conv2d(x, conv1.weight, conv1.bias, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, conv2.weight, conv2.bias, padding=1)), 2)
    return F.linear(F.relu(F.linear(h.flatten(1), fc1.weight, fc1.bias)), fc2.weight, fc2.bias)


def _tiny_model() -> nn.Module:
    """The tests' own small CNN, so that checkpoints are graded apart from SimpleCNN."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 8 * 8, 10))


# --- conv_output_size -------------------------------------------------------------------


@st.composite
def conv_configs(draw, max_side: int = 40):
    """(h_in, kernel_size, stride, padding) that nn.Conv2d accepts."""
    kernel = draw(st.integers(1, 7))
    padding = draw(st.integers(0, 3))
    h_in = draw(st.integers(max(1, kernel - 2 * padding), max_side))
    return h_in, kernel, draw(st.integers(1, 4)), padding


@pytest.mark.points(1)
@given(config=conv_configs())
def test_conv_output_size_matches_conv2d(ex, config):
    """conv_output_size : même taille que la sortie d'un vrai nn.Conv2d"""
    h_in, kernel, stride, padding = config
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        want = conv(torch.zeros(1, 1, h_in, h_in)).shape[-1]
    got = ex.conv_output_size(h_in, kernel, stride, padding)
    call = f"conv_output_size({h_in}, {kernel}, stride={stride}, padding={padding})"
    expect(isinstance(got, int) and not isinstance(got, bool),
           what=t(f"type du résultat de {call}", f"type of the result of {call}"),
           expected=t("un int Python", "a Python int"),
           got=f"{type(got).__name__} ({got!r})", todo="conv_output_size",
           hint=t("division entière // (la division / donne un float, inutilisable comme "
                  "taille de couche)",
                  "integer division // (/ gives a float, unusable as a layer size)"))
    expect_equal(got, want, what=t(f"{call} comparé à la sortie de nn.Conv2d",
                                   f"{call} against nn.Conv2d's output"),
                 todo="conv_output_size",
                 hint=t("⌊(h_in + 2·padding − kernel_size) / stride⌋ + 1 : le padding compte "
                        "des deux côtés, la division est entière (//), puis + 1",
                        "⌊(h_in + 2·padding − kernel_size) / stride⌋ + 1: padding counts on "
                        "both sides, the division is an integer one (//), then + 1"))


# --- max_pool_2x2 -----------------------------------------------------------------------


POOL_HINT = t("le maximum de chaque fenêtre 2×2 voisine (lignes 2i, 2i+1 et colonnes 2j, 2j+1) : "
              "par ex. x.reshape(N, C, H // 2, 2, W // 2, 2) puis amax sur les dimensions 3 et 5",
              "the maximum of each adjacent 2×2 window (rows 2i, 2i+1 and columns 2j, 2j+1): "
              "e.g. x.reshape(N, C, H // 2, 2, W // 2, 2) then amax over dimensions 3 and 5")


@st.composite
def even_shapes(draw):
    """[N, C, H, W] with H and W even, kept small."""
    return (draw(st.integers(1, 3)), draw(st.integers(1, 3)), 2 * draw(st.integers(1, 5)),
            2 * draw(st.integers(1, 5)))


@pytest.mark.points(1)
@given(shape=even_shapes(), seed=st.integers(0, 2**16))
def test_max_pool_2x2_values(ex, shape, seed):
    """max_pool_2x2 : mêmes valeurs que F.max_pool2d(x, 2) pour [N, C, H, W], H et W pairs"""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    want = F.max_pool2d(x, 2)
    before = x.clone()
    out = ex.max_pool_2x2(x)
    what = t(f"max_pool_2x2 sur une entrée {shape}", f"max_pool_2x2 on an input {shape}")
    expect_shape(out, want.shape, what=what, todo="max_pool_2x2",
                 hint=t("[N, C, H, W] → [N, C, H // 2, W // 2] : une valeur par fenêtre 2×2",
                        "[N, C, H, W] → [N, C, H // 2, W // 2]: one value per 2×2 window"))
    expect_close(out, want, what=what, todo="max_pool_2x2", atol=1e-6, hint=POOL_HINT)
    expect_close(x, before, what=t("entrée de max_pool_2x2 après l'appel",
                                   "max_pool_2x2's input after the call"),
                 todo="max_pool_2x2", atol=0,
                 hint=t("ne modifiez pas x sur place", "do not modify x in place"))


class _LibraryPooling(Exception):
    """Raised by the library pooling functions while max_pool_2x2 runs."""


@pytest.mark.points(1)
def test_max_pool_2x2_without_library(ex, monkeypatch):
    """max_pool_2x2 : écrit à la main, sans nn.MaxPool2d ni F.max_pool2d"""
    x = torch.randn(2, 3, 6, 4)
    want = F.max_pool2d(x, 2)

    def forbidden(*args, **kwargs):
        raise _LibraryPooling()

    for owner, name in ((F, "max_pool2d"), (F, "max_pool2d_with_indices"),
                        (F, "adaptive_max_pool2d"), (torch, "max_pool2d"),
                        (torch._C._nn, "max_pool2d_with_indices"),
                        (torch._C._nn, "adaptive_max_pool2d"),
                        (nn.MaxPool2d, "forward"), (nn.AdaptiveMaxPool2d, "forward")):
        monkeypatch.setattr(owner, name, forbidden)
    try:
        out = ex.max_pool_2x2(x)
    except _LibraryPooling:
        out = None
    monkeypatch.undo()
    expect(out is not None, what=t("max_pool_2x2 écrit à la main", "max_pool_2x2 written by hand"),
           expected=t("des opérations de tenseurs (reshape, amax, découpage…)",
                      "tensor operations (reshape, amax, slicing…)"),
           got=t("un appel à F.max_pool2d / nn.MaxPool2d", "a call to F.max_pool2d / nn.MaxPool2d"),
           todo="max_pool_2x2",
           hint=t("l'exercice est de l'écrire sans F.max_pool2d ni nn.MaxPool2d : " + POOL_HINT,
                  "the exercise is to write it without F.max_pool2d or nn.MaxPool2d: "
                  + POOL_HINT))
    expect_close(out, want, what=t("max_pool_2x2 sur une entrée (2, 3, 6, 4)",
                                   "max_pool_2x2 on an input (2, 3, 6, 4)"),
                 todo="max_pool_2x2", atol=1e-6, hint=POOL_HINT)


@pytest.mark.points(1)
@given(shape=even_shapes(), seed=st.integers(0, 2**16))
def test_max_pool_2x2_gradient(ex, shape, seed):
    """max_pool_2x2 : le gradient va au maximum de chaque fenêtre (entrées sans égalité)"""
    values = _distinct_values(shape, seed)
    x_ref = values.clone().requires_grad_()
    want = F.max_pool2d(x_ref, 2)
    upstream = torch.randn(want.shape, generator=torch.Generator().manual_seed(seed + 1))
    (want * upstream).sum().backward()
    x = values.clone().requires_grad_()
    out = ex.max_pool_2x2(x)
    what = t(f"max_pool_2x2 sur une entrée {shape}", f"max_pool_2x2 on an input {shape}")
    expect_shape(out, want.shape, what=what, todo="max_pool_2x2")
    expect(out.requires_grad, what=t("la sortie de max_pool_2x2 dépend de x",
                                     "max_pool_2x2's output depends on x"),
           expected=t("un tenseur avec requires_grad=True", "a tensor with requires_grad=True"),
           got=t("un résultat détaché du graphe", "a result detached from the graph"),
           todo="max_pool_2x2",
           hint=t("restez dans le graphe d'autograd : pas de torch.no_grad(), .detach(), "
                  ".item() ni numpy",
                  "stay inside autograd's graph: no torch.no_grad(), .detach(), .item() "
                  "or numpy"))
    (out * upstream).sum().backward()
    expect(x.grad is not None, what=t("gradient de l'entrée de max_pool_2x2",
                                      "gradient of max_pool_2x2's input"),
           expected=t("un gradient", "a gradient"), got="None", todo="max_pool_2x2")
    expect_close(x.grad, x_ref.grad, what=t(f"gradient de max_pool_2x2 pour une entrée {shape}",
                                            f"gradient of max_pool_2x2 for an input {shape}"),
                 todo="max_pool_2x2", atol=1e-6,
                 hint=t("chaque valeur de sortie doit venir du maximum de sa fenêtre (amax ou "
                        "max) : le gradient va à cet élément, 0 aux trois autres",
                        "each output value must come from its window's maximum (amax or "
                        "max): the gradient goes to that element, 0 to the other three"))


# --- SimpleCNN ----------------------------------------------------------------------------


CNN_CONFIGS = ((3, 10, 32), (1, 10, 28), (3, 10, 64), (1, 5, 28))


@pytest.mark.points(1)
def test_simple_cnn_output_shapes(ex):
    """SimpleCNN : logits [N, num_classes] pour des images 28×28, 32×32 et 64×64, 1 ou 3 canaux"""
    for i, (channels, classes, size) in enumerate(CNN_CONFIGS):
        model = ex.SimpleCNN() if i == 0 else \
            ex.SimpleCNN(in_channels=channels, num_classes=classes, image_size=size)
        call = "SimpleCNN()" if i == 0 else \
            f"SimpleCNN(in_channels={channels}, num_classes={classes}, image_size={size})"
        x = torch.randn(2, channels, size, size)
        what = t(f"sortie de {call} pour une entrée {tuple(x.shape)}",
                 f"output of {call} for an input {tuple(x.shape)}")
        with torch.no_grad():
            out = _call_cnn(model, x, what)
        expect_shape(out, (2, classes), what=what, todo="SimpleCNN.forward",
                     hint=t("aplatissez tout sauf la dimension du lot (flatten(1)) et terminez "
                            "par Linear(128, num_classes)",
                            "flatten everything but the batch dimension (flatten(1)) and end "
                            "with Linear(128, num_classes)"))


@pytest.mark.points(1)
def test_simple_cnn_param_counts(ex):
    """SimpleCNN : nombre exact de paramètres (545 098 par défaut, et pour 28×28 et 64×64)"""
    for i, (channels, classes, size) in enumerate(CNN_CONFIGS):
        model = ex.SimpleCNN() if i == 0 else \
            ex.SimpleCNN(in_channels=channels, num_classes=classes, image_size=size)
        side = size // 4
        expect_param_count(
            model, _cnn_params(channels, classes, size), todo="SimpleCNN.__init__",
            hint=t(f"SimpleCNN({channels}, {classes}, {size}) : ({channels}·9·32 + 32) + "
                   f"(32·9·64 + 64) + (64·{side}·{side}·128 + 128) + (128·{classes} + "
                   f"{classes}) ; chaque pooling divise la taille par 2",
                   f"SimpleCNN({channels}, {classes}, {size}): ({channels}·9·32 + 32) + "
                   f"(32·9·64 + 64) + (64·{side}·{side}·128 + 128) + (128·{classes} + "
                   f"{classes}); each pooling halves the size"))


@pytest.mark.points(1)
def test_simple_cnn_forward_computation(ex):
    """SimpleCNN : (conv → ReLU → pool) ×2, aplatir, Linear → ReLU → Linear, logits bruts"""
    model = ex.SimpleCNN(in_channels=1, num_classes=10, image_size=16)
    layers = _cnn_layers(model, 1, 10, 16)
    x = torch.randn(4, 1, 16, 16)
    what = t("sortie de SimpleCNN(1, 10, 16)", "output of SimpleCNN(1, 10, 16)")
    with torch.no_grad():
        out = _call_cnn(model, x, what)
        want = _cnn_oracle(layers, x)
    expect_close(out, want, what=what, todo="SimpleCNN.forward", atol=1e-5,
                 hint=t("conv1 → ReLU → pooling 2×2, conv2 → ReLU → pooling 2×2, aplatir, "
                        "fc1 → ReLU → fc2 ; convolutions avec padding=1 ; pas de softmax ni "
                        "d'activation après la dernière couche",
                        "conv1 → ReLU → 2×2 pooling, conv2 → ReLU → 2×2 pooling, flatten, "
                        "fc1 → ReLU → fc2; convolutions with padding=1; no softmax or "
                        "activation after the last layer"))


@pytest.mark.points(1)
def test_simple_cnn_gradient_flow(ex):
    """SimpleCNN : le gradient de la perte atteint chaque paramètre"""
    model = ex.SimpleCNN(in_channels=3, num_classes=10, image_size=16)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    out = _call_cnn(model, x, t("sortie de SimpleCNN(3, 10, 16)", "output of SimpleCNN(3, 10, 16)"))
    expect(isinstance(out, torch.Tensor) and out.requires_grad,
           what=t("la sortie de SimpleCNN dépend des paramètres",
                  "SimpleCNN's output depends on the parameters"),
           expected=t("un tenseur avec requires_grad=True", "a tensor with requires_grad=True"),
           got=t("un résultat détaché du graphe", "a result detached from the graph"),
           todo="SimpleCNN.forward",
           hint=t("pas de torch.no_grad(), .detach() ni numpy dans forward",
                  "no torch.no_grad(), .detach() or numpy in forward"))
    F.cross_entropy(out, y).backward()
    expect_grad_flow(model, todo="SimpleCNN.forward")


# --- TensorDataset ------------------------------------------------------------------------


@pytest.mark.points(1)
def test_tensor_dataset(ex):
    """TensorDataset : len, dataset[i] = (entrée, étiquette), transform sur l'entrée seulement"""
    data, labels = torch.randn(10, 1, 8, 8), torch.arange(10) % 3
    dataset = ex.TensorDataset(data, labels)
    expect_equal(len(dataset), 10, what=t("len(dataset) pour 10 exemples",
                                          "len(dataset) for 10 examples"),
                 todo="TensorDataset.__len__",
                 hint=t("renvoyez le nombre d'exemples : len(data)",
                        "return the number of examples: len(data)"))
    item = dataset[7]
    expect(isinstance(item, tuple | list) and len(item) == 2, what="dataset[7]",
           expected=t("un couple (entrée, étiquette)", "a pair (input, label)"),
           got=f"{type(item).__name__}", todo="TensorDataset.__getitem__",
           hint=t("return x, y", "return x, y"))
    expect_close(item[0], data[7], what=t("entrée de dataset[7] sans transform",
                                          "input of dataset[7] without transform"),
                 todo="TensorDataset.__getitem__", atol=0,
                 hint=t("renvoyez data[index] (sans transform, inchangé)",
                        "return data[index] (unchanged without transform)"))
    expect_equal(int(item[1]), 1, what=t("étiquette de dataset[7]", "label of dataset[7]"),
                 todo="TensorDataset.__getitem__",
                 hint=t("renvoyez labels[index], au même indice que l'entrée",
                        "return labels[index], at the same index as the input"))
    transformed = ex.TensorDataset(data, labels, transform=lambda v: 2 * v + 1)
    x, y = transformed[4]
    expect_close(x, 2 * data[4] + 1, what=t("entrée de dataset[4] avec transform=lambda v: 2*v + 1",
                                            "input of dataset[4] with transform=lambda v: 2*v + 1"),
                 todo="TensorDataset.__getitem__", atol=1e-6,
                 hint=t("appliquez transform une fois à data[index] quand il n'est pas None",
                        "apply transform once to data[index] when it is not None"))
    expect_equal(int(y), 1, what=t("étiquette de dataset[4] avec transform",
                                   "label of dataset[4] with transform"),
                 todo="TensorDataset.__getitem__",
                 hint=t("transform ne s'applique qu'à l'entrée, jamais à l'étiquette",
                        "transform applies to the input only, never to the label"))
    xb, yb = next(iter(DataLoader(transformed, batch_size=4)))
    expect_shape(xb, (4, 1, 8, 8), what=t("lot d'entrées d'un DataLoader(batch_size=4)",
                                          "input batch of a DataLoader(batch_size=4)"),
                 todo="TensorDataset.__getitem__")
    expect_close(yb, labels[:4], what=t("lot d'étiquettes d'un DataLoader(batch_size=4)",
                                        "label batch of a DataLoader(batch_size=4)"),
                 todo="TensorDataset.__getitem__", atol=0,
                 hint=t("renvoyez labels[index], sans transform",
                        "return labels[index], without transform"))


# --- checkpoints --------------------------------------------------------------------------


@pytest.mark.points(1)
def test_checkpoint_resume_adam(ex, mnist, tmp_path, monkeypatch):
    """Checkpoint : 2 époques, sauvegarde, reprise (Adam) puis 2 époques = 4 époques d'affilée"""
    monkeypatch.chdir(tmp_path)  # a hard-coded relative file name lands here, not in the kit
    data = take(mnist.train, 64, seed=7)
    crops = data.tensors[0][:, :, 10:18, 10:18].clone()  # the central 8×8 pixels
    data = TorchTensorDataset(crops, data.tensors[1])
    train = loader(data, 16)  # not shuffled: the same batches in every run

    torch.manual_seed(1)
    straight = _tiny_model()
    straight_opt = torch.optim.Adam(straight.parameters(), lr=1e-2)
    _train(straight, straight_opt, train, 4)

    torch.manual_seed(1)
    first = _tiny_model()
    first_opt = torch.optim.Adam(first.parameters(), lr=1e-2)
    loss = _train(first, first_opt, train, 2)
    saved_weights = copy.deepcopy(first.state_dict())
    saved_state = copy.deepcopy(first_opt.state_dict()["state"])
    path = str(tmp_path / "checkpoint.pt")
    ex.save_checkpoint(path, first, first_opt, 2, loss)

    torch.manual_seed(99)  # other initial weights: loading must overwrite them
    resumed = _tiny_model()
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=1e-2)
    returned = ex.load_checkpoint(path, resumed, resumed_opt)
    expect(isinstance(returned, tuple | list) and len(returned) == 2,
           what=t("résultat de load_checkpoint", "result of load_checkpoint"),
           expected=t("un couple (epoch, loss)", "a pair (epoch, loss)"),
           got=f"{type(returned).__name__} ({returned!r})"[:120], todo="load_checkpoint",
           hint=t("return epoch, loss", "return epoch, loss"))
    epoch, got_loss = returned
    hint_pair = t("renvoyez (epoch, loss) dans cet ordre, tels que save_checkpoint les a reçus",
                  "return (epoch, loss) in this order, as save_checkpoint received them")
    expect_equal(int(epoch), 2, what=t("epoch renvoyé par load_checkpoint",
                                       "epoch returned by load_checkpoint"),
                 todo="load_checkpoint", hint=hint_pair)
    expect_close(float(got_loss), loss, what=t("loss renvoyée par load_checkpoint",
                                               "loss returned by load_checkpoint"),
                 todo="load_checkpoint", atol=1e-6, hint=hint_pair)
    _weights_close(resumed, saved_weights, t("poids rechargés", "reloaded weights"),
                   "load_checkpoint",
                   t("sauvegardez model.state_dict() et rechargez-le avec "
                     "model.load_state_dict(...) dans le modèle reçu",
                     "save model.state_dict() and load it with model.load_state_dict(...) "
                     "into the model received"))
    _state_close(resumed_opt.state_dict()["state"], saved_state,
                 t("état de l'optimiseur rechargé (moyennes d'Adam)",
                   "reloaded optimizer state (Adam's averages)"), "load_checkpoint",
                 t("sauvegardez aussi optimizer.state_dict() et rechargez-le avec "
                   "optimizer.load_state_dict(...) : sans l'état de l'optimiseur, Adam "
                   "repart de zéro",
                   "also save optimizer.state_dict() and load it with "
                   "optimizer.load_state_dict(...): without the optimizer state, Adam "
                   "starts over"))
    _train(resumed, resumed_opt, train, 2)
    _weights_close(resumed, straight.state_dict(),
                   t("poids après reprise et 2 époques de plus, comparés à 4 époques d'affilée",
                     "weights after resuming and 2 more epochs, against 4 epochs straight"),
                   "load_checkpoint",
                   t("rechargez le modèle et l'optimiseur (load_state_dict) : reprendre doit "
                     "donner exactement les mêmes poids que ne jamais s'arrêter",
                     "load the model and the optimizer (load_state_dict): resuming must give "
                     "exactly the same weights as never stopping"))


@pytest.mark.cuda
@pytest.mark.points(0)
def test_simple_cnn_cuda(ex):
    """SimpleCNN sur CUDA : logits [N, 10] sur le GPU"""
    model = ex.SimpleCNN(in_channels=1, num_classes=10, image_size=28).to("cuda")
    with torch.no_grad():
        out = model(torch.randn(4, 1, 28, 28, device="cuda"))
    expect_shape(out, (4, 10), what=t("sortie de SimpleCNN sur CUDA", "SimpleCNN's output on CUDA"),
                 todo="SimpleCNN.forward")
    expect(out.device.type == "cuda", what=t("périphérique de la sortie", "device of the output"),
           expected="cuda", got=str(out.device), todo="SimpleCNN.forward",
           hint=t("ne créez pas de tenseur sur le CPU dans forward",
                  "do not create CPU tensors in forward"))
