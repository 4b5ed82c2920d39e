"""Explicit Runge-Kutta solvers, written from Butcher tableaux.

Every method here is one constant :class:`ButcherTableau` and one shared stepping
routine, :func:`rk_step`, in the spirit of torchdiffeq's ``_impl`` package. The solvers
follow torchdiffeq's calling convention ``f(t, y)`` so the two are interchangeable.
Embedded pairs (:data:`BOSH3`, :data:`DOPRI5`) carry a second set of weights for the
error estimate that :mod:`nodebook.adaptive` uses to choose step sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from nodebook._validate import time_grid

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
    b_low: tuple[float, ...] | None = None
    """Weights of the embedded lower-order solution (``None`` for a plain method)."""

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
        if self.b_low is not None:
            if len(self.b_low) != s:
                raise ValueError(f"{self.name}: b_low must have {s} entries")
            if abs(sum(self.b_low) - 1.0) > 1e-12:
                raise ValueError(
                    f"{self.name}: the weights b_low sum to {sum(self.b_low)}, not 1"
                )

    @property
    def stages(self) -> int:
        """Function evaluations per step."""
        return len(self.b)

    @property
    def fsal(self) -> bool:
        """First same as last: the last stage is ``f(t + dt, y_new)``, reusable next step."""
        return self.c[-1] == 1.0 and self.a[-1] == self.b[:-1] and self.b[-1] == 0.0

    def amplification(self, z: np.ndarray | complex) -> np.ndarray:
        """The stability function ``R(z)``: one step on ``y' = lam y`` multiplies by it.

        Introduced in chapter 2. ``z = dt * lam`` may be a complex array; the method is
        stable for the test equation where ``|R(z)| <= 1``. Computed by running the
        stages on the test equation, so it works for any explicit tableau.
        """
        z = np.asarray(z, dtype=complex)
        stages: list[np.ndarray] = []
        for a_row in self.a:
            stages.append(
                1.0
                + z
                * sum(
                    (a_ij * g for a_ij, g in zip(a_row, stages, strict=True)),
                    np.zeros_like(z),
                )
            )
        return 1.0 + z * sum(
            (b_i * g for b_i, g in zip(self.b, stages, strict=True)), np.zeros_like(z)
        )


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
BOSH3 = ButcherTableau(
    "bosh3",
    a=((), (1 / 2,), (0.0, 3 / 4), (2 / 9, 1 / 3, 4 / 9)),
    b=(2 / 9, 1 / 3, 4 / 9, 0.0),
    c=(0.0, 1 / 2, 3 / 4, 1.0),
    order=3,
    b_low=(7 / 24, 1 / 4, 1 / 3, 1 / 8),
)
"""Bogacki-Shampine 3(2): order 3 with an embedded order-2 estimate, FSAL."""
DOPRI5 = ButcherTableau(
    "dopri5",
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    order=5,
    b_low=(
        5179 / 57600,
        0.0,
        7571 / 16695,
        393 / 640,
        -92097 / 339200,
        187 / 2100,
        1 / 40,
    ),
)
"""Dormand-Prince 5(4), torchdiffeq's default ``dopri5``: order 5, embedded order 4, FSAL."""
TABLEAUX: dict[str, ButcherTableau] = {
    tab.name: tab for tab in (EULER, MIDPOINT, RK4, BOSH3, DOPRI5)
}


def rk_step(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    tableau: ButcherTableau,
) -> torch.Tensor:
    """Advance ``y`` from ``t`` to ``t + dt`` with one step of an explicit RK method.

    Introduced in chapter 1: with :data:`EULER` this is exactly a residual block
    ``y + dt * f(t, y)``. A negative ``dt`` steps backward in time.

    Raises:
        ValueError: if ``dt`` is zero or not finite.
    """
    _check_dt(dt, allow_negative=True)
    return _combine(y, dt, tableau.b, rk_stages(f, t, y, dt, tableau))


def rk_stages(
    f: Field,
    t: torch.Tensor | float,
    y: torch.Tensor,
    dt: float,
    tableau: ButcherTableau,
    k0: torch.Tensor | None = None,
) -> list[torch.Tensor]:
    """The stage slopes ``k_i`` of one step. Introduced in chapter 2.

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
            # skipping zeros saves work and keeps Euler a plain residual block
            if a_ij != 0.0:
                y_stage = y_stage + dt * a_ij * k_j
        k.append(f(t + c_i * dt, y_stage))
    return k


def _combine(
    y: torch.Tensor, dt: float, weights: tuple[float, ...], k: list[torch.Tensor]
) -> torch.Tensor:
    dy = sum(w * k_i for w, k_i in zip(weights, k, strict=True) if w != 0.0)
    return y + dt * dy


def _check_dt(dt: float, allow_negative: bool = False) -> None:
    dt = float(dt)
    if not math.isfinite(dt) or dt == 0.0 or (dt < 0.0 and not allow_negative):
        need = "finite and non-zero" if allow_negative else "finite and positive"
        raise ValueError(f"the step size dt must be {need}, got {dt}")


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
        method: a key of :data:`TABLEAUX` (``"euler"``, ``"midpoint"``, ``"rk4"``, or an
            embedded pair used with fixed steps, ``"bosh3"``, ``"dopri5"``).

    Returns:
        A tensor of shape ``(len(t), *y0.shape)``; entry ``i`` is the state at ``t[i]``.

    Raises:
        ValueError: for an unknown method, a non-finite ``y0``, or a time grid that is not
            strictly monotone (a zero step is a step size of zero).
    """
    if method not in TABLEAUX:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(TABLEAUX)}")
    y0, t, steps = time_grid(y0, t)
    tableau = TABLEAUX[method]
    ys = [y0]
    for i in range(t.numel() - 1):
        ys.append(rk_step(f, t[i], ys[-1], float(steps[i]), tableau))
    return torch.stack(ys)
