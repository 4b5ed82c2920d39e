"""Data sets generated on the fly (the book downloads nothing)."""

from __future__ import annotations

import math

import torch

from nodebook.repro import generator


def make_moons(
    n: int = 256, noise: float = 0.1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved half circles in 2-D, centred and scaled to unit spread.

    Introduced in chapter 1. Returns ``X`` of shape ``(n, 2)`` (float32) and labels ``y``
    of shape ``(n,)`` (int64, 0 or 1, ``n // 2`` of class 0). Deterministic given ``seed``.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    gen = generator(seed)
    n0 = n // 2
    s0 = torch.rand(n0, generator=gen) * math.pi
    s1 = torch.rand(n - n0, generator=gen) * math.pi
    upper = torch.stack([torch.cos(s0), torch.sin(s0)], dim=1)
    lower = torch.stack([1 - torch.cos(s1), 0.5 - torch.sin(s1)], dim=1)
    X = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=gen)
    X = (X - X.mean(0)) / X.std(0)
    y = torch.cat(
        [torch.zeros(n0, dtype=torch.long), torch.ones(n - n0, dtype=torch.long)]
    )
    return X, y
