"""Planted bugs and correct rewrites of ex11_transformers."""

from grading.authoring.mutants import Mutant, Variant

_FREEZE = ("    for name, param in model.named_parameters():\n"
           "        param.requires_grad = name.split(\".\")[0] in HEAD_NAMES\n")

_LORA_FREEZE = ("    for param in model.parameters():\n"
                "        param.requires_grad = False\n"
                "    for module in model.modules():\n")

MUTANTS = (
    Mutant("ex11", "count-all-modules", "counts every module instead of the transformer blocks",
           '    config = getattr(model, "config", None)\n',
           "    return len(list(model.modules()))\n",
           "blocs transformer"),
    Mutant("ex11", "freeze-head-too", "freeze_base freezes the classification head as well",
           _FREEZE,
           "    for param in model.parameters():\n        param.requires_grad = False\n",
           "la tête de classification est gelée"),
    Mutant("ex11", "base-trainable", "freeze_base only freezes the embeddings, not the blocks",
           _FREEZE,
           "    for name, param in model.named_parameters():\n"
           "        if \"embeddings\" in name:\n"
           "            param.requires_grad = False\n",
           "la base est encore entraînable"),
    Mutant("ex11", "pre-classifier-frozen", "freeze_base keeps only `classifier` trainable "
           "(forgets DistilBERT's pre_classifier)",
           'HEAD_NAMES = ("pre_classifier", "classifier")',
           'HEAD_NAMES = ("classifier",)',
           "pre_classifier et classifier doivent rester entraînables"),
    Mutant("ex11", "encode-no-truncation", "encode pads but never truncates",
           "return tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,",
           "return tokenizer(list(texts), padding=True, max_length=max_length,",
           "truncation=True"),
    Mutant("ex11", "encode-no-mask", "encode drops the attention mask",
           '                     return_tensors="pt")',
           '                     return_tensors="pt", return_attention_mask=False)',
           "attention_mask"),
    Mutant("ex11", "lora-b-random", "initialises B at random: the output changes at once",
           "self.B = nn.Parameter(torch.zeros(base.out_features, r,",
           "self.B = nn.Parameter(torch.randn(base.out_features, r,",
           "B doit être nul au départ"),
    Mutant("ex11", "lora-a-zero", "initialises A with zeros: neither A nor B ever learns",
           "        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))\n",
           "        nn.init.zeros_(self.A)\n",
           "initialisez A au hasard"),
    Mutant("ex11", "lora-scaling-inverted", "scales the LoRA branch by r / alpha",
           "self.scaling = alpha / r", "self.scaling = r / alpha",
           "alpha / r, pas r / alpha"),
    Mutant("ex11", "lora-base-trainable", "forgets to freeze the wrapped base layer",
           "        for param in self.base.parameters():\n"
           "            param.requires_grad = False\n",
           "",
           "gelez la couche de base"),
    Mutant("ex11", "lora-dropout-everywhere", "applies the dropout to the base's input too",
           "return self.base(x) + (self.dropout(x) @ self.A.T @ self.B.T) * self.scaling",
           "x = self.dropout(x)\n"
           "        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scaling",
           "jamais à base(x)"),
    Mutant("ex11", "apply-lora-no-freeze", "apply_lora wraps the layers but freezes nothing else",
           _LORA_FREEZE,
           "    for module in model.modules():\n",
           "seuls les A et B"),
    Mutant("ex11", "apply-lora-last-only", "apply_lora only matches the last name component",
           "and (name in targets or name.rsplit(\".\", 1)[-1] in targets)]",
           "and name.rsplit(\".\", 1)[-1] in targets]",
           "nom complet"),
    Mutant("ex11", "load-ignores-num-labels", "load_pretrained keeps the default 2 labels",
           "AutoModelForSequenceClassification.from_pretrained(name, num_labels=num_labels)",
           "AutoModelForSequenceClassification.from_pretrained(name)",
           "num_labels"),
    Mutant("ex11", "fraction-counts-tensors", "trainable_fraction counts tensors, not values",
           "    total = sum(p.numel() for p in model.parameters())\n"
           "    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
           "    total = sum(1 for p in model.parameters())\n"
           "    trainable = sum(1 for p in model.parameters() if p.requires_grad)\n",
           "numel"),
    Mutant("ex11", "class-weights-frequency", "weights proportional to n_c instead of 1 / n_c",
           "weights[present] = len(labels) / (num_classes * counts[present])",
           "weights[present] = counts[present] / len(labels)",
           "inverse de l'effectif"),
    Mutant("ex11", "class-weights-empty-inf", "divides by a zero count (inf for an empty class)",
           "    weights = torch.zeros(num_classes)\n"
           "    present = counts > 0\n"
           "    weights[present] = len(labels) / (num_classes * counts[present])\n",
           "    weights = len(labels) / (num_classes * counts)\n",
           "sans exemple"),
    Mutant("ex11", "sampler-per-class", "gives the sampler one weight per class",
           "    weights = 1.0 / counts[labels].double()\n",
           "    weights = 1.0 / counts.double()\n",
           "un poids par exemple"),
    Mutant("ex11", "sampler-no-replacement", "draws without replacement",
           "num_samples=len(labels), replacement=True,",
           "num_samples=len(labels), replacement=False,",
           "replacement=True"),
    Mutant("ex11", "sampler-ignores-generator", "never passes the generator on",
           "                                 generator=generator)",
           "                                 generator=None)",
           "transmettez generator"),
)

VARIANTS = (
    Variant("ex11", "functional-lora", "F.linear branch, normal init of A, Auto* classes "
            "replaced by DistilBERT ones, longest ModuleList, padding to max_length",
            (('    from transformers import AutoModelForSequenceClassification, AutoTokenizer\n'
              '\n'
              '    tokenizer = AutoTokenizer.from_pretrained(name)\n'
              '    model = AutoModelForSequenceClassification.from_pretrained(name, '
              'num_labels=num_labels)\n',
              '    from transformers import (DistilBertForSequenceClassification,\n'
              '                              DistilBertTokenizerFast)\n'
              '\n'
              '    tokenizer = DistilBertTokenizerFast.from_pretrained(name)\n'
              '    model = DistilBertForSequenceClassification.from_pretrained(\n'
              '        name, num_labels=num_labels)\n'),
             ('    config = getattr(model, "config", None)\n'
              '    for key in ("num_hidden_layers", "n_layers", "num_layers"):\n'
              '        n = getattr(config, key, None)\n'
              '        if isinstance(n, int):\n'
              '            return n\n',
              '    print("looking for the blocks")\n'),
             ("return tokenizer(list(texts), padding=True, truncation=True, "
              "max_length=max_length,",
              "return tokenizer(list(texts), padding=\"max_length\", truncation=True, "
              "max_length=max_length,"),
             ("        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))\n",
              "        nn.init.normal_(self.A, std=0.02)\n"),
             ("        return self.base(x) + (self.dropout(x) @ self.A.T @ self.B.T) * "
              "self.scaling",
              "        lora = F.linear(F.linear(self.dropout(x), self.A), self.B)\n"
              "        return self.base(x) + self.scaling * lora"),
             ("from torch import nn\n",
              "from torch import nn\nfrom torch.nn import functional as F\n"))),
    Variant("ex11", "module-traversal", "freeze via base_model then head modules, recursive "
            "named_children replacement, requires_grad_ on LoRA modules, Counter weights, "
            "encode returning a plain dict with no special case for a single string",
            ((_FREEZE,
              "    model.requires_grad_(False)\n"
              "    for attr in HEAD_NAMES:\n"
              "        head = getattr(model, attr, None)\n"
              "        if head is not None:\n"
              "            head.requires_grad_(True)\n"),
             ("    matches = [(name, module) for name, module in model.named_modules()\n"
              "               if isinstance(module, nn.Linear)\n"
              "               and (name in targets or name.rsplit(\".\", 1)[-1] in targets)]\n"
              "    for name, module in matches:\n"
              "        parent_name, _, child = name.rpartition(\".\")\n"
              "        parent = model.get_submodule(parent_name) if parent_name else model\n"
              "        setattr(parent, child, LoRALinear(module, r=r, alpha=alpha))\n",
              "    def visit(parent, prefix):\n"
              "        for child_name, child in list(parent.named_children()):\n"
              "            full = f\"{prefix}{child_name}\"\n"
              "            if isinstance(child, nn.Linear) and (child_name in targets\n"
              "                                                 or full in targets):\n"
              "                setattr(parent, child_name, LoRALinear(child, r, alpha))\n"
              "            elif not isinstance(child, LoRALinear):\n"
              "                visit(child, full + \".\")\n"
              "\n"
              "    visit(model, \"\")\n"),
             ("    for module in model.modules():\n"
              "        if isinstance(module, LoRALinear):\n"
              "            module.A.requires_grad = True\n"
              "            module.B.requires_grad = True\n",
              "    for module in model.modules():\n"
              "        if isinstance(module, LoRALinear):\n"
              "            module.A.requires_grad_(True)\n"
              "            module.B.requires_grad_(True)\n"
              "    print(f\"trainable: {trainable_fraction(model):.2%}\")\n"),
             ("    if isinstance(texts, str):\n"
              "        texts = [texts]\n"
              "    return tokenizer(list(texts), padding=True, truncation=True, "
              "max_length=max_length,\n"
              "                     return_tensors=\"pt\")\n",
              "    return dict(tokenizer(texts, padding=True, truncation=True,\n"
              "                          max_length=max_length, return_tensors=\"pt\"))\n"),
             ("    labels = torch.as_tensor(labels, dtype=torch.long).flatten()\n"
              "    counts = torch.bincount(labels, minlength=num_classes).float()\n"
              "    weights = torch.zeros(num_classes)\n"
              "    present = counts > 0\n"
              "    weights[present] = len(labels) / (num_classes * counts[present])\n"
              "    return weights\n",
              "    from collections import Counter\n"
              "\n"
              "    values = [int(v) for v in labels]\n"
              "    counts = Counter(values)\n"
              "    return torch.tensor([len(values) / (num_classes * counts[c]) if counts[c] "
              "else 0.0\n"
              "                         for c in range(num_classes)])\n"),
             ("    labels = torch.as_tensor(labels, dtype=torch.long).flatten()\n"
              "    counts = torch.bincount(labels)\n"
              "    weights = 1.0 / counts[labels].double()\n",
              "    values = [int(v) for v in labels]\n"
              "    counts = {c: values.count(c) for c in set(values)}\n"
              "    weights = [1.0 / counts[v] for v in values]\n"
              "    labels = values\n"))),
)
