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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from nodebook._validate import time_grid
from nodebook.solvers import Field, _check_dt


class ConvergenceError(RuntimeError):
    """Newton's method did not converge within its iteration limit. Chapter 2."""


@dataclass(frozen=True)
class ThetaMethod:
    """An implicit method of the theta family, fixed by the weight ``w`` of the end slope.

    Introduced in chapter 2.
    """

    name: str
    w: float
    order: int

    def amplification(self, z: np.ndarray | complex) -> np.ndarray:
        """The stability function ``R(z) = (1 + (1 - w) z) / (1 - w z)``, ``z = dt * lam``."""
        z = np.asarray(z, dtype=complex)
        return (1.0 + (1.0 - self.w) * z) / (1.0 - self.w * z)


BACKWARD_EULER = ThetaMethod("backward_euler", w=1.0, order=1)
TRAPEZOID = ThetaMethod("trapezoid", w=0.5, order=2)
IMPLICIT_METHODS: dict[str, ThetaMethod] = {
    m.name: m for m in (BACKWARD_EULER, TRAPEZOID)
}


def newton_solve(
    residual: Callable[[torch.Tensor], torch.Tensor],
    z0: torch.Tensor,
    tol: float = 1e-10,
    max_iter: int = 20,
) -> tuple[torch.Tensor, int]:
    """Solve ``residual(z) = 0`` by Newton's method from the guess ``z0``.

    Introduced in chapter 2. The Jacobian of the residual is built with autograd over the
    flattened state, a dense ``n x n`` matrix: right for the small systems of this book
    (a production solver would exploit sparsity and reuse the Jacobian across steps).

    Returns:
        The solution (shape of ``z0``) and the number of iterations used.

    Raises:
        ConvergenceError: if the update does not fall below ``tol * (1 + max|z|)`` within
            ``max_iter`` iterations, the Jacobian is singular, or the iterate becomes
            non-finite.
    """
    shape = z0.shape

    def flat_residual(z_flat: torch.Tensor) -> torch.Tensor:
        return residual(z_flat.reshape(shape)).reshape(-1)

    z = z0.reshape(-1)
    for iteration in range(1, max_iter + 1):
        r = flat_residual(z)
        jac = torch.autograd.functional.jacobian(flat_residual, z.detach())
        try:
            delta = torch.linalg.solve(jac, r)
        except torch.linalg.LinAlgError:
            raise ConvergenceError(
                f"Newton's method met a singular Jacobian at iteration {iteration}; "
                "try a smaller step size"
            ) from None
        z = z - delta
        if not bool(torch.isfinite(z).all()):
            raise ConvergenceError(
                f"Newton's method produced non-finite values after {iteration} "
                "iterations; try a smaller step size"
            )
        size = float(delta.detach().abs().max())
        if size <= tol * (1.0 + float(z.detach().abs().max())):
            return z.reshape(shape), iteration
    raise ConvergenceError(
        f"Newton's method did not converge in {max_iter} iterations (last update "
        f"{size:.3g}); try a smaller step size"
    )


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
    _check_dt(dt)
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
    y0, t, steps = time_grid(y0, t, increasing_only=True)
    theta_method = IMPLICIT_METHODS[method]
    ys = [y0]
    for i in range(t.numel() - 1):
        y1, _ = implicit_step(f, t[i], ys[-1], float(steps[i]), theta_method, tol=tol)
        ys.append(y1)
    return torch.stack(ys)
