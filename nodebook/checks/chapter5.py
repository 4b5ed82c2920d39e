"""The checks of chapter 5's exercises: Phase portraits.

The chapter is ``chapters/05_phase_portraits.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nodebook.checks._core import (
    CheckFailed,
    _call,
    _check,
    _fail,
    _number,
    _passed,
    _tensor,
)

__all__ = [
    "check_fhn_nullclines",
    "check_find_fixed_point",
    "check_period_from_crossings",
]


@_check
def check_fhn_nullclines(
    fhn_nullclines: Callable[..., tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """Exercise 5.1: ``w = v - v**3/3 + I`` and ``w = (v + a) / b``; both zero the field."""
    __tracebackhide__ = True
    from nodebook.systems import FitzHughNagumo

    v = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    for current in (0.2, 0.5):
        got = _call(fhn_nullclines, "fhn_nullclines", v.clone(), current)
        if not isinstance(got, tuple | list) or len(got) != 2:
            _fail(
                f"fhn_nullclines should return a pair of tensors, got {type(got).__name__}."
            )
        w_v = _tensor(got[0], "the v-nullcline", like=v)
        w_w = _tensor(got[1], "the w-nullcline", like=v)
        field = FitzHughNagumo(I=current)
        dv = field(0.0, torch.stack([v, w_v], -1))[:, 0]
        dw = field(0.0, torch.stack([v, w_w], -1))[:, 1]
        if dv.abs().max() > 1e-9:
            swapped = field(0.0, torch.stack([v, w_w], -1))[:, 0].abs().max() < 1e-9
            _fail(
                "the first curve should be where dv/dt = 0"
                + (
                    " (the two are swapped)."
                    if swapped
                    else f"; dv/dt there is up to {float(dv.abs().max()):.3g}."
                )
            )
        if dw.abs().max() > 1e-9:
            _fail(
                f"the second curve should be where dw/dt = 0; dw/dt there is up to {float(dw.abs().max()):.3g}."
            )
    _passed("fhn_nullclines zero dv/dt and dw/dt for two currents.")


class _Recorder:
    """A field that records where it is evaluated and stops a loop that never ends."""

    def __init__(self, f: Callable[[torch.Tensor], torch.Tensor], limit: int) -> None:
        self.f, self.limit, self.points = f, limit, []
        self.exhausted = False

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        if len(self.points) >= self.limit:
            self.exhausted = True
            raise RuntimeError(f"the field was evaluated {self.limit} times")
        self.points.append(y.detach().clone())
        return self.f(y)


@_check
def check_find_fixed_point(find_fixed_point: Callable[..., torch.Tensor]) -> None:
    """Exercise 5.2: Newton's method finds zeros of three fields from nearby starts.

    The states have two components. Each field records where it is evaluated: the first
    Newton update from ``y0`` must be among those points (another root-finder lands on
    the zero by another path), and on a field without a zero the loop must stop after
    at most 50 updates.
    """
    __tracebackhide__ = True
    from nodebook.systems import FitzHughNagumo

    fhn_field = FitzHughNagumo(I=0.2)
    cases = {
        "a linear field": (
            lambda y: (
                y @ torch.tensor([[-1.0, 2.0], [0.0, -3.0]], dtype=torch.float64).T
                + torch.tensor([1.0, 3.0], dtype=torch.float64)
            ),
            torch.tensor([0.0, 0.0], dtype=torch.float64),
        ),
        "FitzHugh-Nagumo at I = 0.2": (
            lambda y: fhn_field(0.0, y),
            torch.tensor([-1.0, -0.5], dtype=torch.float64),
        ),
        "a cubic": (
            lambda y: y**3 - torch.tensor([8.0, -1.0], dtype=torch.float64),
            torch.tensor([1.5, -0.5], dtype=torch.float64),
        ),
    }
    limit = 1000  # 50 updates of a few evaluations each, with room to spare
    for name, (f, y0) in cases.items():
        recorder = _Recorder(f, limit)
        got = _call(find_fixed_point, "find_fixed_point", recorder, y0.clone())
        got = _tensor(got, f"find_fixed_point for {name}", like=y0)
        residual = float(f(got).abs().max())
        if residual > 1e-8:
            _fail(
                f"for {name} f is still {residual:.3g} at the returned point; iterate until it vanishes."
            )
        J = torch.autograd.functional.jacobian(f, y0)
        first = y0 - torch.linalg.solve(J, f(y0))
        if not any(
            torch.allclose(p, first, rtol=1e-5, atol=1e-8) for p in recorder.points
        ):
            _fail(
                f"for {name} the zero was found, but not by Newton's method: from y0 = "
                f"{y0.tolist()} Newton's update y0 - J(y0)^-1 f(y0) is "
                f"{[round(float(x), 6) for x in first]}, and f was never evaluated there."
            )
    recorder = _Recorder(lambda y: y**2 + 1.0, limit)
    y0 = torch.tensor([0.5, 2.0], dtype=torch.float64)
    try:
        _call(find_fixed_point, "find_fixed_point", recorder, y0.clone())
    except CheckFailed:
        if recorder.exhausted:
            _fail(
                f"on y**2 + 1, a field with no zero, find_fixed_point evaluated f "
                f"{limit} times without stopping: stop after at most 50 updates."
            )
        raise
    _passed("find_fixed_point follows Newton's updates to the zeros of three fields.")


@_check
def check_period_from_crossings(period_from_crossings: Callable[..., float]) -> None:
    """Exercise 5.3: the mean spacing of upward zero crossings."""
    __tracebackhide__ = True
    t = torch.arange(4000, dtype=torch.float64) * 0.01
    for period, phase in ((2.0, 0.3), (7.5, 1.0), (3.3, 2.0)):
        v = torch.sin(2 * torch.pi * t / period + phase) + 0.2
        got = _number(
            _call(period_from_crossings, "period_from_crossings", t.clone(), v.clone()),
            f"the period of a sine with period {period}",
        )
        if abs(got - period / 2) < 0.02 * period:
            _fail("the result is half the period: count upward crossings only.")
        if abs(got - period) > 0.01 * period:
            _fail(
                f"for a signal of period {period} period_from_crossings returned {got:.4g}."
            )
    _passed("period_from_crossings recovers three periods.")
