"""Planted bugs and correct rewrites of ex05_regularize_mlp."""

from grading.authoring.mutants import Mutant, Variant

MUTANTS = (
    # --- MLP
    Mutant("ex05", "activation-fallback", "falls back on ReLU for an unknown activation name",
           """        if activation not in activations:
            raise ValueError(f"unknown activation {activation!r}; "
                             f"choose one of {sorted(activations)}")
""", """        if activation not in activations:
            activation = "relu"
""", "pas de repli silencieux sur ReLU"),
    Mutant("ex05", "dropout-always-on", "uses F.dropout without training=self.training",
           "            x = self.dropout(x)\n",
           "            x = torch.nn.functional.dropout(x, self.dropout.p)\n",
           "training=self.training"),
    Mutant("ex05", "dropout-hardcoded", "builds nn.Dropout(0.5) whatever dropout is passed",
           "self.dropout = nn.Dropout(dropout)", "self.dropout = nn.Dropout(0.5)",
           "probabilité dropout reçue"),
    Mutant("ex05", "dropout-before-activation", "applies dropout before the activation",
           "            x = self.activation(x)\n            x = self.dropout(x)\n",
           "            x = self.dropout(x)\n            x = self.activation(x)\n",
           "sigmoid(0) vaut 0.5"),
    Mutant("ex05", "batchnorm-after-activation", "puts the batch norm after the activation",
           """            x = layer(x)
            if self.norms is not None:
                x = self.norms[i](x)
            x = self.activation(x)
""",
           """            x = self.activation(layer(x))
            if self.norms is not None:
                x = self.norms[i](x)
""",
           "batch norm est appliquée après l'activation"),
    Mutant("ex05", "batchnorm-no-running-stats", "builds BatchNorm1d(track_running_stats=False)",
           "nn.BatchNorm1d(b) for", "nn.BatchNorm1d(b, track_running_stats=False) for",
           "track_running_stats"),
    Mutant("ex05", "batchnorm-ignored", "never adds batch norm, whatever batchnorm says",
           " if batchnorm else None", " if False else None",
           "batchnorm=True"),
    Mutant("ex05", "activation-on-logits", "applies the activation after the last layer too",
           "        return self.out(x)  # (N, sizes[-1])",
           "        return self.activation(self.out(x))",
           "logits bruts"),
    # --- init_weights
    Mutant("ex05", "zeros-bias-only", "\"zeros\" zeroes the biases instead of the weights",
           "nn.init.zeros_(module.weight)", "nn.init.zeros_(module.bias)",
           "seulement le biais"),
    Mutant("ex05", "init-first-layer-only", "stops after the first nn.Linear",
           "            else:\n                module.reset_parameters()\n",
           "            else:\n                module.reset_parameters()\n            break\n",
           "chaque nn.Linear"),
    Mutant("ex05", "init-unknown-silent", "treats an unknown strategy name as \"default\"",
           'raise ValueError(f"unknown strategy {strategy!r}; choose zeros, kaiming or default")',
           'strategy = "default"', "levez une ValueError pour toute stratégie"),
    Mutant("ex05", "init-children-only", "walks model.children(), missing nested layers",
           "for module in model.modules():", "for module in model.children():",
           "model.children()"),
    Mutant("ex05", "kaiming-fan-out", "uses mode=\"fan_out\" for Kaiming",
           'mode="fan_in", nonlinearity="relu"', 'mode="fan_out", nonlinearity="relu"',
           "suit fan_out"),
    Mutant("ex05", "kaiming-is-xavier", "uses Xavier (Glorot) instead of Kaiming",
           'nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")',
           "nn.init.xavier_normal_(module.weight)",
           "kaiming_normal_"),
    Mutant("ex05", "default-noop", "\"default\" leaves the weights as they are",
           "                module.reset_parameters()\n", "                pass\n",
           "reset_parameters"),
    # --- gradient_norms
    Mutant("ex05", "norm-of-weights", "measures the weights' norm, not the gradient's",
           "torch.linalg.vector_norm(p.grad).item()", "torch.linalg.vector_norm(p).item()",
           "pas des poids"),
    Mutant("ex05", "norm-squared", "returns the sum of squares (no square root)",
           "torch.linalg.vector_norm(p.grad).item()", "p.grad.pow(2).sum().item()",
           "racine carrée"),
    Mutant("ex05", "norm-tensor", "returns 0-d tensors instead of Python floats",
           "torch.linalg.vector_norm(p.grad).item()", "torch.linalg.vector_norm(p.grad)",
           ".item()"),
    # --- split_train_val
    Mutant("ex05", "split-global-rng", "calls random_split without its own generator",
           "[len(dataset) - n_val, n_val], generator=generator)",
           "[len(dataset) - n_val, n_val])",
           "générateur global"),
    Mutant("ex05", "split-not-shuffled", "keeps the last examples for validation, unshuffled",
           "    train, val = random_split(dataset, [len(dataset) - n_val, n_val], "
           "generator=generator)\n",
           "    cut = len(dataset) - n_val\n"
           "    train = torch.utils.data.Subset(dataset, range(cut))\n"
           "    val = torch.utils.data.Subset(dataset, range(cut, len(dataset)))\n",
           "seeds différents"),
    Mutant("ex05", "split-swapped", "returns (val, train)",
           "    return train, val\n", "    return val, train\n",
           "(train, val)"),
    # --- log_epoch
    Mutant("ex05", "add-scalars", "logs every metric at once with add_scalars",
           "    for tag, value in metrics.items():\n        writer.add_scalar(tag, value, epoch)\n",
           '    writer.add_scalars("metrics", metrics, epoch)\n',
           "add_scalars a créé"),
    Mutant("ex05", "scalar-no-step", "forgets epoch as the scalar's step",
           "writer.add_scalar(tag, value, epoch)", "writer.add_scalar(tag, value)",
           "argument epoch reçu"),
    Mutant("ex05", "no-histograms", "never writes the weight histograms",
           '            writer.add_histogram(f"weights/{name}", p.detach(), epoch)\n', "",
           "add_histogram"),
    Mutant("ex05", "grad-none-histogram", "writes p.grad's histogram even when it is None",
           "            if p.grad is not None:\n"
           '                writer.add_histogram(f"grads/{name}", p.grad, epoch)\n',
           '            writer.add_histogram(f"grads/{name}", p.grad, epoch)\n',
           "p.grad n'est pas None"),
)

VARIANTS = (
    Variant("ex05", "sequential",
            "nn.Sequential with one module per layer, no Linear bias before batch norm, "
            "kaiming_uniform_, 0.0 for missing gradients, random_split with fractions, "
            "other histogram tags",
            (("""        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for _, b in pairs) if batchnorm else None
        self.activation = activations[activation]()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-2], sizes[-1])""",
              """        layers: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
            layers.append(nn.Linear(fan_in, fan_out, bias=not batchnorm))
            if batchnorm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(activations[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(p=dropout))
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        self.net = nn.Sequential(*layers)"""),
             ("""        x = x.flatten(1)  # (N, sizes[0])
        for i, layer in enumerate(self.hidden):
            x = layer(x)
            if self.norms is not None:
                x = self.norms[i](x)
            x = self.activation(x)
            x = self.dropout(x)
        return self.out(x)  # (N, sizes[-1])""",
              "        return self.net(x)"),
             ("""    for module in model.modules():
        if isinstance(module, nn.Linear):
            if strategy == "zeros":
                nn.init.zeros_(module.weight)
            elif strategy == "kaiming":
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            else:
                module.reset_parameters()""",
              """    for module in model.modules():
        if not isinstance(module, nn.Linear):
            continue
        if strategy == "zeros":
            module.weight.data.fill_(0.0)
        elif strategy == "kaiming":
            nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
        else:
            nn.init.kaiming_uniform_(module.weight, a=5 ** 0.5)  # what reset_parameters does
    return model"""),
             ("""    return {name: torch.linalg.vector_norm(p.grad).item()
            for name, p in model.named_parameters() if p.grad is not None}""",
              """    norms = {}
    for name, p in model.named_parameters():
        norms[name] = float(p.grad.norm()) if p.grad is not None else 0.0
    return norms"""),
             ("[len(dataset) - n_val, n_val], generator=generator)",
              "[1 - val_fraction, val_fraction], generator=generator)"),
             ("""            writer.add_histogram(f"weights/{name}", p.detach(), epoch)
            if p.grad is not None:
                writer.add_histogram(f"grads/{name}", p.grad, epoch)""",
              """            writer.add_histogram(name + "/value", p.data.cpu().numpy(), epoch)
            if p.grad is not None:
                writer.add_histogram(name + "/grad", p.grad.cpu().numpy(), epoch)"""))),
    Variant("ex05", "functional",
            "torch.relu/tanh/sigmoid by name, F.dropout(training=self.training), view, "
            "one ModuleList for all layers, hand-drawn normal Kaiming, randperm + Subset, "
            "prints and an explicit flush",
            (("""        activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
        if activation not in activations:
            raise ValueError(f"unknown activation {activation!r}; "
                             f"choose one of {sorted(activations)}")
        pairs = list(zip(sizes[:-2], sizes[1:-1]))  # (entrée, sortie) des couches cachées
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for _, b in pairs) if batchnorm else None
        self.activation = activations[activation]()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-2], sizes[-1])""",
              """        if activation not in ("relu", "tanh", "sigmoid"):
            raise ValueError(activation)
        self.act = getattr(torch, activation)
        self.p = dropout
        self.linears = nn.ModuleList()
        self.bns = nn.ModuleList()
        for i in range(len(sizes) - 1):
            self.linears.append(nn.Linear(sizes[i], sizes[i + 1]))
            if batchnorm and i < len(sizes) - 2:
                self.bns.append(nn.BatchNorm1d(sizes[i + 1]))
        print("MLP", sizes)"""),
             ("""        x = x.flatten(1)  # (N, sizes[0])
        for i, layer in enumerate(self.hidden):
            x = layer(x)
            if self.norms is not None:
                x = self.norms[i](x)
            x = self.activation(x)
            x = self.dropout(x)
        return self.out(x)  # (N, sizes[-1])""",
              """        x = x.view(x.size(0), -1)
        for i in range(len(self.linears) - 1):
            x = self.linears[i](x)
            if len(self.bns) > 0:
                x = self.bns[i](x)
            x = torch.nn.functional.dropout(self.act(x), self.p, self.training)
        return self.linears[-1](x)"""),
             ("""    if strategy not in ("zeros", "kaiming", "default"):
        raise ValueError(f"unknown strategy {strategy!r}; choose zeros, kaiming or default")
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if strategy == "zeros":
                nn.init.zeros_(module.weight)
            elif strategy == "kaiming":
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            else:
                module.reset_parameters()""",
              """    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in linears:
        with torch.no_grad():
            if strategy == "zeros":
                layer.weight.zero_()
            elif strategy == "kaiming":
                layer.weight.normal_(0.0, (2.0 / layer.in_features) ** 0.5)
            elif strategy == "default":
                layer.reset_parameters()
            else:
                raise ValueError(strategy)"""),
             ("""    return {name: torch.linalg.vector_norm(p.grad).item()
            for name, p in model.named_parameters() if p.grad is not None}""",
              """    print("gradient norms")
    return {n: p.grad.norm(2).item() for n, p in model.named_parameters()
            if p.requires_grad and p.grad is not None}"""),
             ("""    n_val = round(len(dataset) * val_fraction)
    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)
    return train, val""",
              """    n = len(dataset)
    n_val = int(n * val_fraction)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return torch.utils.data.Subset(dataset, perm[n_val:]), \\
        torch.utils.data.Subset(dataset, perm[:n_val])"""),
             ("""    for tag, value in metrics.items():
        writer.add_scalar(tag, value, epoch)
    if model is not None:
        for name, p in model.named_parameters():
            writer.add_histogram(f"weights/{name}", p.detach(), epoch)
            if p.grad is not None:
                writer.add_histogram(f"grads/{name}", p.grad, epoch)""",
              """    for key in metrics:
        print(f"epoch {epoch}: {key} = {metrics[key]:.4f}")
        writer.add_scalar(key, float(metrics[key]), global_step=epoch)
    if model is None:
        return
    for name, param in model.named_parameters():
        writer.add_histogram("params/" + name.replace(".", "/"), param.data.cpu(),
                             global_step=epoch)
        if param.grad is not None:
            writer.add_histogram("gradients/" + name, param.grad.detach().cpu(),
                                 global_step=epoch)
    writer.flush()"""))),
    Variant("ex05", "course-style",
            "model.apply for init with kaiming_normal_'s defaults, torch.manual_seed(seed) "
            "then random_split, one activation and dropout module per layer",
            (("""        self.activation = activations[activation]()
        self.dropout = nn.Dropout(dropout)""",
              """        self.acts = nn.ModuleList(activations[activation]() for _ in pairs)
        self.drops = nn.ModuleList(nn.Dropout(dropout) for _ in pairs)"""),
             ("""            x = self.activation(x)
            x = self.dropout(x)""",
              """            x = self.drops[i](self.acts[i](x))"""),
             ("""    for module in model.modules():
        if isinstance(module, nn.Linear):
            if strategy == "zeros":
                nn.init.zeros_(module.weight)
            elif strategy == "kaiming":
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            else:
                module.reset_parameters()""",
              """    def init(m):
        if type(m) is nn.Linear:
            if strategy == "zeros":
                nn.init.constant_(m.weight, 0)
                nn.init.constant_(m.bias, 0)
            elif strategy == "kaiming":
                nn.init.kaiming_normal_(m.weight)
            else:
                m.reset_parameters()

    model.apply(init)"""),
             ("""    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [len(dataset) - n_val, n_val], generator=generator)""",
              """    torch.manual_seed(seed)
    train, val = random_split(dataset, [len(dataset) - n_val, n_val])"""))),
)
