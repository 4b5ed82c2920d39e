"""The checks of chapter 5's exercises: Phase portraits.

The chapter is ``chapters/05_phase_portraits.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nodebook.checks._core import _call, _fail, _number, _passed, _tensor

__all__ = [
    "check_fhn_nullclines",
    "check_find_fixed_point",
    "check_period_from_crossings",
]


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


def check_find_fixed_point(find_fixed_point: Callable[..., torch.Tensor]) -> None:
    """Exercise 5.2: Newton's method finds zeros of three fields from nearby starts."""
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
    for name, (f, y0) in cases.items():
        got = _call(find_fixed_point, "find_fixed_point", f, y0.clone())
        got = _tensor(got, f"find_fixed_point for {name}", like=y0)
        residual = float(f(got).abs().max())
        if residual > 1e-8:
            _fail(
                f"for {name} f is still {residual:.3g} at the returned point; iterate until it vanishes."
            )
    _passed("find_fixed_point finds the zeros of three fields.")


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
