"""Adaptive step-size control for embedded Runge-Kutta pairs and backward Euler.

Introduced in chapter 2. Each attempt gives a new state and an estimate of its local
error; the controller accepts the step when the scaled error norm is at most one and
picks the next step size from how far below or above one it was: the error shrinks like
``dt**q`` (``q`` the method's ``error_order``), so the step that would have given a norm of
``SAFETY**q`` is ``dt * SAFETY * norm**(-1/q)``.
"""

from __future__ import annotations

import math

import torch

from nodebook.integrate.registry import Method
from nodebook.integrate.stats import NonFiniteError, SolverStats, StepLimitError
from nodebook.integrate.steps import (
    ConvergenceError,
    Field,
    combine,
    rk_stages,
    theta_step,
)
from nodebook.integrate.tableaux import ButcherTableau, ThetaMethod

SAFETY = 0.9
"""Aim a little below the largest step the error estimate allows, to avoid rejections."""
MIN_FACTOR, MAX_FACTOR = 0.2, 10.0
"""Bounds on the step-size change per step: a single odd estimate cannot derail the run."""
RTOL, ATOL = 1e-7, 1e-9
"""Default tolerances, torchdiffeq's."""
MAX_NUM_STEPS = 100_000
"""Default limit on attempted steps (accepted and rejected)."""


def error_norm(
    err: torch.Tensor, y0: torch.Tensor, y1: torch.Tensor, rtol: float, atol: float
) -> float:
    """Root-mean-square of ``err / (atol + rtol * max(|y0|, |y1|))``; accept if <= 1.

    Introduced in chapter 2; the same norm torchdiffeq and scipy use.
    """
    # the norm only steers the step size: keep it out of the autograd graph
    err, y0, y1 = err.detach(), y0.detach(), y1.detach()
    scale = atol + rtol * torch.maximum(y0.abs(), y1.abs())
    return float(((err / scale) ** 2).mean().sqrt())


def step_factor(norm: float, error_order: int) -> float:
    """How much to scale the step after an attempt with this error norm."""
    if not math.isfinite(norm):
        return MIN_FACTOR
    if norm == 0.0:
        return MAX_FACTOR
    return min(MAX_FACTOR, max(MIN_FACTOR, SAFETY * norm ** (-1.0 / error_order)))


def initial_step(
    y0: torch.Tensor, f0: torch.Tensor, span: float, rtol: float, atol: float
) -> float:
    """A first step that moves ``y`` by about one tolerance unit (Hairer et al., II.4)."""
    y0, f0 = y0.detach(), f0.detach()
    scale = atol + rtol * y0.abs()
    d0 = float(((y0 / scale) ** 2).mean().sqrt())
    d1 = float(((f0 / scale) ** 2).mean().sqrt())
    dt = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    return min(dt, span)


def adaptive(
    f: Field,
    y0: torch.Tensor,
    t: torch.Tensor,
    spec: Method,
    rtol: float | None,
    atol: float | None,
    opts: dict[str, float],
    stats: SolverStats | None,
) -> torch.Tensor:
    """The adaptive loop behind :func:`~nodebook.odeint`; lands on every time of ``t``.

    A decreasing grid is integrated forward in ``s = -t`` for ``g(s, y) = -f(-s, y)``:
    the same steps a negative ``dt`` would take, with one forward-only controller.
    """
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    sign = 1.0 if float(t[1]) > float(t[0]) else -1.0
    if sign < 0:

        def g(s: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return -f(-s, y)

    else:
        g = f
    s_out = [sign * float(ti) for ti in t]
    scheme = spec.scheme
    q = spec.error_order
    assert q is not None and isinstance(scheme, ButcherTableau | ThetaMethod), spec
    newton = {
        "tol": opts.get("newton_tol", 1e-10),
        "max_iter": int(opts.get("max_iter", 20)),
    }
    max_attempts = int(opts.get("max_num_steps", MAX_NUM_STEPS))
    dtype = y0.dtype

    s, y = s_out[0], y0
    f_y = g(torch.tensor(s, dtype=dtype), y)
    _field_finite(f_y, sign * s, 0)
    first = opts.get("first_step")
    dt = (
        first if first is not None else initial_step(y0, f_y, s_out[-1] - s, rtol, atol)
    )
    if stats is not None:
        stats.accept(sign * s, y)
    ys, attempts, accepted, saw_nonfinite = [y0], 0, 0, False
    for s_end in s_out[1:]:
        while s < s_end:
            attempts += 1
            if attempts > max_attempts:
                raise StepLimitError(
                    f"{spec.name}: {max_attempts} attempted steps were not enough to "
                    f"reach t = {sign * s_out[-1]:.6g} (stopped at t = {sign * s:.6g} "
                    f"with step size {dt:.3g}); if the step size stays tiny while the "
                    "solution changes slowly, the problem is stiff: use an implicit "
                    "method"
                )
            dt = min(dt, s_end - s)
            s_tensor = torch.tensor(s, dtype=dtype)
            f_new: torch.Tensor | None
            try:
                if isinstance(scheme, ButcherTableau):
                    assert scheme.b_low is not None
                    k = rk_stages(g, s_tensor, y, dt, scheme, k0=f_y)
                    y_new = combine(y, dt, scheme.b, k)
                    diff = tuple(
                        b - bl for b, bl in zip(scheme.b, scheme.b_low, strict=True)
                    )
                    err = combine(torch.zeros_like(y), dt, diff, k)
                    f_new = k[-1] if scheme.fsal else None
                else:
                    y_new = theta_step(
                        g, s_tensor, y, dt, scheme, f0=f_y, **newton, stats=stats
                    )
                    f_new = g(s_tensor + dt, y_new)
                    err = 0.5 * dt * (f_new - f_y)
                norm = error_norm(err, y, y_new, rtol, atol)
            except ConvergenceError:
                norm = math.inf  # Newton failed: treat as a rejected step and shrink
            if math.isnan(norm):
                norm, saw_nonfinite = math.inf, True
            if stats is not None:
                stats.attempt(norm)
            factor = step_factor(norm, q)
            if norm <= 1.0:
                s = s + dt if s + dt < s_end else s_end  # land exactly on s_end
                y = y_new
                accepted += 1
                if f_new is None:
                    f_new = g(torch.tensor(s, dtype=dtype), y)
                _field_finite(f_new, sign * s, accepted)
                f_y = f_new
                if stats is not None:
                    stats.accept(sign * s, y)
            elif stats is not None:
                stats.reject(sign * s, sign * dt)
            dt = dt * factor
            if dt < 1e-14 * max(1.0, abs(s)):
                why = (
                    "; the field returned NaN or inf in the rejected attempts"
                    if saw_nonfinite
                    else ""
                )
                raise StepLimitError(
                    f"{spec.name}: the step size underflowed ({dt:.3g}) at "
                    f"t = {sign * s:.6g}{why}"
                )
        ys.append(y)
    return torch.stack(ys)


def _field_finite(dy: torch.Tensor, t: float, step: int) -> None:
    if not bool(torch.isfinite(dy).all()):
        raise NonFiniteError(
            f"the field returned NaN or inf at t = {t:.6g}, at the state accepted after "
            f"step {step}: no step size can fix that; check the field there"
        )
