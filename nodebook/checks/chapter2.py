"""The checks of chapter 2's exercises: Solvers and stiffness.

The chapter is ``chapters/02_solvers_and_stiffness.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from nodebook.checks._core import (
    _call,
    _check,
    _close,
    _fail,
    _number,
    _passed,
    _tensor,
)

__all__ = [
    "check_crossover_stiffness",
    "check_largest_stable_dt",
    "check_newton_update",
    "check_rk_step",
]


@_check
def check_rk_step(rk_step_from_tableau: Callable[..., torch.Tensor]) -> None:
    """Exercise 2.1: one explicit RK step from ``(a, b, c)`` matches :func:`nodebook.rk_step`.

    Tried with Euler, midpoint, RK4 and Dormand-Prince on a batch with a time-dependent
    field, and checked not to change ``y`` in place.
    """
    __tracebackhide__ = True
    from nodebook.integrate import DOPRI5, EULER, MIDPOINT, RK4, rk_step

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.sin(y) * torch.cos(2.0 * t) - 0.5 * y

    y = torch.linspace(-1.0, 2.0, 6, dtype=torch.float64).reshape(3, 2)
    t, dt = torch.tensor(0.4, dtype=torch.float64), 0.3
    for tableau in (EULER, MIDPOINT, RK4, DOPRI5):
        a = [list(row) for row in tableau.a]
        y_before = y.clone()
        got = _call(
            rk_step_from_tableau,
            "rk_step_from_tableau",
            f,
            t,
            y,
            dt,
            a,
            list(tableau.b),
            list(tableau.c),
        )
        got = _tensor(
            got, f"rk_step_from_tableau(...) with the {tableau.name} tableau", y
        )
        if not torch.equal(y, y_before):
            _fail("rk_step_from_tableau changed y in place; return a new tensor.")
        _close(
            got,
            rk_step(f, t, y, dt, tableau),
            f"one {tableau.name} step",
            rtol=1e-10,
            atol=1e-12,
        )
    _passed(
        "rk_step_from_tableau matches nb.rk_step for Euler, midpoint, RK4 and Dopri5."
    )


@_check
def check_largest_stable_dt(largest_stable_dt: Callable[[torch.Tensor], float]) -> None:
    """Exercise 2.2: the largest forward-Euler step that is stable for ``y' = A y``.

    Compared with a bisection on the spectral radius of ``I + dt A`` for matrices with
    real, complex and mixed eigenvalues.
    """
    __tracebackhide__ = True
    matrices = {
        "diag(-1, -10)": torch.diag(torch.tensor([-1.0, -10.0], dtype=torch.float64)),
        "a damped rotation": torch.tensor(
            [[-0.5, 3.0], [-3.0, -0.5]], dtype=torch.float64
        ),
        "a 3x3 mix": torch.tensor(
            [[-2.0, 1.0, 0.0], [-1.0, -2.0, 0.0], [0.0, 0.0, -4.0]], dtype=torch.float64
        ),
        "a non-normal matrix": torch.tensor(
            [[-1.0, 5.0], [0.0, -3.0]], dtype=torch.float64
        ),
    }

    def radius(A: torch.Tensor, dt: float) -> float:
        eye = torch.eye(A.shape[0], dtype=A.dtype)
        return float(torch.linalg.eigvals(eye + dt * A).abs().max())

    def bisect(A: torch.Tensor) -> float:
        lo, hi = 0.0, 1.0
        while radius(A, hi) <= 1.0:
            hi *= 2
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if radius(A, mid) <= 1.0 + 1e-12 else (lo, mid)
        return lo

    for name, A in matrices.items():
        got = _number(
            _call(largest_stable_dt, "largest_stable_dt", A.clone()),
            f"largest_stable_dt(A) for {name}",
        )
        want = bisect(A)
        if abs(got - want) > 1e-6 * max(1.0, want):
            hint = ""
            if abs(got - 2 / float(torch.linalg.eigvals(A).abs().max())) < 1e-6:
                hint = (
                    " 2 / max|lambda| is right only for real eigenvalues; use the real "
                    "part and the modulus."
                )
            _fail(
                f"for {name} largest_stable_dt returned {got:.6g}, expected {want:.6g}.{hint}"
            )
    _passed("largest_stable_dt agrees with a bisection on four matrices.")


@_check
def check_newton_update(newton_update: Callable[..., torch.Tensor]) -> None:
    """Exercise 2.3: one Newton iteration for the backward-Euler equation.

    Both fields depend on time, so ``f`` must be evaluated at ``t1``, the end of the step.
    On an affine field one update from any guess is exact. On a forced Van der Pol
    oscillator one update from a guess away from ``y_n`` is compared with Newton's formula
    (a Jacobian frozen at ``y_n`` gives another point), and repeated updates must converge
    to the step :func:`nodebook.theta_step` takes from ``t1 - dt``.
    """
    __tracebackhide__ = True
    from nodebook.integrate import theta_step

    A = torch.tensor([[-50.0, 1.0], [0.0, -2.0]], dtype=torch.float64)
    forcing = torch.tensor([1.0, -3.0], dtype=torch.float64)

    def f_lin(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        return A @ y + math.sin(5.0 * float(t)) * forcing

    def jac_lin(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        return A.clone()

    y_n = torch.tensor([1.0, -1.0], dtype=torch.float64)
    t1, dt = torch.tensor(0.3, dtype=torch.float64), 0.1
    eye = torch.eye(2, dtype=torch.float64)
    exact = torch.linalg.solve(eye - dt * A, y_n + dt * math.sin(1.5) * forcing)
    got = _call(
        newton_update, "newton_update", f_lin, jac_lin, t1, y_n.clone(), dt, y_n.clone()
    )
    got = _tensor(got, "newton_update(...) on an affine field", y_n)
    at_start = torch.linalg.solve(eye - dt * A, y_n + dt * math.sin(1.0) * forcing)
    if torch.allclose(got, at_start, rtol=1e-9, atol=1e-12):
        _fail(
            "newton_update evaluated f at the start of the step, t1 - dt; backward "
            "Euler evaluates f at the end, t1."
        )
    _close(
        got, exact, "one Newton update on the field y' = A y + sin(5 t) c", 1e-9, 1e-12
    )

    mu = 10.0

    def f_vdp(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        x, v = y[0], y[1]
        return torch.stack((v, mu * (1 - x**2) * v - x + math.cos(3.0 * float(t))))

    def jac_vdp(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        x, v = float(y[0]), float(y[1])
        return torch.tensor(
            [[0.0, 1.0], [-2.0 * mu * x * v - 1.0, mu * (1 - x * x)]],
            dtype=torch.float64,
        )

    y_n = torch.tensor([2.0, -0.5], dtype=torch.float64)
    dt = 0.05
    t1 = torch.tensor(0.25, dtype=torch.float64)
    z = torch.tensor([1.9, -0.8], dtype=torch.float64)  # a guess away from y_n
    G = z - y_n - dt * f_vdp(t1, z)
    one = z - torch.linalg.solve(eye - dt * jac_vdp(t1, z), G)
    got = _call(newton_update, "newton_update", f_vdp, jac_vdp, t1, y_n, dt, z.clone())
    got = _tensor(got, "newton_update(...) on Van der Pol", y_n)
    frozen = z - torch.linalg.solve(eye - dt * jac_vdp(t1, y_n), G)
    if torch.allclose(got, frozen, rtol=1e-9, atol=1e-12):
        _fail(
            "newton_update took the Jacobian at y_n; Newton's method evaluates it at the "
            "current guess z."
        )
    _close(got, one, "one Newton update on Van der Pol from z != y_n", 1e-9, 1e-12)
    want = theta_step(f_vdp, t1 - dt, y_n, dt)
    z = y_n.clone()
    for _ in range(8):
        z = _call(newton_update, "newton_update", f_vdp, jac_vdp, t1, y_n, dt, z)
        z = _tensor(z, "newton_update(...) on Van der Pol", y_n)
    _close(z, want, "eight Newton updates on Van der Pol (mu = 10)", 1e-8, 1e-10)
    _passed("newton_update is exact on an affine field and Newton's on Van der Pol.")


def _steps_to_cross(ks: tuple[float, ...]) -> dict[float, tuple[int, int]]:
    """Accepted steps of bosh3 and adaptive backward Euler on diag(-1, -k), per k."""
    from nodebook.integrate import SolverStats, odeint

    y0 = torch.tensor([1.0, 1.0], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    steps = {}
    for k in ks:
        A = torch.diag(torch.tensor([-1.0, -float(k)], dtype=torch.float64))
        counts = []
        for method in ("bosh3", "adaptive_backward_euler"):
            stats = SolverStats()
            odeint(
                lambda s, y, A=A: A @ y,
                y0,
                t,
                method=method,
                rtol=1e-2,
                atol=1e-5,
                stats=stats,
            )
            counts.append(stats.n_accepted)
        steps[k] = (counts[0], counts[1])
    return steps


@_check
def check_crossover_stiffness(
    crossover_stiffness: Callable[[tuple[float, ...]], float | None],
) -> None:
    """Exercise 2.4: the smallest stiffness at which the implicit solver takes fewer steps.

    The learner runs the experiment; the check runs the same one (bosh3 and adaptive
    backward Euler at rtol 1e-2, atol 1e-5 on ``diag(-1, -k)`` to ``T = 2``) on two
    lists of ``k``: one where backward Euler starts to win, one where it never does.
    """
    __tracebackhide__ = True
    for ks in ((10.0, 30.0, 100.0, 300.0, 1000.0), (3.0, 10.0, 30.0)):
        got = _call(crossover_stiffness, "crossover_stiffness", ks)
        steps = _steps_to_cross(ks)
        wins = [k for k in ks if steps[k][1] < steps[k][0]]
        want = wins[0] if wins else None
        table = ", ".join(f"k = {k:g}: {b} vs {e}" for k, (b, e) in steps.items())
        seen = f" (accepted steps, bosh3 vs backward Euler: {table})"
        if want is None:
            if got is not None:
                _fail(
                    f"on ks = {ks} backward Euler never takes fewer steps, so "
                    f"crossover_stiffness should return None, got {got!r}.{seen}"
                )
            continue
        if got is None:
            _fail(
                f"on ks = {ks} crossover_stiffness returned None, but backward Euler "
                f"takes fewer steps from k = {want:g}.{seen}"
            )
        k_got = _number(got, f"crossover_stiffness({ks})")
        if k_got != want:
            hint = ""
            if k_got == wins[-1]:
                hint = " That is the largest such k: return the smallest."
            elif k_got in ks and steps[k_got][1] > steps[k_got][0]:
                hint = (
                    " There backward Euler takes more steps: is the comparison flipped?"
                )
            elif k_got == ks.index(want):
                hint = " That is the position in ks: return the stiffness itself."
            _fail(
                f"on ks = {ks} crossover_stiffness returned {k_got:g}, expected "
                f"{want:g}.{hint}{seen}"
            )
    _passed("crossover_stiffness finds the first k where backward Euler wins, or None.")
