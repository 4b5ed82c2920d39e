"""Input validation shared by the public functions: clear messages instead of deep tracebacks."""

from __future__ import annotations

import torch


def as_float_tensor(x: object, name: str) -> torch.Tensor:
    """Return ``x`` as a floating-point tensor, or raise a TypeError naming ``name``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")
    return x


def require_finite(x: torch.Tensor, name: str) -> None:
    """Raise a ValueError if ``x`` holds a NaN or an infinity."""
    if not bool(torch.isfinite(x).all()):
        n_bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} has {n_bad} non-finite entries (NaN or inf)")
