"""Adaptive step-size control: embedded Runge-Kutta pairs and adaptive backward Euler.

Introduced in chapter 2. Each step returns the new state and an estimate of its local
error; the controller accepts the step when the scaled error norm is at most one and
picks the next step size from how far below or above one it was. The solution records
every accepted and rejected step so a chapter can plot what the controller did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from nodebook._validate import as_float_tensor, require_finite
from nodebook.implicit import BACKWARD_EULER, ConvergenceError, implicit_step
from nodebook.integrate.controller import (
    MAX_FACTOR,
    MIN_FACTOR,
    SAFETY,
    error_norm,
    initial_step,
)
from nodebook.integrate.stats import StepLimitError
from nodebook.integrate.steps import Field, rk_stages
from nodebook.integrate.steps import combine as _combine
from nodebook.integrate.tableaux import TABLEAUX

__all__ = ["AdaptiveSolution", "StepLimitError", "error_norm", "odeint_adaptive"]


@dataclass(frozen=True)
class AdaptiveSolution:
    """What an adaptive solve did. Introduced in chapter 2.

    Attributes:
        t: accepted times, shape ``(n + 1,)``, from ``t0`` to ``t1``.
        y: states at those times, shape ``(n + 1, *y0.shape)``.
        rejected_t: start times of the rejected attempts, shape ``(m,)``.
        rejected_dt: the step sizes that were rejected, shape ``(m,)``.
        nfe: evaluations of ``f`` (Jacobian evaluations of implicit methods not included).
        jacobians: Jacobian evaluations (Newton iterations; zero for explicit methods).
        method: the method's name.
    """

    t: torch.Tensor
    y: torch.Tensor
    rejected_t: torch.Tensor
    rejected_dt: torch.Tensor
    nfe: int
    jacobians: int
    method: str

    @property
    def n_accepted(self) -> int:
        return self.t.numel() - 1

    @property
    def n_rejected(self) -> int:
        return self.rejected_t.numel()

    @property
    def dt(self) -> torch.Tensor:
        """Accepted step sizes, shape ``(n,)``."""
        return self.t[1:] - self.t[:-1]


ADAPTIVE_METHODS = ("bosh3", "dopri5", "backward_euler")


def odeint_adaptive(
    f: Field,
    y0: torch.Tensor,
    t0: float,
    t1: float,
    method: str = "dopri5",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    dt0: float | None = None,
    max_steps: int = 100_000,
) -> AdaptiveSolution:
    """Integrate from ``t0`` to ``t1 > t0`` with error-controlled step sizes.

    Introduced in chapter 2.

    Args:
        f: the vector field ``f(t, y)``.
        y0: the initial state, any shape (the error norm runs over all entries).
        t0, t1: start and end time.
        method: ``"bosh3"`` or ``"dopri5"`` (explicit embedded pairs, the error is the
            difference of the two solutions) or ``"backward_euler"`` (implicit; the
            error is estimated as ``dt / 2 * (f(t1, y1) - f(t0, y0))``, the leading term
            of its local error).
        rtol, atol: relative and absolute tolerance of the local error.
        dt0: the first step size; chosen from the field's size when omitted.
        max_steps: the most attempted steps before giving up.

    Raises:
        ValueError: for an unknown method, a non-finite ``y0``, ``t1 <= t0``, non-positive
            tolerances or ``dt0 <= 0``.
        StepLimitError: when ``max_steps`` is exceeded or the step size underflows.
    """
    if method not in ADAPTIVE_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {ADAPTIVE_METHODS}")
    y0 = as_float_tensor(y0, "y0")
    require_finite(y0, "y0")
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ValueError(f"need finite t0 < t1, got t0={t0}, t1={t1}")
    if rtol <= 0 or atol <= 0:
        raise ValueError(f"rtol and atol must be positive, got {rtol} and {atol}")
    if dt0 is not None and not (math.isfinite(dt0) and dt0 > 0):
        raise ValueError(f"dt0 must be finite and positive, got {dt0}")

    tableau = TABLEAUX.get(method)
    # The local error estimate shrinks like dt**q: for an embedded pair of orders p and
    # p - 1 that is q = p; for backward Euler's estimate q = 2.
    q = 2 if tableau is None else tableau.order
    dtype = y0.dtype
    t = t0
    y = y0
    f_y = f(torch.tensor(t, dtype=dtype), y)
    nfe, jacobians = 1, 0
    dt = dt0 if dt0 is not None else initial_step(y0, f_y, t1 - t0, rtol, atol)
    ts, ys, rejected_t, rejected_dt = [t0], [y0], [], []

    for _ in range(max_steps):
        if t >= t1:
            break
        dt = min(dt, t1 - t)
        t_tensor = torch.tensor(t, dtype=dtype)
        try:
            if tableau is not None:
                k = rk_stages(f, t_tensor, y, dt, tableau, k0=f_y)
                nfe += tableau.stages - 1
                y_new = _combine(y, dt, tableau.b, k)
                err = _combine(
                    torch.zeros_like(y),
                    dt,
                    tuple(
                        b - bl for b, bl in zip(tableau.b, tableau.b_low, strict=True)
                    ),
                    k,
                )
                f_new = k[-1] if tableau.fsal else None
            else:
                y_new, iterations = implicit_step(
                    f, t_tensor, y, dt, BACKWARD_EULER, f0=f_y
                )
                nfe += iterations
                jacobians += iterations
                f_new = f(t_tensor + dt, y_new)
                nfe += 1
                err = 0.5 * dt * (f_new - f_y)
            norm = error_norm(err, y, y_new, rtol, atol)
        except ConvergenceError:
            norm = math.inf  # Newton failed: treat as a rejected step and shrink
        if not math.isfinite(norm):
            factor = MIN_FACTOR
        elif norm == 0.0:
            factor = MAX_FACTOR
        else:
            factor = min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * norm ** (-1.0 / q)))
        if norm <= 1.0:
            t = t + dt if t + dt < t1 else t1  # land exactly on t1
            y = y_new
            if f_new is None:
                f_new = f(torch.tensor(t, dtype=dtype), y)
                nfe += 1
            f_y = f_new
            ts.append(t)
            ys.append(y)
        else:
            rejected_t.append(t)
            rejected_dt.append(dt)
        dt = dt * factor
        if dt < 1e-14 * max(1.0, abs(t)):
            raise StepLimitError(
                f"{method}: the step size underflowed ({dt:.3g}) at t = {t:.6g}"
            )
    else:
        if t < t1:
            raise StepLimitError(
                f"{method}: {max_steps} steps were not enough to reach t = {t1} "
                f"(stopped at t = {t:.6g} with step size {dt:.3g}); if the step size "
                "stays tiny while the solution changes slowly, the problem is stiff: "
                "use an implicit method"
            )
    return AdaptiveSolution(
        t=torch.tensor(ts, dtype=dtype),
        y=torch.stack(ys),
        rejected_t=torch.tensor(rejected_t, dtype=dtype),
        rejected_dt=torch.tensor(rejected_dt, dtype=dtype),
        nfe=nfe,
        jacobians=jacobians,
        method=method,
    )
