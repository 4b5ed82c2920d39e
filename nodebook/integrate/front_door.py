"""The front door: ``odeint(f, y0, t, method=...)`` for every method of the book.

Introduced in chapter 1. The convention is torchdiffeq's: ``f(t, y)`` returns ``dy/dt``
with the shape of ``y``; ``t`` is a 1-D grid, increasing or decreasing; the result holds
the states at ``t``, shape ``(len(t), *y0.shape)``; ``rtol``, ``atol`` and ``options``
carry the same names. What an adaptive solve did (accepted and rejected steps,
evaluations) is recorded in a :class:`SolverStats` the caller passes in.

Why a stats object rather than a tensor subclass that carries the counts: a subclass loses
its attributes at the first operation (``ys[-1]``, ``ys * 2``), and it would pass through
every torch function a chapter calls on it; a plain tensor back and a record the caller
owns keep the return convention simple and the counts where the caller looks for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from nodebook._validate import time_grid
from nodebook.integrate.controller import adaptive
from nodebook.integrate.registry import METHODS, Method
from nodebook.integrate.stats import NonFiniteError, SolverStats
from nodebook.integrate.steps import (
    Field,
    Split,
    combine,
    rk_stages,
    split_step,
    substeps,
    theta_step,
)
from nodebook.integrate.tableaux import ButcherTableau, ThetaMethod

Method_ = str | ButcherTableau | ThetaMethod

_OPTIONS: dict[tuple[str, bool], frozenset[str]] = {
    ("explicit", False): frozenset({"step_size"}),
    ("implicit", False): frozenset({"step_size", "newton_tol", "max_iter"}),
    ("splitting", False): frozenset({"step_size"}),
    ("explicit", True): frozenset({"first_step", "max_num_steps"}),
    ("implicit", True): frozenset(
        {"first_step", "max_num_steps", "newton_tol", "max_iter"}
    ),
}


def odeint(
    f: Field | Split,
    y0: torch.Tensor,
    t: torch.Tensor,
    *,
    method: Method_ = "rk4",
    rtol: float | None = None,
    atol: float | None = None,
    options: Mapping[str, float] | None = None,
    stats: SolverStats | None = None,
) -> torch.Tensor:
    """Integrate ``dy/dt = f(t, y)`` from ``y0`` at ``t[0]``; the states at every ``t``.

    Introduced in chapter 1 (``"euler"`` on ``n`` equal steps is a weight-tied ResNet
    with ``n`` blocks); chapter 2 adds the other methods.

    Args:
        f: the field ``f(t, y)``; for ``"lie"`` and ``"strang"``, a :class:`Split` of two
            flow maps ``flow(y, dt)``.
        y0: the initial state, any shape (a batch is just leading dimensions).
        t: a 1-D tensor of at least two strictly increasing or strictly decreasing
            times; every method integrates both ways.
        method: a name in :data:`~nodebook.METHODS`, or a :class:`ButcherTableau` or
            :class:`ThetaMethod` of your own, taken with fixed steps.
        rtol, atol: relative and absolute tolerance of adaptive methods (default 1e-7
            and 1e-9, torchdiffeq's); an error for fixed-step ones.
        options: fixed-step methods: ``step_size``, the largest step (each interval of
            ``t`` is cut into equal steps no longer than it; default one step per
            interval). Adaptive: ``first_step``, ``max_num_steps`` (attempts, default
            100,000). Implicit: ``newton_tol`` (1e-10), ``max_iter`` (20).
        stats: a :class:`SolverStats` to fill in.

    Returns:
        A tensor of shape ``(len(t), *y0.shape)``; entry ``i`` is the state at ``t[i]``.
        Adaptive methods land on every time of ``t`` (no interpolation): for the
        controller's own steps, pass only the two end times.

    Raises:
        TypeError, ValueError: for an unknown method or option, a field that returns
            something other than a tensor of the state's shape, a non-finite ``y0``, or
            a time grid that is not strictly monotone.
        NonFiniteError: at once, naming the step and the time, when the solution (or,
            for adaptive methods, the field at an accepted state) becomes NaN or inf.
        StepLimitError: when an adaptive method runs out of attempts or its step
            underflows.
        ConvergenceError: when Newton's method fails in a fixed-step implicit method.
    """
    spec = _resolve(method)
    opts = _check_options(spec, options, rtol, atol)
    y0, t = time_grid(y0, t)
    if stats is not None:
        stats.reset(spec.name)
    if spec.kind == "splitting":
        if not isinstance(f, Split):
            raise TypeError(
                f"method {spec.name!r} splits the field: pass f as "
                "nb.Split(flow_a, flow_b), two flow maps flow(y, dt)"
            )
        field_ = Split(_checked_flow(f.a, stats), _checked_flow(f.b, stats))
    else:
        if isinstance(f, Split):
            raise TypeError(
                f"a Split of two flows needs method 'lie' or 'strang', not {spec.name!r}"
            )
        if not callable(f):
            raise TypeError(f"f must be a callable f(t, y), got {type(f).__name__}")
        # fixed implicit steps check every evaluation: Newton would otherwise report a
        # NaN field as a failure to converge (adaptive ones reject the attempt instead)
        finite = spec.kind == "implicit" and not spec.adaptive
        field_ = _checked_field(f, stats, finite)
    if spec.adaptive:
        return adaptive(field_, y0, t, spec, rtol, atol, opts, stats)
    return _fixed(field_, y0, t, spec, opts, stats)


def _resolve(method: object) -> Method:
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(
                f"unknown method {method!r}; choose one of {sorted(METHODS)} (or pass a "
                "ButcherTableau or ThetaMethod to take fixed steps with it)"
            )
        return METHODS[method]
    if isinstance(method, ButcherTableau):
        return Method(method.name, "explicit", method.order, False, method)
    if isinstance(method, ThetaMethod):
        return Method(method.name, "implicit", method.order, False, method)
    raise TypeError(
        "method must be a name such as 'rk4', a ButcherTableau or a ThetaMethod, got "
        f"{type(method).__name__}"
    )


def _check_options(
    spec: Method,
    options: Mapping[str, float] | None,
    rtol: float | None,
    atol: float | None,
) -> dict[str, float]:
    opts = dict(options or {})
    allowed = _OPTIONS[(spec.kind, spec.adaptive)]
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise ValueError(
            f"method {spec.name!r} takes the options {sorted(allowed)}, not {unknown}"
        )
    if not spec.adaptive and (rtol is not None or atol is not None):
        raise ValueError(
            f"{spec.name!r} takes fixed steps, so rtol and atol do not apply: the step "
            "comes from t or options={'step_size': ...}; the adaptive methods are "
            f"{sorted(n for n, m in METHODS.items() if m.adaptive)}"
        )
    for key in ("step_size", "first_step", "newton_tol"):
        if key in opts and not (math.isfinite(opts[key]) and opts[key] > 0):
            raise ValueError(f"{key} must be finite and positive, got {opts[key]!r}")
    for key in ("max_num_steps", "max_iter"):
        if key in opts and (int(opts[key]) != opts[key] or opts[key] < 1):
            raise ValueError(f"{key} must be an integer >= 1, got {opts[key]!r}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol is not None and not (math.isfinite(tol) and tol > 0):
            raise ValueError(f"{name} must be finite and positive, got {tol!r}")
    return opts


def _checked_field(f: Field, stats: SolverStats | None, finite: bool) -> Field:
    """``f`` with its output checked (a tensor of the state's shape, finite if asked)
    and counted."""

    def checked(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        dy = f(t, y)
        if not isinstance(dy, torch.Tensor):
            raise TypeError(
                f"f(t, y) must return a torch.Tensor, got {type(dy).__name__} at "
                f"t = {float(t):.6g}"
            )
        if dy.shape != y.shape:
            raise ValueError(
                f"f(t, y) returned shape {tuple(dy.shape)} for a state of shape "
                f"{tuple(y.shape)} (at t = {float(t):.6g}); the field must return "
                "dy/dt with the shape of y"
            )
        if finite and not bool(torch.isfinite(dy).all()):
            raise NonFiniteError(f"the field returned NaN or inf at t = {float(t):.6g}")
        if stats is not None:
            stats.nfe += 1
        return dy

    return checked


def _checked_flow(
    flow: Callable[[torch.Tensor, float], torch.Tensor],
    stats: SolverStats | None,
) -> Callable[[torch.Tensor, float], torch.Tensor]:
    def checked(y: torch.Tensor, dt: float) -> torch.Tensor:
        out = flow(y, dt)
        if not isinstance(out, torch.Tensor) or out.shape != y.shape:
            got = (
                tuple(out.shape)
                if isinstance(out, torch.Tensor)
                else type(out).__name__
            )
            raise ValueError(
                f"a flow map flow(y, dt) must return a tensor of the state's shape "
                f"{tuple(y.shape)}, got {got}"
            )
        if stats is not None:
            stats.nfe += 1
        return out

    return checked


def _require_finite_state(y: torch.Tensor, step: int, t0: float, t1: float) -> None:
    # once per step, not per evaluation. A sum is NaN or inf when any entry is, and
    # costs a sixth of isfinite().all() (3 vs 20 us on a (64, 2) state that needs a
    # gradient); only a finite state whose sum overflows takes the exact second look
    if not math.isfinite(float(y.detach().sum())) and not bool(torch.isfinite(y).all()):
        raise NonFiniteError(
            f"the solution became NaN or inf at step {step}, from t = {t0:.6g} to "
            f"t = {t1:.6g}: the field returned non-finite values there, or the step is "
            "too large for the method to be stable (chapter 2)"
        )


def _fixed(
    f: Field | Split,
    y0: torch.Tensor,
    t: torch.Tensor,
    spec: Method,
    opts: dict[str, float],
    stats: SolverStats | None,
) -> torch.Tensor:
    step_size = opts.get("step_size")
    newton = {
        "tol": opts.get("newton_tol", 1e-10),
        "max_iter": int(opts.get("max_iter", 20)),
    }
    if stats is not None:
        stats.accept(float(t[0]), y0)
    ys, y, step = [y0], y0, 0
    times = t.tolist()  # the spans in Python floats: no tensor op per interval
    for i in range(len(times) - 1):
        t_a, t_b = t[i], times[i + 1]
        span = t_b - times[i]
        n = substeps(span, step_size)
        dt = span / n
        for j in range(n):
            # from t_a with j steps (not by adding dt n times: the last stop is t_b)
            t_j = t_a if j == 0 else t_a + j * dt
            step += 1
            t_end = t_b if j == n - 1 else times[i] + (j + 1) * dt
            if isinstance(spec.scheme, ButcherTableau):
                y = combine(y, dt, spec.scheme.b, rk_stages(f, t_j, y, dt, spec.scheme))
            elif isinstance(spec.scheme, ThetaMethod):
                try:
                    y = theta_step(f, t_j, y, dt, spec.scheme, **newton, stats=stats)
                except NonFiniteError as error:
                    raise NonFiniteError(
                        f"{error}, in step {step}, from t = {t_end - dt:.6g} to "
                        f"t = {t_end:.6g}"
                    ) from None
            else:
                y = split_step(f, y, dt, spec.scheme)
            _require_finite_state(y, step, t_end - dt, t_end)
            if stats is not None:
                stats.accept(t_end, y)
        ys.append(y)
    return torch.stack(ys)
