"""Numbers the chapters report: convergence orders and accuracies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def fit_order(
    dt: Sequence[float] | np.ndarray, errors: Sequence[float] | np.ndarray
) -> float:
    """The slope of ``log(error)`` against ``log(dt)`` by least squares.

    Introduced in chapter 1. A method of order ``p`` has ``error ~ C dt**p`` for small
    ``dt``, so the slope estimates ``p``.

    Raises:
        ValueError: for fewer than two points, unequal lengths, or a non-positive or
            non-finite step or error (a logarithm needs positive numbers).
    """
    dt_arr = np.asarray(dt, dtype=float)
    err_arr = np.asarray(errors, dtype=float)
    if dt_arr.shape != err_arr.shape or dt_arr.ndim != 1 or dt_arr.size < 2:
        raise ValueError(
            f"dt and errors must be 1-D of the same length >= 2, got {dt_arr.shape} and {err_arr.shape}"
        )
    for name, arr in (("dt", dt_arr), ("errors", err_arr)):
        if not (np.isfinite(arr).all() and (arr > 0).all()):
            raise ValueError(f"{name} must be finite and positive to take logarithms")
    slope, _ = np.polyfit(np.log(dt_arr), np.log(err_arr), 1)
    return float(slope)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose largest logit is the label. Introduced in chapter 1."""
    if logits.dim() != 2 or y.shape != logits.shape[:1]:
        raise ValueError(
            f"expected logits (n, classes) and labels (n,), got {tuple(logits.shape)} and {tuple(y.shape)}"
        )
    return float((logits.argmax(dim=1) == y).float().mean())
