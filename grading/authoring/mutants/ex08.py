"""Planted bugs and correct rewrites of ex08_lenet5."""

from grading.authoring.mutants import Mutant, Variant

_INIT = """        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.bn = nn.BatchNorm2d(6) if batchnorm else nn.Identity()
        self.c2 = nn.Conv2d(6, 16, kernel_size=5)
        self.f3 = nn.Linear(16 * 4 * 4, 120)
        self.f4 = nn.Linear(120, 84)
        self.f5 = nn.Linear(84, num_classes)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(dropout)"""
_FORWARD = """        x = self.pool(self.relu(self.bn(self.c1(x))))  # (N, 6, 12, 12)
        x = self.dropout(x)
        x = self.pool(self.relu(self.c2(x)))  # (N, 16, 4, 4)
        x = torch.flatten(x, 1)  # (N, 256)
        x = self.dropout(self.relu(self.f3(x)))  # (N, 120)
        x = self.relu(self.f4(x))  # (N, 84)
        return self.f5(x)  # (N, num_classes)"""
_COUNT = ("    return sum(p.numel() for p in model.parameters() "
          "if p.requires_grad or not trainable_only)")
_LOADS = ("    train = datasets.FashionMNIST(root, train=True, transform=to_tensor, "
          "download=download)\n"
          "    val = datasets.FashionMNIST(root, train=False, transform=to_tensor, "
          "download=download)\n")
_SUBSETS = """    if train_size is not None:
        train = Subset(train, range(train_size))
    if val_size is not None:
        val = Subset(val, range(val_size))"""

MUTANTS = (
    Mutant("ex08", "padding-2", "pads C1 (the 32×32 LeNet of the paper) and sizes F3 for 5×5 maps",
           _INIT.split("        self.f4")[0],
           _INIT.split("        self.f4")[0].replace("kernel_size=5)\n        self.bn",
                                                    "kernel_size=5, padding=2)\n        self.bn")
           .replace("16 * 4 * 4", "16 * 5 * 5"),
           "nombre de paramètres"),
    Mutant("ex08", "softmax-output", "applies a softmax to the logits",
           "        return self.f5(x)  # (N, num_classes)",
           "        return torch.softmax(self.f5(x), dim=1)",
           "softmax"),
    Mutant("ex08", "no-relu-f4", "forgets the ReLU between F4 and F5",
           "x = self.relu(self.f4(x))  # (N, 84)", "x = self.f4(x)  # (N, 84)",
           "ReLU entre F4 et F5"),
    Mutant("ex08", "no-relu-c2", "forgets the ReLU after C2",
           "x = self.pool(self.relu(self.c2(x)))", "x = self.pool(self.c2(x))",
           "après C2 : ReLU"),
    Mutant("ex08", "dropout-hardcoded", "always uses a dropout of 0.5, whatever dropout is",
           "self.dropout = nn.Dropout(dropout)", "self.dropout = nn.Dropout(0.5)",
           "écrite en dur"),
    Mutant("ex08", "dropout-fc-only", "puts dropout between F3 and F4 but not after C1",
           "        x = self.dropout(x)\n", "",
           "après le bloc C1"),
    Mutant("ex08", "dropout-after-f4", "puts the second dropout after F4 instead of F3",
           "        x = self.dropout(self.relu(self.f3(x)))  # (N, 120)\n"
           "        x = self.relu(self.f4(x))  # (N, 84)\n",
           "        x = self.relu(self.f3(x))  # (N, 120)\n"
           "        x = self.dropout(self.relu(self.f4(x)))  # (N, 84)\n",
           "après la ReLU de F3"),
    Mutant("ex08", "dropout-in-eval", "calls F.dropout without training=self.training",
           "        x = self.dropout(x)\n",
           "        x = torch.nn.functional.dropout(x, self.dropout.p)\n",
           "training=self.training"),
    Mutant("ex08", "dropout-rescaled-in-eval", "hand-written dropout that scales by 1 − p in eval",
           "        x = self.dropout(self.relu(self.f3(x)))  # (N, 120)\n",
           "        x = self.dropout(self.relu(self.f3(x)))  # (N, 120)\n"
           "        if not self.training:\n"
           "            x = x * (1 - self.dropout.p)\n",
           "aucune mise à l'échelle"),
    Mutant("ex08", "batchnorm-always", "adds the BatchNorm2d even when batchnorm=False",
           "self.bn = nn.BatchNorm2d(6) if batchnorm else nn.Identity()",
           "self.bn = nn.BatchNorm2d(6)",
           "nombre de paramètres"),
    Mutant("ex08", "batchnorm-unused", "builds the BatchNorm2d but never applies it",
           "self.pool(self.relu(self.bn(self.c1(x))))", "self.pool(self.relu(self.c1(x)))",
           "BatchNorm2d une fois dans forward"),
    Mutant("ex08", "batchnorm-bypassed", "applies the BatchNorm2d but feeds C2 with C1's maps",
           "        x = self.pool(self.relu(self.bn(self.c1(x))))  # (N, 6, 12, 12)\n",
           "        y = self.c1(x)\n"
           "        self.bn(y)\n"
           "        x = self.pool(self.relu(y))\n",
           "sortie de la BatchNorm2d"),
    Mutant("ex08", "count-ignores-flag", "counts frozen parameters whatever trainable_only says",
           " if p.requires_grad or not trainable_only)", ")",
           "gelé"),
    Mutant("ex08", "count-tensors", "counts parameter tensors instead of values",
           "return sum(p.numel() for p", "return sum(1 for p",
           "pas le nombre de tenseurs"),
    Mutant("ex08", "count-state-dict", "counts every entry of state_dict() (buffers included)",
           _COUNT,
           "    if not trainable_only:\n"
           "        return sum(v.numel() for v in model.state_dict().values())\n"
           "    return sum(p.numel() for p in model.parameters() if p.requires_grad)",
           "state_dict"),
    Mutant("ex08", "no-totensor", "forgets the ToTensor transform (items are PIL images)",
           "to_tensor = transforms.ToTensor()", "to_tensor = None",
           "transforms.ToTensor()"),
    Mutant("ex08", "normalized", "adds a Normalize((0.5,), (0.5,)) after ToTensor",
           "to_tensor = transforms.ToTensor()",
           "to_tensor = transforms.Compose([transforms.ToTensor(),\n"
           "                                    transforms.Normalize((0.5,), (0.5,))])",
           "sans Normalize"),
    Mutant("ex08", "val-is-train", "loads the training split twice",
           "val = datasets.FashionMNIST(root, train=False,",
           "val = datasets.FashionMNIST(root, train=True,",
           "train=False"),
    Mutant("ex08", "random-subset", "keeps a random subset instead of the first N",
           "        train = Subset(train, range(train_size))",
           "        train = Subset(train, torch.randperm(len(train))[:train_size].tolist())",
           "pas un tirage au hasard"),
    Mutant("ex08", "sizes-swapped", "truncates val with train_size",
           "        val = Subset(val, range(val_size))",
           "        val = Subset(val, range(train_size if train_size is not None else val_size))",
           "val_size pour val"),
    Mutant("ex08", "download-hardcoded", "always asks torchvision to download the test split",
           "val = datasets.FashionMNIST(root, train=False, transform=to_tensor, download=download)",
           "val = datasets.FashionMNIST(root, train=False, transform=to_tensor, download=True)",
           "download=download"),
)

VARIANTS = (
    Variant("ex08", "sequential",
            "nn.Sequential blocks, BN after the ReLU, dropout before pooling, modules only when "
            "asked, named_parameters, Compose and list subsets",
            ((_INIT, """        conv = [nn.Conv2d(1, 6, 5), nn.ReLU()]
        if batchnorm:
            conv.append(nn.BatchNorm2d(6))
        if dropout > 0:
            conv.append(nn.Dropout(p=dropout))
        conv += [nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2)]
        self.features = nn.Sequential(*conv)
        fc = [nn.Flatten(), nn.Linear(256, 120), nn.ReLU()]
        if dropout > 0:
            fc.append(nn.Dropout(p=dropout))
        fc += [nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes)]
        self.classifier = nn.Sequential(*fc)"""),
             (_FORWARD, "        return self.classifier(self.features(x))"),
             (_COUNT, """    total = 0
    for _, param in model.named_parameters():
        if trainable_only and not param.requires_grad:
            continue
        total += param.numel()
    return total"""),
             ("to_tensor = transforms.ToTensor()",
              "to_tensor = transforms.Compose([transforms.ToTensor()])"),
             (_SUBSETS, """    if train_size is not None:
        train = torch.utils.data.Subset(train, list(range(train_size)))
    if val_size is not None:
        val = torch.utils.data.Subset(val, list(range(val_size)))""")),
            ),
    Variant("ex08", "functional",
            "F.relu, average pooling (the original LeNet-5), BN after pooling, F.dropout with "
            "training, view, sliced .data/.targets, keyword root, prints",
            ((_INIT, """        self.conv1 = nn.Conv2d(1, 6, 5)
        self.norm = nn.BatchNorm2d(6) if batchnorm else None
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.p = dropout"""),
             (_FORWARD, """        F = torch.nn.functional
        x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        if self.norm is not None:
            x = self.norm(x)
        x = F.dropout(x, self.p, self.training)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.dropout(F.relu(self.fc1(x)), p=self.p, training=self.training)
        x = F.relu(self.fc2(x))
        return self.fc3(x)"""),
             (_COUNT, """    params = [p for p in model.parameters()
              if p.requires_grad or not trainable_only]
    print("tensors counted:", len(params))
    return int(sum(p.numel() for p in params))"""),
             (_LOADS, """    root = str(root)
    train = datasets.FashionMNIST(root=root, train=True, download=download,
                                  transform=to_tensor)
    val = datasets.FashionMNIST(root=root, train=False, download=download,
                                transform=to_tensor)
    print(len(train), len(val))
"""),
             (_SUBSETS, """    if train_size is not None:
        train.data, train.targets = train.data[:train_size], train.targets[:train_size]
    if val_size is not None:
        val.data, val.targets = val.data[:val_size], val.targets[:val_size]""")),
            ),
)
