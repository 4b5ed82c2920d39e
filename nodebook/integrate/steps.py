"""One step of each kind of method: explicit Runge-Kutta, implicit theta, splitting.

Introduced in chapters 1 and 2. Every one-step function here returns the new state and
nothing else, so they can be swapped for each other; counts (evaluations of ``f``,
Newton iterations) are what :class:`~nodebook.integrate.stats.SolverStats` records when
:func:`~nodebook.integrate.front_door.odeint` drives them. A negative ``dt`` steps backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch

from nodebook.integrate.stats import SolverStats
from nodebook.integrate.tableaux import BACKWARD_EULER, ButcherTableau, ThetaMethod

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""A vector field ``f(t, y) -> dy/dt`` with the shape of ``y``."""

Flow = Callable[[torch.Tensor, float], torch.Tensor]
"""A flow map ``flow(y, dt)``: the state after time ``dt`` under one part of the field."""


class ConvergenceError(RuntimeError):
    """Newton's method did not converge within its iteration limit. Chapter 2."""


class Split(NamedTuple):
    """The two parts of a split field ``y' = A(y) + B(y)``, each given by its flow map.

    Introduced in chapter 2; pass it as ``f`` with ``method="lie"`` or ``"strang"``.
    """

    a: Flow
    b: Flow


def check_dt(dt: float) -> float:
    """``dt`` as a float, or a ValueError if it is zero or not finite."""
    dt = float(dt)
    if not math.isfinite(dt) or dt == 0.0:
        raise ValueError(f"the step size dt must be finite and non-zero, got {dt}")
    return dt


def substeps(span: float, step_size: float | None) -> int:
    """How many equal steps, none longer than ``step_size``, cover a span of the grid
    (one when ``step_size`` is None). The ``1e-9`` keeps a span of exactly ``n`` steps
    from becoming ``n + 1`` through round-off (0.5 / 0.05 is 10.000000000000002)."""
    if step_size is None:
        return 1
    return max(1, math.ceil(abs(span) / step_size - 1e-9))


def rk_stages(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    tableau: ButcherTableau,
    k0: torch.Tensor | None = None,
) -> list[torch.Tensor]:
    """The stage slopes ``k_i`` of one explicit Runge-Kutta step. Chapter 2.

    ``k0``, if given, is ``f(t, y)`` from the previous step of an FSAL method and saves
    one evaluation.
    """
    k: list[torch.Tensor] = []
    for a_row, c_i in zip(tableau.a, tableau.c, strict=True):
        if not k and k0 is not None:
            k.append(k0)
            continue
        y_stage = y
        for a_ij, k_j in zip(a_row, k, strict=True):
            # skipping zeros saves work and keeps Euler a plain residual block; add's
            # alpha scales and adds in one op (one autograd node instead of two)
            if a_ij != 0.0:
                y_stage = torch.add(y_stage, k_j, alpha=dt * a_ij)
        k.append(f(t if c_i == 0.0 else t + c_i * dt, y_stage))
    return k


def combine(
    y: torch.Tensor, dt: float, weights: tuple[float, ...], k: list[torch.Tensor]
) -> torch.Tensor:
    """``y + dt * sum_i w_i k_i``; the weights' sum is formed first (as torchdiffeq does),
    so round-off does not grow with the number of stages."""
    terms = [(w, k_i) for w, k_i in zip(weights, k, strict=True) if w != 0.0]
    # add's alpha scales and adds in one op: four RK4 stages make five autograd nodes
    # here, where y + dt / 6 * (k1 + 2 k2 + 2 k3 + k4) makes seven (measured: the
    # classical loop written out by hand is no faster than this)
    w0, k0 = terms[0]
    dy = k0 if w0 == 1.0 else k0 * w0
    for w, k_i in terms[1:]:
        dy = torch.add(dy, k_i, alpha=w)
    return torch.add(y, dy, alpha=dt)


def rk_step(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    tableau: ButcherTableau,
) -> torch.Tensor:
    """Advance ``y`` from ``t`` to ``t + dt`` with one step of an explicit RK method.

    Introduced in chapter 1: with :data:`~nodebook.EULER` this is exactly a residual block
    ``y + dt * f(t, y)``. A negative ``dt`` steps backward in time.

    Raises:
        TypeError: if ``tableau`` is not a :class:`ButcherTableau` (a method's name is
            looked up in :data:`~nodebook.METHODS`).
        ValueError: if ``dt`` is zero or not finite.
    """
    if not isinstance(tableau, ButcherTableau):
        raise TypeError(_tableau_expected(tableau))
    dt = check_dt(dt)
    return combine(y, dt, tableau.b, rk_stages(f, t, y, dt, tableau))


def _tableau_expected(got: object) -> str:
    if isinstance(got, str):
        return (
            f"rk_step takes a ButcherTableau, not the name {got!r}: pass "
            f"nb.METHODS[{got!r}].scheme (or a constant such as nb.RK4), or integrate "
            f"with nb.odeint(f, y0, t, method={got!r})"
        )
    return f"rk_step takes a ButcherTableau such as nb.RK4, got {type(got).__name__}"


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
        The solution (shape of ``z0``) and the number of iterations used (each one
        evaluates the residual and its Jacobian once).

    Raises:
        ValueError: if ``max_iter < 1`` or ``tol`` is not positive.
        ConvergenceError: if the update does not fall below ``tol * (1 + max|z|)``
            (``tol`` at least four times the dtype's machine epsilon) within
            ``max_iter`` iterations, the Jacobian is singular, or the iterate becomes
            non-finite.
    """
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    # a tolerance below the dtype's resolution can never be met (float32 at 1e-10)
    tol = max(tol, 4 * torch.finfo(z0.dtype).eps)
    shape = z0.shape

    def flat_residual(z_flat: torch.Tensor) -> torch.Tensor:
        return residual(z_flat.reshape(shape)).reshape(-1)

    z = z0.reshape(-1)
    size = math.inf
    for iteration in range(1, int(max_iter) + 1):
        r = flat_residual(z)
        jac = torch.autograd.functional.jacobian(flat_residual, z.detach())
        try:
            delta = torch.linalg.solve(jac, r)
        except torch.linalg.LinAlgError:
            raise ConvergenceError(
                f"Newton's method met a singular Jacobian at iteration {iteration}; "
                "try a smaller step size or another starting guess"
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


def theta_step(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    method: ThetaMethod = BACKWARD_EULER,
    f0: torch.Tensor | None = None,
    tol: float = 1e-10,
    max_iter: int = 20,
    stats: SolverStats | None = None,
) -> torch.Tensor:
    """One step of an implicit theta method from ``(t, y)`` to ``t + dt``. Chapter 2.

    Solves ``y1 = y + dt * ((1 - w) f(t, y) + w f(t + dt, y1))`` by Newton's method from
    the explicit Euler guess ``y + dt * f0``; ``f0 = f(t, y)`` may be passed in to save an
    evaluation. A negative ``dt`` steps backward. ``stats`` is the record of the
    :func:`~nodebook.odeint` call that drives the step (its field counts evaluations):
    the Newton iterations go to ``jacobians``, and the evaluation inside each Jacobian
    is not counted in ``nfe``.

    Raises:
        TypeError: if ``method`` is not a :class:`ThetaMethod`.
        ConvergenceError: if Newton's method fails.
    """
    if not isinstance(method, ThetaMethod):
        raise TypeError(
            "theta_step takes a ThetaMethod such as nb.BACKWARD_EULER or nb.TRAPEZOID, "
            f"got {method!r}"
        )
    dt = check_dt(dt)
    if f0 is None:
        f0 = f(t, y)
    explicit_part = y if method.w == 1.0 else y + dt * (1.0 - method.w) * f0
    t1 = t + dt

    def residual(z: torch.Tensor) -> torch.Tensor:
        return z - explicit_part - dt * method.w * f(t1, z)

    guess = (y + dt * f0).detach()
    y1, iterations = newton_solve(residual, guess, tol=tol, max_iter=max_iter)
    if stats is not None:
        # each iteration evaluated f once more, inside the Jacobian: nfe leaves those
        # out (as scipy's nfev does) and jacobians counts them
        stats.jacobians += iterations
        stats.nfe -= iterations
    return y1


SCHEMES = ("lie", "strang")


def split_step(
    flows: Split, y: torch.Tensor, dt: float, scheme: str = "strang"
) -> torch.Tensor:
    """One splitting step. Introduced in chapter 2.

    ``"lie"``: A for ``dt``, then B for ``dt``. ``"strang"``: A for ``dt/2``, B for
    ``dt``, A for ``dt/2``; the symmetry cancels the first-order error term.
    """
    dt = check_dt(dt)
    if scheme == "lie":
        return flows.b(flows.a(y, dt), dt)
    if scheme == "strang":
        return flows.a(flows.b(flows.a(y, dt / 2), dt), dt / 2)
    raise ValueError(f"unknown scheme {scheme!r}; choose one of {SCHEMES}")
