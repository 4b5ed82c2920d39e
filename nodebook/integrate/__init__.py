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

The other integrators the chapters call keep the same ``(f, y0, t)`` convention and the
same result, ``(len(t), *y0.shape)``, but are not options of :func:`odeint`:

- the gradient strategies of chapter 3, :func:`~nodebook.adjoint_odeint` and
  :func:`~nodebook.checkpointed_odeint`, are what that chapter derives and writes out;
  each takes the forward solver as a ``solve(f, y0, t)`` strategy
  (:func:`~nodebook.fixed_step_solver`, :func:`~nodebook.torchdiffeq_solver`), as
  diffrax separates solvers from adjoints. A ``gradient=`` option here would hide the
  algorithm the chapter teaches behind a flag;
- :func:`~nodebook.fused_odeint` (chapter 4) is a special case for the book's tanh MLP
  fields, with :func:`odeint`'s arguments and results for the fixed-step explicit
  methods. It is called by name rather than dispatched to, because it refuses what it
  cannot differentiate exactly (a gradient for ``t``, a second derivative) and a silent
  switch of backend would make one call behave two ways;
- ``nb.fhn.rollout`` is chapter 4's experiment: its sample grid and its two models.
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
