"""Implicit one-step methods solved with Newton's method.

Introduced in chapter 2. torchdiffeq's PyPI release has no implicit solvers, so the book
writes its own: the theta-method family

    y1 = y0 + dt * ((1 - w) * f(t0, y0) + w * f(t1, y1)),

with ``w = 1`` (backward Euler, L-stable, order 1) and ``w = 1/2`` (the trapezoidal
rule, A-stable, order 2). Each step solves for ``y1`` with Newton's method; the Jacobian
``df/dy`` comes from torch autograd, so any torch vector field works, including a neural
network.
"""

from __future__ import annotations

import math

import torch

from nodebook._validate import time_grid
from nodebook.integrate.steps import ConvergenceError, Field, newton_solve
from nodebook.integrate.tableaux import BACKWARD_EULER, TRAPEZOID, ThetaMethod

__all__ = [
    "BACKWARD_EULER",
    "IMPLICIT_METHODS",
    "TRAPEZOID",
    "ConvergenceError",
    "ThetaMethod",
    "implicit_step",
    "newton_solve",
    "odeint_implicit",
]

IMPLICIT_METHODS: dict[str, ThetaMethod] = {
    m.name: m for m in (BACKWARD_EULER, TRAPEZOID)
}


def implicit_step(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    method: ThetaMethod = BACKWARD_EULER,
    f0: torch.Tensor | None = None,
    tol: float = 1e-10,
) -> tuple[torch.Tensor, int]:
    """One step of an implicit theta-method from ``(t, y)`` to ``t + dt``.

    Introduced in chapter 2. ``f0 = f(t, y)`` may be passed in to save an evaluation.
    Newton starts from the explicit Euler guess ``y + dt * f0``.

    Returns:
        The new state and the number of Newton iterations.
    """
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"the step size dt must be finite and positive, got {dt}")
    if f0 is None and method.w != 1.0:
        f0 = f(t, y)
    explicit_part = y if method.w == 1.0 else y + dt * (1.0 - method.w) * f0
    t1 = t + dt

    def residual(z: torch.Tensor) -> torch.Tensor:
        return z - explicit_part - dt * method.w * f(t1, z)

    guess = y + dt * (f0 if f0 is not None else f(t, y))
    return newton_solve(residual, guess.detach(), tol=tol)


def odeint_implicit(
    f: Field,
    y0: torch.Tensor,
    t: torch.Tensor,
    method: str = "backward_euler",
    tol: float = 1e-10,
) -> torch.Tensor:
    """Integrate with one implicit step between consecutive increasing times in ``t``.

    Introduced in chapter 2; the implicit counterpart of :func:`nodebook.odeint_fixed`.

    Args:
        f: the vector field ``f(t, y)``.
        y0: the initial state, any shape.
        t: a 1-D tensor of at least two strictly increasing times.
        method: a key of :data:`IMPLICIT_METHODS`.
        tol: Newton's relative tolerance.

    Returns:
        A tensor of shape ``(len(t), *y0.shape)``.

    Raises:
        ValueError: for an unknown method, a non-finite ``y0`` or a time grid that is not
            strictly increasing.
        ConvergenceError: if Newton's method fails on a step.
    """
    if method not in IMPLICIT_METHODS:
        raise ValueError(
            f"unknown method {method!r}; choose one of {sorted(IMPLICIT_METHODS)}"
        )
    y0, t = time_grid(y0, t, increasing_only=True)
    steps = t[1:] - t[:-1]
    theta_method = IMPLICIT_METHODS[method]
    ys = [y0]
    for i in range(t.numel() - 1):
        y1, _ = implicit_step(f, t[i], ys[-1], float(steps[i]), theta_method, tol=tol)
        ys.append(y1)
    return torch.stack(ys)
