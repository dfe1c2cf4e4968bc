"""Planted bugs and correct rewrites of ex01_tensors."""

from grading.authoring.mutants import Mutant, Variant

MUTANTS = (
    Mutant("ex01", "divide-by-256", "divides by 256 instead of 255",
           "img.to(torch.float32) / 255.0", "img.to(torch.float32) / 256.0",
           "valeurs de l'image convertie"),
    Mutant("ex01", "no-float", "forgets the float conversion (integer division)",
           "img.to(torch.float32) / 255.0", "img // 255",
           "type de la sortie"),
    Mutant("ex01", "normalize-swapped", "multiplies by std instead of dividing",
           "return (x - mean) / std", "return (x - mean) * std",
           "normalisé"),
    Mutant("ex01", "no-transpose", "multiplies by W instead of W^T",
           "return x @ weight.T + bias", "return x @ weight + bias",
           "linear_forward"),
    Mutant("ex01", "no-bias", "forgets the bias",
           "return x @ weight.T + bias", "return x @ weight.T",
           "sortie de linear_forward"),
    Mutant("ex01", "no-mps", "never considers MPS",
           '    if torch.backends.mps.is_available():\n        return torch.device("mps")\n', "",
           "mps"),
    Mutant("ex01", "device-string", "returns a string instead of a torch.device",
           'return torch.device("cpu")', 'return "cpu"',
           "torch.device"),
)

VARIANTS = (
    Variant("ex01", "methods", "method chains, true division of uint8, torch.matmul, prints",
            (("img.to(torch.float32) / 255.0", "img / 255"),
             ("return (x - mean) / std", "return x.sub(mean).div(std)"),
             ("return x @ weight.T + bias",
              'print("debug", x.shape)\n    return torch.matmul(x, weight.t()).add(bias)'))),
    Variant("ex01", "einsum", "einsum and broadcasting, one-line device choice",
            (("img.to(torch.float32) / 255.0", "img.float().div(255)"),
             ("return x @ weight.T + bias",
              'return torch.einsum("...i,oi->...o", x, weight) + bias'),
             ('    if torch.cuda.is_available():\n        return torch.device("cuda")\n'
              '    if torch.backends.mps.is_available():\n        return torch.device("mps")\n'
              '    return torch.device("cpu")',
              '    return torch.device("cuda" if torch.cuda.is_available() else\n'
              '                        "mps" if torch.backends.mps.is_available() else "cpu")'))),
)
