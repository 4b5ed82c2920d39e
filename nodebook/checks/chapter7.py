"""The checks of chapter 7's exercises: The limits of Neural ODEs.

The chapter is ``chapters/07_limits.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
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
    "check_delay_embedding",
    "check_euler_maruyama_step",
    "check_stiffness_ratio",
]


@_check
def check_euler_maruyama_step(euler_maruyama_step: Callable[..., torch.Tensor]) -> None:
    """Exercise 7.1: ``y + dt f(t, y) + sigma sqrt(dt) xi``, and the spread it produces."""
    __tracebackhide__ = True

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -y + torch.sin(t)

    gen = torch.Generator().manual_seed(7)
    y = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    xi = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    t, dt = torch.tensor(0.3, dtype=torch.float64), 0.04
    for sigma in (0.5, torch.tensor([0.2, 0.0], dtype=torch.float64)):
        y_before = y.clone()
        got = _call(euler_maruyama_step, "euler_maruyama_step", f, sigma, t, y, dt, xi)
        got = _tensor(got, "euler_maruyama_step(...)", like=y)
        if not torch.equal(y, y_before):
            _fail("euler_maruyama_step changed y in place; return a new tensor.")
        want = y + dt * f(t, y) + sigma * dt**0.5 * xi
        if torch.allclose(got, y + dt * f(t, y) + sigma * dt * xi, atol=1e-12):
            _fail("the noise term should scale with sqrt(dt), not dt.")
        _close(got, want, f"one step with sigma = {sigma}", rtol=1e-10, atol=1e-12)
    many = torch.randn(20000, 1, generator=gen, dtype=torch.float64)
    start = torch.zeros(20000, 1, dtype=torch.float64)
    spread = _call(
        euler_maruyama_step,
        "euler_maruyama_step",
        lambda t, y: torch.zeros_like(y),
        0.5,
        t,
        start,
        0.04,
        many,
    )
    spread = float(
        _tensor(spread, "euler_maruyama_step(...) for 20000 states", like=start).std()
    )
    if abs(spread - 0.1) > 0.005:
        _fail(
            f"the spread of one step should be sigma * sqrt(dt) = 0.1, got {spread:.4f}."
        )
    _passed(
        "euler_maruyama_step matches the formula and spreads like sigma * sqrt(dt)."
    )


@_check
def check_delay_embedding(
    delay_embedding: Callable[[torch.Tensor, int], torch.Tensor],
) -> None:
    """Exercise 7.2: pairs ``(x_k, x_{k - lag})`` for ``k >= lag``, current value first."""
    __tracebackhide__ = True
    for n, lag in ((10, 3), (25, 17), (5, 1)):
        series = torch.arange(n, dtype=torch.float32) * 0.5 + 1.0
        want = torch.stack([series[lag:], series[: n - lag]], dim=-1)
        got = _call(delay_embedding, "delay_embedding", series.clone(), lag)
        got = _tensor(got, f"delay_embedding(series of {n}, lag={lag})", like=want)
        if torch.equal(got, want.flip(-1)):
            _fail("the columns are swapped: put the current value x_k first.")
        _close(got, want, f"delay_embedding with lag {lag}", rtol=0.0, atol=0.0)
    _passed("delay_embedding builds (x_k, x_(k-lag)) pairs for three lags.")


@_check
def check_stiffness_ratio(stiffness_ratio: Callable[[torch.Tensor], float]) -> None:
    """Exercise 7.3: largest over smallest ``|Re lambda|`` of the Jacobian's eigenvalues."""
    __tracebackhide__ = True
    cases = {
        "diag(-1, -1000)": (
            torch.diag(torch.tensor([-1.0, -1000.0], dtype=torch.float64)),
            1000.0,
        ),
        "a damped rotation beside a decay": (
            torch.tensor(
                [[-1.0, 10.0, 0.0], [-10.0, -1.0, 0.0], [0.0, 0.0, -5.0]],
                dtype=torch.float64,
            ),
            5.0,
        ),
        "a 3x3 triangular matrix": (
            torch.tensor(
                [[-2.0, 5.0, 1.0], [0.0, -40.0, 3.0], [0.0, 0.0, -0.1]],
                dtype=torch.float64,
            ),
            400.0,
        ),
        # eigenvalues (-11 +- sqrt(105)) / 2, which the diagonal does not show
        "a coupled 2x2 matrix": (
            torch.tensor([[-1.0, 2.0], [3.0, -10.0]], dtype=torch.float64),
            (11 + math.sqrt(105)) / (11 - math.sqrt(105)),
        ),
    }
    for name, (J, want) in cases.items():
        got = _number(
            _call(stiffness_ratio, "stiffness_ratio", J.clone()),
            f"stiffness_ratio for {name}",
        )
        if abs(got - 1 / want) < 1e-6 * max(1.0, 1 / want):
            _fail(
                f"for {name} you returned the inverse ratio {got:.6g}: largest over smallest."
            )
        if abs(got - want) > 1e-6 * want:
            hint = (
                " Use the real parts: the imaginary parts are oscillation, not decay."
                if "rotation" in name
                else ""
            )
            _fail(
                f"for {name} stiffness_ratio returned {got:.6g}, expected {want:.6g}.{hint}"
            )
    _passed("stiffness_ratio is right for four kinds of Jacobian, rotations included.")
