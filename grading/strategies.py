"""Shared hypothesis strategies for shapes and sizes (kept small: tests run on a 2-core CPU)."""

from __future__ import annotations

from hypothesis import strategies as st


def batch_shapes(min_dims: int = 1, max_dims: int = 3, max_side: int = 6) -> st.SearchStrategy:
    """Tensor shapes such as (3,), (2, 5) or (1, 4, 2): each side in 1..max_side."""
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def features(max_size: int = 12) -> st.SearchStrategy[int]:
    """A feature count for a layer's input or output."""
    return st.integers(1, max_size)


def batch_sizes(max_size: int = 64) -> st.SearchStrategy[int]:
    return st.integers(1, max_size)
