"""The checks of chapter 6's exercises: Spiral generalisation.

The chapter is ``chapters/06_spiral_generalisation.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

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

__all__ = ["check_estimate_ab", "check_inside_training_range", "check_spiral_solution"]


@_check
def check_spiral_solution(spiral_solution: Callable[..., torch.Tensor]) -> None:
    """Exercise 6.1: the exact linear spiral matches a tight numerical solve."""
    __tracebackhide__ = True
    from torchdiffeq import odeint

    from nodebook.systems import LinearSpiral

    t = torch.linspace(0.0, 5.0, 21, dtype=torch.float64)
    for a, b, y0 in (
        (-0.2, 1.3, (1.0, 0.0)),
        (0.1, 0.4, (0.3, -0.7)),
        (0.0, 2.0, (-1.0, 0.5)),
    ):
        y0_t = torch.tensor(y0, dtype=torch.float64)
        want = odeint(LinearSpiral(a, b), y0_t, t, rtol=1e-11, atol=1e-12)
        got = _call(spiral_solution, "spiral_solution", a, b, y0_t.clone(), t)
        got = _tensor(got, f"spiral_solution({a}, {b}, y0, t)", like=want)
        if torch.allclose(got, want.flip(-1), atol=1e-6) and not torch.allclose(
            got, want, atol=1e-6
        ):
            _fail("x and y are swapped: return the columns in the order (x, y).")
        _close(got, want, f"the spiral a={a}, b={b}", rtol=1e-7, atol=1e-9)
    _passed("spiral_solution matches a numerical solve for three spirals.")


@_check
def check_inside_training_range(
    inside_training_range: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """Exercise 6.2: the box test, boundaries included, per test row."""
    __tracebackhide__ = True
    p_train = torch.tensor([[-0.3, 0.75], [0.0, 1.75], [-0.1, 1.0]])
    p_test = torch.tensor(
        [
            [-0.3, 0.75],  # a corner: inside
            [-0.15, 1.2],  # inside
            [0.1, 1.0],  # a too large
            [-0.2, 2.0],  # b too large
            [-0.4, 0.5],  # both outside
            [0.0, 1.75],  # the other corner
        ]
    )
    want = torch.tensor([True, True, False, False, False, True])
    got = _call(inside_training_range, "inside_training_range", p_test, p_train)
    if not isinstance(got, torch.Tensor):
        _fail(
            f"inside_training_range should return a torch.Tensor, got {type(got).__name__}."
        )
    if got.shape != want.shape:
        _fail(
            f"inside_training_range should return one value per test row, shape "
            f"{tuple(want.shape)}, got {tuple(got.shape)}."
        )
    if got.dtype != torch.bool:
        _fail(f"inside_training_range should return booleans, got dtype {got.dtype}.")
    wrong = (got != want).nonzero().flatten().tolist()
    if wrong:
        i = wrong[0]
        _fail(
            f"for p = {p_test[i].tolist()} expected {bool(want[i])}, got {bool(got[i])}"
            + (" (boundaries count as inside)." if i in (0, 5) else ".")
        )
    _passed("inside_training_range classifies six test points correctly.")


@_check
def check_estimate_ab(estimate_ab: Callable[..., tuple[float, float]]) -> None:
    """Exercise 6.3: least-squares identification of ``(a, b)`` from one trajectory."""
    __tracebackhide__ = True
    from nodebook.systems import LinearSpiral

    gen = torch.Generator().manual_seed(6)
    t = torch.linspace(0.0, 6.0, 121, dtype=torch.float64)
    cases = ((-0.15, 1.2, 0.0), (0.05, 0.6, 0.0), (-0.3, 2.0, 1e-4))
    for a, b, noise in cases:
        y = LinearSpiral(a, b).exact(t, torch.tensor([1.0, 0.5], dtype=torch.float64))
        y = y + noise * torch.randn(y.shape, generator=gen, dtype=torch.float64)
        got = _call(estimate_ab, "estimate_ab", t, y.clone())
        if not isinstance(got, tuple | list) or len(got) != 2:
            _fail(f"estimate_ab should return two numbers (a, b), got {got!r}.")
        a_hat = _number(got[0], "the estimated a")
        b_hat = _number(got[1], "the estimated b")
        if abs(a_hat - b) < 0.02 and abs(b_hat - a) < 0.02:
            _fail("a and b are swapped: return (a, b).")
        if abs(a_hat - a) > 0.01 or abs(b_hat - b) > 0.01:
            _fail(
                f"for a = {a}, b = {b}{' with noise' if noise else ''} estimate_ab returned "
                f"({a_hat:.4f}, {b_hat:.4f}); expected both within 0.01."
            )
    _passed("estimate_ab recovers (a, b) from clean and noisy trajectories.")
