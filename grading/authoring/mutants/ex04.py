"""Planted bugs for ex04_activations_optimizers."""

from grading.authoring.mutants import Mutant, Variant

MUTANTS = (
    Mutant("ex04", "sigmoid-is-tanh", "maps sigmoid to nn.Tanh",
           '"sigmoid": nn.Sigmoid', '"sigmoid": nn.Tanh',
           "activation 'sigmoid'"),
    Mutant("ex04", "activation-keyerror", "looks the name up in a dict without a ValueError",
           "    if name not in activations:\n"
           '        raise ValueError(f"unknown activation {name!r}; '
           'choose one of {sorted(activations)}")\n', "",
           "ValueError"),
    Mutant("ex04", "adam-lr-1e-2", "builds Adam with lr 1e-2 instead of 1e-3",
           "torch.optim.Adam(params, lr=1e-3)", "torch.optim.Adam(params, lr=1e-2)",
           "taux d'apprentissage"),
    Mutant("ex04", "adamw", "builds AdamW (weight decay 0.01) instead of Adam",
           "torch.optim.Adam(params, lr=1e-3)", "torch.optim.AdamW(params, lr=1e-3)",
           "type de make_optimizer('adam'"),
    Mutant("ex04", "no-momentum", "forgets momentum=0.9 for sgd_momentum",
           "torch.optim.SGD(params, lr=0.01, momentum=0.9)", "torch.optim.SGD(params, lr=0.01)",
           "momentum de make_optimizer('sgd_momentum'"),
    Mutant("ex04", "optimizer-returns-none", "returns None for an unknown optimizer name",
           'raise ValueError(f"unknown optimizer {name!r}; choose one of "\n'
           '                     "[\'adam\', \'rmsprop\', \'sgd\', \'sgd_momentum\']")',
           "return None",
           "ValueError"),
    Mutant("ex04", "fresh-init", "never loads the shared initial state: each run its own init",
           "        model.load_state_dict(initial_state)\n", "",
           "mêmes poids initiaux"),
    Mutant("ex04", "same-optimizer", "trains every run with the first config's optimizer",
           'optimizer = make_optimizer(config["optimizer"], model.parameters())',
           'optimizer = make_optimizer(next(iter(configs.values()))["optimizer"], '
           "model.parameters())",
           "optimiseur de l'essai"),
    Mutant("ex04", "one-epoch", "ignores epochs and trains for one epoch",
           "for _ in range(epochs):", "for _ in range(1):",
           "époques"),
    Mutant("ex04", "no-zero-grad", "never zeroes the gradients: they accumulate across batches",
           "                optimizer.zero_grad()\n", "",
           "poids finaux"),
    Mutant("ex04", "time-not-per-epoch", "reports the total training time, not per epoch",
           "seconds = (time.perf_counter() - start) / epochs",
           "seconds = time.perf_counter() - start",
           "durée par époque"),
    Mutant("ex04", "accuracy-on-train", "measures accuracy on the training loader",
           "            for x, y in test_loader:", "            for x, y in train_loader:",
           "précision de l'essai"),
)

VARIANTS = (
    Variant("ex04", "if-chain", "if/elif activations, deep copy of the first model",
            (("""    activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    if name not in activations:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(activations)}")
    return activations[name]()""",
              """    if name == "relu":
        return nn.ReLU()
    elif name == "tanh":
        return nn.Tanh()
    elif name == "sigmoid":
        return nn.Sigmoid()
    raise ValueError(f"activation inconnue : {name} (relu, tanh, sigmoid)")"""),
             ("            initial_state = copy.deepcopy(model.state_dict())",
              "            initial_state = copy.deepcopy(model).state_dict()"))),
    Variant("ex04", "forgiving", "lower-cased names, template model built once, F.cross_entropy",
            (("    if name not in activations:",
              "    name = name.lower()\n    if name not in activations:"),
             ("""    initial_state = None
    results: dict[str, Metrics] = {}""",
              """    first = next(iter(configs.values()))
    initial_state = copy.deepcopy(make_model(make_activation(first["activation"])).state_dict())
    results: dict[str, Metrics] = {}"""),
             ("""        if initial_state is None:
            initial_state = copy.deepcopy(model.state_dict())
""", ""),
             ("    loss_fn = nn.CrossEntropyLoss()",
              "    loss_fn = torch.nn.functional.cross_entropy"))),
)
