"""Integration: the tableaux, the one-step functions, the method registry and the front door.

Introduced in chapter 1. Chapters call :func:`odeint` (re-exported as ``nb.odeint``); the
modules are

- :mod:`~nodebook.integrate.tableaux`: the coefficients of every method, as constants;
- :mod:`~nodebook.integrate.steps`: one step of each kind (each returns the new state);
- :mod:`~nodebook.integrate.registry`: :data:`METHODS`, the one table of names;
- :mod:`~nodebook.integrate.controller`: adaptive step-size control;
- :mod:`~nodebook.integrate.stats`: what a solve did, and its errors;
- :mod:`~nodebook.integrate.front_door`: the front door;
- :mod:`~nodebook.integrate.sde`: Euler-Maruyama, the same convention for noisy systems.
"""

from nodebook.integrate.controller import error_norm
from nodebook.integrate.front_door import odeint
from nodebook.integrate.registry import METHODS, Method
from nodebook.integrate.sde import euler_maruyama
from nodebook.integrate.stats import NonFiniteError, SolverStats, StepLimitError
from nodebook.integrate.steps import (
    ConvergenceError,
    Field,
    Flow,
    Split,
    newton_solve,
    rk_stages,
    rk_step,
    split_step,
    theta_step,
)
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

__all__ = [
    "BACKWARD_EULER",
    "BOSH3",
    "DOPRI5",
    "EULER",
    "METHODS",
    "MIDPOINT",
    "RK4",
    "RK38",
    "TRAPEZOID",
    "ButcherTableau",
    "ConvergenceError",
    "Field",
    "Flow",
    "Method",
    "NonFiniteError",
    "SolverStats",
    "Split",
    "StepLimitError",
    "ThetaMethod",
    "error_norm",
    "euler_maruyama",
    "newton_solve",
    "odeint",
    "rk_stages",
    "rk_step",
    "split_step",
    "theta_step",
]
