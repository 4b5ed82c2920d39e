"""The checks of chapter 4's exercises: FitzHugh-Nagumo: a residual RNN and a Neural ODE.

The chapter is ``chapters/04_fitzhugh_nagumo.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

import itertools
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

__all__ = [
    "check_field_agreement",
    "check_mlp_parameters",
    "check_rk4_step_backward",
    "check_rnn_rollout",
]


@_check
def check_mlp_parameters(mlp_parameters: Callable[[list[int]], int]) -> None:
    """Exercise 4.1: weights and biases of a fully connected network, counted."""
    __tracebackhide__ = True
    from torch import nn

    for widths in ([3, 128, 128, 2], [2, 16, 2], [5, 1], [4, 7, 7, 7, 3]):
        layers = [nn.Linear(a, b) for a, b in itertools.pairwise(widths)]
        want = sum(p.numel() for layer in layers for p in layer.parameters())
        got = _integer(
            _call(mlp_parameters, "mlp_parameters", list(widths)),
            f"mlp_parameters({widths})",
        )
        if got == want - sum(widths[1:]):
            _fail(
                f"mlp_parameters({widths}) = {got} leaves out the biases (one per output unit)."
            )
        if got != want:
            _fail(f"mlp_parameters({widths}) returned {got}, expected {want}.")
    _passed(
        "mlp_parameters counts 17282 for [3, 128, 128, 2] and is right on three more."
    )


@_check
def check_rnn_rollout(rnn_rollout: Callable[..., torch.Tensor]) -> None:
    """Exercise 4.2: ``y_{k+1} = y_k + g(y_k)``, all states stacked, first one included."""
    __tracebackhide__ = True

    def g(y: torch.Tensor) -> torch.Tensor:
        return 0.1 * torch.tanh(
            y @ torch.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype=y.dtype)
        )

    y0 = torch.tensor([[1.0, 0.0], [0.5, -0.5], [0.0, 2.0]], dtype=torch.float64)
    ys = [y0]
    for _ in range(6):
        ys.append(ys[-1] + g(ys[-1]))
    want = torch.stack(ys)
    got = _call(rnn_rollout, "rnn_rollout", g, y0.clone(), 6)
    if isinstance(got, torch.Tensor) and got.shape == want[1:].shape:
        _fail(
            "rnn_rollout returned n states: include y0 as the first one (n + 1 in all)."
        )
    got = _tensor(got, "rnn_rollout(g, y0, 6)", like=want)
    _close(got, want, "the rollout", rtol=1e-12, atol=1e-12)
    _passed("rnn_rollout matches y_(k+1) = y_k + g(y_k) for six steps of a batch.")


@_check
def check_rk4_step_backward(rk4_step_backward: Callable[..., torch.Tensor]) -> None:
    """Exercise 4.4: one step of RK4's discrete adjoint, from the last stage back."""
    __tracebackhide__ = True
    a = torch.tensor([[0.3, 1.2], [-1.1, 0.4]], dtype=torch.float64)

    def f(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        return torch.tanh(y @ a) + 0.5 * math.sin(float(t)) * y

    def vjp(t: torch.Tensor | float, y: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            return torch.autograd.functional.vjp(lambda z: f(t, z), y, v)[1]

    t, dt = 0.4, 0.3
    y = torch.tensor([[1.0, -0.5], [0.2, 0.8], [-1.5, 0.1]], dtype=torch.float64)
    ybar = torch.tensor([[0.7, 0.1], [-0.3, 1.0], [0.5, -0.6]], dtype=torch.float64)

    def reference(chain: bool) -> torch.Tensor:
        k1 = f(t, y)
        y2 = y + dt / 2 * k1
        k2 = f(t + dt / 2, y2)
        y3 = y + dt / 2 * k2
        k3 = f(t + dt / 2, y3)
        y4 = y + dt * k3
        c = 1.0 if chain else 0.0
        bar4 = vjp(t + dt, y4, dt / 6 * ybar)
        bar3 = vjp(t + dt / 2, y3, dt / 3 * ybar + c * dt * bar4)
        bar2 = vjp(t + dt / 2, y2, dt / 3 * ybar + c * dt / 2 * bar3)
        bar1 = vjp(t, y, dt / 6 * ybar + c * dt / 2 * bar2)
        return ybar + bar1 + bar2 + bar3 + bar4

    def rk4_step(z: torch.Tensor) -> torch.Tensor:
        k1 = f(t, z)
        k2 = f(t + dt / 2, z + dt / 2 * k1)
        k3 = f(t + dt / 2, z + dt / 2 * k2)
        k4 = f(t + dt, z + dt * k3)
        return z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

    with torch.enable_grad():  # the answer: autograd through the whole step
        z = y.clone().requires_grad_(True)
        (want,) = torch.autograd.grad((rk4_step(z) * ybar).sum(), [z])
    got = _call(
        rk4_step_backward, "rk4_step_backward", f, vjp, t, y.clone(), dt, ybar.clone()
    )
    got = _tensor(got, "rk4_step_backward(f, vjp, t, y, dt, ybar)", like=want)

    def near(x: torch.Tensor) -> bool:
        return bool(torch.allclose(got, x, rtol=1e-9, atol=1e-11))

    if near(reference(chain=False)):
        _fail(
            "each stage's cotangent also collects what later stages built from its slope: "
            "kbar_3 gets dt * Ybar_4, kbar_2 gets dt/2 * Ybar_3, kbar_1 gets dt/2 * Ybar_2."
        )
    if near(want - ybar):
        _fail(
            "y_(n+1) = y_n + ..., so ybar_n starts from ybar_(n+1) itself: add it to the "
            "four Ybar_i."
        )
    _close(got, want, "ybar_n", rtol=1e-9, atol=1e-11)
    _passed(
        "rk4_step_backward matches autograd through an RK4 step of a field f(t, y)."
    )


@_check
def check_field_agreement(field_agreement: Callable[..., tuple[float, float]]) -> None:
    """Exercise 4.3: mean cosine of the arrows and median of the length ratios.

    Five arrows (an odd number, so that every definition of the median agrees) with
    lengths 1 to 5; the scaled field's ratios have median 1 while the ratio of the median
    lengths is 4/3 and the mean ratio 2.04, so either slip is named.
    """
    __tracebackhide__ = True
    true = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, -4.0], [3.0, 4.0]])
    scale = torch.tensor([[5.0], [0.2], [1.0], [1.0], [3.0]])
    rotated = torch.stack([-true[:, 1], true[:, 0]], -1)
    cases = {
        "identical fields": (true.clone(), 1.0, 1.0),
        "a field twice as long": (2 * true, 1.0, 2.0),
        "a reversed field": (-true, -1.0, 1.0),
        "a rotated field": (rotated, 0.0, 1.0),
        "a field scaled arrow by arrow": (scale * true, 1.0, 1.0),
    }
    for name, (pred, cos_want, ratio_want) in cases.items():
        got = _call(field_agreement, "field_agreement", pred.clone(), true.clone())
        if not isinstance(got, tuple | list) or len(got) != 2:
            _fail(f"field_agreement should return two numbers, got {got!r}.")
        cos_got = _number(got[0], f"the cosine for {name}")
        ratio_got = _number(got[1], f"the ratio for {name}")
        if abs(cos_got - cos_want) > 1e-5:
            _fail(
                f"for {name} the mean cosine should be {cos_want}, got {cos_got:.6g}."
            )
        if abs(ratio_got - ratio_want) > 1e-5:
            hint = ""
            if name == "a field scaled arrow by arrow":
                lengths = (pred.norm(dim=-1), true.norm(dim=-1))
                of_medians = float(lengths[0].median() / lengths[1].median())
                if abs(ratio_got - of_medians) < 1e-5:
                    hint = (
                        " That is the ratio of the median lengths: take the median of "
                        "the ratios, arrow by arrow."
                    )
                elif abs(ratio_got - float((lengths[0] / lengths[1]).mean())) < 1e-5:
                    hint = " That is the mean of the ratios: use the median."
            _fail(
                f"for {name} the length ratio should be {ratio_want}, got {ratio_got:.6g}.{hint}"
            )
    _passed("field_agreement gives the right cosine and length ratio for five fields.")
