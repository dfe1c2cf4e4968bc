"""Public tests of ex01_tensors: image conversion, normalisation, the Linear layer by hand."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grading.data import MNIST_MEAN, MNIST_STD, raw_mnist
from grading.expect import expect, expect_close, expect_dtype, expect_shape, expect_type
from grading.i18n import t
from grading.strategies import batch_shapes, features


@pytest.fixture(scope="module")
def ex(impl):
    return impl.load("ex01_tensors")


@pytest.mark.points(1)
def test_to_float_image_values(ex):
    """to_float_image : float32, chaque niveau 0..255 divisé par 255"""
    img = torch.arange(256, dtype=torch.uint8).reshape(16, 16)
    out = ex.to_float_image(img)
    expect_dtype(out, torch.float32, what=t("type de la sortie", "output dtype"),
                 todo="to_float_image",
                 hint=t("convertissez avec .float() ou .to(torch.float32)",
                        "convert with .float() or .to(torch.float32)"))
    expect_close(out, img.double() / 255, what=t("valeurs de l'image convertie",
                                                 "values of the converted image"),
                 todo="to_float_image", atol=1e-7,
                 hint=t("divisez par 255 (pas 256), après conversion en float",
                        "divide by 255 (not 256), after converting to float"))


@pytest.mark.points(1)
@given(shape=batch_shapes(min_dims=2, max_dims=4, max_side=9))
def test_to_float_image_keeps_shape_and_input(ex, shape):
    """to_float_image : même forme, entrée intacte, pour toute forme [..., H, W]"""
    img = torch.randint(0, 256, shape, dtype=torch.uint8)
    before = img.clone()
    out = ex.to_float_image(img)
    expect_shape(out, shape, what=t("forme de l'image convertie", "converted image shape"),
                 todo="to_float_image")
    expect(torch.equal(img, before), what=t("l'entrée n'est pas modifiée",
                                            "the input is left unchanged"),
           expected=t("entrée identique", "identical input"),
           got=t("entrée modifiée", "input modified"), todo="to_float_image")


@pytest.mark.points(1)
def test_normalize_mnist_statistics(ex):
    """normalize : les pixels MNIST normalisés ont moyenne ≈ 0 et écart-type ≈ 1"""
    images, _ = raw_mnist()
    x = images.float() / 255
    out = ex.normalize(x, MNIST_MEAN, MNIST_STD)
    expect_shape(out, x.shape, what=t("forme du tenseur normalisé", "normalised tensor shape"),
                 todo="normalize")
    # 0.1307/0.3081 are the full training set's statistics; on this 5k subset the
    # mean is 0.0020 and the std 1.0015 (measured): 0.05 leaves a wide margin.
    expect_close(out.mean().item(), 0.0, what=t("moyenne des pixels normalisés",
                                                "mean of the normalised pixels"),
                 todo="normalize", atol=0.05,
                 hint=t("soustrayez mean, puis divisez par std",
                        "subtract mean, then divide by std"))
    expect_close(out.std().item(), 1.0, what=t("écart-type des pixels normalisés",
                                               "std of the normalised pixels"),
                 todo="normalize", atol=0.05)


@pytest.mark.points(1)
@given(mean=st.floats(-2, 2), std=st.floats(0.1, 3), shape=batch_shapes(max_dims=3))
def test_normalize_formula(ex, mean, std, shape):
    """normalize : (x - mean) / std élément par élément"""
    x = torch.rand(shape)
    out = ex.normalize(x, mean, std)
    expect_close(out, (x.double() - mean) / std, what=t("valeurs normalisées",
                                                        "normalised values"),
                 todo="normalize", atol=1e-5, rtol=1e-5)


@pytest.mark.points(2)
@given(lead=batch_shapes(min_dims=1, max_dims=3, max_side=5), fin=features(), fout=features())
def test_linear_forward_matches_nn_linear(ex, lead, fin, fout):
    """linear_forward : égal à nn.Linear pour toute forme de lot [..., in]"""
    layer = nn.Linear(fin, fout)
    x = torch.randn(*lead, fin)
    out = ex.linear_forward(x, layer.weight.detach(), layer.bias.detach())
    expect_shape(out, (*lead, fout), what=t("forme de la sortie", "output shape"),
                 todo="linear_forward",
                 hint=t("W est de forme [out, in] : multipliez par sa transposée",
                        "W has shape [out, in]: multiply by its transpose"))
    expect_close(out, layer(x), what=t("sortie de linear_forward comparée à nn.Linear",
                                       "linear_forward output against nn.Linear"),
                 todo="linear_forward", atol=1e-5,
                 hint=t("y = x @ W.T + b : n'oubliez ni la transposée ni le biais",
                        "y = x @ W.T + b: forget neither the transpose nor the bias"))


@pytest.mark.points(1)
def test_linear_forward_gradients(ex):
    """linear_forward : le gradient remonte à x, W et b comme avec nn.Linear"""
    layer = nn.Linear(5, 3)
    x = torch.randn(4, 5, requires_grad=True)
    w = layer.weight.detach().clone().requires_grad_()
    b = layer.bias.detach().clone().requires_grad_()
    ex.linear_forward(x, w, b).pow(2).sum().backward()
    x_ref = x.detach().clone().requires_grad_()
    layer(x_ref).pow(2).sum().backward()
    for name, got, want in (("x", x.grad, x_ref.grad), ("weight", w.grad, layer.weight.grad),
                            ("bias", b.grad, layer.bias.grad)):
        expect(got is not None, what=t(f"gradient de {name}", f"gradient of {name}"),
               expected=t("un gradient", "a gradient"), got="None", todo="linear_forward",
               hint=t("restez dans le graphe d'autograd (pas de .detach(), .item(), numpy)",
                      "stay inside autograd's graph (no .detach(), .item(), numpy)"))
        expect_close(got, want, what=t(f"gradient de {name}", f"gradient of {name}"),
                     todo="linear_forward", atol=1e-5)


@pytest.mark.points(1)
def test_linear_forward_by_hand(ex, monkeypatch):
    """linear_forward : calculé à la main, sans nn.Linear ni F.linear"""
    def forbidden(*args, **kwargs):
        raise AssertionError("F.linear")

    monkeypatch.setattr(torch.nn.functional, "linear", forbidden)
    x, w, b = torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)
    try:
        out = ex.linear_forward(x, w, b)
    except AssertionError:
        out = None
    expect(out is not None, what=t("calcul écrit à la main", "computation written by hand"),
           expected=t("une multiplication matricielle et une addition",
                      "a matrix product and an addition"),
           got=t("appel à F.linear / nn.Linear", "call to F.linear / nn.Linear"),
           todo="linear_forward")
    expect_close(out, x @ w.T + b, what=t("sortie de linear_forward", "linear_forward output"),
                 todo="linear_forward", atol=1e-6)


def _fake_backends(monkeypatch, cuda: bool, mps: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.points(1)
def test_get_device_cpu(ex, monkeypatch):
    """get_device : cpu quand ni CUDA ni MPS n'est disponible"""
    _fake_backends(monkeypatch, cuda=False, mps=False)
    dev = ex.get_device()
    expect_type(dev, torch.device, what=t("type renvoyé par get_device",
                                          "type returned by get_device"),
                todo="get_device", hint=t("renvoyez torch.device(\"cpu\"), pas \"cpu\"",
                                          "return torch.device(\"cpu\"), not \"cpu\""))
    expect(dev.type == "cpu", what=t("périphérique sans GPU", "device without a GPU"),
           expected="cpu", got=str(dev), todo="get_device")


@pytest.mark.points(1)
def test_get_device_prefers_cuda(ex, monkeypatch):
    """get_device : cuda d'abord, même quand MPS est aussi disponible"""
    _fake_backends(monkeypatch, cuda=True, mps=True)
    dev = ex.get_device()
    expect(isinstance(dev, torch.device) and dev.type == "cuda",
           what=t("périphérique avec CUDA et MPS disponibles",
                  "device with CUDA and MPS available"),
           expected="cuda", got=str(dev), todo="get_device",
           hint=t("testez torch.cuda.is_available() en premier",
                  "test torch.cuda.is_available() first"))
