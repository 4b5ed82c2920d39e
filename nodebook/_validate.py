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


def time_grid(
    y0: object, t: object, increasing_only: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate an initial state and a time grid; return them and the step sizes.

    The grid must be 1-D with at least two finite times, strictly monotone (strictly
    increasing when ``increasing_only``).
    """
    y0 = as_float_tensor(y0, "y0")
    t = as_float_tensor(t, "t")
    require_finite(y0, "y0")
    if t.dim() != 1 or t.numel() < 2:
        raise ValueError(
            f"t must be a 1-D tensor of at least 2 times, got shape {tuple(t.shape)}"
        )
    require_finite(t, "t")
    steps = t[1:] - t[:-1]
    if increasing_only and not bool((steps > 0).all()):
        raise ValueError("t must be strictly increasing (step sizes must be positive)")
    if not (bool((steps > 0).all()) or bool((steps < 0).all())):
        raise ValueError(
            "t must be strictly increasing or strictly decreasing (no zero steps)"
        )
    return y0, t, steps
