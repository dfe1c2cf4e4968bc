"""Hidden tests of ex01_tensors: stricter shapes, dtypes and edge cases."""

import pytest
import torch
from torch import nn

from grading.expect import expect, expect_close, expect_dtype, expect_shape
from grading.i18n import t


@pytest.mark.points(1)
def test_to_float_image_batch_of_channels(ex):
    """to_float_image : lot [N, C, H, W] de valeurs aléatoires, extrêmes compris"""
    img = torch.randint(0, 256, (3, 2, 5, 7), dtype=torch.uint8)
    img[0, 0, 0, 0], img[-1, -1, -1, -1] = 0, 255
    out = ex.to_float_image(img)
    expect_dtype(out, torch.float32, what=t("type de la sortie", "output dtype"),
                 todo="to_float_image")
    expect_close(out, img.double() / 255, what=t("valeurs de l'image convertie",
                                                 "values of the converted image"),
                 todo="to_float_image", atol=1e-7)
    expect(out.min().item() == 0.0 and out.max().item() == 1.0,
           what=t("plage de l'image convertie", "range of the converted image"),
           expected="[0.0, 1.0]", got=f"[{out.min().item():g}, {out.max().item():g}]",
           todo="to_float_image")


@pytest.mark.points(1)
def test_to_float_image_output_is_new_tensor(ex):
    """to_float_image : modifier la sortie ne modifie pas l'image d'origine"""
    img = torch.full((4, 4), 200, dtype=torch.uint8)
    out = ex.to_float_image(img)
    out.zero_()
    expect(bool((img == 200).all()), what=t("indépendance de la sortie et de l'entrée",
                                            "output independent of the input"),
           expected=t("image d'origine intacte", "original image intact"),
           got=t("image d'origine modifiée", "original image modified"), todo="to_float_image")


@pytest.mark.points(1)
def test_normalize_other_statistics_and_dtype(ex):
    """normalize : autres mean/std, float64 conservé"""
    x = torch.linspace(-3, 3, 25, dtype=torch.float64).reshape(5, 5)
    out = ex.normalize(x, -0.5, 2.0)
    expect_dtype(out, torch.float64, what=t("type du tenseur normalisé", "normalised dtype"),
                 todo="normalize", hint=t("ne convertissez pas : gardez le type de x",
                                          "do not convert: keep x's dtype"))
    expect_close(out, (x + 0.5) / 2.0, what=t("valeurs normalisées", "normalised values"),
                 todo="normalize", atol=1e-12)


@pytest.mark.points(1)
def test_normalize_leaves_input(ex):
    """normalize : l'entrée n'est pas modifiée (pas d'opération en place)"""
    x = torch.rand(3, 28, 28)
    before = x.clone()
    ex.normalize(x, 0.1307, 0.3081)
    expect(torch.equal(x, before), what=t("l'entrée de normalize est intacte",
                                          "normalize leaves its input intact"),
           expected=t("x inchangé", "x unchanged"), got=t("x modifié", "x modified"),
           todo="normalize", hint=t("évitez sub_/div_ et -=, /= sur x",
                                    "avoid sub_/div_ and -=, /= on x"))


@pytest.mark.points(2)
def test_linear_forward_single_vector(ex):
    """linear_forward : un vecteur seul [in] donne [out]"""
    layer = nn.Linear(6, 2)
    x = torch.randn(6)
    out = ex.linear_forward(x, layer.weight.detach(), layer.bias.detach())
    expect_shape(out, (2,), what=t("forme de la sortie pour une entrée [in]",
                                   "output shape for an input [in]"), todo="linear_forward")
    expect_close(out, layer(x), what=t("sortie de linear_forward", "linear_forward output"),
                 todo="linear_forward", atol=1e-6)


@pytest.mark.points(1)
@pytest.mark.parametrize("lead", [(7,), (2, 3), (2, 1, 4)], ids=["2d", "3d", "4d"])
def test_linear_forward_rectangular(ex, lead):
    """linear_forward : couches non carrées et plusieurs dimensions de lot"""
    layer = nn.Linear(5, 3)
    x = torch.randn(*lead, 5)
    out = ex.linear_forward(x, layer.weight.detach(), layer.bias.detach())
    expect_shape(out, (*lead, 3), what=t("forme de la sortie", "output shape"),
                 todo="linear_forward")
    expect_close(out, layer(x), what=t("sortie de linear_forward", "linear_forward output"),
                 todo="linear_forward", atol=1e-5)


@pytest.mark.points(1)
def test_get_device_mps_only(ex, monkeypatch):
    """get_device : mps quand seul MPS est disponible"""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    dev = ex.get_device()
    expect(isinstance(dev, torch.device) and dev.type == "mps",
           what=t("périphérique quand seul MPS est disponible",
                  "device when only MPS is available"),
           expected="mps", got=str(dev), todo="get_device",
           hint=t("testez torch.backends.mps.is_available() après CUDA",
                  "test torch.backends.mps.is_available() after CUDA"))
