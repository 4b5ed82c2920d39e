"""The coefficients of every method: Butcher tableaux and the implicit theta family.

Introduced in chapters 1 and 2. Each method is one frozen constant that checks itself on
creation (a mistyped coefficient fails loudly instead of silently losing accuracy), in
the spirit of torchdiffeq's ``_impl`` tableaux and diffrax's frozen ones. The steppers in
:mod:`nodebook.integrate.steps` and the registry in :mod:`nodebook.integrate.registry`
read them; nothing here integrates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
RK38 = ButcherTableau(
    "rk38",
    a=((), (1 / 3,), (-1 / 3, 1.0), (1.0, -1.0, 1.0)),
    b=(1 / 8, 3 / 8, 3 / 8, 1 / 8),
    c=(0.0, 1 / 3, 2 / 3, 1.0),
    order=4,
)
"""Kutta's 3/8 rule, order 4. torchdiffeq's fixed-step ``"rk4"`` is this rule, not the
classical :data:`RK4`: the two agree to fourth order but differ in their error constants,
so a comparison of nodebook's ``rk4`` with torchdiffeq's ``rk4`` compares two methods."""
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


@dataclass(frozen=True)
class ThetaMethod:
    """An implicit method of the theta family, fixed by the weight ``w`` of the end slope.

    Introduced in chapter 2:

        y1 = y0 + dt * ((1 - w) * f(t0, y0) + w * f(t1, y1)),

    with ``w = 1`` (backward Euler, L-stable, order 1) and ``w = 1/2`` (the trapezoidal
    rule, A-stable, order 2).
    """

    name: str
    w: float
    order: int

    def __post_init__(self) -> None:
        if not 0.0 < self.w <= 1.0:
            raise ValueError(
                f"{self.name}: the weight w must be in (0, 1] (w = 0 is explicit "
                f"Euler), got {self.w}"
            )
        expected = 2 if self.w == 0.5 else 1
        if self.order != expected:
            raise ValueError(
                f"{self.name}: a theta method with w = {self.w} has order {expected}, "
                f"not {self.order}"
            )

    def amplification(self, z: np.ndarray | complex) -> np.ndarray:
        """The stability function ``R(z) = (1 + (1 - w) z) / (1 - w z)``, ``z = dt * lam``."""
        z = np.asarray(z, dtype=complex)
        return (1.0 + (1.0 - self.w) * z) / (1.0 - self.w * z)


BACKWARD_EULER = ThetaMethod("backward_euler", w=1.0, order=1)
TRAPEZOID = ThetaMethod("trapezoid", w=0.5, order=2)
