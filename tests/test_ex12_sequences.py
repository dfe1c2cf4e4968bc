"""Public tests of ex12_sequences: SequenceClassifier (shapes, the recurrent cell chosen,
unknown names, batch-first input, the last time step, the top layer, what the linear head
reads and returns, learning the sign of a sum), make_sign_of_sum_dataset and
train_sequence_classifier."""

import math

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from grading.data import loader
from grading.expect import (
    expect,
    expect_close,
    expect_converges,
    expect_grad_flow,
    expect_param_count,
    expect_raises,
    expect_shape,
    expect_type,
)
from grading.i18n import t
from grading.testkit import EX12_CELLS as CELLS
from grading.testkit import EX12_GATES as GATES
from grading.testkit import ex12_expected_params as _expected_params
from grading.testkit import ex12_saturating_batch as _saturating_batch
from grading.testkit import ex12_sign_of_sum as _sign_of_sum
from grading.testkit import ex12_tensors as _tensors
from grading.testkit import ex12_train_and_score as _train_and_score


class _HeadSpy:
    """Records what the classifier's nn.Linear(hidden_size, num_classes) receives and returns,
    found by its shape (never by attribute name)."""

    def __init__(self, model: nn.Module, hidden: int, classes: int, todo: str) -> None:
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        heads = [m for m in linears if (m.in_features, m.out_features) == (hidden, classes)]
        found = ", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears)
        expect(bool(heads), what=t("couche de classification de SequenceClassifier",
                                   "classification layer of SequenceClassifier"),
               expected=f"nn.Linear({hidden}, {classes})",
               got=found or t("aucune couche nn.Linear", "no nn.Linear layer"), todo=todo,
               hint=t("une couche nn.Linear(hidden_size, num_classes) lit l'état caché",
                      "an nn.Linear(hidden_size, num_classes) layer reads the hidden state"))
        self.inputs: list[torch.Tensor] = []
        self.outputs: list[torch.Tensor] = []
        for head in heads:
            head.register_forward_hook(self._record)

    def _record(self, module, args, output) -> None:
        self.inputs.append(args[0].detach())
        self.outputs.append(output.detach())


# --- SequenceClassifier ---------------------------------------------------------------------


@pytest.mark.points(1)
@given(cell=st.sampled_from(CELLS), layers=st.integers(1, 2), n=st.integers(1, 5),
       steps=st.integers(1, 6), fin=st.integers(1, 4), hidden=st.integers(1, 8),
       classes=st.integers(1, 5))
@example(cell="lstm", layers=2, n=1, steps=1, fin=1, hidden=1, classes=1)
@example(cell="gru", layers=1, n=3, steps=1, fin=2, hidden=4, classes=2)
def test_sequence_classifier_output_shape(ex, cell, layers, n, steps, fin, hidden, classes):
    """SequenceClassifier : logits [N, C] pour une entrée [N, T, F], chaque cellule, 1-2 couches"""
    model = ex.SequenceClassifier(fin, hidden, classes, cell=cell, num_layers=layers)
    with torch.no_grad():
        out = model(torch.randn(n, steps, fin))
    call = f"SequenceClassifier({fin}, {hidden}, {classes}, cell={cell!r}, num_layers={layers})"
    expect_shape(out, (n, classes),
                 what=t(f"forme de la sortie de {call} pour une entrée {(n, steps, fin)}",
                        f"shape of the output of {call} for an input {(n, steps, fin)}"),
                 todo="SequenceClassifier.forward",
                 hint=t("l'entrée est [N, T, F], le lot d'abord (batch_first=True) ; classez "
                        "l'état caché [N, hidden_size] de la couche du haut au dernier pas de "
                        "temps ; attention à T = 1 et N = 1",
                        "the input is [N, T, F], batch first (batch_first=True); classify the "
                        "top layer's hidden state [N, hidden_size] at the last time step; mind "
                        "T = 1 and N = 1"))


@pytest.mark.points(1)
def test_sequence_classifier_param_count(ex):
    """SequenceClassifier : autant de paramètres que nn.RNN, nn.GRU, nn.LSTM + la couche Linear"""
    for cell in (None, *CELLS):
        for layers in (1, 2):
            kwargs = {"num_layers": layers} if cell is None else {"cell": cell,
                                                                  "num_layers": layers}
            model = ex.SequenceClassifier(5, 7, 3, **kwargs)
            name = "lstm" if cell is None else cell
            shown = "" if cell is None else f"cell={cell!r}, "
            want = _expected_params(name, 5, 7, 3, layers)
            expect_param_count(
                model, want, todo="SequenceClassifier.__init__",
                hint=t(f"SequenceClassifier(5, 7, 3, {shown}num_layers={layers}) : "
                       f"{GATES[name]} bloc(s) de portes par couche ({name}), num_layers couches "
                       "empilées, puis nn.Linear(hidden_size, num_classes) ; la cellule par "
                       "défaut est \"lstm\"",
                       f"SequenceClassifier(5, 7, 3, {shown}num_layers={layers}): "
                       f"{GATES[name]} gate block(s) per layer ({name}), num_layers stacked "
                       "layers, then nn.Linear(hidden_size, num_classes); the default cell is "
                       "\"lstm\""))


@pytest.mark.points(1)
def test_sequence_classifier_unknown_cell(ex):
    """SequenceClassifier : un nom de cellule inconnu lève une ValueError"""
    for name in ("transformer", "conv"):
        expect_raises(ValueError, lambda name=name: ex.SequenceClassifier(3, 4, 2, cell=name),
                      what=f"SequenceClassifier(3, 4, 2, cell={name!r})",
                      todo="SequenceClassifier.__init__",
                      hint=t("terminez le choix de la cellule par raise ValueError(...) quand "
                             "aucun nom ne correspond (un dictionnaire seul lève KeyError)",
                             "end the choice of the cell with raise ValueError(...) when no "
                             "name matches (a dict alone raises KeyError)"))


@pytest.mark.points(1)
def test_sequence_classifier_batch_first(ex):
    """SequenceClassifier : le lot d'abord — la ligne i ne dépend que de la séquence i"""
    hint = t("l'entrée est [N, T, F] : construisez la couche récurrente avec batch_first=True "
             "(par défaut, PyTorch attend [T, N, F] et mélange les exemples du lot)",
             "the input is [N, T, F]: build the recurrent layer with batch_first=True "
             "(by default PyTorch expects [T, N, F] and mixes the samples of the batch)")
    for cell in CELLS:
        model = ex.SequenceClassifier(3, 6, 4, cell=cell)
        x = torch.randn(5, 5, 3)  # N = T: a time/batch swap keeps the shapes
        with torch.no_grad():
            out = model(x)
            changed = x.clone()
            changed[2] = torch.randn(5, 3) * 3
            out2 = model(changed)
        expect_shape(out, (5, 4), what=t(f"sortie de SequenceClassifier(cell={cell!r})",
                                         f"output of SequenceClassifier(cell={cell!r})"),
                     todo="SequenceClassifier.forward", hint=hint)
        keep = [0, 1, 3, 4]
        expect_close(out2[keep], out[keep],
                     what=t(f"cell={cell!r} : logits des séquences 0, 1, 3, 4 quand seule la "
                            "séquence 2 du lot change",
                            f"cell={cell!r}: logits of sequences 0, 1, 3, 4 when only "
                            "sequence 2 of the batch changes"),
                     todo="SequenceClassifier.__init__", atol=1e-5, hint=hint)
        with torch.no_grad():
            alone = model(x[3:4])
        expect_close(alone, out[3:4],
                     what=t(f"cell={cell!r} : logits de la séquence 3 seule (lot de 1) et "
                            "dans le lot de 5",
                            f"cell={cell!r}: logits of sequence 3 alone (batch of 1) and "
                            "within the batch of 5"),
                     todo="SequenceClassifier.__init__", atol=1e-5, hint=hint)


@pytest.mark.points(1)
def test_sequence_classifier_last_time_step(ex):
    """SequenceClassifier : la sortie dépend du dernier pas de temps et du premier"""
    hint = t("classez l'état caché au dernier pas de temps (h_n[-1] ou output[:, -1]), qui a "
             "vu toute la séquence, pas output[:, 0]",
             "classify the hidden state at the last time step (h_n[-1] or output[:, -1]), "
             "which has seen the whole sequence, not output[:, 0]")
    for cell in CELLS:
        for layers in (1, 2):
            model = ex.SequenceClassifier(2, 6, 3, cell=cell, num_layers=layers)
            x = torch.randn(4, 6, 2)
            changed = x.clone()
            changed[:, -1] = torch.randn(4, 2) * 3
            call = f"cell={cell!r}, num_layers={layers}"
            with torch.no_grad():
                out = model(x)
                expect_shape(out, (4, 3), what=t(f"{call} : sortie pour une entrée (4, 6, 2)",
                                                 f"{call}: output for an input (4, 6, 2)"),
                             todo="SequenceClassifier.forward",
                             hint=t("l'entrée est [N, T, F] (batch_first=True) ; la sortie "
                                    "[N, num_classes]",
                                    "the input is [N, T, F] (batch_first=True); the output "
                                    "[N, num_classes]"))
                moved = (model(changed) - out).abs().amax(dim=1)
            expect(bool((moved > 1e-6).all()),
                   what=t(f"{call} : les logits changent quand seul le dernier pas de temps "
                          "change",
                          f"{call}: the logits change when only the last time step changes"),
                   expected=t("les 4 lignes changent", "all 4 rows change"),
                   got=t(f"{int((moved <= 1e-6).sum())} ligne(s) inchangée(s)",
                         f"{int((moved <= 1e-6).sum())} row(s) unchanged"),
                   todo="SequenceClassifier.forward", hint=hint)
            x.requires_grad_(True)
            model(x).sum().backward()
            first = x.grad[:, 0].abs().sum(dim=1) if x.grad is not None else torch.zeros(4)
            expect(bool((first > 0).all()),
                   what=t(f"{call} : gradient des logits par rapport au premier pas de temps "
                          "x[:, 0]",
                          f"{call}: gradient of the logits with respect to the first time "
                          "step x[:, 0]"),
                   expected=t("non nul pour chaque séquence (la récurrence porte "
                              "l'information du début à la fin)",
                              "non-zero for every sequence (the recurrence carries the "
                              "information from start to end)"),
                   got=t("nul ou absent", "zero or missing"),
                   todo="SequenceClassifier.forward",
                   hint=t("passez toute la séquence x [N, T, F] à la couche récurrente (pas "
                          "seulement x[:, -1]) et gardez le calcul dans le graphe",
                          "pass the whole sequence x [N, T, F] to the recurrent layer (not "
                          "only x[:, -1]) and keep the computation in the graph"))


@pytest.mark.points(1)
def test_sequence_classifier_every_layer_learns(ex):
    """SequenceClassifier(num_layers=2) : le gradient atteint chaque paramètre des deux couches"""
    for cell in CELLS:
        model = ex.SequenceClassifier(3, 5, 4, cell=cell, num_layers=2)
        x, y = torch.randn(6, 4, 3), torch.randint(0, 4, (6,))
        out = model(x)
        expect_shape(out, (6, 4), what=t(f"sortie de SequenceClassifier(3, 5, 4, cell={cell!r}, "
                                         "num_layers=2) pour une entrée (6, 4, 3)",
                                         f"output of SequenceClassifier(3, 5, 4, cell={cell!r}, "
                                         "num_layers=2) for an input (6, 4, 3)"),
                     todo="SequenceClassifier.forward",
                     hint=t("l'entrée est [N, T, F] (batch_first=True) ; la sortie "
                            "[N, num_classes]",
                            "the input is [N, T, F] (batch_first=True); the output "
                            "[N, num_classes]"))
        expect(isinstance(out, torch.Tensor) and out.requires_grad,
               what=t(f"la sortie de SequenceClassifier(cell={cell!r}) dépend des paramètres",
                      f"the output of SequenceClassifier(cell={cell!r}) depends on the "
                      "parameters"),
               expected=t("un tenseur avec requires_grad=True",
                          "a tensor with requires_grad=True"),
               got=t("un résultat détaché du graphe", "a result detached from the graph"),
               todo="SequenceClassifier.forward",
               hint=t("pas de torch.no_grad(), .detach() ni numpy dans forward",
                      "no torch.no_grad(), .detach() or numpy in forward"))
        F.cross_entropy(out, y).backward()
        expect_grad_flow(
            model, todo="SequenceClassifier.forward",
            hint=t(f"cell={cell!r}, num_layers=2 : classez l'état caché de la couche du haut "
                   "(h_n[-1] ; h_n[0] est celle du bas, dont la couche du haut ne recevrait "
                   "aucun gradient) au dernier pas de temps (au premier, les poids récurrents "
                   "weight_hh n'ont encore servi à rien)",
                   f"cell={cell!r}, num_layers=2: classify the hidden state of the top layer "
                   "(h_n[-1]; h_n[0] is the bottom one, and the top layer would get no "
                   "gradient) at the last time step (at the first one the recurrent weights "
                   "weight_hh have not been used yet)"))


@pytest.mark.points(1)
def test_sequence_classifier_head_reads_h(ex):
    """SequenceClassifier : la couche linéaire lit h (dans [-1, 1]) et renvoie des logits bruts"""
    model = ex.SequenceClassifier(2, 8, 3)  # the default cell, "lstm"
    spy = _HeadSpy(model, 8, 3, todo="SequenceClassifier.forward")
    with torch.no_grad():
        out = model(_saturating_batch())
    expect(bool(spy.inputs), what=t("appel de la couche nn.Linear(8, 3) dans forward",
                                    "call of the nn.Linear(8, 3) layer in forward"),
           expected=t("un appel", "one call"), got=t("aucun appel", "no call"),
           todo="SequenceClassifier.forward",
           hint=t("appliquez la couche linéaire à l'état caché", "apply the linear layer to the "
                  "hidden state"))
    read = spy.inputs[-1]
    expect_shape(read, (16, 8), what=t("entrée de la couche nn.Linear(8, 3)",
                                       "input of the nn.Linear(8, 3) layer"),
                 todo="SequenceClassifier.forward",
                 hint=t("la couche linéaire lit l'état caché [N, hidden_size] de la couche du "
                        "haut au dernier pas de temps",
                        "the linear layer reads the top layer's hidden state [N, hidden_size] "
                        "at the last time step"))
    peak = float(read.abs().max())
    expect(peak <= 1 + 1e-6,
           what=t("valeurs lues par la couche linéaire (LSTM, longues séquences de grandes "
                  "valeurs)",
                  "values read by the linear layer (LSTM, long sequences of large values)"),
           expected=t("dans [-1, 1], comme un état caché h = o · tanh(c)",
                      "in [-1, 1], as a hidden state h = o · tanh(c)"),
           got=t(f"jusqu'à {peak:.3g} en valeur absolue", f"up to {peak:.3g} in absolute value"),
           todo="SequenceClassifier.forward",
           hint=t("nn.LSTM renvoie (output, (h_n, c_n)) : classez à partir de h_n, pas c_n "
                  "(l'état de la cellule, non borné)",
                  "nn.LSTM returns (output, (h_n, c_n)): classify from h_n, not c_n "
                  "(the cell state, unbounded)"))
    expect_close(out, spy.outputs[-1],
                 what=t("sortie de SequenceClassifier et sortie de sa couche nn.Linear(8, 3)",
                        "output of SequenceClassifier and output of its nn.Linear(8, 3) layer"),
                 todo="SequenceClassifier.forward", atol=1e-6,
                 hint=t("renvoyez les logits de la couche linéaire tels quels : pas de softmax "
                        "(nn.CrossEntropyLoss l'applique déjà), rien après la couche",
                        "return the linear layer's logits as they are: no softmax "
                        "(nn.CrossEntropyLoss already applies it), nothing after the layer"))


@pytest.mark.points(1)
def test_sequence_classifier_learns_sign_of_sum(ex):
    """SequenceClassifier (LSTM) apprend le signe d'une somme : ≥ 85 % après 5 époques"""
    # Measured with the reference (models seeded 0-9, same data recipe): 94.0-97.0 % for the
    # LSTM with one layer, 91-98 % for every cell with 1 or 2 layers; 0.2 s per run.
    # 85 % leaves ≥ 9 points of margin (chance is 50 %).
    torch.manual_seed(0)
    model = ex.SequenceClassifier(1, 16, 2)
    accuracy = _train_and_score(model, seed=0)
    expect_converges(accuracy, 0.85, what=t("exactitude sur 500 séquences réservées",
                                            "accuracy on 500 held-out sequences"),
                     todo="SequenceClassifier.forward",
                     hint=t("la couche récurrente doit lire toute la séquence (batch_first=True) "
                            "et la couche linéaire l'état caché au dernier pas de temps",
                            "the recurrent layer must read the whole sequence "
                            "(batch_first=True) and the linear layer the hidden state at the "
                            "last time step"))


# --- make_sign_of_sum_dataset -----------------------------------------------------------------


@pytest.mark.points(1)
def test_make_sign_of_sum_dataset(ex):
    """make_sign_of_sum_dataset : formes, types, étiquettes = signe de la somme, graine"""
    todo = "make_sign_of_sum_dataset"
    data = ex.make_sign_of_sum_dataset(300, 7, seed=1)
    expect(len(data) == 300, what=t("len(make_sign_of_sum_dataset(300, 7, seed=1))",
                                    "len(make_sign_of_sum_dataset(300, 7, seed=1))"),
           expected="300", got=str(len(data)), todo=todo,
           hint=t("n séquences", "n sequences"))
    x, y = _tensors(data)
    expect_shape(x, (300, 7, 1), what=t("forme des séquences x (toutes empilées)",
                                        "shape of the sequences x (all stacked)"), todo=todo,
                 hint=t("x est de forme [n, length, 1] : une valeur par pas de temps",
                        "x has shape [n, length, 1]: one value per time step"))
    expect(x.dtype == torch.float32 and y.dtype == torch.int64,
           what=t("types de x et y", "dtypes of x and y"), expected="float32, int64",
           got=f"{x.dtype}, {y.dtype}", todo=todo,
           hint=t("y en int64 (.long()) pour nn.CrossEntropyLoss",
                  "y as int64 (.long()) for nn.CrossEntropyLoss"))
    expect_close(y, (x.sum(dim=(1, 2)) > 0).long(),
                 what=t("étiquettes y", "labels y"), todo=todo,
                 hint=t("y vaut 1 si la somme de la séquence est > 0, 0 sinon",
                        "y is 1 when the sum of the sequence is > 0, else 0"))
    share = float(y.float().mean())
    expect(0.35 <= share <= 0.65, what=t("part des séquences de somme positive",
                                         "share of sequences with a positive sum"),
           expected=t("environ la moitié (valeurs symétriques autour de 0)",
                      "about half (values symmetric around 0)"),
           got=f"{share:.2f}", todo=todo,
           hint=t("tirez des valeurs symétriques autour de 0 : torch.rand(...) * 2 - 1 ou "
                  "torch.randn(...) (torch.rand seul est dans [0, 1))",
                  "draw values symmetric around 0: torch.rand(...) * 2 - 1 or torch.randn(...) "
                  "(torch.rand alone is in [0, 1))"))
    again, _ = _tensors(ex.make_sign_of_sum_dataset(300, 7, seed=1))
    other, _ = _tensors(ex.make_sign_of_sum_dataset(300, 7, seed=2))
    expect(torch.equal(again, x) and not torch.equal(other, x),
           what=t("make_sign_of_sum_dataset appelée deux fois avec seed=1, puis avec seed=2",
                  "make_sign_of_sum_dataset called twice with seed=1, then with seed=2"),
           expected=t("mêmes données avec le même seed, d'autres avec un autre seed",
                      "the same data with the same seed, other data with another seed"),
           got=t(f"même seed → identiques : {torch.equal(again, x)} ; autre seed → identiques : "
                 f"{torch.equal(other, x)}",
                 f"same seed → identical: {torch.equal(again, x)}; other seed → identical: "
                 f"{torch.equal(other, x)}"),
           todo=todo,
           hint=t("tirez avec un générateur : gen = torch.Generator().manual_seed(seed), "
                  "puis torch.rand(..., generator=gen)",
                  "draw with a generator: gen = torch.Generator().manual_seed(seed), then "
                  "torch.rand(..., generator=gen)"))


# --- train_sequence_classifier ----------------------------------------------------------------


@pytest.mark.points(1)
def test_train_sequence_classifier_learns(ex):
    """train_sequence_classifier : une perte par époque, qui baisse, et un modèle qui apprend"""
    # The tests' own model: the sign of a sum is linear in the flattened sequence. Measured
    # with the reference over model seeds 0-9: first epoch 0.30-0.36, third 0.10-0.11 (ratio
    # ≤ 0.35), accuracy 99.1-99.5 %; the thresholds (loss halved, 90 %) leave wide margins.
    todo = "train_sequence_classifier"
    x, y = _sign_of_sum(1000, 10, 7)
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 2))
    start = [p.detach().clone() for p in model.parameters()]
    losses = ex.train_sequence_classifier(model, loader(torch.utils.data.TensorDataset(x, y), 50,
                                                        shuffle=True), epochs=3, lr=0.05,
                                          device="cpu", seed=0)
    expect_type(losses, list, what=t("type renvoyé par train_sequence_classifier",
                                     "type returned by train_sequence_classifier"), todo=todo,
                hint=t("renvoyez une liste Python : une perte moyenne par époque",
                       "return a Python list: one mean loss per epoch"))
    expect(len(losses) == 3, what=t("nombre de pertes renvoyées pour epochs=3",
                                    "number of losses returned for epochs=3"),
           expected="3", got=str(len(losses)), todo=todo,
           hint=t("ajoutez une perte par époque, après la boucle sur les lots",
                  "append one loss per epoch, after the loop over the batches"))
    values = []
    for v in losses:
        expect(isinstance(v, (int, float)) and math.isfinite(v),
               what=t("pertes renvoyées par train_sequence_classifier",
                      "losses returned by train_sequence_classifier"),
               expected=t("des float finis", "finite floats"),
               got=f"{type(v).__name__} ({v!r})"[:120], todo=todo,
               hint=t("convertissez la perte avec loss.item() avant de l'accumuler",
                      "convert the loss with loss.item() before adding it up"))
        values.append(float(v))
    moved = any(not torch.equal(a, b.detach()) for a, b in zip(start, model.parameters()))
    expect(moved, what=t("poids du modèle après train_sequence_classifier",
                         "model weights after train_sequence_classifier"),
           expected=t("modifiés par l'entraînement", "changed by training"),
           got=t("inchangés", "unchanged"), todo=todo,
           hint=t("optimizer = torch.optim.Adam(model.parameters(), lr=lr), puis "
                  "optimizer.step() à chaque lot",
                  "optimizer = torch.optim.Adam(model.parameters(), lr=lr), then "
                  "optimizer.step() on every batch"))
    expect(values[0] < 0.75 and values[-1] < values[0] / 2,
           what=t("pertes moyennes des 3 époques", "mean losses of the 3 epochs"),
           expected=t("une perte moyenne par lot (≈ ln 2 ≈ 0,69 au plus au départ) qui baisse "
                      "au moins de moitié", "a mean loss per batch (≈ ln 2 ≈ 0.69 at most at "
                      "first) that at least halves"),
           got=", ".join(f"{v:.4g}" for v in values), todo=todo,
           hint=t("perte moyenne de l'époque = somme des loss.item() / nombre de lots ; "
                  "optimizer.zero_grad() à chaque lot",
                  "mean loss of the epoch = sum of loss.item() / number of batches; "
                  "optimizer.zero_grad() on every batch"))
    with torch.no_grad():
        accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    expect_converges(accuracy, 0.9, what=t("exactitude du modèle entraîné sur ses données",
                                           "accuracy of the trained model on its data"),
                     todo=todo,
                     hint=t("nn.CrossEntropyLoss sur les logits du modèle et les étiquettes",
                            "nn.CrossEntropyLoss on the model's logits and the labels"))
