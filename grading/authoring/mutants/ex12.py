"""Planted bugs and correct rewrites of ex12_sequences."""

from grading.authoring.mutants import Mutant, Variant

_INIT = """        if cell == "rnn":
            recurrent = nn.RNN
        elif cell == "gru":
            recurrent = nn.GRU
        elif cell == "lstm":
            recurrent = nn.LSTM
        else:
            raise ValueError(f"cellule inconnue {cell!r} : choisissez parmi {', '.join(CELLS)}")
        self.cell = cell
        self.rnn = recurrent(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
"""
_FORWARD = """        output, state = self.rnn(x)  # output: [N, T, H]
        if self.cell == "lstm":
            h_n, c_n = state  # each [num_layers, N, H]
        else:
            h_n = state  # [num_layers, N, H]
        return self.head(h_n[-1])  # top layer, last time step: [N, H] → [N, C]
"""
_DATA = """    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, length, 1, generator=gen) * 2 - 1  # [n, T, 1], uniform in [-1, 1]
    y = (x.sum(dim=(1, 2)) > 0).long()  # [n]
    return TensorDataset(x, y)
"""
_TRAIN = """    torch.manual_seed(seed)
    device = torch.device(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        model.train()
        total, batches = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        history.append(total / batches)
    return history
"""

MUTANTS = (
    Mutant("ex12", "no-batch-first", "builds the recurrent layer without batch_first=True",
           "num_layers=num_layers, batch_first=True)", "num_layers=num_layers)",
           "batch_first"),
    Mutant("ex12", "bottom-layer", "classifies from h_n[0], the bottom layer's state",
           "self.head(h_n[-1])", "self.head(h_n[0])",
           "couche du haut"),
    Mutant("ex12", "first-step", "classifies from output[:, 0], the first time step",
           "self.head(h_n[-1])", "self.head(output[:, 0])",
           "dernier pas de temps"),
    Mutant("ex12", "cell-state", "takes the LSTM's cell state c_n instead of h_n",
           "h_n, c_n = state", "c_n, h_n = state",
           "pas c_n"),
    Mutant("ex12", "gru-builds-lstm", "maps \"gru\" to nn.LSTM",
           "recurrent = nn.GRU", "recurrent = nn.LSTM",
           "nombre de paramètres"),
    Mutant("ex12", "rnn-builds-gru", "maps \"rnn\" to nn.GRU",
           "recurrent = nn.RNN", "recurrent = nn.GRU",
           "nombre de paramètres"),
    Mutant("ex12", "gru-unpacked-like-lstm", "unpacks the GRU's h_n as if it were (h, c)",
           'if self.cell == "lstm":', 'if self.cell != "rnn":',
           "dans forward"),
    Mutant("ex12", "softmax-output", "applies a softmax to the logits",
           "return self.head(h_n[-1])", "return torch.softmax(self.head(h_n[-1]), dim=1)",
           "softmax"),
    Mutant("ex12", "num-layers-ignored", "never passes num_layers: always one layer",
           "num_layers=num_layers, batch_first=True", "batch_first=True",
           "nombre de paramètres"),
    Mutant("ex12", "rnn-relu", "builds the \"rnn\" cell with a ReLU instead of tanh",
           "recurrent = nn.RNN",
           'recurrent = lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)  # noqa: E731',
           "tanh"),
    Mutant("ex12", "unknown-cell-lstm", "falls back to an LSTM for an unknown cell name",
           'raise ValueError(f"cellule inconnue {cell!r} : choisissez parmi '
           """{', '.join(CELLS)}")""",
           "recurrent = nn.LSTM",
           "ValueError"),
    Mutant("ex12", "data-positive", "draws values in [0, 1): every sum is positive",
           "torch.rand(n, length, 1, generator=gen) * 2 - 1",
           "torch.rand(n, length, 1, generator=gen)",
           "symétriques"),
    Mutant("ex12", "data-no-feature-dim", "returns sequences [n, length] without the feature axis",
           "    x = torch.rand(n, length, 1, generator=gen) * 2 - 1  # [n, T, 1], uniform in "
           "[-1, 1]\n    y = (x.sum(dim=(1, 2)) > 0).long()  # [n]\n",
           """    x = torch.rand(n, length, generator=gen) * 2 - 1
    y = (x.sum(dim=1) > 0).long()
""",
           "[n, length, 1]"),
    Mutant("ex12", "data-global-rng", "ignores the generator: the data do not follow seed",
           "generator=gen) * 2 - 1", ") * 2 - 1",
           "même seed"),
    Mutant("ex12", "data-labels-inverted", "labels 1 the sequences with a negative sum",
           "(x.sum(dim=(1, 2)) > 0).long()", "(x.sum(dim=(1, 2)) < 0).long()",
           "1 si la somme"),
    Mutant("ex12", "train-sgd", "trains with SGD instead of Adam",
           "optimizer = torch.optim.Adam(", "optimizer = torch.optim.SGD(",
           "Adam"),
    Mutant("ex12", "train-no-zero-grad", "never resets the gradients between batches",
           "            optimizer.zero_grad()\n", "",
           "zero_grad"),
    Mutant("ex12", "train-loss-sum", "returns the sum of the batch losses, not their mean",
           "history.append(total / batches)", "history.append(total)",
           "moyenne"),
    Mutant("ex12", "train-no-seed", "never calls torch.manual_seed(seed)",
           "    torch.manual_seed(seed)\n", "",
           "manual_seed"),
    Mutant("ex12", "train-no-train-mode", "never calls model.train()",
           "        model.train()\n", "",
           "model.train()"),
)

VARIANTS = (
    Variant("ex12", "output-last", "output[:, -1, :] instead of h_n[-1], state ignored",
            ((_FORWARD, """        output, _ = self.rnn(x)  # (h_n, c_n) or h_n: not needed
        return self.head(output[:, -1, :])
"""),)),
    Variant("ex12", "dict-sequential",
            "dict of constructors with lower(), nn.Sequential head, isinstance on the state; "
            "randn data; per-sample mean loss, prints, train mode set once",
            ((_INIT, """        constructors = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
        key = cell.lower()
        if key not in constructors:
            raise ValueError(f"unknown cell {cell!r}; valid: {sorted(constructors)}")
        self.recurrent = constructors[key](input_size, hidden_size, num_layers,
                                           batch_first=True)
        self.classifier = nn.Sequential(nn.Linear(hidden_size, num_classes))
"""),
             (_FORWARD, """        _, state = self.recurrent(x)
        h_n = state[0] if isinstance(state, tuple) else state
        last = h_n[-1]
        return self.classifier(last)
"""),
             (_DATA, """    g = torch.Generator()
    g.manual_seed(seed)
    x = torch.randn((n, length, 1), generator=g)
    return TensorDataset(x, torch.where(x.sum(dim=[1, 2]) > 0, 1, 0))
"""),
             (_TRAIN, """    torch.manual_seed(seed)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr)
    criterion = nn.CrossEntropyLoss()
    model.train()
    losses = []
    for epoch in range(epochs):
        running, seen = 0.0, 0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            opt.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            opt.step()
            running += loss.item() * len(targets)
            seen += len(targets)
        losses.append(running / seen)
        print(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}")
    return losses
"""))),
    Variant("ex12", "cells-by-hand", "nn.RNNCell/nn.GRUCell/nn.LSTMCell loops, one per layer",
            ((_INIT, """        kinds = {"rnn": nn.RNNCell, "gru": nn.GRUCell, "lstm": nn.LSTMCell}
        if cell not in kinds:
            raise ValueError("cell must be one of rnn, gru, lstm")
        self.kind = cell
        self.hidden_size = hidden_size
        self.cells = nn.ModuleList(
            kinds[cell](input_size if i == 0 else hidden_size, hidden_size)
            for i in range(num_layers))
        self.fc = nn.Linear(hidden_size, num_classes)
"""),
             (_FORWARD, """        n = x.size(0)
        seq = list(x.unbind(dim=1))  # T tensors [N, F]
        for layer in self.cells:
            h = x.new_zeros(n, self.hidden_size)
            c = x.new_zeros(n, self.hidden_size)
            outputs = []
            for x_t in seq:
                if self.kind == "lstm":
                    h, c = layer(x_t, (h, c))
                else:
                    h = layer(x_t, h)
                outputs.append(h)
            seq = outputs
        return self.fc(seq[-1])
"""))),
    Variant("ex12", "stacked-time-first",
            "one single-layer module per layer, time-first modules fed x.transpose(0, 1)",
            ((_INIT, """        table = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
        try:
            ctor = table[cell]
        except KeyError:
            raise ValueError(f"{cell} is not one of {list(table)}") from None
        self.layers = nn.ModuleList(
            ctor(input_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers))
        self.out = nn.Linear(hidden_size, num_classes)
"""),
             (_FORWARD, """        seq = x.transpose(0, 1)  # [T, N, F]: time-first modules
        for layer in self.layers:
            seq, _ = layer(seq)
        return self.out(seq[-1])
"""))),
)
