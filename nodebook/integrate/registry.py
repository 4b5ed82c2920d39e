"""The one table of methods: every name ``nb.odeint`` accepts, with its kind and order.

Introduced in chapter 2 (chapter 1 uses ``"euler"`` and ``"rk4"``). One row per name, in
the spirit of torchdiffeq's ``SOLVERS`` dictionary: the front door looks a name up here and
nowhere else, and the exact-solution tests run every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nodebook.integrate.tableaux import (
    BACKWARD_EULER,
    BOSH3,
    DOPRI5,
    EULER,
    MIDPOINT,
    RK4,
    RK38,
    TRAPEZOID,
    ButcherTableau,
    ThetaMethod,
)

Kind = Literal["explicit", "implicit", "splitting"]


@dataclass(frozen=True)
class Method:
    """One row of :data:`METHODS`. Introduced in chapter 2.

    Attributes:
        name: what ``method=`` takes.
        kind: ``"explicit"`` (Runge-Kutta), ``"implicit"`` (theta methods, Newton) or
            ``"splitting"`` (``f`` is a :class:`~nodebook.Split` of two flows).
        order: the global order of accuracy (for splitting, when both flows are exact).
        adaptive: whether the step size is chosen by an error estimate (``rtol``,
            ``atol``) instead of by the time grid or ``step_size``.
        scheme: the coefficients (a tableau or theta method; the scheme's name for
            splitting).
        error_order: how fast the local error estimate shrinks with the step,
            ``err ~ dt**error_order``; the controller's exponent is its reciprocal
            (adaptive methods only).
    """

    name: str
    kind: Kind
    order: int
    adaptive: bool
    scheme: ButcherTableau | ThetaMethod | str
    error_order: int | None = None

    def __post_init__(self) -> None:
        if self.adaptive != (self.error_order is not None):
            raise ValueError(
                f"{self.name}: adaptive methods, and only they, need an error_order"
            )
        if isinstance(self.scheme, ButcherTableau):
            if self.kind != "explicit" or self.scheme.order != self.order:
                raise ValueError(
                    f"{self.name}: a tableau of order {self.scheme.order} is explicit"
                )
            if self.adaptive and self.scheme.b_low is None:
                raise ValueError(
                    f"{self.name}: an adaptive tableau needs embedded weights"
                )
        if isinstance(self.scheme, ThetaMethod) and (
            self.kind != "implicit" or self.scheme.order != self.order
        ):
            raise ValueError(
                f"{self.name}: a theta method of order {self.scheme.order}"
            )


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("euler", "explicit", 1, False, EULER),
        Method("midpoint", "explicit", 2, False, MIDPOINT),
        Method("rk4", "explicit", 4, False, RK4),
        Method("rk38", "explicit", 4, False, RK38),
        # an embedded pair of orders (p, p - 1): the difference of its two solutions is
        # the lower one's local error, which shrinks like dt**p
        Method("bosh3", "explicit", 3, True, BOSH3, error_order=3),
        Method("dopri5", "explicit", 5, True, DOPRI5, error_order=5),
        Method("backward_euler", "implicit", 1, False, BACKWARD_EULER),
        Method("trapezoid", "implicit", 2, False, TRAPEZOID),
        # backward Euler's local error is dt**2 / 2 * y'', estimated from the change
        # of f over the step
        Method(
            "adaptive_backward_euler",
            "implicit",
            1,
            True,
            BACKWARD_EULER,
            error_order=2,
        ),
        Method("lie", "splitting", 1, False, "lie"),
        Method("strang", "splitting", 2, False, "strang"),
    )
}
"""Every method of :func:`~nodebook.odeint` by name. Introduced in chapter 2.

``rk4`` is the classical rule; torchdiffeq's ``"rk4"`` is Kutta's 3/8 rule, here
``rk38``. ``bosh3`` and ``dopri5`` are adaptive, as in torchdiffeq; to take fixed steps
with their tableaux, pass the tableau itself (``method=nb.DOPRI5``)."""
