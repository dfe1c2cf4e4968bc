"""Public tests of ex05_regularize_mlp: the configurable MLP (shapes, parameters, forward,
dropout and batch norm in train/eval mode), init_weights (zeros, kaiming, default),
gradient_norms, split_train_val and log_epoch (TensorBoard event files read back).

Layers are found by type and shape (``nn.Linear``, ``nn.BatchNorm1d``), never by attribute
name: an ``nn.Sequential``, a ``ModuleList`` or plain attributes all pass. TensorBoard is
imported only in the test that needs it (it takes seconds to import).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from grading.expect import (
    expect,
    expect_close,
    expect_shape,
    expect_type,
    fmt_number,
)
from grading.i18n import t
from grading.testkit import EX05_ACTIVATIONS as ACTIVATIONS
from grading.testkit import ex05_histogram_matches as histogram_matches
from grading.testkit import ex05_linear_layers as linear_layers

SIZES = [20, 16, 12, 5]
"""A small MLP whose layers all have different shapes, so each is found by its shape."""


def oracle(layers: list[nn.Linear], x: torch.Tensor, act) -> torch.Tensor:
    """Linear → activation for each hidden layer, then the last Linear alone."""
    h = x.flatten(1)
    for layer in layers[:-1]:
        h = act(F.linear(h, layer.weight, layer.bias))
    return F.linear(h, layers[-1].weight, layers[-1].bias)


def batchnorms(model: nn.Module) -> list[nn.BatchNorm1d]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]


# --- MLP --------------------------------------------------------------------------------


@pytest.mark.points(1)
@given(n=st.integers(1, 16), h=st.integers(1, 6), w=st.integers(1, 6),
       widths=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       activation=st.sampled_from(sorted(ACTIVATIONS)), flat=st.booleans())
def test_mlp_output_shape(ex, n, h, w, widths, activation, flat):
    """MLP(sizes) : logits [N, sizes[-1]] pour une entrée [N, 1, H, W] ou [N, H·W]"""
    sizes = [h * w, *widths]
    model = ex.MLP(sizes, activation=activation)
    shape = (n, h * w) if flat else (n, 1, h, w)
    with torch.no_grad():
        out = model(torch.randn(shape))
    expect_shape(out, (n, sizes[-1]),
                 what=t(f"sortie de MLP({sizes}, activation={activation!r}) pour une entrée "
                        f"{shape}", f"output of MLP({sizes}, activation={activation!r}) for an "
                        f"input {shape}"),
                 todo="MLP.forward",
                 hint=t("aplatissez tout sauf la dimension du lot (x.flatten(1)), puis une "
                        "nn.Linear par paire de tailles voisines de sizes (len(sizes) - 1 "
                        "couches ; aucune couche cachée si len(sizes) == 2)",
                        "flatten everything but the batch dimension (x.flatten(1)), then one "
                        "nn.Linear per pair of neighbouring sizes (len(sizes) - 1 layers; no "
                        "hidden layer when len(sizes) == 2)"))


@pytest.mark.points(1)
def test_mlp_param_count(ex):
    """MLP([784, 128, 64, 10]) : 109 386 paramètres, 109 770 avec batchnorm=True"""
    cases = [
        ({}, (109_386,), t("trois nn.Linear avec biais : 784·128 + 128 + 128·64 + 64 + 64·10 "
                           "+ 10 ; le dropout n'a pas de paramètres",
                           "three nn.Linear with biases: 784·128 + 128 + 128·64 + 64 + 64·10 "
                           "+ 10; dropout has no parameters")),
        ({"dropout": 0.5}, (109_386,), t("le dropout n'ajoute aucun paramètre",
                                         "dropout adds no parameter")),
        ({"batchnorm": True}, (109_770, 109_578),
         t("une nn.BatchNorm1d(128) puis une nn.BatchNorm1d(64) (2·b paramètres chacune : "
           "weight et bias) après les couches cachées, aucune après la dernière nn.Linear",
           "an nn.BatchNorm1d(128) then an nn.BatchNorm1d(64) (2·b parameters each: weight "
           "and bias) after the hidden layers, none after the last nn.Linear")),
    ]
    for kwargs, counts, hint in cases:
        model = ex.MLP([784, 128, 64, 10], **kwargs)
        got = sum(p.numel() for p in model.parameters() if p.requires_grad)
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        expected = fmt_number(counts[0])
        if len(counts) > 1:
            expected += t(f" (ou {fmt_number(counts[1])} si les nn.Linear suivies d'une batch "
                          "norm n'ont pas de biais)",
                          f" (or {fmt_number(counts[1])} when the nn.Linear followed by a "
                          "batch norm have no bias)")
        expect(got in counts,
               what=t(f"nombre de paramètres entraînables de MLP([784, 128, 64, 10]{args})",
                      f"number of trainable parameters of MLP([784, 128, 64, 10]{args})"),
               expected=expected, got=fmt_number(got), todo="MLP.__init__", hint=hint)


@pytest.mark.points(1)
def test_mlp_forward_formula(ex):
    """MLP : Linear → activation pour chaque couche cachée, dernière Linear seule (logits)"""
    x = torch.randn(8, 1, 4, 5)
    for name, act in ACTIVATIONS.items():
        model = ex.MLP(SIZES, activation=name)
        layers = linear_layers(model, SIZES)
        with torch.no_grad():
            out = model(x)
            want = oracle(layers, x, act)
        hint = t(f"chaque couche cachée : nn.Linear puis {name}, sans rien après la dernière "
                 "couche (ni activation, ni softmax) ; activation est un nom, \"relu\", "
                 "\"tanh\" ou \"sigmoid\"",
                 f"each hidden layer: nn.Linear then {name}, with nothing after the last layer "
                 "(no activation, no softmax); activation is a name, \"relu\", \"tanh\" or "
                 "\"sigmoid\"")
        if isinstance(out, torch.Tensor) and out.shape == want.shape and \
                torch.allclose(out, act(want), atol=1e-5):
            hint = t("l'activation est aussi appliquée après la dernière couche : la sortie "
                     "doit être faite de logits bruts",
                     "the activation is also applied after the last layer: the output must "
                     "be raw logits")
        expect_close(out, want, what=t(f"sortie de MLP({SIZES}, activation={name!r})",
                                       f"output of MLP({SIZES}, activation={name!r})"),
                     todo="MLP.forward", atol=1e-5, hint=hint)


@pytest.mark.points(1)
def test_mlp_dropout_train_vs_eval(ex):
    """MLP(dropout=0.5) : sorties aléatoires en mode train, identiques en mode eval"""
    sizes = [784, 64, 32, 10]
    x = torch.randn(16, 1, 28, 28)
    model = ex.MLP(sizes, dropout=0.5)
    layers = linear_layers(model, sizes)
    model.train()
    with torch.no_grad():
        first, second = model(x), model(x)
    expect(not torch.equal(first, second),
           what=t("deux appels de MLP(dropout=0.5) en mode train sur la même entrée",
                  "two calls of MLP(dropout=0.5) in train mode on the same input"),
           expected=t("des sorties différentes (le dropout tire un nouveau masque à chaque "
                      "appel)", "different outputs (dropout draws a new mask on every call)"),
           got=t("deux sorties identiques", "two identical outputs"), todo="MLP.__init__",
           hint=t("ajoutez un nn.Dropout(dropout) après l'activation de chaque couche cachée "
                  "et appelez-le dans forward",
                  "add an nn.Dropout(dropout) after the activation of each hidden layer and "
                  "call it in forward"))
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
        want = oracle(layers, x, torch.relu)
    expect(torch.equal(first, second),
           what=t("deux appels de MLP(dropout=0.5) en mode eval sur la même entrée",
                  "two calls of MLP(dropout=0.5) in eval mode on the same input"),
           expected=t("deux sorties identiques", "two identical outputs"),
           got=t("des sorties différentes : le dropout reste actif en mode eval",
                 "different outputs: dropout stays active in eval mode"),
           todo="MLP.forward",
           hint=t("nn.Dropout s'éteint tout seul après model.eval() ; avec F.dropout, passez "
                  "training=self.training (sinon il reste actif en mode eval)",
                  "nn.Dropout turns itself off after model.eval(); with F.dropout, pass "
                  "training=self.training (otherwise it stays active in eval mode)"))
    expect_close(first, want, what=t("sortie de MLP(dropout=0.5) en mode eval",
                                     "output of MLP(dropout=0.5) in eval mode"),
                 todo="MLP.forward", atol=1e-5,
                 hint=t("en mode eval le dropout ne fait rien (ni masque, ni facteur 1 - p) : "
                        "la sortie est celle du réseau sans dropout",
                        "in eval mode dropout does nothing (no mask, no 1 - p factor): the "
                        "output is that of the network without dropout"))
    plain = ex.MLP(sizes)
    plain.train()
    with torch.no_grad():
        first, second = plain(x), plain(x)
    expect(torch.equal(first, second),
           what=t("deux appels de MLP(dropout=0.0) en mode train",
                  "two calls of MLP(dropout=0.0) in train mode"),
           expected=t("deux sorties identiques", "two identical outputs"),
           got=t("des sorties différentes", "different outputs"), todo="MLP.__init__",
           hint=t("utilisez la probabilité dropout reçue (0 : aucun neurone éteint), pas une "
                  "valeur écrite en dur", "use the dropout probability received (0: no unit "
                  "dropped), not a hard-coded value"))


@pytest.mark.points(1)
def test_mlp_batchnorm_running_stats(ex):
    """MLP(batchnorm=True) : running_mean/var mises à jour en mode train seulement"""
    plain = batchnorms(ex.MLP(SIZES))
    expect(not plain, what=t("nn.BatchNorm1d dans MLP(batchnorm=False)",
                             "nn.BatchNorm1d in MLP(batchnorm=False)"),
           expected=t("aucune", "none"), got=str(len(plain)), todo="MLP.__init__",
           hint=t("n'ajoutez les nn.BatchNorm1d que si batchnorm est vrai",
                  "add the nn.BatchNorm1d only when batchnorm is true"))
    model = ex.MLP(SIZES, batchnorm=True)
    norms = batchnorms(model)
    features = sorted(bn.num_features for bn in norms)
    expect(features == [12, 16],
           what=t(f"nn.BatchNorm1d de MLP({SIZES}, batchnorm=True)",
                  f"nn.BatchNorm1d of MLP({SIZES}, batchnorm=True)"),
           expected="BatchNorm1d(16), BatchNorm1d(12)",
           got=", ".join(f"BatchNorm1d({n})" for n in features) or t("aucune", "none"),
           todo="MLP.__init__",
           hint=t("une nn.BatchNorm1d(b) après chaque couche cachée Linear(a, b), aucune après "
                  "la dernière couche", "one nn.BatchNorm1d(b) after each hidden layer "
                  "Linear(a, b), none after the last layer"))
    untracked = [bn for bn in norms if bn.running_mean is None or bn.running_var is None]
    expect(not untracked, what=t("statistiques des nn.BatchNorm1d", "nn.BatchNorm1d statistics"),
           expected=t("running_mean et running_var présentes", "running_mean and running_var "
                      "present"),
           got=t("running_mean = None", "running_mean = None"), todo="MLP.__init__",
           hint=t("gardez track_running_stats=True (le défaut) : en mode eval, la batch norm "
                  "utilise ces moyennes accumulées pendant l'entraînement",
                  "keep track_running_stats=True (the default): in eval mode, batch norm uses "
                  "these averages gathered during training"))
    x = torch.randn(32, 20) * 3 + 2
    model.train()
    with torch.no_grad():
        model(x)
    stale = [bn.num_features for bn in norms
             if torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
             or torch.equal(bn.running_var, torch.ones_like(bn.running_var))]
    expect(not stale, what=t("running_mean et running_var après un forward en mode train",
                             "running_mean and running_var after a forward in train mode"),
           expected=t("mises à jour", "updated"),
           got=t(f"inchangées pour BatchNorm1d({stale[0] if stale else ''})",
                 f"unchanged for BatchNorm1d({stale[0] if stale else ''})"),
           todo="MLP.forward",
           hint=t("appelez chaque nn.BatchNorm1d dans forward, juste après sa couche nn.Linear",
                  "call each nn.BatchNorm1d in forward, right after its nn.Linear layer"))
    model.eval()
    before = [(bn.running_mean.clone(), bn.running_var.clone()) for bn in norms]
    with torch.no_grad():
        batch = model(x)
        alone = model(x[3:4])
    moved = [bn.num_features for bn, (mean, var) in zip(norms, before)
             if not (torch.equal(bn.running_mean, mean) and torch.equal(bn.running_var, var))]
    expect(not moved, what=t("running_mean et running_var après un forward en mode eval",
                             "running_mean and running_var after a forward in eval mode"),
           expected=t("inchangées", "unchanged"),
           got=t(f"modifiées pour BatchNorm1d({moved[0] if moved else ''})",
                 f"changed for BatchNorm1d({moved[0] if moved else ''})"),
           todo="MLP.forward",
           hint=t("ne forcez pas le mode train des nn.BatchNorm1d : model.eval() doit les "
                  "atteindre (enregistrez-les comme sous-modules : attribut, nn.ModuleList ou "
                  "nn.Sequential, pas une liste Python)",
                  "do not force the nn.BatchNorm1d into train mode: model.eval() must reach "
                  "them (register them as submodules: attribute, nn.ModuleList or "
                  "nn.Sequential, not a Python list)"))
    expect_close(alone[0], batch[3],
                 what=t("en mode eval, sortie d'un exemple seul comparée à sa sortie dans le lot",
                        "in eval mode, one example's output alone against its output in the "
                        "batch"),
                 todo="MLP.forward", atol=1e-5,
                 hint=t("en mode eval la batch norm normalise avec running_mean et running_var : "
                        "la sortie d'un exemple ne dépend plus du reste du lot",
                        "in eval mode batch norm normalises with running_mean and running_var: "
                        "an example's output no longer depends on the rest of the batch"))


# --- init_weights -------------------------------------------------------------------------


@pytest.mark.points(1)
def test_init_zeros_gradients_vanish(ex):
    """init_weights "zeros" : poids nuls, et le gradient des couches cachées s'annule"""
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(),
                          nn.Linear(12, 5))  # the test's own model: MLP is graded apart
    layers = [model[0], model[2], model[4]]
    ex.init_weights(model, "zeros")
    nonzero = [f"Linear({m.in_features}, {m.out_features})" for m in layers
               if not torch.equal(m.weight, torch.zeros_like(m.weight))]
    expect(not nonzero, what=t("poids des nn.Linear après init_weights(model, \"zeros\")",
                               "nn.Linear weights after init_weights(model, \"zeros\")"),
           expected=t("tous nuls", "all zero"),
           got=t(f"non nuls dans {', '.join(nonzero)}", f"non-zero in {', '.join(nonzero)}"),
           todo="init_weights",
           hint=t("nn.init.zeros_ sur le poids (weight) de chaque nn.Linear de "
                  "model.modules(), pas seulement la première ni seulement le biais",
                  "nn.init.zeros_ on the weight of every nn.Linear of model.modules(), not "
                  "only the first one nor only the bias"))
    x, y = torch.randn(32, 20), torch.randint(0, 5, (32,))
    F.cross_entropy(model(x), y).backward()
    for layer in layers[:-1]:
        norm = float(layer.weight.grad.norm()) if layer.weight.grad is not None else 0.0
        expect(norm == 0.0,
               what=t(f"gradient du poids de Linear({layer.in_features}, {layer.out_features}) "
                      "(couche cachée) avec des poids nuls",
                      f"gradient of the weight of Linear({layer.in_features}, "
                      f"{layer.out_features}) (hidden layer) with zero weights"),
               expected="0", got=f"{norm:.3g}", todo="init_weights",
               hint=t("avec des poids nuls, le signal qui revient de la couche suivante "
                      "(W^T · δ) est nul : les couches cachées n'apprennent rien, et tous les "
                      "neurones d'une couche restent identiques (symétrie). C'est pourquoi on "
                      "n'initialise jamais à zéro",
                      "with zero weights, the signal coming back from the next layer (W^T · δ) "
                      "is zero: hidden layers learn nothing, and every unit of a layer stays "
                      "identical (symmetry). That is why weights are never initialised to zero"))
    ex.init_weights(model, "kaiming")
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for layer in layers[:-1]:
        grad = layer.weight.grad
        norm = float(grad.norm()) if grad is not None else 0.0
        expect(norm > 0, what=t(f"gradient du poids de Linear({layer.in_features}, "
                                f"{layer.out_features}) après init_weights(model, \"kaiming\")",
                                f"gradient of the weight of Linear({layer.in_features}, "
                                f"{layer.out_features}) after init_weights(model, \"kaiming\")"),
               expected=t("non nul : des poids aléatoires brisent la symétrie",
                          "non-zero: random weights break the symmetry"),
               got=f"{norm:.3g}", todo="init_weights",
               hint=t("\"kaiming\" doit tirer de nouveaux poids aléatoires pour chaque "
                      "nn.Linear (nn.init.kaiming_normal_ ou kaiming_uniform_)",
                      "\"kaiming\" must draw new random weights for every nn.Linear "
                      "(nn.init.kaiming_normal_ or kaiming_uniform_)"))


@pytest.mark.points(1)
def test_init_kaiming_and_default_std(ex):
    """init_weights "kaiming" (écart-type √(2/fan_in)) et "default" (±1/√fan_in)"""
    # Each weight has 400,000 values: the sample std is within 0.2 % of the true one, and
    # the 3 % tolerance leaves more than 10 standard errors; the usual mistakes (fan_out,
    # Xavier, PyTorch's default for "kaiming", gain of tanh) are 18 % to 58 % off.
    model = nn.Sequential(nn.Linear(1000, 400), nn.ReLU(), nn.Linear(400, 1000))
    ex.init_weights(model, "kaiming")
    for layer in (model[0], model[2]):
        fan_in, w = layer.in_features, layer.weight.detach()
        std = math.sqrt(2 / fan_in)
        ratio = float(w.std()) / std
        if abs(ratio - math.sqrt(fan_in / layer.out_features)) < 0.03:
            hint = t("l'écart-type suit fan_out : utilisez mode=\"fan_in\" (le défaut)",
                     "the std follows fan_out: use mode=\"fan_in\" (the default)")
        else:
            hint = t("nn.init.kaiming_normal_(weight) ou kaiming_uniform_(weight), avec "
                     "mode=\"fan_in\" et nonlinearity=\"relu\" (gain √2)",
                     "nn.init.kaiming_normal_(weight) or kaiming_uniform_(weight), with "
                     "mode=\"fan_in\" and nonlinearity=\"relu\" (gain √2)")
        expect(abs(ratio - 1) <= 0.03 and abs(float(w.mean())) <= 0.05 * std,
               what=t(f"poids de Linear({fan_in}, {layer.out_features}) après \"kaiming\"",
                      f"weights of Linear({fan_in}, {layer.out_features}) after \"kaiming\""),
               expected=t(f"moyenne 0, écart-type √(2/fan_in) = {std:.4g} (± 3 %)",
                          f"mean 0, std √(2/fan_in) = {std:.4g} (± 3%)"),
               got=t(f"moyenne {float(w.mean()):.3g}, écart-type {float(w.std()):.4g}",
                     f"mean {float(w.mean()):.3g}, std {float(w.std()):.4g}"),
               todo="init_weights", hint=hint)
    ex.init_weights(model, "zeros")
    ex.init_weights(model, "default")
    for layer in (model[0], model[2]):
        fan_in, w = layer.in_features, layer.weight.detach()
        bound = 1 / math.sqrt(fan_in)
        std = bound / math.sqrt(3)
        expect(float(w.abs().max()) <= bound * (1 + 1e-6) and
               abs(float(w.std()) / std - 1) <= 0.03,
               what=t(f"poids de Linear({fan_in}, {layer.out_features}) après \"zeros\" puis "
                      "\"default\"", f"weights of Linear({fan_in}, {layer.out_features}) "
                      "after \"zeros\" then \"default\""),
               expected=t(f"uniformes sur ±1/√fan_in = ±{bound:.4g} (écart-type {std:.4g})",
                          f"uniform on ±1/√fan_in = ±{bound:.4g} (std {std:.4g})"),
               got=t(f"max |w| = {float(w.abs().max()):.4g}, écart-type {float(w.std()):.4g}",
                     f"max |w| = {float(w.abs().max()):.4g}, std {float(w.std()):.4g}"),
               todo="init_weights",
               hint=t("\"default\" redonne l'initialisation d'une couche neuve : appelez "
                      "layer.reset_parameters() sur chaque nn.Linear (ne rien faire laisse "
                      "les poids précédents)",
                      "\"default\" restores a new layer's initialisation: call "
                      "layer.reset_parameters() on every nn.Linear (doing nothing keeps the "
                      "previous weights)"))


# --- gradient_norms -----------------------------------------------------------------------


@pytest.mark.points(1)
def test_gradient_norms_match_autograd(ex):
    """gradient_norms : norme L2 de p.grad pour chaque nom de named_parameters"""
    model = nn.Sequential(nn.Flatten(), nn.Linear(20, 16), nn.BatchNorm1d(16), nn.Tanh(),
                          nn.Linear(16, 5))  # the test's own model: MLP is graded apart
    x, y = torch.randn(32, 1, 4, 5), torch.randint(0, 5, (32,))
    F.cross_entropy(model(x), y).backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    norms = ex.gradient_norms(model)
    expect_type(norms, dict, what=t("résultat de gradient_norms", "gradient_norms's result"),
                todo="gradient_norms",
                hint=t("renvoyez un dict {nom: norme}", "return a dict {name: norm}"))
    expect(set(norms) == set(grads), what=t("clés du dict de gradient_norms",
                                            "keys of gradient_norms's dict"),
           expected=", ".join(grads), got=", ".join(map(str, norms)) or t("aucune", "none"),
           todo="gradient_norms",
           hint=t("une entrée par paramètre, sous le nom donné par model.named_parameters()",
                  "one entry per parameter, under the name given by model.named_parameters()"))
    for name, grad in grads.items():
        value = norms[name]
        expect_type(value, float, what=t(f"norme de {name!r}", f"norm of {name!r}"),
                    todo="gradient_norms",
                    hint=t("un float Python : .item() sur le tenseur de la norme",
                           "a Python float: .item() on the norm tensor"))
        want = float(torch.linalg.vector_norm(grad))
        if math.isclose(value, want ** 2, rel_tol=1e-4):
            hint = t("c'est la somme des carrés : prenez-en la racine carrée",
                     "that is the sum of squares: take its square root")
        else:
            hint = t("la norme L2 du gradient p.grad (pas des poids p) sur tout le tenseur : "
                     "p.grad.norm() ou torch.linalg.vector_norm(p.grad)",
                     "the L2 norm of the gradient p.grad (not of the weights p) over the whole "
                     "tensor: p.grad.norm() or torch.linalg.vector_norm(p.grad)")
        expect_close(value, want, what=t(f"norme du gradient de {name!r}",
                                         f"norm of the gradient of {name!r}"),
                     todo="gradient_norms", rtol=1e-5, atol=1e-8, hint=hint)
    changed = [name for name, p in model.named_parameters() if not torch.equal(p.grad,
                                                                               grads[name])]
    expect(not changed, what=t("gradients après gradient_norms", "gradients after gradient_norms"),
           expected=t("inchangés", "unchanged"), got=t(f"modifiés : {', '.join(changed)}",
                                                       f"changed: {', '.join(changed)}"),
           todo="gradient_norms",
           hint=t("lisez p.grad sans le modifier (pas de zero_grad, de clip ni d'opération en "
                  "place)", "read p.grad without changing it (no zero_grad, clipping or "
                  "in-place operation)"))


# --- split_train_val ----------------------------------------------------------------------


def split_ids(ex, n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Split a dataset whose items are (their own index,); return the indices in each part."""
    train, val = ex.split_train_val(TensorDataset(torch.arange(n)), fraction, seed)
    return [int(train[i][0]) for i in range(len(train))], [int(val[i][0]) for i in range(len(val))]


@pytest.mark.points(1)
def test_split_train_val(ex):
    """split_train_val : tailles, parties disjointes, même seed → même partage"""
    n, fraction = 50, 0.2
    torch.manual_seed(123)
    train, val = split_ids(ex, n, fraction, seed=1)
    what = t(f"split_train_val(50 exemples, {fraction}, seed=1)",
             f"split_train_val(50 examples, {fraction}, seed=1)")
    expect(len(val) == 10 and len(train) == 40, what=what,
           expected=t("40 exemples dans train, 10 dans val", "40 examples in train, 10 in val"),
           got=t(f"{len(train)} dans train, {len(val)} dans val",
                 f"{len(train)} in train, {len(val)} in val"),
           todo="split_train_val",
           hint=t("val reçoit len(dataset) * val_fraction exemples, train tous les autres "
                  "(l'ordre du tuple renvoyé est (train, val))",
                  "val gets len(dataset) * val_fraction examples, train all the others "
                  "(the returned tuple is (train, val))"))
    both = set(train) & set(val)
    expect(not both and set(train) | set(val) == set(range(n)), what=what,
           expected=t("chaque exemple dans exactement une des deux parties",
                      "every example in exactly one of the two parts"),
           got=t(f"{len(both)} exemple(s) dans les deux, {n - len(set(train) | set(val))} dans "
                 "aucune", f"{len(both)} example(s) in both, {n - len(set(train) | set(val))} "
                 "in neither"),
           todo="split_train_val",
           hint=t("tirez une seule permutation des indices et coupez-la en deux "
                  "(random_split le fait)", "draw a single permutation of the indices and cut "
                  "it in two (random_split does that)"))
    torch.manual_seed(456)  # the global generator must not matter
    again_train, again_val = split_ids(ex, n, fraction, seed=1)
    expect(set(again_val) == set(val), what=t("deux appels avec la même seed=1",
                                              "two calls with the same seed=1"),
           expected=t("le même partage", "the same split"),
           got=t("des partages différents", "different splits"), todo="split_train_val",
           hint=t("le tirage ne doit dépendre que de seed : passez "
                  "generator=torch.Generator().manual_seed(seed) à random_split (sans lui, il "
                  "utilise le générateur global)",
                  "the draw must depend on seed only: pass "
                  "generator=torch.Generator().manual_seed(seed) to random_split (without it, "
                  "it uses the global generator)"))
    other = [set(split_ids(ex, n, fraction, seed=s)[1]) for s in (2, 3)]
    expect(any(o != set(val) for o in other), what=t("partages avec les seeds 1, 2 et 3",
                                                     "splits with seeds 1, 2 and 3"),
           expected=t("des partages différents", "different splits"),
           got=t("toujours le même val", "always the same val"), todo="split_train_val",
           hint=t("mélangez au hasard selon seed (ne prenez pas simplement les derniers "
                  "exemples) : seeds différents → partages différents",
                  "shuffle at random according to seed (do not just take the last examples): "
                  "different seeds → different splits"))


# --- log_epoch ----------------------------------------------------------------------------


def read_events(logdir):
    """The event files of ``logdir`` (not of its sub-folders), read back by TensorBoard."""
    from tensorboard.backend.event_processing.event_accumulator import (
        HISTOGRAMS,
        SCALARS,
        EventAccumulator,
    )

    acc = EventAccumulator(str(logdir), size_guidance={SCALARS: 0, HISTOGRAMS: 0})
    acc.Reload()
    return acc


@pytest.mark.points(1)
def test_log_epoch_event_files(ex, tmp_path):
    """log_epoch : scalaires relus dans les fichiers TensorBoard, un histogramme par paramètre"""
    from torch.utils.tensorboard import SummaryWriter

    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    F.cross_entropy(model(torch.randn(8, 6)), torch.randint(0, 3, (8,))).backward()
    logdir = tmp_path / "run"
    writer = SummaryWriter(str(logdir))
    logged = {2: {"loss/train": 1.25, "accuracy/val": 0.5},
              3: {"loss/train": 0.75, "accuracy/val": 0.625}}
    ex.log_epoch(writer, 2, logged[2])
    ex.log_epoch(writer, 3, logged[3], model=model)
    writer.close()
    acc = read_events(logdir)
    tags = acc.Tags()
    subruns = sorted(p.name for p in logdir.iterdir() if p.is_dir())
    hint = t("writer.add_scalar(tag, valeur, epoch) pour chaque mesure, le tag exactement "
             "tel que donné", "writer.add_scalar(tag, value, epoch) for each metric, the tag "
             "exactly as given")
    if subruns:
        hint = t(f"add_scalars a créé les sous-runs {', '.join(subruns)} : utilisez "
                 "add_scalar (sans s), une fois par mesure",
                 f"add_scalars created the sub-runs {', '.join(subruns)}: use add_scalar "
                 "(no s), once per metric")
    for tag in ("loss/train", "accuracy/val"):
        expect(tag in tags["scalars"],
               what=t(f"scalaire {tag!r} dans les fichiers TensorBoard",
                      f"scalar {tag!r} in the TensorBoard files"),
               expected=t(f"le tag {tag!r}", f"the tag {tag!r}"),
               got=t(f"tags écrits : {tags['scalars']}", f"tags written: {tags['scalars']}"),
               todo="log_epoch", hint=hint)
        events = [(e.step, e.value) for e in acc.Scalars(tag)]
        want = [(epoch, metrics[tag]) for epoch, metrics in logged.items()]
        expect(len(events) == len(want) and all(
                   s == ws and math.isclose(v, wv, rel_tol=1e-6)
                   for (s, v), (ws, wv) in zip(events, want)),
               what=t(f"points (étape, valeur) du scalaire {tag!r}",
                      f"(step, value) points of the scalar {tag!r}"),
               expected=str(want), got=str([(s, round(v, 6)) for s, v in events]),
               todo="log_epoch",
               hint=t("un seul add_scalar par mesure et par appel, avec epoch comme étape "
                      "(global_step)", "a single add_scalar per metric and per call, with "
                      "epoch as the step (global_step)"))
    histograms = [e.histogram_value for tag in tags["histograms"] for e in acc.Histograms(tag)]
    for name, p in model.named_parameters():
        low, high = float(p.detach().min()), float(p.detach().max())
        expect(any(histogram_matches(h, p) for h in histograms),
               what=t(f"histogramme des valeurs du paramètre {name!r} (model donné)",
                      f"histogram of the values of parameter {name!r} (model given)"),
               expected=t(f"un histogramme de {p.numel()} valeurs, min {low:.4g}, "
                          f"max {high:.4g}",
                          f"a histogram of {p.numel()} values, min {low:.4g}, max {high:.4g}"),
               got=t(f"{len(histograms)} histogramme(s), aucun ne correspond",
                     f"{len(histograms)} histogram(s), none matches"),
               todo="log_epoch",
               hint=t("pour chaque (name, p) de model.named_parameters() : "
                      "writer.add_histogram(un tag, p, epoch) — les poids et les biais",
                      "for each (name, p) in model.named_parameters(): "
                      "writer.add_histogram(a tag, p, epoch) — weights and biases"))
