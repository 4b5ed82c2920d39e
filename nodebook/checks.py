"""Checks for the exercises: clear feedback for a learner, a pass or fail for a grader.

Every check calls the learner's function itself, so an exception in the learner's code,
a wrong type or shape, a NaN or a wrong value all end the same way: a
:class:`CheckFailed` whose message says what was expected and what came back. The
frames of this module are hidden from IPython tracebacks, so a learner sees the message,
not the inside of torch. A passing check prints one line starting with a tick.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import torch


class CheckFailed(AssertionError):
    """An exercise answer is not right yet; the message says why. Introduced in chapter 1."""


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    raise CheckFailed(message) from None


def _passed(message: str) -> None:
    print(f"\N{CHECK MARK} {message}")


def _learner_frame(exc: BaseException) -> str:
    """' (line N of your code: `text`)' for the deepest frame in notebook code, if any."""
    frames = [
        fr
        for fr in traceback.extract_tb(exc.__traceback__)
        if "ipykernel" in fr.filename or fr.filename.startswith("<")
    ]
    if not frames:
        return ""
    fr = frames[-1]
    return f" (line {fr.lineno} of your code: `{(fr.line or '').strip()}`)"


def _call(fn: object, name: str, *args: Any) -> Any:
    """Call the learner's ``fn``, turning any exception into a readable CheckFailed."""
    __tracebackhide__ = True
    if not callable(fn):
        _fail(f"`{name}` should be a function, but it is a {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError:
        _fail(
            f"`{name}` is not written yet: replace `raise NotImplementedError()` with your code."
        )
    except (
        Exception
    ) as exc:  # any learner error becomes feedback, never a deep traceback
        _fail(f"`{name}` raised {type(exc).__name__}: {exc}{_learner_frame(exc)}")


def _tensor(value: object, what: str, like: torch.Tensor) -> torch.Tensor:
    """Require a finite tensor with the shape and dtype of ``like``."""
    __tracebackhide__ = True
    if not isinstance(value, torch.Tensor):
        _fail(f"{what} should be a torch.Tensor, but it is a {type(value).__name__}.")
    if value.shape != like.shape:
        _fail(
            f"{what} should have shape {tuple(like.shape)}, but it has shape {tuple(value.shape)}."
        )
    if value.dtype != like.dtype:
        _fail(
            f"{what} should have dtype {like.dtype} (the dtype of the input), got {value.dtype}."
        )
    if not bool(torch.isfinite(value).all()):
        _fail(f"{what} contains NaN or inf values.")
    return value


def _number(value: object, what: str) -> float:
    """Require a finite real number (a Python or NumPy number, or a one-element tensor)."""
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        _fail(f"{what} should be a number, but it is a {type(value).__name__}.")
    if not math.isfinite(number):
        _fail(f"{what} should be a finite number, got {number}.")
    return number


def _close(
    got: torch.Tensor, expected: torch.Tensor, what: str, rtol: float, atol: float
) -> None:
    __tracebackhide__ = True
    if not torch.allclose(got, expected, rtol=rtol, atol=atol):
        err = (got - expected).abs()
        i = int(err.argmax())
        _fail(
            f"{what} is off by up to {float(err.max()):.3g}: at flat index {i} expected "
            f"{float(expected.flatten()[i]):.6g}, got {float(got.flatten()[i]):.6g}."
        )


# --- chapter 1 -------------------------------------------------------------------------


def check_euler_step(euler_step: Callable[..., torch.Tensor]) -> None:
    """Exercise 1.1: ``euler_step(f, t, y, dt)`` returns ``y + dt * f(t, y)``.

    Tried on a batch with a time-dependent field, in float64 and float32, and checked not
    to change its input ``y`` in place.
    """
    __tracebackhide__ = True

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -2.0 * y + torch.sin(3.0 * t)

    for dtype in (torch.float64, torch.float32):
        y = torch.linspace(-1.0, 1.0, 8, dtype=dtype).reshape(4, 2)
        y_before = y.clone()
        t, dt = torch.tensor(0.3, dtype=dtype), 0.1
        got = _call(euler_step, "euler_step", f, t, y, dt)
        got = _tensor(
            got, f"euler_step(f, t, y, dt) for a {tuple(y.shape)} batch", like=y
        )
        if not torch.equal(y, y_before):
            _fail(
                "euler_step changed its input y in place; return a new tensor instead."
            )
        if torch.allclose(got, y):
            _fail("euler_step returned y unchanged: the step should add dt * f(t, y).")
        _close(
            got,
            y_before + dt * f(t, y_before),
            "euler_step(f, t, y, dt)",
            rtol=1e-5,
            atol=1e-6,
        )
    _passed("euler_step matches y + dt * f(t, y) on batches in float64 and float32.")


def check_measure_order(measure_order: Callable[..., float]) -> None:
    """Exercise 1.2: ``measure_order`` recovers order 1 for Euler and 2 for midpoint steps.

    The problem is the rotation ``y' = [[0, -1], [1, 0]] y`` on ``[0, 2]`` whose exact
    solution is known, so the check knows the true orders.
    """
    __tracebackhide__ = True
    A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)

    def f(t: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        return y @ A.T

    def euler(f: Callable, t: float, y: torch.Tensor, dt: float) -> torch.Tensor:
        return y + dt * f(t, y)

    def midpoint(f: Callable, t: float, y: torch.Tensor, dt: float) -> torch.Tensor:
        return y + dt * f(t + dt / 2, y + dt / 2 * f(t, y))

    y0 = torch.tensor([1.0, 0.0], dtype=torch.float64)
    T = 2.0
    y_exact = torch.tensor([math.cos(T), math.sin(T)], dtype=torch.float64)
    n_list = [8, 16, 32, 64, 128]
    for step, true_order in ((euler, 1), (midpoint, 2)):
        got = _call(measure_order, "measure_order", step, f, y0, T, y_exact, n_list)
        order = _number(got, f"measure_order(...) for the {step.__name__} step")
        if abs(order - true_order) > 0.2:
            hint = ""
            if abs(order + true_order) < 0.2:
                hint = " The sign is flipped: fit log(error) against log(dt), not against log(n)."
            _fail(
                f"for the {step.__name__} step (order {true_order}) measure_order returned "
                f"{order:.3g}; expected a value within 0.2 of {true_order}.{hint}"
            )
    _passed("measure_order finds order 1 for Euler and 2 for the midpoint rule.")


def check_min_stable_blocks(min_stable_blocks: Callable[[float, float], int]) -> None:
    """Exercise 1.3: fewest weight-tied blocks for which ``h' = lam h`` (lam < 0) does not grow.

    The answer is compared with a brute-force search over ``n`` using the amplification
    factor ``|1 + lam T / n| <= 1`` of one Euler step.
    """
    __tracebackhide__ = True

    def brute_force(lam: float, T: float) -> int:
        n = 1
        while abs(1 + lam * T / n) > 1 + 1e-12:
            n += 1
        return n

    for lam, T in ((-1.0, 1.0), (-10.0, 1.0), (-7.3, 2.0), (-50.0, 0.5), (-4.0, 2.5)):
        got = _call(min_stable_blocks, "min_stable_blocks", lam, T)
        if isinstance(got, bool) or not isinstance(got, int):
            if isinstance(got, float) and got.is_integer():
                _fail(
                    f"min_stable_blocks({lam}, {T}) returned the float {got}; return an int."
                )
            _fail(
                f"min_stable_blocks({lam}, {T}) should return an int, got {type(got).__name__} {got!r}."
            )
        want = brute_force(lam, T)
        if got != want:
            direction = (
                "too few: the ResNet still grows" if got < want else "more than needed"
            )
            _fail(
                f"min_stable_blocks({lam}, {T}) returned {got}, expected {want} ({direction})."
            )
    _passed("min_stable_blocks agrees with a brute-force search on five cases.")


# --- chapter 2 -------------------------------------------------------------------------


def check_rk_step(rk_step_from_tableau: Callable[..., torch.Tensor]) -> None:
    """Exercise 2.1: one explicit RK step from ``(a, b, c)`` matches :func:`nodebook.rk_step`.

    Tried with Euler, midpoint, RK4 and Dormand-Prince on a batch with a time-dependent
    field, and checked not to change ``y`` in place.
    """
    __tracebackhide__ = True
    from nodebook.solvers import DOPRI5, EULER, MIDPOINT, RK4, rk_step

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.sin(y) * torch.cos(2.0 * t) - 0.5 * y

    y = torch.linspace(-1.0, 2.0, 6, dtype=torch.float64).reshape(3, 2)
    t, dt = torch.tensor(0.4, dtype=torch.float64), 0.3
    for tableau in (EULER, MIDPOINT, RK4, DOPRI5):
        a = [list(row) for row in tableau.a]
        y_before = y.clone()
        got = _call(
            rk_step_from_tableau,
            "rk_step_from_tableau",
            f,
            t,
            y,
            dt,
            a,
            list(tableau.b),
            list(tableau.c),
        )
        got = _tensor(
            got, f"rk_step_from_tableau(...) with the {tableau.name} tableau", y
        )
        if not torch.equal(y, y_before):
            _fail("rk_step_from_tableau changed y in place; return a new tensor.")
        _close(
            got,
            rk_step(f, t, y, dt, tableau),
            f"one {tableau.name} step",
            rtol=1e-10,
            atol=1e-12,
        )
    _passed(
        "rk_step_from_tableau matches nb.rk_step for Euler, midpoint, RK4 and Dopri5."
    )


def check_largest_stable_dt(largest_stable_dt: Callable[[torch.Tensor], float]) -> None:
    """Exercise 2.2: the largest forward-Euler step that is stable for ``y' = A y``.

    Compared with a bisection on the spectral radius of ``I + dt A`` for matrices with
    real, complex and mixed eigenvalues.
    """
    __tracebackhide__ = True
    matrices = {
        "diag(-1, -10)": torch.diag(torch.tensor([-1.0, -10.0], dtype=torch.float64)),
        "a damped rotation": torch.tensor(
            [[-0.5, 3.0], [-3.0, -0.5]], dtype=torch.float64
        ),
        "a 3x3 mix": torch.tensor(
            [[-2.0, 1.0, 0.0], [-1.0, -2.0, 0.0], [0.0, 0.0, -4.0]], dtype=torch.float64
        ),
        "a non-normal matrix": torch.tensor(
            [[-1.0, 5.0], [0.0, -3.0]], dtype=torch.float64
        ),
    }

    def radius(A: torch.Tensor, dt: float) -> float:
        eye = torch.eye(A.shape[0], dtype=A.dtype)
        return float(torch.linalg.eigvals(eye + dt * A).abs().max())

    def bisect(A: torch.Tensor) -> float:
        lo, hi = 0.0, 1.0
        while radius(A, hi) <= 1.0:
            hi *= 2
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if radius(A, mid) <= 1.0 + 1e-12 else (lo, mid)
        return lo

    for name, A in matrices.items():
        got = _number(
            _call(largest_stable_dt, "largest_stable_dt", A.clone()),
            f"largest_stable_dt(A) for {name}",
        )
        want = bisect(A)
        if abs(got - want) > 1e-6 * max(1.0, want):
            hint = ""
            if abs(got - 2 / float(torch.linalg.eigvals(A).abs().max())) < 1e-6:
                hint = (
                    " 2 / max|lambda| is right only for real eigenvalues; use the real "
                    "part and the modulus."
                )
            _fail(
                f"for {name} largest_stable_dt returned {got:.6g}, expected {want:.6g}.{hint}"
            )
    _passed("largest_stable_dt agrees with a bisection on four matrices.")


def check_newton_update(newton_update: Callable[..., torch.Tensor]) -> None:
    """Exercise 2.3: one Newton iteration for the backward-Euler equation.

    On a linear field one update is exact; on a nonlinear field repeated updates must
    converge to the step :func:`nodebook.implicit_step` computes.
    """
    __tracebackhide__ = True
    from nodebook.implicit import implicit_step

    A = torch.tensor([[-50.0, 1.0], [0.0, -2.0]], dtype=torch.float64)

    def f_lin(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return A @ y

    def jac_lin(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return A.clone()

    y_n = torch.tensor([1.0, -1.0], dtype=torch.float64)
    t1, dt = torch.tensor(0.1, dtype=torch.float64), 0.1
    exact = torch.linalg.solve(torch.eye(2, dtype=torch.float64) - dt * A, y_n)
    got = _call(
        newton_update, "newton_update", f_lin, jac_lin, t1, y_n, dt, y_n.clone()
    )
    got = _tensor(got, "newton_update(...) on a linear field", y_n)
    _close(got, exact, "one Newton update on the linear field y' = A y", 1e-9, 1e-12)

    def f_vdp(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.stack((y[1], 10.0 * (1 - y[0] ** 2) * y[1] - y[0]))

    def jac_vdp(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, v = float(y[0]), float(y[1])
        return torch.tensor(
            [[0.0, 1.0], [-20.0 * x * v - 1.0, 10.0 * (1 - x * x)]], dtype=torch.float64
        )

    y_n = torch.tensor([2.0, -0.5], dtype=torch.float64)
    dt = 0.05
    want, _ = implicit_step(f_vdp, torch.tensor(0.0, dtype=torch.float64), y_n, dt)
    z = y_n.clone()
    for _ in range(8):
        z = _call(newton_update, "newton_update", f_vdp, jac_vdp, t1, y_n, dt, z)
        z = _tensor(z, "newton_update(...) on Van der Pol", y_n)
    _close(z, want, "eight Newton updates on Van der Pol (mu = 10)", 1e-8, 1e-10)
    _passed("newton_update is exact on a linear field and converges on Van der Pol.")
