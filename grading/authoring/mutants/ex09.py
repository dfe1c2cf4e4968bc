"""Planted bugs and correct rewrites of ex09_training_tricks."""

from grading.authoring.mutants import Mutant, Variant

IMPROVES = "if self.best_loss - val_loss >= self.min_delta:"

MUTANTS = (
    # --- EarlyStopper
    Mutant("ex09", "stopper-strict", "counts an improvement only when it exceeds min_delta (>)",
           IMPROVES, "if self.best_loss - val_loss > self.min_delta:",
           "exactement égale à min_delta"),
    Mutant("ex09", "stopper-no-min-delta", "ignores min_delta: any decrease is an improvement",
           IMPROVES, "if val_loss < self.best_loss:",
           "inférieur à min_delta"),
    Mutant("ex09", "stopper-no-reset", "keeps counting after an improvement (no counter = 0)",
           "            self.best_loss = val_loss\n            self.counter = 0\n",
           "            self.best_loss = val_loss\n",
           "remettez counter à 0"),
    Mutant("ex09", "stopper-one-late", "stops one epoch late (counter > patience)",
           "return self.counter >= self.patience", "return self.counter > self.patience",
           "après patience époques sans progrès"),
    Mutant("ex09", "stopper-best-zero", "starts from best_loss = 0: the first call never improves",
           '        self.best_loss = float("inf")\n', "        self.best_loss = 0.0\n",
           "premier appel"),
    Mutant("ex09", "stopper-best-follows", "lowers best_loss on every smaller loss, even without "
           "an improvement of min_delta",
           "            self.counter += 1\n",
           "            self.counter += 1\n"
           "            self.best_loss = min(self.best_loss, val_loss)\n",
           "best_loss ne change pas"),
    # --- l1_penalty
    Mutant("ex09", "l1-squares", "sums the squares (an L2 penalty) instead of |θ|",
           "p.abs().sum() for p in model.parameters()",
           "p.pow(2).sum() for p in model.parameters()",
           "valeurs absolues"),
    Mutant("ex09", "l1-mean", "averages |θ| per tensor instead of summing",
           "p.abs().sum() for p in model.parameters()",
           "p.abs().mean() for p in model.parameters()",
           "ni carrés ni moyenne"),
    Mutant("ex09", "l1-frozen-too", "also penalises frozen parameters",
           "for p in model.parameters() if p.requires_grad)", "for p in model.parameters())",
           "paramètres gelés"),
    Mutant("ex09", "l1-item", "returns a Python number (.item()): nothing to differentiate",
           "    return coef * sum(p.abs().sum() for p in model.parameters() if p.requires_grad)",
           "    return (coef * sum(p.abs().sum() for p in model.parameters()\n"
           "                       if p.requires_grad)).item()",
           "torch.Tensor"),
    # --- make_sgd
    Mutant("ex09", "sgd-no-weight-decay", "forgets to pass weight_decay to SGD",
           "    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,\n"
           "                           weight_decay=weight_decay)",
           "    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)",
           "weight_decay de make_sgd"),
    Mutant("ex09", "sgd-fixed-lr", "hard-codes lr=0.1",
           "torch.optim.SGD(model.parameters(), lr=lr,",
           "torch.optim.SGD(model.parameters(), lr=0.1,",
           "lr de make_sgd"),
    Mutant("ex09", "sgd-fixed-momentum", "hard-codes momentum=0.9",
           "momentum=momentum,", "momentum=0.9,",
           "momentum de make_sgd"),
    # --- fit
    Mutant("ex09", "fit-l1-in-train-loss", "records the loss with the L1 term as train_loss",
           "            total += loss.item()\n", "            total += objective.item()\n",
           "sans le terme L1"),
    Mutant("ex09", "fit-no-l1", "never adds the L1 penalty to the optimised objective",
           "objective = loss + l1_penalty(model, l1_coef) if l1_coef > 0 else loss",
           "objective = loss",
           "l'objectif optimisé est"),
    Mutant("ex09", "fit-no-zero-grad", "never resets the gradients between batches",
           "            optimizer.zero_grad()\n", "",
           "après zero_grad"),
    Mutant("ex09", "fit-sum-loss", "records the sum of the batch losses, not their mean",
           "train_loss, train_acc = total / len(train_loader), correct / seen",
           "train_loss, train_acc = total, correct / seen",
           "total / len(train_loader)"),
    Mutant("ex09", "fit-acc-percent", "records the validation accuracy as a percentage",
           "val_loss, val_acc = total / len(val_loader), correct / seen",
           "val_loss, val_acc = total / len(val_loader), 100 * correct / seen",
           "pas un pourcentage"),
    Mutant("ex09", "fit-no-train-mode", "never calls model.train(): after the first validation, "
           "training runs in eval mode",
           "        model.train()\n", "",
           "model.train() au début de chaque époque"),
    Mutant("ex09", "fit-no-eval-mode", "validates in training mode",
           "        model.eval()\n", "",
           "model.eval()"),
    Mutant("ex09", "fit-no-no-grad", "validates with gradient tracking on",
           "        with torch.no_grad():\n", "        if True:\n",
           "torch.no_grad()"),
    Mutant("ex09", "fit-lr-after-step", "records the learning rate after the scheduler's step",
           "                scheduler.step()\n",
           "                scheduler.step()\n"
           '        history.lr[-1] = optimizer.param_groups[0]["lr"]\n',
           "avant l'entraînement de l'époque"),
    Mutant("ex09", "fit-scheduler-per-batch", "also steps the scheduler after every batch",
           "            optimizer.step()\n",
           "            optimizer.step()\n"
           "            if scheduler is not None and not isinstance(scheduler, "
           "ReduceLROnPlateau):\n"
           "                scheduler.step()\n",
           "pas par lot"),
    Mutant("ex09", "fit-step-with-loss", "passes the validation loss to every scheduler",
           "                scheduler.step()\n", "                scheduler.step(val_loss)\n",
           "sans argument"),
    Mutant("ex09", "fit-plateau-on-train", "steps ReduceLROnPlateau on the training loss",
           "                scheduler.step(val_loss)\n",
           "                scheduler.step(train_loss)\n",
           "c'est la perte de validation qui règle"),
    Mutant("ex09", "fit-no-scheduler", "never steps the scheduler",
           "        if scheduler is not None:\n", "        if False:\n",
           "scheduler.step"),
    Mutant("ex09", "fit-stopper-ignored", "asks the stopper but never stops",
           "            break\n", "            pass\n",
           "arrêtez dès qu'il renvoie True"),
    Mutant("ex09", "fit-stopper-train-loss", "gives the stopper the training loss",
           "early_stopper.step(val_loss):", "early_stopper.step(train_loss):",
           "pas la perte d'entraînement"),
    # --- parameter_stats
    Mutant("ex09", "stats-biased-std", "uses the biased standard deviation (division by N)",
           '"std": flat.std().item()', '"std": flat.std(unbiased=False).item()',
           "N − 1"),
    Mutant("ex09", "stats-mean-of-means", "averages the per-tensor means",
           '"mean": flat.mean().item()',
           '"mean": torch.stack([p.mean() for p in model.parameters()]).mean().item()',
           "moyenne des moyennes"),
    Mutant("ex09", "stats-state-dict", "reads the state_dict, buffers included",
           "torch.cat([p.detach().flatten() for p in model.parameters()])",
           "torch.cat([p.detach().flatten().float() for p in model.state_dict().values()])",
           "buffers"),
)

VARIANTS = (
    Variant("ex09", "helpers", "best_loss None at start, torch.norm, trainable-only SGD, "
            "train metrics re-measured after the epoch, per-sample means, inference_mode, "
            "get_last_lr, L1 always added, prints, 0-d tensor stats",
            (('        self.best_loss = float("inf")\n', "        self.best_loss = None\n"),
             (IMPROVES,
              "if self.best_loss is None or self.best_loss - val_loss >= self.min_delta:"),
             ("    return coef * sum(p.abs().sum() for p in model.parameters() if p.requires_grad)",
              "    norms = [torch.norm(p, 1) for p in model.parameters() if p.requires_grad]\n"
              "    return torch.stack(norms).sum() * coef"),
             ("    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,\n"
              "                           weight_decay=weight_decay)",
              "    trainable = [p for p in model.parameters() if p.requires_grad]\n"
              "    return torch.optim.SGD(trainable, lr, momentum, weight_decay=weight_decay)"),
             ("""    device = torch.device(device)
    model.to(device)
    history = History()
    for _ in range(epochs):
        lr = optimizer.param_groups[0]["lr"]
        model.train()
        total, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = loss_fn(logits, y)
            objective = loss + l1_penalty(model, l1_coef) if l1_coef > 0 else loss
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            total += loss.item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()
        train_loss, train_acc = total / len(train_loader), correct / seen

        model.eval()
        total, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item()
                correct += (logits.argmax(dim=1) == y).sum().item()
                seen += y.numel()
        val_loss, val_acc = total / len(val_loader), correct / seen
""",
              """    def measure(data):
        model.eval()
        total, correct = 0.0, 0
        with torch.inference_mode():
            for x, y in data:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += float(loss_fn(logits, y)) * len(y)
                correct += int((logits.argmax(1) == y).sum())
        return total / len(data.dataset), correct / len(data.dataset)

    model = model.to(device)
    history = History()
    for epoch in range(epochs):
        lr = scheduler.get_last_lr()[0] if scheduler is not None else \\
            optimizer.param_groups[0]["lr"]
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y) + l1_coef * sum(
                p.abs().sum() for p in model.parameters() if p.requires_grad)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        train_loss, train_acc = measure(train_loader)
        val_loss, val_acc = measure(val_loader)
        print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.3f}")
"""),
             ("            if isinstance(scheduler, ReduceLROnPlateau):",
              "            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):"),
             ("""    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    return {"min": flat.min().item(), "max": flat.max().item(),
            "mean": flat.mean().item(), "std": flat.std().item()}""",
              """    vec = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    return {"min": vec.min(), "max": vec.max(), "mean": vec.mean(), "std": torch.std(vec)}"""))),
    Variant("ex09", "plain-loop", "threshold form of the improvement test, L1 summed in a loop, "
            "keyword SGD, running accuracy under no_grad, lists gathered then copied, "
            "scheduler told apart by its class name, view(-1) and float stats",
            ((IMPROVES, "if val_loss <= self.best_loss - self.min_delta:"),
             ("        return self.counter >= self.patience",
              "        if self.counter >= self.patience:\n"
              "            return True\n"
              "        return False"),
             ("    return coef * sum(p.abs().sum() for p in model.parameters() if p.requires_grad)",
              "    penalty = torch.tensor(0.0)\n"
              "    for p in model.parameters():\n"
              "        if p.requires_grad:\n"
              "            penalty = penalty + torch.sum(torch.abs(p))\n"
              "    return penalty * coef"),
             ("    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,\n"
              "                           weight_decay=weight_decay)",
              "    return torch.optim.SGD(params=model.parameters(), lr=lr, momentum=momentum,\n"
              "                           dampening=0, weight_decay=weight_decay, nesterov=False)"),
             ("""            logits = model(x)
            loss = loss_fn(logits, y)
            objective = loss + l1_penalty(model, l1_coef) if l1_coef > 0 else loss
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            total += loss.item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()""",
              """            optimizer.zero_grad()
            logits = model(x)
            data_loss = loss_fn(logits, y)
            if l1_coef:
                (data_loss + l1_penalty(model, coef=l1_coef)).backward()
            else:
                data_loss.backward()
            optimizer.step()
            total += data_loss.detach().item()
            with torch.no_grad():
                correct += torch.sum(torch.argmax(logits, dim=1) == y).item()
            seen += len(y)"""),
             ("""        history.train_loss.append(train_loss)
        history.val_loss.append(val_loss)
        history.train_acc.append(train_acc)
        history.val_acc.append(val_acc)
        history.lr.append(lr)
""",
              """        for name, value in (("train_loss", train_loss), ("val_loss", val_loss),
                            ("train_acc", train_acc), ("val_acc", val_acc), ("lr", lr)):
            getattr(history, name).append(value)
        print(history)
"""),
             ("            if isinstance(scheduler, ReduceLROnPlateau):",
              '            if type(scheduler).__name__ == "ReduceLROnPlateau":'),
             ("""    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    return {"min": flat.min().item(), "max": flat.max().item(),
            "mean": flat.mean().item(), "std": flat.std().item()}""",
              """    with torch.no_grad():
        values = torch.cat([p.reshape(-1) for p in model.parameters()])
    return {"mean": float(values.mean()), "std": float(values.std(unbiased=True)),
            "min": float(torch.min(values)), "max": float(torch.max(values))}"""))),
)
