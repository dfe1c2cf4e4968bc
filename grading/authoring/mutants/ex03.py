"""Planted bugs for ex03_simple_nn."""

from grading.authoring.mutants import Mutant, Variant

MUTANTS = (
    Mutant("ex03", "activation-ignored", "always uses ReLU, whatever activation is passed",
           "self.activation = activation if activation is not None else nn.ReLU()",
           "self.activation = nn.ReLU()",
           "module activation reçu"),
    Mutant("ex03", "softmax-output", "applies a softmax to the logits",
           "return self.fc2(self.activation(self.fc1(self.flatten(x))))",
           "return torch.softmax(self.fc2(self.activation(self.fc1(self.flatten(x)))), dim=1)",
           "softmax"),
    Mutant("ex03", "hidden-no-bias", "builds the hidden layer without a bias",
           "self.fc1 = nn.Linear(in_features, hidden)",
           "self.fc1 = nn.Linear(in_features, hidden, bias=False)",
           "nombre de paramètres"),
    Mutant("ex03", "hardcoded-784", "flattens with a hard-coded 784 instead of in_features",
           "self.fc1(self.flatten(x))", "self.fc1(x.view(-1, 784))",
           "in_features"),
    Mutant("ex03", "accuracy-percent", "returns the accuracy as a percentage",
           "accuracy=correct / seen)", "accuracy=100 * correct / seen)",
           "pourcentage"),
    Mutant("ex03", "seconds-total", "reports the total training time as seconds_per_epoch",
           "seconds = (time.perf_counter() - start) / epochs",
           "seconds = time.perf_counter() - start",
           "divisez par epochs"),
    Mutant("ex03", "no-step", "never calls optimizer.step(): the model does not learn",
           "            optimizer.step()\n", "",
           "optimizer.step() n'est jamais appelé"),
    Mutant("ex03", "one-epoch", "trains a single epoch whatever epochs is",
           "for _ in range(epochs):", "for _ in range(1):",
           "bouclez epochs fois"),
    Mutant("ex03", "no-zero-grad", "never resets the gradients between batches",
           "            optimizer.zero_grad()\n", "",
           "zero_grad"),
    Mutant("ex03", "no-train-mode", "never calls model.train() before training",
           "        model.train()\n", "",
           "model.train()"),
    Mutant("ex03", "no-eval-mode", "measures the accuracy in training mode",
           "    model.eval()\n", "",
           "model.eval()"),
    Mutant("ex03", "no-no-grad", "measures the accuracy with gradient tracking on",
           "    with torch.no_grad():\n", "    if True:\n",
           "torch.no_grad()"),
    Mutant("ex03", "peak-zero-on-cpu", "reports 0.0 instead of None for peak memory on CPU",
           "if on_cuda else None", "if on_cuda else 0.0",
           "renvoyez None"),
    Mutant("ex03", "last-batch-accuracy", "overwrites the counts with each test batch",
           "            correct += (model(x).argmax(dim=1) == y).sum().item()\n"
           "            seen += y.numel()\n",
           "            correct = (model(x).argmax(dim=1) == y).sum().item()\n"
           "            seen = y.numel()\n",
           "nombre total d'exemples"),
)

VARIANTS = (
    Variant("ex03", "sequential", "nn.Sequential in one attribute, activation or ReLU",
            (("""        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.activation = activation if activation is not None else nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)""",
              """        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden),
                                 activation or nn.ReLU(), nn.Linear(hidden, num_classes))"""),
             ("        return self.fc2(self.activation(self.fc1(self.flatten(x))))",
              "        return self.net(x)"))),
    Variant("ex03", "functional", "F.relu by default, view, time.time, accuracy as a tensor",
            (("""        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, hidden)
        self.activation = activation if activation is not None else nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)""",
              """        self.hidden_layer = nn.Linear(in_features, hidden)
        self.act = activation
        self.out = nn.Linear(hidden, num_classes)"""),
             ("        return self.fc2(self.activation(self.fc1(self.flatten(x))))",
              """        h = self.hidden_layer(x.view(x.size(0), -1))
        h = torch.nn.functional.relu(h) if self.act is None else self.act(h)
        return self.out(h)"""),
             ("    start = time.perf_counter()", "    start = time.time()"),
             ("    seconds = (time.perf_counter() - start) / epochs",
              "    seconds = (time.time() - start) / epochs\n    print('epoch time', seconds)"),
             ("            correct += (model(x).argmax(dim=1) == y).sum().item()",
              "            correct += (model(x).argmax(dim=1) == y).sum()"),
             ("accuracy=correct / seen)", "accuracy=float(correct) / seen)"))),
)
