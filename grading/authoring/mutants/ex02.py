"""Planted bugs for ex02_training_loop."""

from grading.authoring.mutants import Mutant, Variant

MUTANTS = (
    Mutant("ex02", "fit-no-step", "never calls optimizer.step() in fit_linear",
           "        optimizer.step()\n    return model", "    return model",
           "pente w apprise"),
    Mutant("ex02", "fit-ignores-lr", "hard-codes the learning rate in fit_linear",
           "torch.optim.SGD(model.parameters(), lr=lr)",
           "torch.optim.SGD(model.parameters(), lr=0.01)",
           "taux d'apprentissage minuscule"),
    Mutant("ex02", "fit-ignores-epochs", "hard-codes the number of epochs in fit_linear",
           "for _ in range(epochs):", "for _ in range(2000):",
           "epochs = 0"),
    Mutant("ex02", "fit-no-zero-grad", "never resets the gradients in fit_linear",
           "        loss = loss_fn(model(X), Y)\n        optimizer.zero_grad()\n",
           "        loss = loss_fn(model(X), Y)\n",
           "pas de gradient"),
    Mutant("ex02", "train-no-train-mode", "forgets model.train() in train_one_epoch",
           "    model.train()\n", "",
           "mode entraînement"),
    Mutant("ex02", "train-no-zero-grad", "never resets the gradients in train_one_epoch",
           "optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
           "        total += loss.item()",
           "loss.backward()\n        optimizer.step()\n        total += loss.item()",
           "remis à zéro à chaque lot"),
    Mutant("ex02", "train-step-before-backward", "steps before computing the gradients",
           "loss.backward()\n        optimizer.step()\n        total += loss.item()",
           "optimizer.step()\n        loss.backward()\n        total += loss.item()",
           "avant chaque optimizer.step()"),
    Mutant("ex02", "train-returns-sum", "returns the sum of the batch losses, not their mean",
           "return total / len(loader)\n", "return total\n",
           "perte moyenne"),
    Mutant("ex02", "train-last-batch-loss", "returns the last batch's loss",
           "total += loss.item()", "total = loss.item() * len(loader)",
           "perte moyenne"),
    Mutant("ex02", "eval-no-eval-mode", "forgets model.eval() in evaluate",
           "    model.eval()\n", "",
           "mode évaluation"),
    Mutant("ex02", "eval-no-no-grad", "evaluates without torch.no_grad()",
           "    with torch.no_grad():\n        for x, y in loader:",
           "    if True:\n        for x, y in loader:",
           "torch.no_grad()"),
    Mutant("ex02", "eval-percentage", "returns the accuracy as a percentage",
           "correct / seen", "100 * correct / seen",
           "exactitude dans [0, 1]"),
    Mutant("ex02", "eval-argmax-no-dim", "takes the argmax of the flattened logits",
           "logits.argmax(dim=1)", "logits.argmax()",
           "bonnes prédictions"),
    Mutant("ex02", "eval-tensor-accuracy", "counts with a tensor and returns a tensor accuracy",
           "correct += (logits.argmax(dim=1) == y).sum().item()",
           "correct += (logits.argmax(dim=1) == y).sum()",
           "type de l'exactitude"),
)

VARIANTS = (
    Variant("ex02", "per-sample", "per-sample mean, model.zero_grad() after step, float(loss)",
            (("""        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)""",
              """        loss.backward()
        optimizer.step()
        model.zero_grad()
        total += float(loss) * x.shape[0]
    return total / len(loader.dataset)"""),
             ("""            total += loss_fn(logits, y).item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.numel()
    return total / len(loader), correct / seen""",
              """            total += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
    return total / seen, correct / seen"""))),
    Variant("ex02", "inference-mode", "inference_mode, mean of batch accuracies, prints",
            (("    with torch.no_grad():\n        for x, y in loader:",
              "    with torch.inference_mode():\n        for x, y in loader:"),
             ("            correct += (logits.argmax(dim=1) == y).sum().item()\n"
              "            seen += y.numel()\n    return total / len(loader), correct / seen",
              "            correct += (logits.argmax(dim=1) == y).float().mean().item()\n"
              "            print(f\"batch loss {total:.3f}\")\n"
              "    return total / len(loader), correct / len(loader)"),
             ("        loss = loss_fn(model(X), Y)\n        optimizer.zero_grad()",
              "        optimizer.zero_grad(set_to_none=True)\n"
              "        loss = loss_fn(model(X), Y)"))),
)
