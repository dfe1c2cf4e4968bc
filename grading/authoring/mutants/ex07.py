"""Planted bugs and correct rewrites of ex07_cnn_basics."""

from grading.authoring.mutants import Mutant, Variant

_FORMULA = "return (h_in + 2 * padding - kernel_size) // stride + 1"
_SAVE = ('    torch.save({"epoch": epoch, "loss": loss, "model_state_dict": model.state_dict(),\n'
         '                "optimizer_state_dict": optimizer.state_dict()}, path)')
_POOL = "    return x.reshape(n, c, h // 2, 2, w // 2, 2).amax(dim=(3, 5))  # (N, C, H/2, W/2)"

MUTANTS = (
    Mutant("ex07", "true-division", "divides with / instead of // (a float size)",
           _FORMULA, "return (h_in + 2 * padding - kernel_size) / stride + 1",
           "division entière"),
    Mutant("ex07", "padding-once", "counts the padding on one side only",
           _FORMULA, "return (h_in + padding - kernel_size) // stride + 1",
           "des deux côtés"),
    Mutant("ex07", "no-plus-one", "forgets the + 1 of the formula",
           _FORMULA, "return (h_in + 2 * padding - kernel_size) // stride",
           "comparé à la sortie de nn.Conv2d"),
    Mutant("ex07", "library-pool", "calls F.max_pool2d instead of writing the pooling",
           _POOL, "    return torch.nn.functional.max_pool2d(x, 2)",
           "un appel à F.max_pool2d"),
    Mutant("ex07", "average-pool", "averages each window instead of taking its maximum",
           ".amax(dim=(3, 5))", ".mean(dim=(3, 5))",
           "maximum de chaque fenêtre"),
    Mutant("ex07", "strided-windows", "reshapes so that windows gather far-apart pixels",
           _POOL, "    return x.reshape(n, c, 2, h // 2, 2, w // 2).amax(dim=(2, 4))",
           "fenêtre 2×2 voisine"),
    Mutant("ex07", "even-sizes-only", "does not drop the last row/column of odd sizes",
           "    x = x[:, :, : h // 2 * 2, : w // 2 * 2]  # odd sizes: drop the last row/column\n",
           "", "tailles impaires"),
    Mutant("ex07", "no-conv-relu", "forgets the ReLU after the first convolution",
           "x = self.pool(torch.relu(self.conv1(x)))", "x = self.pool(self.conv1(x))",
           "conv1 → ReLU"),
    Mutant("ex07", "no-hidden-relu", "forgets the ReLU between the two Linear layers",
           "x = torch.relu(self.fc1(x.flatten(1)))", "x = self.fc1(x.flatten(1))",
           "fc1 → ReLU → fc2"),
    Mutant("ex07", "softmax-output", "applies a softmax to the logits",
           "        return self.fc2(x)\n", "        return torch.softmax(self.fc2(x), dim=1)\n",
           "softmax"),
    Mutant("ex07", "hardcoded-32", "sizes the first Linear for 32×32 images whatever image_size",
           "side = image_size // 2 // 2", "side = 8",
           "image_size"),
    Mutant("ex07", "hardcoded-rgb", "builds the first convolution for 3 channels always",
           "nn.Conv2d(in_channels, 32, kernel_size=3, padding=1)",
           "nn.Conv2d(3, 32, kernel_size=3, padding=1)",
           "in_channels"),
    Mutant("ex07", "no-padding", "forgets padding=1 in the second convolution",
           "nn.Conv2d(32, 64, kernel_size=3, padding=1)", "nn.Conv2d(32, 64, kernel_size=3)",
           "padding=1"),
    Mutant("ex07", "ceil-size", "rounds the size after pooling up instead of down",
           "side = image_size // 2 // 2", "side = -(-image_size // 4)",
           "arrondit à l'entier inférieur"),
    Mutant("ex07", "transform-label", "applies the transform to the label as well",
           "return x, self.labels[index]",
           "return x, (self.transform(self.labels[index]) if self.transform is not None "
           "else self.labels[index])",
           "jamais à l'étiquette"),
    Mutant("ex07", "transform-ignored", "never applies the transform",
           "            x = self.transform(x)\n", "            pass\n",
           "appliquez transform"),
    Mutant("ex07", "no-optimizer-state", "does not restore the optimizer state",
           '    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])\n', "",
           "optimizer.state_dict()"),
    Mutant("ex07", "no-model-state", "does not restore the model weights",
           '    model.load_state_dict(checkpoint["model_state_dict"])\n', "",
           "model.load_state_dict"),
    Mutant("ex07", "epoch-plus-one", "returns the epoch to resume from (epoch + 1)",
           'return checkpoint["epoch"], checkpoint["loss"]',
           'return checkpoint["epoch"] + 1, checkpoint["loss"]',
           "tels que save_checkpoint les a reçus"),
    Mutant("ex07", "swapped-return", "returns (loss, epoch)",
           'return checkpoint["epoch"], checkpoint["loss"]',
           'return checkpoint["loss"], checkpoint["epoch"]',
           "dans cet ordre"),
    Mutant("ex07", "fixed-file-name", "saves to a fixed file name instead of path",
           '"optimizer_state_dict": optimizer.state_dict()}, path)',
           '"optimizer_state_dict": optimizer.state_dict()}, "checkpoint.pth")',
           "nom de fichier fixe"),
)

VARIANTS = (
    Variant("ex07", "sequential-unfold",
            "math.floor, unfold + max, nn.Sequential blocks, int labels, other checkpoint keys",
            ((_FORMULA,
              "import math\n\n"
              "    return int(math.floor((h_in + 2 * padding - kernel_size) / stride)) + 1"),
             ("    n, c, h, w = x.shape\n"
              "    x = x[:, :, : h // 2 * 2, : w // 2 * 2]  # odd sizes: drop the last row/column\n"
              + _POOL,
              "    h, w = x.shape[-2:]\n"
              "    windows = x[..., : h - h % 2, : w - w % 2].unfold(2, 2, 2).unfold(3, 2, 2)\n"
              "    return windows.flatten(-2).max(dim=-1).values"),
             ("""        self.conv1 = nn.Conv2d(in_channels, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        side = image_size // 2 // 2
        self.fc1 = nn.Linear(64 * side * side, 128)
        self.fc2 = nn.Linear(128, num_classes)""",
              """        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
        size = conv_output_size(conv_output_size(image_size, 2, 2), 2, 2)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * size * size, 128),
                                        nn.ReLU(), nn.Linear(128, num_classes))"""),
             ("""        x = self.pool(torch.relu(self.conv1(x)))  # (N, 32, S/2, S/2)
        x = self.pool(torch.relu(self.conv2(x)))  # (N, 64, S/4, S/4)
        x = torch.relu(self.fc1(x.flatten(1)))  # (N, 128)
        return self.fc2(x)""",
              "        return self.classifier(self.features(x))"),
             ("        return len(self.data)", "        return len(self.labels)"),
             ("return x, self.labels[index]", "return x, int(self.labels[index])"),
             (_SAVE,
              """    state = {"model": model.state_dict(), "optim": optimizer.state_dict(),
             "epoch": epoch, "loss": float(loss)}
    torch.save(state, str(path))
    print(f"checkpoint saved to {path}")"""),
             ("""    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["loss"]""",
              """    state = torch.load(Path(path), weights_only=True)
    optimizer.load_state_dict(state["optim"])
    model.load_state_dict(state["model"])
    return int(state["epoch"]), float(state["loss"])"""))),
    Variant("ex07", "functional-slicing",
            "four strided slices + torch.maximum, F.relu/F.max_pool2d, view, lazy default "
            "transform, list checkpoint",
            ((_FORMULA,
              "out = (h_in - kernel_size + 2 * padding) // stride + 1\n"
              "    print('conv output size', out)\n    return out"),
             ("    n, c, h, w = x.shape\n"
              "    x = x[:, :, : h // 2 * 2, : w // 2 * 2]  # odd sizes: drop the last row/column\n"
              + _POOL,
              "    h, w = x.size(2) // 2 * 2, x.size(3) // 2 * 2\n"
              "    x = x[:, :, :h, :w]\n"
              "    top = torch.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2])\n"
              "    bottom = torch.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2])\n"
              "    return torch.maximum(top, bottom)"),
             ("""        self.conv1 = nn.Conv2d(in_channels, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        side = image_size // 2 // 2
        self.fc1 = nn.Linear(64 * side * side, 128)
        self.fc2 = nn.Linear(128, num_classes)""",
              """        self.c1 = nn.Conv2d(in_channels, 32, 3, 1, 1)
        self.c2 = nn.Conv2d(32, 64, 3, 1, 1)
        self.flat_features = 64 * (image_size // 4) ** 2
        self.hidden = nn.Linear(self.flat_features, 128)
        self.out = nn.Linear(128, num_classes)"""),
             ("""        x = self.pool(torch.relu(self.conv1(x)))  # (N, 32, S/2, S/2)
        x = self.pool(torch.relu(self.conv2(x)))  # (N, 64, S/4, S/4)
        x = torch.relu(self.fc1(x.flatten(1)))  # (N, 128)
        return self.fc2(x)""",
              """        F = torch.nn.functional
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), kernel_size=2, stride=2)
        x = x.view(x.size(0), -1)
        return self.out(F.relu(self.hidden(x)))"""),
             ("        self.transform = transform\n",
              "        self.transform = transform if transform is not None else (lambda v: v)\n"),
             ("""        x = self.data[index]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[index]""",
              "        return self.transform(self.data[index]), self.labels[index]"),
             (_SAVE,
              "    torch.save([model.state_dict(), optimizer.state_dict(), epoch, loss], path)"),
             ("""    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["loss"]""",
              """    model_state, optimizer_state, epoch, loss = torch.load(path)
    model.load_state_dict(model_state)
    optimizer.load_state_dict(optimizer_state)
    return (epoch, loss)"""))),
    Variant("ex07", "loops-own-pool",
            "max_pool_2x2 with Python loops over windows, reused inside SimpleCNN; modules "
            "for ReLU",
            (("    n, c, h, w = x.shape\n"
              "    x = x[:, :, : h // 2 * 2, : w // 2 * 2]  # odd sizes: drop the last row/column\n"
              + _POOL,
              "    rows = []\n"
              "    for i in range(x.shape[2] // 2):\n"
              "        cols = []\n"
              "        for j in range(x.shape[3] // 2):\n"
              "            window = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]\n"
              "            cols.append(window.amax(dim=(2, 3)))\n"
              "        rows.append(torch.stack(cols, dim=-1))\n"
              "    return torch.stack(rows, dim=-2)"),
             ("        self.pool = nn.MaxPool2d(2)\n", "        self.relu = nn.ReLU()\n"),
             ("""        x = self.pool(torch.relu(self.conv1(x)))  # (N, 32, S/2, S/2)
        x = self.pool(torch.relu(self.conv2(x)))  # (N, 64, S/4, S/4)
        x = torch.relu(self.fc1(x.flatten(1)))  # (N, 128)""",
              """        x = max_pool_2x2(self.relu(self.conv1(x)))
        x = max_pool_2x2(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(torch.flatten(x, start_dim=1)))"""))),
)
