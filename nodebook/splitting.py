"""Operator splitting: advance ``y' = A(y) + B(y)`` by alternating the flows of A and B.

Introduced in chapter 2. When each part has an exact (or cheap, stable) flow, splitting
handles a stiff linear part exactly and leaves only the splitting error, of order one for
Lie's alternation and two for Strang's symmetric one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nodebook._validate import as_float_tensor, require_finite

Flow = Callable[[torch.Tensor, float], torch.Tensor]
"""A flow map ``flow(y, dt)``: the state after time ``dt`` under one part of the field."""

SCHEMES = ("lie", "strang")


def split_step(
    flow_a: Flow, flow_b: Flow, y: torch.Tensor, dt: float, scheme: str = "strang"
) -> torch.Tensor:
    """One splitting step. Introduced in chapter 2.

    ``"lie"``: A for ``dt``, then B for ``dt``. ``"strang"``: A for ``dt/2``, B for
    ``dt``, A for ``dt/2``; the symmetry cancels the first-order error term.
    """
    if scheme == "lie":
        return flow_b(flow_a(y, dt), dt)
    if scheme == "strang":
        return flow_a(flow_b(flow_a(y, dt / 2), dt), dt / 2)
    raise ValueError(f"unknown scheme {scheme!r}; choose one of {SCHEMES}")


def odeint_split(
    flow_a: Flow,
    flow_b: Flow,
    y0: torch.Tensor,
    T: float,
    n: int,
    scheme: str = "strang",
) -> torch.Tensor:
    """The state at time ``T`` after ``n`` equal splitting steps. Introduced in chapter 2.

    Raises:
        ValueError: for an unknown scheme, ``n < 1``, ``T <= 0`` or a non-finite ``y0``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {SCHEMES}")
    if n < 1 or not T > 0:
        raise ValueError(f"need n >= 1 steps over a positive T, got n={n}, T={T}")
    y = as_float_tensor(y0, "y0")
    require_finite(y, "y0")
    dt = T / n
    for _ in range(n):
        y = split_step(flow_a, flow_b, y, dt, scheme)
    return y
