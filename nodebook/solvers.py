"""Fixed-step explicit Runge-Kutta integration (being replaced by :func:`nodebook.odeint`).

The tableaux and the one-step routine live in :mod:`nodebook.integrate`; this module keeps
``odeint_fixed`` until the chapters call the front door.
"""

from __future__ import annotations

import torch

from nodebook._validate import time_grid
from nodebook.integrate.steps import Field, rk_stages, rk_step
from nodebook.integrate.tableaux import (
    BOSH3,
    DOPRI5,
    EULER,
    MIDPOINT,
    RK4,
    RK38,
    TABLEAUX,
    ButcherTableau,
)

__all__ = [
    "BOSH3",
    "DOPRI5",
    "EULER",
    "MIDPOINT",
    "RK4",
    "RK38",
    "TABLEAUX",
    "ButcherTableau",
    "Field",
    "odeint_fixed",
    "rk_stages",
    "rk_step",
]


def odeint_fixed(
    f: Field, y0: torch.Tensor, t: torch.Tensor, method: str = "euler"
) -> torch.Tensor:
    """Integrate ``dy/dt = f(t, y)`` with one fixed step between consecutive times in ``t``.

    Introduced in chapter 1, where ``method="euler"`` on ``n`` equal steps is a
    weight-tied ResNet with ``n`` blocks.

    Args:
        f: the vector field ``f(t, y)``.
        y0: the initial state, any shape (a batch is just leading dimensions).
        t: a 1-D tensor of at least two strictly increasing or strictly decreasing times.
        method: a key of :data:`TABLEAUX` (``"euler"``, ``"midpoint"``, ``"rk4"``, or an
            embedded pair used with fixed steps, ``"bosh3"``, ``"dopri5"``).

    Returns:
        A tensor of shape ``(len(t), *y0.shape)``; entry ``i`` is the state at ``t[i]``.

    Raises:
        ValueError: for an unknown method, a non-finite ``y0``, or a time grid that is not
            strictly monotone (a zero step is a step size of zero).
    """
    if method not in TABLEAUX:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(TABLEAUX)}")
    y0, t = time_grid(y0, t)
    steps = t[1:] - t[:-1]
    tableau = TABLEAUX[method]
    ys = [y0]
    for i in range(t.numel() - 1):
        ys.append(rk_step(f, t[i], ys[-1], float(steps[i]), tableau))
    return torch.stack(ys)
