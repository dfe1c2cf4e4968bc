"""Planted bugs and correct rewrites of ex06_hyperparameter_search."""

from grading.authoring.mutants import Mutant, Variant

_GRID_RETURN = ("    return [dict(zip(keys, values)) for values in "
                "itertools.product(*(space[k] for k in keys))]")
_KFOLD_BODY = """    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=generator).tolist()
    folds = []
    for i in range(k):
        val = perm[i::k]  # every k-th index: fold sizes differ by at most one
        held_out = set(val)
        train = [j for j in perm if j not in held_out]
        folds.append((train, val))
    return folds"""
_SEARCH_BODY = """    results: list[tuple[dict, float]] = []
    for config in grid(space):
        results.append((config, train_and_score(config)))
    best, _ = max(results, key=lambda pair: pair[1])
    return best, results"""
_SCHEDULER_BODY = """    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, **kw)
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", **kw)
    raise ValueError(f"unknown scheduler {name!r}; choose one of ['plateau', 'step']")"""

MUTANTS = (
    Mutant("ex06", "grid-zip", "pairs the lists with zip instead of taking their product",
           "itertools.product(*(space[k] for k in keys))", "zip(*(space[k] for k in keys))",
           "produit cartésien"),
    Mutant("ex06", "grid-tuples", "returns tuples of values instead of dicts",
           "[dict(zip(keys, values)) for", "[values for",
           "un dict avec les clés"),
    Mutant("ex06", "grid-shuffled", "shuffles the grid (random search order)",
           _GRID_RETURN,
           "    import random\n"
           "    configs = [dict(zip(keys, values)) for values in "
           "itertools.product(*(space[k] for k in keys))]\n"
           "    random.shuffle(configs)\n"
           "    return configs",
           "déterministe"),
    Mutant("ex06", "grid-set", "deduplicates the combinations through a set (values must hash)",
           "itertools.product(*(space[k] for k in keys))]",
           "set(itertools.product(*(space[k] for k in keys)))]",
           "unhashable"),
    Mutant("ex06", "kfold-no-shuffle", "never shuffles: the folds are the same for every seed",
           "perm = torch.randperm(n, generator=generator).tolist()", "perm = list(range(n))",
           "autres plis"),
    Mutant("ex06", "kfold-global-rng", "shuffles with the global generator, ignoring seed",
           "torch.randperm(n, generator=generator)", "torch.randperm(n)",
           "mêmes plis"),
    Mutant("ex06", "kfold-train-everything", "trains on every index, validation fold included",
           "train = [j for j in perm if j not in held_out]", "train = list(perm)",
           "complément"),
    Mutant("ex06", "kfold-drop-remainder", "cuts folds of n // k indices and loses the rest",
           "val = perm[i::k]", "val = perm[i * (n // k):(i + 1) * (n // k)]",
           "exactement un pli"),
    Mutant("ex06", "kfold-last-takes-rest", "gives the whole remainder to the last fold",
           "val = perm[i::k]",
           "val = perm[i * (n // k):(i + 1) * (n // k)] if i < k - 1 else perm[i * (n // k):]",
           "tailles des plis"),
    Mutant("ex06", "kfold-torch-chunk", "splits with tensor.chunk (unbalanced, maybe < k folds)",
           _KFOLD_BODY,
           """    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    folds = []
    for chunk in perm.chunk(k):
        val = chunk.tolist()
        folds.append(([j for j in perm.tolist() if j not in val], val))
    return folds""",
           "paires (train, val)"),
    Mutant("ex06", "search-argmin", "keeps the configuration with the lowest score",
           "best, _ = max(results", "best, _ = min(results",
           "score le plus élevé"),
    Mutant("ex06", "search-returns-score", "returns the best score instead of its configuration",
           "best, _ = max(results", "_, best = max(results",
           "meilleure configuration"),
    Mutant("ex06", "search-retrains", "trains every configuration again to find the best",
           "best, _ = max(results, key=lambda pair: pair[1])",
           "best = max(grid(space), key=train_and_score)",
           "une fois par configuration"),
    Mutant("ex06", "search-best-from-zero", "starts the best score at 0: negative scores lose",
           "best, _ = max(results, key=lambda pair: pair[1])",
           "best, best_score = None, 0.0\n"
           "    for config, score in results:\n"
           "        if score > best_score:\n"
           "            best, best_score = config, score",
           "négatif"),
    Mutant("ex06", "plateau-mode-max", "builds ReduceLROnPlateau in mode \"max\"",
           'mode="min"', 'mode="max"',
           "mode"),
    Mutant("ex06", "plateau-drops-kwargs", "ignores patience and factor (library defaults)",
           'ReduceLROnPlateau(optimizer, mode="min", **kw)',
           'ReduceLROnPlateau(optimizer, mode="min")',
           "patience"),
    Mutant("ex06", "step-ignores-gamma", "passes step_size to StepLR but not gamma",
           "return torch.optim.lr_scheduler.StepLR(optimizer, **kw)",
           'return torch.optim.lr_scheduler.StepLR(optimizer, step_size=kw["step_size"])',
           "gamma"),
    Mutant("ex06", "scheduler-unknown-none", "returns None for an unknown name",
           "    raise ValueError(", "    return None  # ValueError(",
           "ValueError"),
    Mutant("ex06", "scheduler-error-no-choices", "raises a ValueError that names no choice",
           "; choose one of ['plateau', 'step']", "",
           "cite le choix valide"),
)

VARIANTS = (
    Variant("ex06", "loops", "nested loops, random.Random, contiguous balanced folds, best "
            "tracked from -inf, results sorted by score, explicit scheduler kwargs, prints",
            ((_GRID_RETURN,
              """    configs = [{}]
    for key in keys:
        configs = [{**config, key: value} for config in configs for value in space[key]]
    return configs"""),
             (_KFOLD_BODY,
              """    indices = list(range(n))
    random.Random(seed).shuffle(indices)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds, start = [], 0
    for size in sizes:
        val = indices[start:start + size]
        train = sorted(set(indices) - set(val))
        folds.append((train, val))
        start += size
    print(f"{k} folds of sizes {sizes}")
    return folds"""),
             (_SEARCH_BODY,
              """    best, best_score, results = None, float("-inf"), []
    for config in grid(space):
        score = train_and_score(config)
        print(config, "->", score)
        results.append((config, score))
        if score > best_score:
            best, best_score = config, score
    results.sort(key=lambda r: r[1], reverse=True)
    return best, results"""),
             (_SCHEDULER_BODY,
              """    name = name.lower()
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=kw["step_size"],
                                               gamma=kw.get("gamma", 0.1))
    elif name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=kw.get("factor", 0.1),
            patience=kw.get("patience", 10))
    else:
        raise ValueError("name must be 'step' or 'plateau', not " + repr(name))"""),
             ("import itertools\n", "import itertools\nimport random\n"))),
    Variant("ex06", "numpy-tensors", "functools.reduce grid, numpy permutation + array_split "
            "(numpy arrays back), argmax over a score tensor, list pairs, schedulers from a dict",
            ((_GRID_RETURN,
              """    import functools
    return functools.reduce(
        lambda acc, key: [dict(c, **{key: v}) for c in acc for v in space[key]], keys, [{}])"""),
             (_KFOLD_BODY,
              """    import numpy as np
    perm = np.random.default_rng(seed).permutation(n)
    folds = []
    for val in np.array_split(perm, k):
        folds.append((np.setdiff1d(perm, val), list(val)))
    return folds"""),
             (_SEARCH_BODY,
              """    results = [[config, train_and_score(config)] for config in grid(space)]
    scores = torch.tensor([score for _, score in results])
    return results[int(scores.argmax())][0], results"""),
             (_SCHEDULER_BODY,
              """    builders = {
        "step": lambda: torch.optim.lr_scheduler.StepLR(optimizer, **kw),
        "plateau": lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min", **kw),
    }
    if name not in builders:
        raise ValueError(f"{name!r} is not one of {list(builders)}")
    return builders[name]()"""))),
    Variant("ex06", "tensor-split", "torch.tensor_split folds returned as tensors, train by "
            "boolean mask, grid_search with a dict of scores",
            ((_KFOLD_BODY,
              """    g = torch.Generator()
    g.manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    folds = []
    for val in torch.tensor_split(perm, k):
        mask = torch.ones(n, dtype=torch.bool)
        mask[val] = False
        folds.append((torch.arange(n)[mask], val))
    return folds"""),
             (_SEARCH_BODY,
              """    configs = grid(space)
    scores = {i: float(train_and_score(c)) for i, c in enumerate(configs)}
    best_i = max(scores, key=scores.get)
    return configs[best_i], [(configs[i], s) for i, s in scores.items()]"""),)),
)
