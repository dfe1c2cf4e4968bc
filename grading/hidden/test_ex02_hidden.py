"""Hidden tests of ex02_training_loop: exact oracles, other seeds and sizes, edge cases.

The oracles below are correct loops written here; they compare to the learner's
result within float32 rounding (1e-5), which every correct ordering of
zero_grad / backward / step and either spelling of the mean loss meets.
"""

import copy

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from grading.data import loader, take
from grading.expect import expect, expect_close, expect_converges, expect_type
from grading.i18n import t


def _expect_state_close(got: nn.Module, want: nn.Module, *, what: str, todo: str,
                        hint: str) -> None:
    """Every parameter and buffer (BatchNorm statistics included) matches the oracle."""
    want_state = want.state_dict()
    for name, value in got.state_dict().items():
        expect_close(value.double(), want_state[name].double(), atol=1e-5, rtol=1e-5,
                     what=f"{what} : {name}", todo=todo, hint=hint)


def _expect_fraction(acc, *, todo: str) -> None:
    expect_type(acc, float, what=t("type de l'exactitude renvoyée",
                                   "type of the returned accuracy"), todo=todo,
                hint=t("convertissez avec .item() ou float(...)",
                       "convert with .item() or float(...)"))
    expect(0.0 <= acc <= 1.0, what=t("exactitude dans [0, 1]", "accuracy within [0, 1]"),
           expected=t("une fraction entre 0 et 1", "a fraction between 0 and 1"),
           got=f"{acc:g}", todo=todo,
           hint=t("c'est un pourcentage ? renvoyez la fraction (bonnes / total), sans ×100"
                  if acc > 1 else "comptez les bonnes prédictions et divisez par le total",
                  "is it a percentage? return the fraction (right / total), without ×100"
                  if acc > 1 else "count the right predictions and divide by the total"))


# ---------------------------------------------------------------- fit_linear


@pytest.mark.points(2)
def test_fit_linear_matches_gradient_steps(ex):
    """fit_linear : chaque époque est exactement un pas de gradient sur le lot complet"""
    x = torch.tensor([[0.5], [1.0], [2.0], [3.5], [-1.0]])
    y = 1.5 * x - 0.5
    lr = 0.03
    for epochs in (1, 4, 25):
        # The same seed gives the same initial layer: epochs=0 reveals it.
        torch.manual_seed(epochs)
        start = ex.fit_linear(x, y, epochs=0, lr=lr)
        torch.manual_seed(epochs)
        got = ex.fit_linear(x, y, epochs=epochs, lr=lr)
        expect_type(got, nn.Linear, what=t("objet renvoyé par fit_linear",
                                           "object returned by fit_linear"), todo="fit_linear")
        w = start.weight.detach().clone().requires_grad_()
        b = start.bias.detach().clone().requires_grad_()
        for _ in range(epochs):
            loss = ((x @ w.T + b - y) ** 2).mean()
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w -= lr * gw
                b -= lr * gb
        hint = t("à chaque époque, un seul pas : prédiction sur tout X, nn.MSELoss() (la "
                 "moyenne), zero_grad, backward, step ; sans zero_grad les gradients "
                 "s'additionnent d'une époque à l'autre",
                 "one step per epoch: predict on all of X, nn.MSELoss() (the mean), "
                 "zero_grad, backward, step; without zero_grad gradients add up across epochs")
        expect_close(got.weight, w, atol=1e-5,
                     what=t(f"poids w après {epochs} pas de gradient (lr = {lr})",
                            f"weight w after {epochs} gradient steps (lr = {lr})"),
                     todo="fit_linear", hint=hint)
        expect_close(got.bias, b, atol=1e-5,
                     what=t(f"biais b après {epochs} pas de gradient (lr = {lr})",
                            f"bias b after {epochs} gradient steps (lr = {lr})"),
                     todo="fit_linear", hint=hint)


@pytest.mark.points(1)
def test_fit_linear_other_line_several_seeds(ex):
    """fit_linear : apprend y = -3x + 1 sur d'autres x, pour plusieurs graines"""
    x = torch.tensor([[-2.0], [-1.0], [0.0], [0.5], [1.5], [3.0]])
    y = -3 * x + 1
    for seed in (1, 2, 3):
        torch.manual_seed(seed)
        model = ex.fit_linear(x, y, epochs=500, lr=0.01)
        # 500 epochs leave |w + 3| <= 4e-5 and |b - 1| <= 2e-4 over 50 seeds (measured):
        # 0.01 is a margin of 50x.
        hint = t("vérifiez zero_grad, backward et step à chaque époque, et lr passé à SGD",
                 "check zero_grad, backward and step at every epoch, and lr passed to SGD")
        expect_close(model.weight.item(), -3.0, atol=0.01, rtol=0,
                     what=t(f"pente apprise pour y = -3x + 1 (graine {seed})",
                            f"slope learnt for y = -3x + 1 (seed {seed})"),
                     todo="fit_linear", hint=hint)
        expect_close(model.bias.item(), 1.0, atol=0.01, rtol=0,
                     what=t(f"ordonnée à l'origine apprise pour y = -3x + 1 (graine {seed})",
                            f"intercept learnt for y = -3x + 1 (seed {seed})"),
                     todo="fit_linear", hint=hint)


# ----------------------------------------------------------- train_one_epoch


@pytest.mark.points(2)
def test_train_one_epoch_matches_oracle(ex):
    """train_one_epoch : poids et perte égaux à une époque de référence (BatchNorm, momentum)"""
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    model.eval()  # train_one_epoch must switch it back to training mode
    oracle = copy.deepcopy(model)
    data = TensorDataset(torch.randn(30, 6), torch.randint(0, 3, (30,)))
    loss_fn = nn.CrossEntropyLoss()

    opt = torch.optim.SGD(oracle.parameters(), lr=0.1, momentum=0.9)
    oracle.train()
    losses = []
    for xb, yb in loader(data, 6, shuffle=True, seed=5):
        loss = loss_fn(oracle(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    got = ex.train_one_epoch(model, loader(data, 6, shuffle=True, seed=5), loss_fn,
                             torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                             torch.device("cpu"))
    expect_type(got, float, what=t("type de la valeur renvoyée par train_one_epoch",
                                   "type of the value returned by train_one_epoch"),
                todo="train_one_epoch", hint=t("renvoyez un float (loss.item())",
                                               "return a float (loss.item())"))
    _expect_state_close(model, oracle,
                        what=t("état du modèle après une époque", "model state after an epoch"),
                        todo="train_one_epoch",
                        hint=t("pour chaque lot, dans l'ordre : forward, perte, zero_grad, "
                               "backward, step ; en mode entraînement (model.train(), "
                               "BatchNorm en dépend)",
                               "for every batch, in order: forward, loss, zero_grad, backward, "
                               "step; in training mode (model.train(), BatchNorm depends on it)"))
    expect_close(got, sum(losses) / len(losses), atol=1e-5, rtol=1e-5,
                 what=t("perte moyenne de l'époque (5 lots de 6)",
                        "mean loss of the epoch (5 batches of 6)"),
                 todo="train_one_epoch",
                 hint=t("moyenne des pertes de chaque lot, calculées avant leur step",
                        "mean of every batch's loss, computed before its step"))


@pytest.mark.points(1)
def test_train_one_epoch_edge_batches(ex):
    """train_one_epoch : un seul lot, puis des lots d'un seul exemple"""
    x, y = torch.randn(7, 3), torch.randn(7, 1)
    loss_fn = nn.MSELoss()

    # One batch: the returned loss is the loss before the single step.
    model = nn.Linear(3, 1)
    oracle = copy.deepcopy(model)
    with torch.no_grad():
        want = loss_fn(model(x), y).item()
    opt = torch.optim.SGD(oracle.parameters(), lr=0.1)
    opt.zero_grad()
    loss_fn(oracle(x), y).backward()
    opt.step()
    got = ex.train_one_epoch(model, loader(TensorDataset(x, y), 7), loss_fn,
                             torch.optim.SGD(model.parameters(), lr=0.1), "cpu")
    expect_close(got, want, atol=1e-6, rtol=1e-5,
                 what=t("perte moyenne avec un seul lot", "mean loss with a single batch"),
                 todo="train_one_epoch",
                 hint=t("divisez par le nombre de lots (ici 1)", "divide by the number of "
                                                                 "batches (here 1)"))
    _expect_state_close(model, oracle, what=t("poids après une époque d'un seul lot",
                                              "weights after a one-batch epoch"),
                        todo="train_one_epoch",
                        hint=t("un seul optimizer.step() pour un seul lot",
                               "a single optimizer.step() for a single batch"))

    # Seven batches of one sample, lr = 0: seven steps, mean over the seven losses.
    model = nn.Linear(3, 1)
    with torch.no_grad():
        want = loss_fn(model(x), y).item()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    steps = []
    opt.register_step_pre_hook(lambda o, args, kwargs: steps.append(1))
    got = ex.train_one_epoch(model, loader(TensorDataset(x, y), 1), loss_fn, opt, "cpu")
    expect(len(steps) == 7, what=t("nombre d'appels à optimizer.step() pour 7 lots d'un exemple",
                                   "number of optimizer.step() calls for 7 one-sample batches"),
           expected="7", got=str(len(steps)), todo="train_one_epoch",
           hint=t("un optimizer.step() par lot", "one optimizer.step() per batch"))
    expect_close(got, want, atol=1e-5, rtol=1e-5,
                 what=t("perte moyenne sur 7 lots d'un exemple",
                        "mean loss over 7 one-sample batches"),
                 todo="train_one_epoch",
                 hint=t("additionnez les 7 pertes puis divisez par len(loader)",
                        "add up the 7 losses, then divide by len(loader)"))


@pytest.mark.points(1)
def test_training_then_evaluate_reaches_accuracy(ex, mnist):
    """train_one_epoch puis evaluate : un MLP dépasse 70 % après 3 époques sur 512 chiffres"""
    data = take(mnist.train, 512, seed=10)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(3):
        ex.train_one_epoch(model, loader(data, 32, shuffle=True, seed=epoch), loss_fn, opt,
                           torch.device("cpu"))
    loss, acc = ex.evaluate(model, loader(take(mnist.test, 500, seed=10), 100), loss_fn,
                            torch.device("cpu"))
    _expect_fraction(acc, todo="evaluate")
    # Measured on four seeds: 0.826-0.844 on these 500 held-out digits.
    expect_converges(acc, 0.70, what=t("exactitude sur 500 chiffres de test après 3 époques",
                                       "accuracy on 500 test digits after 3 epochs"),
                     todo="train_one_epoch",
                     hint=t("si la perte baisse mal : zero_grad, backward, step à chaque lot",
                            "if the loss goes down badly: zero_grad, backward, step per batch"))


# ------------------------------------------------------------------ evaluate


@pytest.mark.points(1)
def test_evaluate_mnist_matches_oracle(ex, mnist):
    """evaluate : perte et exactitude exactes sur 200 chiffres MNIST, en 5 lots"""
    images, labels = mnist.train.tensors
    means = torch.stack([images[labels == c].flatten(1).mean(0) for c in range(10)])
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():  # a nearest-mean classifier: about 80 % right
        model[1].weight.copy_(means / 100)
        model[1].bias.copy_(-(means ** 2).sum(1) / 200)
    test = take(mnist.test, 200, seed=1)
    x, y = test.tensors
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        logits = model(x)
        want_loss = loss_fn(logits, y).item()
        right = int((logits.argmax(dim=1) == y).sum())
    loss, acc = ex.evaluate(model, loader(test, 40), loss_fn, "cpu")
    _expect_fraction(acc, todo="evaluate")
    expect_close(acc, right / 200, atol=1e-6, rtol=0,
                 what=t(f"exactitude ({right} bonnes prédictions sur 200)",
                        f"accuracy ({right} right predictions out of 200)"),
                 todo="evaluate",
                 hint=t("comptez sur tous les lots, puis divisez par le nombre total d'exemples",
                        "count over all batches, then divide by the total number of samples"))
    expect_close(loss, want_loss, atol=1e-5, rtol=1e-5,
                 what=t("perte moyenne (5 lots de 40)", "mean loss (5 batches of 40)"),
                 todo="evaluate")


@pytest.mark.points(1)
def test_evaluate_dropout_model_is_deterministic(ex):
    """evaluate : un modèle avec Dropout donne le même résultat à chaque appel"""
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 4))
    oracle = copy.deepcopy(model).eval()
    data = TensorDataset(torch.randn(24, 5), torch.randint(0, 4, (24,)))
    loss_fn = nn.CrossEntropyLoss()
    x, y = data.tensors
    with torch.no_grad():
        logits = oracle(x)
        want = (loss_fn(logits, y).item(), int((logits.argmax(dim=1) == y).sum()) / 24)
    results = []
    for _ in range(2):
        model.train()  # as after a training epoch
        results.append(ex.evaluate(model, loader(data, 8), loss_fn, "cpu"))
    hint = t("appelez model.eval() : en mode entraînement, Dropout éteint des neurones au hasard",
             "call model.eval(): in training mode Dropout drops units at random")
    for k, (loss, acc) in enumerate(results, start=1):
        _expect_fraction(acc, todo="evaluate")
        expect_close(loss, want[0], atol=1e-5, rtol=1e-5,
                     what=t(f"perte, appel {k}, modèle avec Dropout en mode évaluation",
                            f"loss, call {k}, model with Dropout in evaluation mode"),
                     todo="evaluate", hint=hint)
        expect_close(acc, want[1], atol=1e-6, rtol=0,
                     what=t(f"exactitude, appel {k}, modèle avec Dropout en mode évaluation",
                            f"accuracy, call {k}, model with Dropout in evaluation mode"),
                     todo="evaluate", hint=hint)


@pytest.mark.points(1)
def test_evaluate_keeps_batchnorm_stats_and_grads(ex):
    """evaluate : statistiques de BatchNorm, gradients et requires_grad inchangés"""
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    model.train()
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    data = TensorDataset(torch.randn(16, 4) * 3 + 1, torch.randint(0, 3, (16,)))
    ex.evaluate(model, loader(data, 4), nn.CrossEntropyLoss(), torch.device("cpu"))
    for name, value in model.state_dict().items():
        expect(torch.equal(value, state[name]),
               what=t(f"{name} inchangé par evaluate (mode évaluation)",
                      f"{name} unchanged by evaluate (evaluation mode)"),
               expected=t("la valeur d'avant l'appel", "the value from before the call"),
               got=t("valeur modifiée", "modified value"), todo="evaluate",
               hint=t("appelez model.eval() : en mode entraînement, BatchNorm met à jour "
                      "running_mean et running_var à chaque forward, même sous no_grad",
                      "call model.eval(): in training mode BatchNorm updates running_mean "
                      "and running_var at every forward, even under no_grad"))
    for (name, p), g in zip(model.named_parameters(), grads):
        expect(p.requires_grad, what=t(f"{name}.requires_grad après evaluate",
                                       f"{name}.requires_grad after evaluate"),
               expected="True", got="False", todo="evaluate",
               hint=t("n'éteignez pas requires_grad : torch.no_grad() suffit et n'abîme pas "
                      "l'entraînement suivant",
                      "do not switch requires_grad off: torch.no_grad() is enough and does "
                      "not spoil the next training"))
        expect(p.grad is not None and torch.equal(p.grad, g),
               what=t(f"gradient de {name} inchangé par evaluate",
                      f"gradient of {name} unchanged by evaluate"),
               expected=t("le gradient d'avant l'appel", "the gradient from before the call"),
               got=t("gradient modifié ou effacé", "gradient modified or cleared"),
               todo="evaluate", hint=t("evaluate n'appelle ni zero_grad, ni backward",
                                       "evaluate calls neither zero_grad nor backward"))
