"""Planted bugs and correct rewrites of ex10_transfer_vision."""

from grading.authoring.mutants import Mutant, Variant

_FREEZE = ("    for param in model.parameters():\n"
           "        param.requires_grad = False\n"
           "    for param in model.fc.parameters():\n"
           "        param.requires_grad = True\n"
           "    return model\n")

MUTANTS = (
    Mutant("ex10", "weights-ignored", "hard-codes weights=None: pretrained weights never load",
           "model = models.resnet18(weights=weights)",
           "model = models.resnet18(weights=None)",
           "transmettez l'argument weights"),
    Mutant("ex10", "stacked-head", "stacks a Linear(1000, C) after the ImageNet head",
           "model.fc = nn.Linear(model.fc.in_features, num_classes)",
           "model.fc = nn.Sequential(model.fc, nn.Linear(1000, num_classes))",
           "empiler"),
    Mutant("ex10", "build-freezes", "freezes the backbone inside build_resnet18",
           "    model.fc = nn.Linear(model.fc.in_features, num_classes)",
           "    model.requires_grad_(False)\n"
           "    model.fc = nn.Linear(model.fc.in_features, num_classes)",
           "ne gèle rien"),
    Mutant("ex10", "freeze-recreates-head", "re-creates model.fc in freeze_backbone (the course's "
           "freeze-then-replace recipe), losing a trained head",
           "    for param in model.fc.parameters():\n        param.requires_grad = True\n",
           "    model.fc = nn.Linear(model.fc.in_features, model.fc.out_features)\n",
           "ne recréez pas model.fc"),
    Mutant("ex10", "head-bias-frozen", "unfreezes fc.weight but forgets fc.bias",
           "    for param in model.fc.parameters():\n        param.requires_grad = True\n",
           "    model.fc.weight.requires_grad = True\n",
           "le biais de fc est gelé"),
    Mutant("ex10", "batchnorm-trainable", "freezes the convolutions only, not the BatchNorm",
           "    for param in model.parameters():\n        param.requires_grad = False\n",
           "    for module in model.modules():\n"
           "        if isinstance(module, nn.Conv2d):\n"
           "            module.weight.requires_grad = False\n",
           "BatchNorm sont encore entraînables"),
    Mutant("ex10", "inverted-freeze", "freezes the head and leaves the backbone trainable",
           _FREEZE,
           "    for param in model.fc.parameters():\n"
           "        param.requires_grad = False\n"
           "    return model\n",
           "c'est l'inverse"),
    Mutant("ex10", "freeze-no-return", "freeze_backbone returns None",
           _FREEZE, _FREEZE.replace("    return model\n", ""),
           "return model"),
    Mutant("ex10", "unfreeze-head-only", "unfreeze_all only unfreezes the head",
           "    for param in model.parameters():\n        param.requires_grad = True\n",
           "    for param in model.fc.parameters():\n        param.requires_grad = True\n",
           "pas seulement sur la tête"),
    Mutant("ex10", "count-all", "counts frozen parameters too",
           "return sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "return sum(p.numel() for p in model.parameters())",
           "requires_grad vaut True"),
    Mutant("ex10", "count-tensors", "counts parameter tensors instead of values",
           "return sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "return sum(1 for p in model.parameters() if p.requires_grad)",
           "numel"),
    Mutant("ex10", "count-as-tensor", "returns the count as a tensor",
           "return sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "return torch.tensor(sum(p.numel() for p in model.parameters() if p.requires_grad))",
           "int Python"),
    Mutant("ex10", "confusion-transposed", "puts the predicted class on the rows",
           "cm[true, pred] += 1", "cm[pred, true] += 1",
           "transposée"),
    Mutant("ex10", "confusion-float", "counts in a float tensor",
           "cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)",
           "cm = torch.zeros(num_classes, num_classes)",
           "int64"),
    Mutant("ex10", "confusion-size-from-data", "sizes the matrix from the labels present",
           "cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)",
           "size = int(torch.cat([preds, targets]).max()) + 1\n"
           "    cm = torch.zeros(size, size, dtype=torch.int64)",
           "num_classes"),
    Mutant("ex10", "save-whole-model", "pickles the whole model instead of its state_dict",
           "torch.save(model.state_dict(), path)", "torch.save(model, path)",
           "pas le modèle entier"),
    Mutant("ex10", "load-no-load", "builds a fresh model but never loads the saved state",
           "    model.load_state_dict(state)\n", "",
           "sans load_state_dict"),
    Mutant("ex10", "load-downloads", "load_model asks for the ImageNet weights (a download)",
           "model = build_resnet18(num_classes, weights=None)",
           'model = build_resnet18(num_classes, weights="DEFAULT")',
           "télécharg"),
)

VARIANTS = (
    Variant("ex10", "module-methods",
            "resnet18 imported by name, Linear(512, C), requires_grad_ on modules, BatchNorm "
            "put in eval mode by freeze, bincount, str path, load returns an eval model, prints",
            (("    model = models.resnet18(weights=weights)\n"
              "    model.fc = nn.Linear(model.fc.in_features, num_classes)  # 512 -> num_classes\n",
              "    from torchvision.models import resnet18\n\n"
              "    model = resnet18(weights=weights)\n"
              "    model.fc = nn.Linear(512, num_classes)\n"
              "    print('built', num_classes)\n"),
             (_FREEZE,
              "    model.requires_grad_(False)\n"
              "    model.fc.requires_grad_(True)\n"
              "    for module in model.modules():\n"
              "        if isinstance(module, nn.BatchNorm2d):\n"
              "            module.eval()\n"
              "    return model\n"),
             ("    for param in model.parameters():\n        param.requires_grad = True\n"
              "    return model\n",
              "    return model.requires_grad_(True)\n"),
             ("    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
              "    total = 0\n"
              "    for p in model.parameters():\n"
              "        if p.requires_grad:\n"
              "            total += p.numel()\n"
              "    return total\n"),
             ("    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)\n"
              "    for true, pred in zip(targets.tolist(), preds.tolist()):\n"
              "        cm[true, pred] += 1\n"
              "    return cm\n",
              "    flat = targets.long() * num_classes + preds.long()\n"
              "    counts = torch.bincount(flat, minlength=num_classes * num_classes)\n"
              "    return counts.reshape(num_classes, num_classes)\n"),
             ("    torch.save(model.state_dict(), path)\n",
              "    torch.save(model.state_dict(), str(path))\n"
              "    print('saved to', path)\n"),
             ("    model = build_resnet18(num_classes, weights=None)\n"
              '    state = torch.load(path, map_location="cpu", weights_only=True)\n'
              "    model.load_state_dict(state)\n"
              "    return model\n",
              "    model = models.resnet18()\n"
              "    model.fc = nn.Linear(512, num_classes)\n"
              "    model.load_state_dict(torch.load(path, map_location=torch.device('cpu')))\n"
              "    model.eval()\n"
              "    return model\n"))),
    Variant("ex10", "names-and-one-hot",
            "named_parameters with a name test, one-hot product, file objects, strict=True",
            ((_FREEZE,
              "    for name, param in model.named_parameters():\n"
              "        param.requires_grad_(name.startswith('fc.'))\n"
              "    return model\n"),
             ("    for param in model.parameters():\n        param.requires_grad = True\n"
              "    return model\n",
              "    for _, param in model.named_parameters():\n"
              "        param.requires_grad_(True)\n"
              "    return model\n"),
             ("    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
              "    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))\n"),
             ("    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)\n"
              "    for true, pred in zip(targets.tolist(), preds.tolist()):\n"
              "        cm[true, pred] += 1\n"
              "    return cm\n",
              "    from torch.nn import functional as F\n\n"
              "    truth = F.one_hot(targets.long(), num_classes)  # (N, C)\n"
              "    guess = F.one_hot(preds.long(), num_classes)  # (N, C)\n"
              "    return truth.T @ guess\n"),
             ("    torch.save(model.state_dict(), path)\n",
              "    with open(path, 'wb') as f:\n"
              "        torch.save(model.state_dict(), f)\n"),
             ('    state = torch.load(path, map_location="cpu", weights_only=True)\n'
              "    model.load_state_dict(state)\n",
              "    with open(path, 'rb') as f:\n"
              "        state = torch.load(f, map_location='cpu')\n"
              "    missing = model.load_state_dict(state, strict=True)\n"
              "    print(missing)\n"))),
    Variant("ex10", "index-put",
            "confusion matrix with index_put_(accumulate=True) on a torch.long matrix",
            (("    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)\n"
              "    for true, pred in zip(targets.tolist(), preds.tolist()):\n"
              "        cm[true, pred] += 1\n"
              "    return cm\n",
              "    cm = torch.zeros((num_classes, num_classes), dtype=torch.long)\n"
              "    ones = torch.ones_like(targets, dtype=torch.long)\n"
              "    cm.index_put_((targets, preds), ones, accumulate=True)\n"
              "    return cm\n"),)),
)
