"""Hidden tests of ex12_sequences (instructor only): SequenceClassifier against an oracle
(PyTorch's own nn.RNN/nn.GRU/nn.LSTM with batch_first=True, loaded with the student's
recurrent weights, then the student's linear head) for 1 and 2 layers, odd sizes, T = 1 and
N = 1, with a diagnosis of the classic mistakes; bounded hidden states (tanh RNN, h not c);
cell names in capitals and unknown names; learning with the other cells; the training helper
against a hand-written loop, its seed and train mode; the dataset generator on edge sizes.

Accepted readings: h_n[-1] or output[:, -1]; nn.RNN/nn.GRU/nn.LSTM with num_layers, several
one-layer modules stacked, or nn.RNNCell/nn.GRUCell/nn.LSTMCell loops (one cell per layer,
registered bottom to top); batch_first=True or a transpose before a time-first module;
capitalised cell names accepted or refused.
"""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from grading.data import loader
from grading.expect import (
    expect,
    expect_close,
    expect_converges,
    expect_param_count,
    expect_raises,
    expect_shape,
)
from grading.i18n import t
from grading.testkit import EX12_CELLS as CELLS
from grading.testkit import ex12_expected_params as _expected_params
from grading.testkit import ex12_saturating_batch as _saturating_batch
from grading.testkit import ex12_sign_of_sum as _sign_of_sum
from grading.testkit import ex12_tensors as _tensors
from grading.testkit import ex12_train_and_score as _train_and_score

ORACLES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
"""PyTorch's own parameter names inside its recurrent modules (fixed by PyTorch, not by the
student): ``weight_ih_l0``… in nn.LSTM, ``weight_ih``… in nn.LSTMCell."""


def _family(module: nn.Module) -> str | None:
    for name, types in (("lstm", (nn.LSTM, nn.LSTMCell)), ("gru", (nn.GRU, nn.GRUCell)),
                        ("rnn", (nn.RNN, nn.RNNCell))):
        if isinstance(module, types):
            return name
    return None


def _recurrent_layers(model: nn.Module) -> list[tuple[str, dict]]:
    """(cell family, its four weights) for every stacked recurrent layer, bottom to top,
    found by type: layers of nn.RNN/nn.GRU/nn.LSTM modules, or nn.*Cell modules."""
    layers = []
    for module in model.modules():
        family = _family(module)
        if isinstance(module, nn.RNNBase):
            for j in range(module.num_layers):
                layers.append((family, {n: getattr(module, f"{n}_l{j}", None) for n in WEIGHTS}))
        elif isinstance(module, nn.RNNCellBase):
            layers.append((family, {n: getattr(module, n, None) for n in WEIGHTS}))
    return layers


def _oracle(model: nn.Module, cell: str, fin: int, hidden: int, layers: int,
            nonlinearity: str = "tanh", batch_first: bool = True) -> nn.RNNBase:
    """PyTorch's own recurrent module (batch_first=True) with the student's weights."""
    call = f"SequenceClassifier({fin}, {hidden}, ..., cell={cell!r}, num_layers={layers})"
    found = _recurrent_layers(model)
    families = sorted({family for family, _ in found})
    names = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}
    expect(families == [cell], what=t(f"couche récurrente de {call}",
                                      f"recurrent layer of {call}"),
           expected=f"{names[cell]} ({t('ou', 'or')} {names[cell]}Cell)",
           got=", ".join(names[f] for f in families) or t("aucune couche nn.RNN, nn.GRU ni "
                                                          "nn.LSTM", "no nn.RNN, nn.GRU or "
                                                          "nn.LSTM layer"),
           todo="SequenceClassifier.__init__",
           hint=t('"rnn" → nn.RNN, "gru" → nn.GRU, "lstm" → nn.LSTM (les modules de PyTorch)',
                  '"rnn" → nn.RNN, "gru" → nn.GRU, "lstm" → nn.LSTM (PyTorch\'s modules)'))
    expect(len(found) == layers, what=t(f"nombre de couches récurrentes empilées de {call}",
                                        f"number of stacked recurrent layers of {call}"),
           expected=str(layers), got=str(len(found)), todo="SequenceClassifier.__init__",
           hint=t("passez num_layers à la couche récurrente",
                  "pass num_layers to the recurrent layer"))
    extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    oracle = ORACLES[cell](fin, hidden, layers, batch_first=batch_first, **extra)
    with torch.no_grad():
        for j, (_, weights) in enumerate(found):
            for name, value in weights.items():
                target = getattr(oracle, f"{name}_l{j}")
                if value is None:  # built without biases: the parameter count says so
                    target.zero_()
                    continue
                expect(tuple(value.shape) == tuple(target.shape),
                       what=t(f"forme de {name} de la couche récurrente {j} de {call}",
                              f"shape of {name} of recurrent layer {j} of {call}"),
                       expected=str(tuple(target.shape)), got=str(tuple(value.shape)),
                       todo="SequenceClassifier.__init__",
                       hint=t("input_size pour la première couche, hidden_size ensuite",
                              "input_size for the first layer, hidden_size above"))
                target.copy_(value)
    return oracle


class _HeadSpy:
    """Records the input, output and module of the last call of an
    nn.Linear(hidden_size, num_classes) found by shape."""

    def __init__(self, model: nn.Module, hidden: int, classes: int) -> None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        heads = [m for m in linears if (m.in_features, m.out_features) == (hidden, classes)]
        expect(bool(heads), what=t("couche de classification de SequenceClassifier",
                                   "classification layer of SequenceClassifier"),
               expected=f"nn.Linear({hidden}, {classes})",
               got=", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears)
               or t("aucune couche nn.Linear", "no nn.Linear layer"),
               todo="SequenceClassifier.__init__",
               hint=t("une couche nn.Linear(hidden_size, num_classes) lit l'état caché",
                      "an nn.Linear(hidden_size, num_classes) layer reads the hidden state"))
        self.calls: list[tuple[nn.Linear, torch.Tensor, torch.Tensor]] = []
        for head in heads:
            head.register_forward_hook(self._record)

    def _record(self, module, args, output) -> None:
        self.calls.append((module, args[0].detach(), output.detach()))

    def last(self) -> tuple[nn.Linear, torch.Tensor, torch.Tensor]:
        expect(bool(self.calls), what=t("appel de la couche de classification dans forward",
                                        "call of the classification layer in forward"),
               expected=t("un appel", "one call"), got=t("aucun appel", "no call"),
               todo="SequenceClassifier.forward",
               hint=t("appliquez la couche nn.Linear(hidden_size, num_classes) à l'état caché",
                      "apply the nn.Linear(hidden_size, num_classes) layer to the hidden state"))
        return self.calls[-1]


def _diagnose(read: torch.Tensor, wrong: dict[str, torch.Tensor]) -> str | None:
    """The name of the classic mistake whose tensor ``read`` equals, if any."""
    for hint, value in wrong.items():
        if read.shape == value.shape and torch.allclose(read, value, atol=1e-5):
            return hint
    return None


SIZES = [(5, 5, 2, 3, 2), (4, 6, 3, 6, 2), (1, 1, 2, 5, 3), (3, 7, 1, 4, 4), (2, 1, 4, 2, 5)]
"""(N, T, F, hidden_size, num_classes): N = T first, so that a time/batch swap keeps the
shapes and the diagnosis can name it; then T = 1 and N = 1."""


@pytest.mark.points(1)
@pytest.mark.parametrize("cell", CELLS)
def test_sequence_classifier_matches_oracle(ex, cell):
    """SequenceClassifier : mêmes logits que nn.RNN/GRU/LSTM(batch_first=True) puis sa Linear"""
    for layers in (1, 2):
        for n, steps, fin, hidden, classes in SIZES:
            model = ex.SequenceClassifier(fin, hidden, classes, cell=cell, num_layers=layers)
            call = (f"SequenceClassifier({fin}, {hidden}, {classes}, cell={cell!r}, "
                    f"num_layers={layers})")
            oracle = _oracle(model, cell, fin, hidden, layers)
            spy = _HeadSpy(model, hidden, classes)
            x = torch.randn(n, steps, fin)
            with torch.no_grad():
                out = model(x)
                output, state = oracle(x)
                h, c = state if cell == "lstm" else (state, None)
                time_first = _oracle(model, cell, fin, hidden, layers, batch_first=False)
                swapped = time_first(x)[1]
                swapped = swapped[0] if cell == "lstm" else swapped
            head, read, _ = spy.last()
            wrong = {
                t("c'est h_n[0], l'état de la couche du bas : prenez h_n[-1], la couche du haut",
                  "this is h_n[0], the bottom layer's state: take h_n[-1], the top layer"):
                    h[0] if layers == 2 else torch.empty(0),
                t("c'est la sortie du premier pas de temps, output[:, 0] : prenez le dernier "
                  "(h_n[-1] ou output[:, -1])",
                  "this is the output of the first time step, output[:, 0]: take the last one "
                  "(h_n[-1] or output[:, -1])"): output[:, 0] if steps > 1 else torch.empty(0),
                t("c'est c_n, l'état de la cellule du LSTM : nn.LSTM renvoie "
                  "(output, (h_n, c_n)), classez à partir de h_n",
                  "this is c_n, the LSTM's cell state: nn.LSTM returns (output, (h_n, c_n)), "
                  "classify from h_n"): c[-1] if c is not None else torch.empty(0),
                t("le lot et le temps sont inversés : l'entrée est [N, T, F], construisez la "
                  "couche récurrente avec batch_first=True",
                  "batch and time are swapped: the input is [N, T, F], build the recurrent "
                  "layer with batch_first=True"): swapped[-1] if n == steps else torch.empty(0),
            }
            if cell == "rnn":
                relu = _oracle(model, cell, fin, hidden, layers, nonlinearity="relu")
                with torch.no_grad():
                    wrong[t("c'est un RNN à ReLU : \"rnn\" garde la tangente hyperbolique (tanh) "
                            "par défaut de nn.RNN",
                            "this is a ReLU RNN: \"rnn\" keeps nn.RNN's default hyperbolic "
                            "tangent (tanh)")] = relu(x)[1][-1]
            expect_close(read, h[-1],
                         what=t(f"{call}, entrée {(n, steps, fin)} : état lu par la couche "
                                "linéaire (comparé à h_n[-1] de PyTorch avec vos poids)",
                                f"{call}, input {(n, steps, fin)}: state read by the linear "
                                "layer (compared with PyTorch's h_n[-1] with your weights)"),
                         todo="SequenceClassifier.forward", atol=1e-5,
                         hint=_diagnose(read, wrong) or t(
                             "lisez l'état caché de la couche du haut au dernier pas de temps "
                             "(h_n[-1]) d'un réseau qui reçoit [N, T, F] (batch_first=True), "
                             "sans rien entre lui et la couche linéaire",
                             "read the top layer's hidden state at the last time step "
                             "(h_n[-1]) of a network fed [N, T, F] (batch_first=True), with "
                             "nothing between it and the linear layer"))
            with torch.no_grad():
                want = F.linear(h[-1], head.weight, head.bias)
            expect_close(out, want,
                         what=t(f"logits de {call} pour une entrée {(n, steps, fin)}",
                                f"logits of {call} for an input {(n, steps, fin)}"),
                         todo="SequenceClassifier.forward", atol=1e-5,
                         hint=t("renvoyez la sortie de la couche linéaire telle quelle : des "
                                "logits bruts, sans softmax",
                                "return the linear layer's output as is: raw logits, without "
                                "softmax"))


@pytest.mark.points(1)
def test_sequence_classifier_hidden_state_bounded(ex):
    """SequenceClassifier : l'état lu par la couche linéaire reste dans [-1, 1] (tanh, h, pas c)"""
    hints = {"rnn": t("nn.RNN garde sa non-linéarité par défaut, tanh (pas nonlinearity=\"relu\")",
                      "nn.RNN keeps its default non-linearity, tanh (not nonlinearity=\"relu\")"),
             "gru": t("classez à partir de l'état caché h_n de nn.GRU",
                      "classify from nn.GRU's hidden state h_n"),
             "lstm": t("nn.LSTM renvoie (output, (h_n, c_n)) : classez à partir de h_n, pas c_n",
                       "nn.LSTM returns (output, (h_n, c_n)): classify from h_n, not c_n")}
    for cell in CELLS:
        model = ex.SequenceClassifier(2, 8, 3, cell=cell)
        spy = _HeadSpy(model, 8, 3)
        # Measured over 100 random initialisations with one layer: on this batch an LSTM's
        # cell state reaches |c| ≥ 5.2 and a ReLU RNN's state ≥ 3.9; a tanh RNN's, a GRU's
        # and an LSTM's hidden states stay in [-1, 1] by construction.
        with torch.no_grad():
            model(_saturating_batch())
        _, read, _ = spy.last()
        peak = float(read.abs().max())
        expect(peak <= 1 + 1e-6,
               what=t(f"cell={cell!r} : valeurs lues par la couche linéaire (longues séquences "
                      "de grandes valeurs)",
                      f"cell={cell!r}: values read by the linear layer (long sequences of large "
                      "values)"),
               expected=t("dans [-1, 1], comme un état caché", "in [-1, 1], as a hidden state"),
               got=t(f"jusqu'à {peak:.3g} en valeur absolue",
                     f"up to {peak:.3g} in absolute value"),
               todo="SequenceClassifier.forward", hint=hints[cell])


@pytest.mark.points(1)
def test_sequence_classifier_cell_names(ex):
    """SequenceClassifier : majuscules refusées ou bien comprises, ValueError qui cite les choix"""
    for name in ("LSTM", "Gru", "RNN"):
        try:
            model = ex.SequenceClassifier(5, 7, 3, cell=name)
        except ValueError:
            continue  # refusing capitals is one of the two readings the docstring allows
        expect_param_count(model, _expected_params(name.lower(), 5, 7, 3, 1),
                           todo="SequenceClassifier.__init__",
                           hint=t(f"cell={name!r} est accepté : il doit alors construire la "
                                  f"même couche que {name.lower()!r}",
                                  f"cell={name!r} is accepted: it must then build the same "
                                  f"layer as {name.lower()!r}"))
    for name in ("", "lstm2", "bilstm", "transformer"):
        exc = expect_raises(ValueError,
                            lambda name=name: ex.SequenceClassifier(3, 4, 2, cell=name),
                            what=f"SequenceClassifier(3, 4, 2, cell={name!r})",
                            todo="SequenceClassifier.__init__",
                            hint=t("comparez le nom entier aux trois choix et levez ValueError "
                                   "sinon", "compare the whole name with the three choices "
                                   "and raise ValueError otherwise"))
        for choice in CELLS:
            expect(choice in str(exc).lower(),
                   what=t("message de la ValueError de SequenceClassifier",
                          "message of SequenceClassifier's ValueError"),
                   expected=t(f"cite le choix valide {choice!r}",
                              f"names the valid choice {choice!r}"),
                   got=repr(str(exc))[:120], todo="SequenceClassifier.__init__",
                   hint=t("citez les trois noms valides (rnn, gru, lstm) dans le message",
                          "name the three valid choices (rnn, gru, lstm) in the message"))


@pytest.mark.points(1)
@pytest.mark.parametrize(("cell", "layers", "seed"), [("rnn", 1, 3), ("gru", 2, 5)])
def test_sequence_classifier_learns_other_cells(ex, cell, layers, seed):
    """SequenceClassifier (RNN, GRU à 2 couches) apprend le signe d'une somme : ≥ 85 %"""
    # Measured with the reference over seeds 0-9: RNN, 1 layer 91.2-97.0 % (93.4 % with
    # seed 3), GRU, 2 layers 93.6-97.8 % (97.6 % with seed 5); 0.4-0.9 s per run. 85 % leaves
    # ≥ 6 points of margin (chance is 50 %).
    torch.manual_seed(seed)
    model = ex.SequenceClassifier(1, 16, 2, cell=cell, num_layers=layers)
    accuracy = _train_and_score(model, seed=seed)
    expect_converges(accuracy, 0.85,
                     what=t(f"cell={cell!r}, num_layers={layers} : exactitude sur 500 séquences "
                            "réservées", f"cell={cell!r}, num_layers={layers}: accuracy on 500 "
                            "held-out sequences"),
                     todo="SequenceClassifier.forward",
                     hint=t("la couche récurrente lit toute la séquence (batch_first=True), la "
                            "couche linéaire l'état caché de la couche du haut au dernier pas",
                            "the recurrent layer reads the whole sequence (batch_first=True), "
                            "the linear layer the top layer's hidden state at the last step"))


# --- train_sequence_classifier ----------------------------------------------------------------


def _linear_model(steps: int) -> nn.Module:
    """The tests' own model, so that the helper is graded apart from SequenceClassifier."""
    return nn.Sequential(nn.Flatten(), nn.Linear(steps, 2))


@pytest.mark.points(1)
def test_train_sequence_classifier_matches_hand_loop(ex):
    """train_sequence_classifier : mêmes poids et pertes qu'une boucle Adam écrite à la main"""
    todo = "train_sequence_classifier"
    x, y = _sign_of_sum(200, 6, 11)
    data = loader(TensorDataset(x, y), 25)  # 8 equal batches, fixed order
    model = _linear_model(6)
    twin = copy.deepcopy(model)
    losses = ex.train_sequence_classifier(model, data, epochs=2, lr=0.03)
    optimizer = torch.optim.Adam(twin.parameters(), lr=0.03)
    want = []
    twin.train()
    for _ in range(2):
        total = 0.0
        for xb, yb in data:
            loss = F.cross_entropy(twin(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        want.append(total / len(data))
    for (name, got), ref in zip(model.named_parameters(), twin.parameters()):
        expect_close(got, ref, what=t(f"poids {name} après 2 époques",
                                      f"weights {name} after 2 epochs"),
                     todo=todo, atol=1e-5,
                     hint=t("torch.optim.Adam(model.parameters(), lr=lr) et "
                            "nn.CrossEntropyLoss ; à chaque lot optimizer.zero_grad(), "
                            "backward(), optimizer.step()",
                            "torch.optim.Adam(model.parameters(), lr=lr) and "
                            "nn.CrossEntropyLoss; on every batch optimizer.zero_grad(), "
                            "backward(), optimizer.step()"))
    expect(isinstance(losses, list) and len(losses) == 2,
           what=t("pertes renvoyées pour epochs=2", "losses returned for epochs=2"),
           expected=t("une liste de 2 nombres", "a list of 2 numbers"),
           got=repr(losses)[:120], todo=todo,
           hint=t("une perte moyenne par époque", "one mean loss per epoch"))
    expect_close(torch.tensor([float(v) for v in losses]), torch.tensor(want),
                 what=t("perte moyenne de chaque époque", "mean loss of each epoch"),
                 todo=todo, atol=1e-5,
                 hint=t("moyenne des pertes des lots de l'époque (somme des loss.item() / "
                        "nombre de lots), calculées avant chaque optimizer.step()",
                        "mean of the epoch's batch losses (sum of loss.item() / number of "
                        "batches), computed before each optimizer.step()"))


class _ModeSpy(nn.Module):
    """The tests' own model, recording whether it runs in train mode."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.net = _linear_model(steps)
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return self.net(x)


@pytest.mark.points(1)
def test_train_sequence_classifier_seed_and_mode(ex):
    """train_sequence_classifier : même seed → mêmes pertes (lots mélangés), mode train, device"""
    todo = "train_sequence_classifier"
    x, y = _sign_of_sum(100, 5, 12)
    shuffled = DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True)  # global RNG
    start = _ModeSpy(5)
    start.eval()  # as left by an earlier evaluation
    runs = []
    for _ in range(2):
        model = copy.deepcopy(start)
        losses = ex.train_sequence_classifier(model, shuffled, epochs=2, lr=0.05,
                                              device=torch.device("cpu"), seed=4)
        runs.append((model, [float(v) for v in losses]))
    (first, a), (second, b) = runs
    expect(bool(first.modes) and all(first.modes),
           what=t("mode du modèle pendant l'entraînement", "model mode during training"),
           expected="model.training == True",
           got=t(f"{sum(not m for m in first.modes)}/{len(first.modes)} lots en mode eval",
                 f"{sum(not m for m in first.modes)}/{len(first.modes)} batches in eval mode"),
           todo=todo,
           hint=t("appelez model.train() avant d'entraîner : le modèle peut arriver en mode eval",
                  "call model.train() before training: the model may arrive in eval mode"))
    expect_close(torch.tensor(b), torch.tensor(a),
                 what=t("pertes de deux appels avec seed=4 sur le même modèle de départ "
                        "(DataLoader mélangé)",
                        "losses of two calls with seed=4 from the same starting model "
                        "(shuffled DataLoader)"),
                 todo=todo, atol=1e-7,
                 hint=t("appelez torch.manual_seed(seed) au début : l'ordre d'un DataLoader "
                        "mélangé en dépend",
                        "call torch.manual_seed(seed) first: a shuffled DataLoader's order "
                        "depends on it"))
    for (name, got), ref in zip(first.named_parameters(), second.parameters()):
        expect_close(got, ref, what=t(f"poids {name} des deux entraînements avec seed=4",
                                      f"weights {name} of the two trainings with seed=4"),
                     todo=todo, atol=1e-7,
                     hint=t("appelez torch.manual_seed(seed) au début",
                            "call torch.manual_seed(seed) first"))


# --- make_sign_of_sum_dataset -----------------------------------------------------------------


@pytest.mark.points(1)
def test_make_sign_of_sum_dataset_sizes_and_seeds(ex):
    """make_sign_of_sum_dataset : n = 1 et length = 1, équilibre sur 2 000, graines indépendantes"""
    todo = "make_sign_of_sum_dataset"
    x, y = _tensors(ex.make_sign_of_sum_dataset(1, 1, seed=0))
    expect_shape(x, (1, 1, 1), what=t("x de make_sign_of_sum_dataset(1, 1)",
                                      "x of make_sign_of_sum_dataset(1, 1)"), todo=todo,
                 hint=t("x est de forme [n, length, 1]", "x has shape [n, length, 1]"))
    x, y = _tensors(ex.make_sign_of_sum_dataset(2000, 3, seed=9))
    expect_shape(x, (2000, 3, 1), what=t("x de make_sign_of_sum_dataset(2000, 3)",
                                         "x of make_sign_of_sum_dataset(2000, 3)"), todo=todo)
    expect(bool(torch.equal(y, (x.sum(dim=(1, 2)) > 0).long())),
           what=t("étiquettes de make_sign_of_sum_dataset(2000, 3)",
                  "labels of make_sign_of_sum_dataset(2000, 3)"),
           expected=t("1 si la somme est > 0, 0 sinon (int64)",
                      "1 when the sum is > 0, else 0 (int64)"),
           got=t(f"{int((y != (x.sum(dim=(1, 2)) > 0).long()).sum())} étiquettes fausses, "
                 f"dtype {y.dtype}",
                 f"{int((y != (x.sum(dim=(1, 2)) > 0).long()).sum())} wrong labels, "
                 f"dtype {y.dtype}"),
           todo=todo, hint=t("y = (x.sum(dim=(1, 2)) > 0).long()",
                             "y = (x.sum(dim=(1, 2)) > 0).long()"))
    # Symmetric values: 50 % positive sums (σ = 1.1 points over 2,000) and a mean value of 0
    # (σ = 0.008 uniform, 0.013 Gaussian over 6,000 values): the bounds are ≥ 4.5 σ away.
    share, mean = float(y.float().mean()), float(x.mean())
    expect(0.45 <= share <= 0.55 and abs(mean) < 0.06 and x.std() > 0.1,
           what=t("distribution des valeurs de make_sign_of_sum_dataset(2000, 3)",
                  "distribution of the values of make_sign_of_sum_dataset(2000, 3)"),
           expected=t("symétrique autour de 0 : moitié de sommes positives, moyenne ≈ 0",
                      "symmetric around 0: half positive sums, mean ≈ 0"),
           got=t(f"{share:.1%} de sommes positives, moyenne {mean:.3f}",
                 f"{share:.1%} positive sums, mean {mean:.3f}"),
           todo=todo, hint=t("torch.rand(..., generator=gen) * 2 - 1 ou torch.randn(...)",
                             "torch.rand(..., generator=gen) * 2 - 1 or torch.randn(...)"))
    first, _ = _tensors(ex.make_sign_of_sum_dataset(50, 4, seed=3))
    torch.rand(100)  # the global generator moves on: the data must depend on seed alone
    again, _ = _tensors(ex.make_sign_of_sum_dataset(50, 4, seed=3))
    others = [_tensors(ex.make_sign_of_sum_dataset(50, 4, seed=s))[0] for s in (0, 1, 2)]
    distinct = all(not torch.equal(a, b) for i, a in enumerate([first, *others])
                   for b in [first, *others][i + 1:])
    expect(torch.equal(first, again) and distinct,
           what=t("make_sign_of_sum_dataset(50, 4, seed) pour seed = 3, 3 (après d'autres "
                  "tirages), 0, 1, 2",
                  "make_sign_of_sum_dataset(50, 4, seed) for seed = 3, 3 (after other draws), "
                  "0, 1, 2"),
           expected=t("mêmes données pour le même seed, quatre jeux différents sinon",
                      "the same data for the same seed, four different sets otherwise"),
           got=t(f"même seed → identiques : {torch.equal(first, again)} ; seeds différents → "
                 f"tous différents : {distinct}",
                 f"same seed → identical: {torch.equal(first, again)}; different seeds → all "
                 f"different: {distinct}"),
           todo=todo,
           hint=t("gen = torch.Generator().manual_seed(seed), puis torch.rand(..., "
                  "generator=gen) : les données ne dépendent que de seed",
                  "gen = torch.Generator().manual_seed(seed), then torch.rand(..., "
                  "generator=gen): the data depend on seed alone"))
