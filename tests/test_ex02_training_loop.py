"""Public tests of ex02_training_loop: fit_linear, train_one_epoch, evaluate.

Every loader here has equally sized batches, so the mean of the batch losses
(``total / len(loader)``) and the per-sample mean are the same number: both pass.
"""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from grading.data import loader, take
from grading.expect import expect, expect_close, expect_converges, expect_type
from grading.i18n import t


class Recorder(nn.Module):
    """A Linear layer that notes, at each forward, its mode and whether autograd records."""

    def __init__(self, fin: int, fout: int) -> None:
        super().__init__()
        self.lin = nn.Linear(fin, fout)
        self.calls: list[tuple[bool, bool]] = []
        """(self.training, torch.is_grad_enabled()) for each forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.lin(x)


def _line_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The course's example: x = 1..4, y = 2x, shapes [4, 1]."""
    x = torch.arange(1.0, 5.0).unsqueeze(1)
    return x, 2 * x


# ---------------------------------------------------------------- fit_linear


@pytest.mark.points(2)
@pytest.mark.hints(
    t("Le modèle doit retrouver y = 2x : la pente doit s'approcher de 2 et le biais de 0. Si ce "
      "n'est pas le cas, c'est la boucle d'entraînement qu'il faut relire.",
      "The model must find y = 2x: the slope must approach 2 and the bias 0. If not, read your "
      "training loop again."),
    t("Chaque époque fait les étapes du cours, dans l'ordre : prédiction sur tout X, perte MSE, "
      "remise à zéro des gradients, rétropropagation, pas de l'optimiseur. En manque-t-il une ?",
      "Each epoch does the course's steps, in order: prediction on all of X, MSE loss, zeroing "
      "the gradients, backpropagation, optimizer step. Is one missing?"),
    t("Vérifiez que l'optimiseur reçoit les paramètres du modèle que vous entraînez, et que "
      "vous renvoyez ce modèle-là (pas une nouvelle couche).",
      "Check that the optimizer gets the parameters of the model you train, and that you return "
      "that very model (not a new layer)."),
)
def test_fit_linear_learns_slope_two(ex):
    """fit_linear : apprend y = 2x (x = 1..4, 2000 époques, lr = 0.01)"""
    x, y = _line_data()
    model = ex.fit_linear(x, y, epochs=2000, lr=0.01)
    expect_type(model, nn.Linear, what=t("objet renvoyé par fit_linear",
                                         "object returned by fit_linear"),
                todo="fit_linear", hint=t("renvoyez la couche nn.Linear(1, 1) entraînée",
                                          "return the trained nn.Linear(1, 1) layer"))
    expect(model.in_features == 1 and model.out_features == 1,
           what=t("taille de la couche renvoyée", "size of the returned layer"),
           expected="nn.Linear(1, 1)",
           got=f"nn.Linear({model.in_features}, {model.out_features})", todo="fit_linear")
    # 2000 epochs leave |w - 2| <= 0.0014 and |b| <= 0.0041 over 50 initial seeds
    # (measured; the contract promises |w - 2| < 0.003). The bias lies along the slow
    # direction of this problem, hence its larger residue. Tolerances: about 7x margin.
    learn_hint = t("à chaque époque : prédiction sur tout X, perte MSE, zero_grad, backward, "
                   "step ; vérifiez que optimizer.step() est bien appelé",
                   "each epoch: predict on all of X, MSE loss, zero_grad, backward, step; "
                   "check that optimizer.step() is called")
    expect_close(model.weight.item(), 2.0, atol=0.01, rtol=0,
                 what=t("pente w apprise pour y = 2x", "slope w learnt for y = 2x"),
                 todo="fit_linear", hint=learn_hint)
    expect_close(model.bias.item(), 0.0, atol=0.03, rtol=0,
                 what=t("ordonnée à l'origine b apprise pour y = 2x",
                        "intercept b learnt for y = 2x"),
                 todo="fit_linear", hint=learn_hint)


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Avec epochs=0, le modèle ne doit faire aucun pas ; avec un lr minuscule, il doit à peine "
      "bouger.",
      "With epochs=0 the model must take no step; with a tiny lr it must barely move."),
    t("Le nombre d'époques et le taux d'apprentissage doivent venir des paramètres de la "
      "fonction, pas de valeurs écrites en dur.",
      "The number of epochs and the learning rate must come from the function's parameters, not "
      "hard-coded values."),
)
def test_fit_linear_uses_epochs_and_lr(ex):
    """fit_linear : respecte epochs et lr (0 époque, taux d'apprentissage minuscule)"""
    x, y = _line_data()
    torch.manual_seed(1)
    start = ex.fit_linear(x, y, epochs=0, lr=0.01)
    # nn.Linear(1, 1) starts with w in (-1, 1): without any step, |w - 2| > 1.
    expect(abs(start.weight.item() - 2.0) > 0.5,
           what=t("poids après epochs = 0 (aucun pas de gradient)",
                  "weights after epochs = 0 (no gradient step)"),
           expected=t("les poids initiaux, loin de w = 2", "the initial weights, far from w = 2"),
           got=f"w = {start.weight.item():.4g}", todo="fit_linear",
           hint=t("faites exactement `epochs` pas de gradient : for _ in range(epochs)",
                  "take exactly `epochs` gradient steps: for _ in range(epochs)"))
    torch.manual_seed(1)
    slow = ex.fit_linear(x, y, epochs=100, lr=1e-8)
    # Same seed, same initial weights: 100 steps at lr 1e-8 move w by at most 5e-5;
    # at lr 0.01 they move it by 0.95 or more (measured over 50 seeds).
    moved = abs(slow.weight.item() - start.weight.item())
    expect(moved < 1e-3,
           what=t("poids après 100 époques avec un taux d'apprentissage minuscule (lr = 1e-8)",
                  "weights after 100 epochs with a tiny learning rate (lr = 1e-8)"),
           expected=t("quasiment les poids initiaux (écart < 0.001)",
                      "almost the initial weights (difference < 0.001)"),
           got=t(f"w a bougé de {moved:.4g}", f"w moved by {moved:.4g}"), todo="fit_linear",
           hint=t("passez lr à l'optimiseur : torch.optim.SGD(model.parameters(), lr=lr)",
                  "pass lr to the optimizer: torch.optim.SGD(model.parameters(), lr=lr)"))


# ----------------------------------------------------------- train_one_epoch


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Le test regarde dans quel mode (entraînement ou évaluation) est le modèle pendant chaque "
      "forward de train_one_epoch.",
      "The test looks at which mode (training or evaluation) the model is in during each "
      "forward of train_one_epoch."),
    t("Le modèle a pu être laissé en mode évaluation par evaluate() : c'est à train_one_epoch "
      "de remettre le bon mode, avant la boucle.",
      "evaluate() may have left the model in evaluation mode: train_one_epoch must set the "
      "right mode itself, before the loop."),
)
def test_train_one_epoch_sets_train_mode(ex):
    """train_one_epoch : le modèle est mis en mode entraînement"""
    model = Recorder(3, 2)
    model.eval()  # left in evaluation mode by a previous evaluate()
    data = TensorDataset(torch.randn(8, 3), torch.randn(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ex.train_one_epoch(model, loader(data, 4), nn.MSELoss(), opt, "cpu")
    expect(len(model.calls) > 0, what=t("appels du modèle pendant l'époque",
                                        "model calls during the epoch"),
           expected=t("un forward par lot", "one forward per batch"),
           got=t("aucun appel", "no call"), todo="train_one_epoch")
    modes = ["train" if training else "eval" for training, _ in model.calls]
    expect(all(training for training, _ in model.calls),
           what=t("mode entraînement du modèle pendant train_one_epoch",
                  "model in training mode during train_one_epoch"),
           expected="model.training == True " + t("à chaque forward", "at every forward"),
           got=t(f"modes vus : {modes}", f"modes seen: {modes}"), todo="train_one_epoch",
           hint=t("appelez model.train() au début : evaluate() a pu laisser le modèle en "
                  "mode évaluation (Dropout et BatchNorm se comporteraient mal)",
                  "call model.train() first: evaluate() may have left the model in "
                  "evaluation mode (Dropout and BatchNorm would misbehave)"))


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Le test compte les appels à optimizer.step() (un par lot) et regarde les gradients juste "
      "avant chacun.",
      "The test counts the optimizer.step() calls (one per batch) and looks at the gradients "
      "just before each."),
    t("Par défaut, PyTorch additionne les gradients d'un backward à l'autre : ils doivent être "
      "remis à zéro à chaque lot, avant le backward.",
      "By default PyTorch adds up gradients from one backward to the next: they must be reset "
      "at every batch, before the backward."),
    t("Tout se passe dans la boucle sur loader : pour chaque lot, remise à zéro, perte, "
      "backward, puis step. Vérifiez l'ordre et l'indentation.",
      "Everything happens inside the loop over loader: for each batch, reset, loss, backward, "
      "then step. Check the order and the indentation."),
)
def test_train_one_epoch_steps_with_fresh_gradients(ex):
    """train_one_epoch : un step par lot, gradients remis à zéro à chaque lot"""
    # Four identical batches and lr = 0: the weights never move, so every batch
    # must produce the very same gradient when it reaches optimizer.step().
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    data = TensorDataset(x.repeat(4, 1), y.repeat(4, 1))
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    seen: list[list[torch.Tensor | None]] = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(
        [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]))
    ex.train_one_epoch(model, loader(data, 5), nn.MSELoss(), opt, torch.device("cpu"))
    expect(len(seen) == 4, what=t("nombre d'appels à optimizer.step() pour 4 lots",
                                  "number of optimizer.step() calls for 4 batches"),
           expected="4", got=str(len(seen)), todo="train_one_epoch",
           hint=t("un optimizer.step() par lot, dans la boucle sur loader",
                  "one optimizer.step() per batch, inside the loop over loader"))
    for k, grads in enumerate(seen, start=1):
        ok = all(g is not None and bool(g.abs().sum() > 0) for g in grads)
        expect(ok, what=t(f"gradients présents avant chaque optimizer.step() (lot {k})",
                          f"gradients present before each optimizer.step() (batch {k})"),
               expected=t("un gradient non nul pour chaque paramètre",
                          "a non-zero gradient for every parameter"),
               got=t("gradient absent ou nul", "missing or zero gradient"),
               todo="train_one_epoch",
               hint=t("l'ordre est : perte, zero_grad, loss.backward(), puis optimizer.step()",
                      "the order is: loss, zero_grad, loss.backward(), then optimizer.step()"))
    for k, grads in enumerate(seen[1:], start=2):
        for g, g1 in zip(grads, seen[0]):
            expect_close(g, g1, atol=1e-6,
                         what=t(f"gradients remis à zéro à chaque lot : gradient au lot {k} "
                                "(lots identiques, lr = 0) comparé au lot 1",
                                f"gradients reset at every batch: gradient at batch {k} "
                                "(identical batches, lr = 0) against batch 1"),
                         todo="train_one_epoch",
                         hint=t("sans zero_grad, les gradients s'additionnent d'un lot à "
                                "l'autre : au lot k ils valent k fois le bon gradient",
                                "without zero_grad, gradients add up from batch to batch: "
                                "at batch k they are k times the right gradient"))


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Regardez le type et la valeur renvoyés : un float Python, la perte moyenne sur l'époque.",
      "Look at the type and value returned: a Python float, the mean loss over the epoch."),
    t("Accumulez la perte de chaque lot comme un nombre (pas un tenseur), puis divisez par le "
      "nombre de lots : ni la somme, ni la perte du dernier lot.",
      "Accumulate each batch's loss as a number (not a tensor), then divide by the number of "
      "batches: neither the sum nor the last batch's loss."),
)
def test_train_one_epoch_returns_mean_loss(ex):
    """train_one_epoch : renvoie la perte moyenne de l'époque, un float"""
    # lr = 0 keeps the weights fixed, so every batch loss is computed with the same
    # model: with 4 equal batches, their mean is the loss on the whole data set.
    x, y = torch.randn(20, 4), torch.randint(0, 3, (20,))
    model = nn.Linear(4, 3)
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        want = loss_fn(model(x), y).item()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    got = ex.train_one_epoch(model, loader(TensorDataset(x, y), 5), loss_fn, opt)
    expect_type(got, float, what=t("type de la valeur renvoyée par train_one_epoch",
                                   "type of the value returned by train_one_epoch"),
                todo="train_one_epoch",
                hint=t("accumulez loss.item() (un float), pas le tenseur loss",
                       "accumulate loss.item() (a float), not the loss tensor"))
    expect_close(got, want, atol=1e-5, rtol=1e-5,
                 what=t("perte moyenne renvoyée (4 lots de 5 exemples, poids fixes)",
                        "mean loss returned (4 batches of 5 samples, fixed weights)"),
                 todo="train_one_epoch",
                 hint=t("additionnez la perte de chaque lot, puis divisez par le nombre de "
                        "lots (len(loader)) : ni la somme, ni la perte du dernier lot",
                        "add up every batch's loss, then divide by the number of batches "
                        "(len(loader)): neither the sum nor the last batch's loss"))


@pytest.mark.points(1)
@pytest.mark.hints(
    t("Sur de vrais chiffres MNIST, la perte doit baisser nettement en 3 époques : si elle "
      "stagne, le modèle n'apprend pas.",
      "On real MNIST digits the loss must clearly go down in 3 epochs: if it stalls, the model "
      "is not learning."),
    t("Vérifiez que les poids changent bien à chaque lot (un step après chaque backward) et que "
      "les entrées et étiquettes sont envoyées sur device.",
      "Check that the weights change at every batch (a step after each backward) and that "
      "inputs and labels are sent to device."),
)
def test_train_one_epoch_learns_mnist(ex, mnist):
    """train_one_epoch : la perte baisse en 3 époques sur 512 chiffres MNIST"""
    data = take(mnist.train, 512)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    before = model[1].weight.detach().clone()
    losses = []
    for epoch in range(3):
        loss = ex.train_one_epoch(model, loader(data, 64, shuffle=True, seed=epoch), loss_fn,
                                  opt, "cpu")
        expect(isinstance(loss, float) and math.isfinite(loss),
               what=t(f"perte renvoyée à l'époque {epoch + 1}",
                      f"loss returned at epoch {epoch + 1}"),
               expected=t("un float fini", "a finite float"), got=repr(loss),
               todo="train_one_epoch")
        if epoch == 0:
            expect(not torch.equal(model[1].weight, before),
                   what=t("les poids changent pendant une époque",
                          "the weights change during an epoch"),
                   expected=t("des poids mis à jour", "updated weights"),
                   got=t("poids identiques à ceux du départ", "weights identical to the start"),
                   todo="train_one_epoch",
                   hint=t("appelez optimizer.step() après loss.backward() pour chaque lot",
                          "call optimizer.step() after loss.backward() for every batch"))
        losses.append(loss)
    # Measured on three seeds: the third epoch's loss is 0.33-0.36x the first one.
    expect_converges(losses[2], 0.7 * losses[0], higher_is_better=False,
                     what=t(f"perte de la 3e époque (pertes : {[round(v, 3) for v in losses]})",
                            f"loss of the 3rd epoch (losses: {[round(v, 3) for v in losses]})"),
                     todo="train_one_epoch",
                     hint=t("la perte doit baisser nettement : forward, perte, zero_grad, "
                            "backward, step pour chaque lot",
                            "the loss must clearly go down: forward, loss, zero_grad, "
                            "backward, step for every batch"))


# ------------------------------------------------------------------ evaluate


@pytest.mark.points(2)
@pytest.mark.hints(
    t("evaluate renvoie un tuple de deux floats : la perte moyenne, puis l'exactitude en "
      "fraction de [0, 1]. Comparez chaque valeur à l'attendu.",
      "evaluate returns a tuple of two floats: the mean loss, then the accuracy as a fraction "
      "in [0, 1]. Compare each value with the expected one."),
    t("La prédiction d'un exemple est la classe de plus grand logit ; l'exactitude est le "
      "nombre de bonnes prédictions divisé par le nombre d'exemples (pas de lots).",
      "A sample's prediction is the class with the largest logit; accuracy is the number of "
      "right predictions divided by the number of samples (not batches)."),
    t("Pour la perte, faites comme dans train_one_epoch : moyenne des pertes des lots, en "
      "nombres Python.",
      "For the loss, do as in train_one_epoch: the mean of the batch losses, as Python numbers."),
)
def test_evaluate_loss_and_accuracy(ex):
    """evaluate : perte moyenne et exactitude dans [0, 1] sur des données faites à la main"""
    # Logits = inputs (identity weights): 6 of these 8 predictions are right.
    x = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0], [3.0, 1.0],
                      [0.0, 2.0], [1.0, 0.0], [2.0, 1.0], [0.0, 4.0]])
    y = torch.tensor([0, 1, 1, 0, 0, 0, 1, 1])
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    loss_fn = nn.CrossEntropyLoss()
    want_loss = loss_fn(x, y).item()
    result = ex.evaluate(model, loader(TensorDataset(x, y), 4), loss_fn, "cpu")
    expect(isinstance(result, tuple) and len(result) == 2,
           what=t("valeur renvoyée par evaluate", "value returned by evaluate"),
           expected=t("un tuple (perte moyenne, exactitude)", "a tuple (mean loss, accuracy)"),
           got=f"{type(result).__name__} ({result!r})"[:120], todo="evaluate")
    loss, acc = result
    for value, what in ((loss, t("type de la perte renvoyée", "type of the returned loss")),
                        (acc, t("type de l'exactitude renvoyée",
                                "type of the returned accuracy"))):
        expect_type(value, float, what=what,
                    todo="evaluate", hint=t("convertissez avec .item() ou float(...)",
                                            "convert with .item() or float(...)"))
    expect(0.0 <= acc <= 1.0, what=t("exactitude dans [0, 1]", "accuracy within [0, 1]"),
           expected=t("une fraction entre 0 et 1", "a fraction between 0 and 1"),
           got=f"{acc:g}", todo="evaluate",
           hint=t("renvoyez une fraction, pas un pourcentage : ne multipliez pas par 100",
                  "return a fraction, not a percentage: do not multiply by 100"))
    expect_close(acc, 0.75, atol=1e-6, rtol=0,
                 what=t("exactitude (6 bonnes prédictions sur 8)",
                        "accuracy (6 right predictions out of 8)"),
                 todo="evaluate",
                 hint=t("prédiction = argmax des logits sur la dimension des classes (dim=1) ; "
                        "divisez le nombre de bonnes prédictions par le nombre d'exemples",
                        "prediction = argmax of the logits over the class dimension (dim=1); "
                        "divide the number of right predictions by the number of samples"))
    expect_close(loss, want_loss, atol=1e-6, rtol=1e-5,
                 what=t("perte moyenne (2 lots de 4 exemples)", "mean loss (2 batches of 4)"),
                 todo="evaluate",
                 hint=t("moyenne des pertes des lots, comme dans train_one_epoch",
                        "mean of the batch losses, as in train_one_epoch"))


@pytest.mark.points(1)
@pytest.mark.hints(
    t("evaluate mesure sans apprendre : le test vérifie le mode du modèle, l'absence de graphe "
      "d'autograd et que poids et gradients restent intacts.",
      "evaluate measures without learning: the test checks the model's mode, that no autograd "
      "graph is built, and that weights and gradients stay intact."),
    t("Deux réglages sont attendus pendant l'évaluation : le mode évaluation du modèle, et un "
      "bloc qui désactive autograd. Et aucune étape d'optimisation.",
      "Two settings are expected during evaluation: the model's evaluation mode, and a block "
      "that turns autograd off. And no optimization step."),
)
def test_evaluate_eval_mode_no_grad_unchanged(ex):
    """evaluate : mode évaluation, torch.no_grad(), poids et gradients inchangés"""
    model = Recorder(3, 2)
    model.train()  # left in training mode by train_one_epoch()
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)  # left over from the last training step
    weights = [p.detach().clone() for p in model.parameters()]
    data = TensorDataset(torch.randn(12, 3), torch.randint(0, 2, (12,)))
    ex.evaluate(model, loader(data, 4), nn.CrossEntropyLoss(), "cpu")
    expect(len(model.calls) > 0, what=t("appels du modèle pendant evaluate",
                                        "model calls during evaluate"),
           expected=t("un forward par lot", "one forward per batch"),
           got=t("aucun appel", "no call"), todo="evaluate")
    modes = ["train" if training else "eval" for training, _ in model.calls]
    expect(not any(training for training, _ in model.calls),
           what=t("mode évaluation du modèle pendant evaluate",
                  "model in evaluation mode during evaluate"),
           expected="model.training == False " + t("à chaque forward", "at every forward"),
           got=t(f"modes vus : {modes}", f"modes seen: {modes}"), todo="evaluate",
           hint=t("appelez model.eval() : sinon Dropout éteint des neurones au hasard et "
                  "BatchNorm modifie ses statistiques pendant l'évaluation",
                  "call model.eval(): otherwise Dropout drops units at random and "
                  "BatchNorm updates its statistics during evaluation"))
    expect(not any(grad_on for _, grad_on in model.calls),
           what=t("calcul sous torch.no_grad() pendant evaluate",
                  "computation under torch.no_grad() during evaluate"),
           expected="torch.is_grad_enabled() == False " + t("à chaque forward",
                                                            "at every forward"),
           got=t("autograd enregistre le calcul", "autograd records the computation"),
           todo="evaluate",
           hint=t("entourez la boucle de `with torch.no_grad():` : sans lui, autograd garde "
                  "un graphe inutile en mémoire",
                  "wrap the loop in `with torch.no_grad():`: without it autograd keeps a "
                  "useless graph in memory"))
    unchanged_hint = t("evaluate n'appelle ni backward, ni step, ni zero_grad",
                       "evaluate calls neither backward, nor step, nor zero_grad")
    for p, w in zip(model.parameters(), weights):
        expect(torch.equal(p.detach(), w), what=t("poids inchangés par evaluate",
                                                  "weights unchanged by evaluate"),
               expected=t("les poids d'avant l'appel", "the weights from before the call"),
               got=t("poids modifiés", "modified weights"), todo="evaluate", hint=unchanged_hint)
        expect(p.grad is not None and bool((p.grad == 0.5).all()),
               what=t("gradients inchangés par evaluate", "gradients unchanged by evaluate"),
               expected=t("les gradients d'avant l'appel", "the gradients from before the call"),
               got=t("gradients modifiés ou effacés", "gradients modified or cleared"),
               todo="evaluate", hint=unchanged_hint)

