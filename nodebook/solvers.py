"""Fixed-step explicit Runge-Kutta solvers, written from Butcher tableaux.

Every method here is one constant :class:`ButcherTableau` and one shared stepping
routine, :func:`rk_step`, in the spirit of torchdiffeq's ``_impl`` package. The solvers
follow torchdiffeq's calling convention ``f(t, y)`` so the two are interchangeable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from nodebook._validate import as_float_tensor, require_finite

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""A vector field ``f(t, y) -> dy/dt`` with the shape of ``y``."""


@dataclass(frozen=True)
class ButcherTableau:
    """The coefficients of an explicit Runge-Kutta method.

    Introduced in chapter 1 (forward Euler and the midpoint rule as residual blocks).

    ``a`` is the strictly lower-triangular stage matrix (row ``i`` has ``i`` entries),
    ``b`` the weights and ``c`` the nodes. Consistency requires each row of ``a`` to sum
    to its node ``c[i]`` and the weights to sum to one; both are checked on creation so a
    mistyped tableau fails loudly instead of silently losing accuracy.
    """

    name: str
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]
    order: int

    def __post_init__(self) -> None:
        s = len(self.b)
        if len(self.c) != s or len(self.a) != s:
            raise ValueError(f"{self.name}: a, b and c must all have {s} stages")
        for i, row in enumerate(self.a):
            if len(row) != i:
                raise ValueError(
                    f"{self.name}: row {i} of a must have {i} entries (explicit)"
                )
            if abs(sum(row) - self.c[i]) > 1e-12:
                raise ValueError(
                    f"{self.name}: row {i} of a sums to {sum(row)}, but its node c[{i}] is "
                    f"{self.c[i]}; the rows of a must sum to the nodes"
                )
        if abs(sum(self.b) - 1.0) > 1e-12:
            raise ValueError(f"{self.name}: the weights b sum to {sum(self.b)}, not 1")

    @property
    def stages(self) -> int:
        """Function evaluations per step."""
        return len(self.b)


EULER = ButcherTableau("euler", a=((),), b=(1.0,), c=(0.0,), order=1)
MIDPOINT = ButcherTableau(
    "midpoint", a=((), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2
)
RK4 = ButcherTableau(
    "rk4",
    a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
    c=(0.0, 0.5, 0.5, 1.0),
    order=4,
)
TABLEAUX: dict[str, ButcherTableau] = {tab.name: tab for tab in (EULER, MIDPOINT, RK4)}


def rk_step(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    tableau: ButcherTableau,
) -> torch.Tensor:
    """Advance ``y`` from ``t`` to ``t + dt`` with one step of an explicit RK method.

    Introduced in chapter 1: with :data:`EULER` this is exactly a residual block
    ``y + dt * f(t, y)``.
    """
    k: list[torch.Tensor] = []
    for a_row, c_i in zip(tableau.a, tableau.c, strict=True):
        y_stage = y
        for a_ij, k_j in zip(a_row, k, strict=True):
            if (
                a_ij != 0.0
            ):  # skipping zeros saves work and keeps Euler a plain residual block
                y_stage = y_stage + dt * a_ij * k_j
        k.append(f(t + c_i * dt, y_stage))
    dy = sum(b_i * k_i for b_i, k_i in zip(tableau.b, k, strict=True) if b_i != 0.0)
    return y + dt * dy


def odeint_fixed(
    f: Field, y0: torch.Tensor, t: torch.Tensor, method: str = "euler"
) -> torch.Tensor:
    """Integrate ``dy/dt = f(t, y)`` with one fixed step between consecutive times in ``t``.

    Introduced in chapter 1, where ``method="euler"`` on ``n`` equal steps is a
    weight-tied ResNet with ``n`` blocks.

    Args:
        f: the vector field ``f(t, y)``.
        y0: the initial state, any shape (a batch is just leading dimensions).
        t: a 1-D tensor of at least two strictly increasing or strictly decreasing times.
        method: a key of :data:`TABLEAUX` (``"euler"``, ``"midpoint"``, ``"rk4"``).

    Returns:
        A tensor of shape ``(len(t), *y0.shape)``; entry ``i`` is the state at ``t[i]``.

    Raises:
        ValueError: for an unknown method, a non-finite ``y0``, or a time grid that is not
            strictly monotone (a zero step is a step size of zero).
    """
    if method not in TABLEAUX:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(TABLEAUX)}")
    y0 = as_float_tensor(y0, "y0")
    t = as_float_tensor(t, "t")
    require_finite(y0, "y0")
    if t.dim() != 1 or t.numel() < 2:
        raise ValueError(
            f"t must be a 1-D tensor of at least 2 times, got shape {tuple(t.shape)}"
        )
    require_finite(t, "t")
    steps = t[1:] - t[:-1]
    if not (bool((steps > 0).all()) or bool((steps < 0).all())):
        raise ValueError(
            "t must be strictly increasing or strictly decreasing (no zero steps)"
        )
    tableau = TABLEAUX[method]
    ys = [y0]
    for i in range(t.numel() - 1):
        ys.append(rk_step(f, t[i], ys[-1], float(steps[i]), tableau))
    return torch.stack(ys)
