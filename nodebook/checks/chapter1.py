"""The checks of chapter 1's exercises: ResNets as Euler steps.

The chapter is ``chapters/01_resnet_as_euler.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
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
    _integer,
    _number,
    _passed,
    _tensor,
)

__all__ = ["check_euler_step", "check_measure_order", "check_min_stable_blocks"]


@_check
def check_euler_step(euler_step: Callable[..., torch.Tensor]) -> None:
    """Exercise 1.1: ``euler_step(f, t, y, dt)`` returns ``y + dt * f(t, y)``.

    Tried on a batch with a time-dependent field, in float64 and float32, and checked not
    to change its input ``y`` in place.
    """
    __tracebackhide__ = True

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -2.0 * y + torch.sin(3.0 * t)

    for dtype in (torch.float64, torch.float32):
        y = torch.linspace(-1.0, 1.0, 8, dtype=dtype).reshape(4, 2)
        y_before = y.clone()
        t, dt = torch.tensor(0.3, dtype=dtype), 0.1
        got = _call(euler_step, "euler_step", f, t, y, dt)
        got = _tensor(
            got, f"euler_step(f, t, y, dt) for a {tuple(y.shape)} batch", like=y
        )
        if not torch.equal(y, y_before):
            _fail(
                "euler_step changed its input y in place; return a new tensor instead."
            )
        if torch.allclose(got, y):
            _fail("euler_step returned y unchanged: the step should add dt * f(t, y).")
        _close(
            got,
            y_before + dt * f(t, y_before),
            "euler_step(f, t, y, dt)",
            rtol=1e-5,
            atol=1e-6,
        )
    _passed("euler_step matches y + dt * f(t, y) on batches in float64 and float32.")


@_check
def check_measure_order(measure_order: Callable[..., float]) -> None:
    """Exercise 1.2: ``measure_order`` recovers order 1 for Euler and 2 for midpoint steps.

    The problem is the accelerating rotation ``y' = (1 + t) [[0, -1], [1, 0]] y`` on
    ``[0, 1]``, whose exact solution turns ``y0`` by the angle ``t + t**2 / 2``. The field
    depends on time, so a loop that does not advance time (or passes the step's index as
    the time) converges to another curve, and its measured order is near 0.
    """
    __tracebackhide__ = True
    A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)

    def f(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        return (1.0 + t) * (y @ A.T)

    def euler(f: Callable, t: float, y: torch.Tensor, dt: float) -> torch.Tensor:
        return y + dt * f(t, y)

    def midpoint(f: Callable, t: float, y: torch.Tensor, dt: float) -> torch.Tensor:
        return y + dt * f(t + dt / 2, y + dt / 2 * f(t, y))

    y0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    T = 1.0
    angle = T + T**2 / 2
    y_exact = torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
    n_list = [16, 32, 64, 128, 256]
    for step, true_order in ((euler, 1), (midpoint, 2)):
        got = _call(measure_order, "measure_order", step, f, y0, T, y_exact, n_list)
        order = _number(got, f"measure_order(...) for the {step.__name__} step")
        if abs(order - true_order) > 0.2:
            hint = ""
            if abs(order + true_order) < 0.2:
                hint = " The sign is flipped: fit log(error) against log(dt), not against log(n)."
            elif abs(order) < 0.3 or order < -1:
                hint = (
                    " The error barely falls with dt: the test field depends on time, so "
                    "step k must be taken at t = k * dt (not at t = 0, nor at t = k)."
                )
            elif true_order == 2 and abs(order - 1) < 0.2:
                hint = (
                    " The midpoint step is first order here: do the n steps of "
                    "dt = T / n end exactly at T?"
                )
            _fail(
                f"for the {step.__name__} step (order {true_order}) measure_order returned "
                f"{order:.3g}; expected a value within 0.2 of {true_order}.{hint}"
            )
    _passed("measure_order finds order 1 for Euler and 2 for the midpoint rule.")


@_check
def check_min_stable_blocks(min_stable_blocks: Callable[[float, float], int]) -> None:
    """Exercise 1.3: fewest weight-tied blocks for which ``h' = lam h`` (lam < 0) does not grow.

    The answer is compared with a brute-force search over ``n`` using the amplification
    factor ``|1 + lam T / n| <= 1`` of one Euler step.
    """
    __tracebackhide__ = True

    def brute_force(lam: float, T: float) -> int:
        n = 1
        while abs(1 + lam * T / n) > 1 + 1e-12:
            n += 1
        return n

    for lam, T in ((-1.0, 1.0), (-10.0, 1.0), (-7.3, 2.0), (-50.0, 0.5), (-4.0, 2.5)):
        got = _integer(
            _call(min_stable_blocks, "min_stable_blocks", lam, T),
            f"min_stable_blocks({lam}, {T})",
        )
        want = brute_force(lam, T)
        if got != want:
            direction = (
                "too few: the ResNet still grows" if got < want else "more than needed"
            )
            _fail(
                f"min_stable_blocks({lam}, {T}) returned {got}, expected {want} ({direction})."
            )
    _passed("min_stable_blocks agrees with a brute-force search on five cases.")
