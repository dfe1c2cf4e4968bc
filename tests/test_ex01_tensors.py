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


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Regardez deux choses dans la sortie : son dtype, et l'intervalle de ses valeurs (une "
      "image uint8 va de 0 à 255, la sortie doit aller de 0 à 1).",
      "Look at two things in the output: its dtype, and the range of its values (a uint8 image "
      "goes from 0 to 255, the output must go from 0 to 1)."),
    t("Il y a deux étapes : changer le type du tenseur en float32 (un entier ne peut pas valoir "
      "0.5 ; float64 n'est pas demandé), puis ramener l'intervalle [0, 255] à [0, 1].",
      "There are two steps: change the tensor's type to float32 (an integer cannot hold 0.5; "
      "float64 is not asked for), then map the range [0, 255] to [0, 1]."),
    t("Vérifiez sur deux pixels : 0 doit donner exactement 0.0 et 255 exactement 1.0. Par quel "
      "nombre faut-il donc diviser ?",
      "Check two pixels: 0 must give exactly 0.0 and 255 exactly 1.0. What must you divide by, "
      "then?"),
)
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
@pytest.mark.hints(
    t("Le test essaie des images de formes variées ([H, W], [N, H, W], [N, C, H, W]…) et "
      "vérifie que le tenseur reçu n'est pas modifié.",
      "The test tries images of many shapes ([H, W], [N, H, W], [N, C, H, W]...) and checks "
      "that the tensor received is left unchanged."),
    t("Une opération élément par élément garde la forme : évitez reshape, view, squeeze ou des "
      "indices qui supposent un nombre de dimensions.",
      "An element-wise operation keeps the shape: avoid reshape, view, squeeze or indexing that "
      "assumes a number of dimensions."),
    t("Les méthodes « en place » (celles qui finissent par _, comme div_) modifient le tenseur "
      "de l'appelant : construisez un nouveau tenseur.",
      "In-place methods (ending in _, like div_) modify the caller's tensor: build a new tensor "
      "instead."),
)
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
@pytest.mark.hints(
    t("Après normalisation, les pixels MNIST doivent avoir une moyenne proche de 0 et un "
      "écart-type proche de 1 : comparez l'attendu et l'obtenu du message.",
      "After normalisation, the MNIST pixels must have a mean close to 0 and a std close to 1: "
      "compare expected and got in the message."),
    t("Normaliser, c'est centrer (retirer la moyenne) puis réduire (diviser par l'écart-type). "
      "Faites-vous les deux, dans cet ordre ?",
      "Normalising means centring (remove the mean) then scaling (divide by the std). Do you do "
      "both, in that order?"),
    t("Utilisez les arguments mean et std reçus, pas des valeurs écrites en dur ni x.mean() / "
      "x.std().",
      "Use the mean and std arguments you receive, not hard-coded values nor x.mean() / "
      "x.std()."),
)
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
@pytest.mark.hints(
    t("Le test compare votre sortie à la formule de la docstring pour des mean et std "
      "quelconques (négatifs, petits, grands).",
      "The test compares your output with the docstring's formula for any mean and std "
      "(negative, small, large)."),
    t("Vérifiez les parenthèses : la soustraction doit se faire avant la division, sur chaque "
      "élément.",
      "Check the parentheses: the subtraction must happen before the division, on every "
      "element."),
)
@given(mean=st.floats(-2, 2), std=st.floats(0.1, 3), shape=batch_shapes(max_dims=3))
def test_normalize_formula(ex, mean, std, shape):
    """normalize : (x - mean) / std élément par élément"""
    x = torch.rand(shape)
    out = ex.normalize(x, mean, std)
    expect_close(out, (x.double() - mean) / std, what=t("valeurs normalisées",
                                                        "normalised values"),
                 todo="normalize", atol=1e-5, rtol=1e-5)


@pytest.mark.points(2)
@pytest.mark.hints(
    t("Comparez les formes : x est [..., in], weight est [out, in], bias est [out] ; la sortie "
      "doit être [..., out].",
      "Compare the shapes: x is [..., in], weight is [out, in], bias is [out]; the output must "
      "be [..., out]."),
    t("Dans un produit matriciel, la dernière dimension de gauche rencontre la première de "
      "droite : pour que les « in » se rencontrent, l'une des deux matrices doit être "
      "transposée. Laquelle ?",
      "In a matrix product, the last dimension on the left meets the first on the right: for "
      "the 'in' dimensions to meet, one of the two must be transposed. Which one?"),
    t("@ (torch.matmul) traite les dimensions de lot en tête toutes seules ; le biais s'ajoute "
      "ensuite par diffusion (broadcasting) sur la dernière dimension. Pas besoin de boucle ni "
      "de reshape.",
      "@ (torch.matmul) handles the leading batch dimensions by itself; the bias is then added "
      "by broadcasting over the last dimension. No loop or reshape needed."),
)
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
@pytest.mark.hints(
    t("Le gradient doit remonter jusqu'à x, weight et bias : votre calcul reste-t-il dans le "
      "graphe d'autograd ?",
      "The gradient must flow back to x, weight and bias: does your computation stay in "
      "autograd's graph?"),
    t("Tout passage par .detach(), .item(), .numpy(), torch.tensor(...) ou une opération en "
      "place sur une entrée coupe le graphe : n'utilisez que des opérations sur tenseurs.",
      "Any .detach(), .item(), .numpy(), torch.tensor(...) or in-place operation on an input "
      "cuts the graph: use tensor operations only."),
)
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
@pytest.mark.hints(
    t("Cet exercice demande d'écrire le calcul vous-même : nn.Linear et F.linear sont interdits "
      "ici.",
      "This exercise asks you to write the computation yourself: nn.Linear and F.linear are not "
      "allowed here."),
    t("Un produit matriciel et une addition suffisent ; relisez la formule y = x W^T + b de la "
      "docstring.",
      "A matrix product and an addition are enough; read the formula y = x W^T + b in the "
      "docstring again."),
)
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
@pytest.mark.hints(
    t("Regardez le type renvoyé : le test attend un objet torch.device, pas une chaîne de "
      "caractères.",
      "Look at the type returned: the test expects a torch.device object, not a string."),
    t("Quand ni CUDA ni MPS n'est disponible, emballez le nom « cpu » dans torch.device(...).",
      "When neither CUDA nor MPS is available, wrap the name 'cpu' in torch.device(...)."),
)
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
@pytest.mark.hints(
    t("L'ordre des tests compte : quand CUDA et MPS sont disponibles tous les deux, lequel doit "
      "gagner d'après la docstring ?",
      "The order of the checks matters: when CUDA and MPS are both available, which must win "
      "according to the docstring?"),
    t("Interrogez torch.cuda.is_available() avant torch.backends.mps.is_available(), en "
      "appelant ces fonctions (avec les parenthèses) à chaque appel de get_device.",
      "Ask torch.cuda.is_available() before torch.backends.mps.is_available(), calling these "
      "functions (with the parentheses) on every call of get_device."),
)
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
