"""Checks for the exercises: clear feedback for a learner, a pass or fail for a grader.

Every check calls the learner's function itself, so an exception in the learner's code,
a wrong type or shape, a NaN or a wrong value all end the same way: a
:class:`CheckFailed` whose message says what was expected and what came back. The
frames of this module are hidden from IPython tracebacks, so a learner sees the message,
not the inside of torch. A passing check prints one line starting with a tick.
"""

from __future__ import annotations

import itertools
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
    from nodebook.integrate import DOPRI5, EULER, MIDPOINT, RK4, rk_step

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
    converge to the step :func:`nodebook.theta_step` computes.
    """
    __tracebackhide__ = True
    from nodebook.integrate import theta_step

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
    want = theta_step(f_vdp, torch.tensor(0.0, dtype=torch.float64), y_n, dt)
    z = y_n.clone()
    for _ in range(8):
        z = _call(newton_update, "newton_update", f_vdp, jac_vdp, t1, y_n, dt, z)
        z = _tensor(z, "newton_update(...) on Van der Pol", y_n)
    _close(z, want, "eight Newton updates on Van der Pol (mu = 10)", 1e-8, 1e-10)
    _passed("newton_update is exact on a linear field and converges on Van der Pol.")


# --- chapter 3 -------------------------------------------------------------------------


def check_adjoint_rhs(adjoint_rhs: Callable[..., torch.Tensor]) -> None:
    """Exercise 3.1: ``adjoint_rhs(f, t, z, a)`` returns ``-a df/dz`` for a batch.

    Compared with ``-a A`` for a linear field and with a Jacobian from autograd for a small
    network; ``z`` and ``a`` must not be changed in place.
    """
    __tracebackhide__ = True
    gen = torch.Generator().manual_seed(3)
    A = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    z = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    a = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    t = torch.tensor(0.5, dtype=torch.float64)

    def linear(t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return z @ A.T

    W = torch.randn(3, 3, generator=gen, dtype=torch.float64)

    def network(t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(z @ W.T) * torch.cos(t)

    def expected_network() -> torch.Tensor:
        rows = []
        for z_i, a_i in zip(z, a, strict=True):
            J = torch.autograd.functional.jacobian(lambda y: network(t, y), z_i)
            rows.append(-(a_i @ J))
        return torch.stack(rows)

    for name, f, want in (
        ("a linear field z A^T", linear, -(a @ A)),
        ("a tanh network", network, expected_network()),
    ):
        z_before, a_before = z.clone(), a.clone()
        got = _call(adjoint_rhs, "adjoint_rhs", f, t, z, a)
        got = _tensor(got, f"adjoint_rhs(f, t, z, a) for {name}", like=z)
        if not (torch.equal(z, z_before) and torch.equal(a, a_before)):
            _fail("adjoint_rhs changed z or a in place; leave its inputs unchanged.")
        if torch.allclose(got, -want, rtol=1e-8, atol=1e-10):
            _fail(f"for {name} the sign is flipped: da/dt = -a df/dz.")
        _close(got, want, f"adjoint_rhs for {name}", rtol=1e-8, atol=1e-10)
    _passed("adjoint_rhs matches -a df/dz for a linear field and a network.")


def check_directional_derivative(
    directional_derivative: Callable[..., float], h_good: object
) -> None:
    """Exercise 3.2: central differences verify autograd; ``h_good`` is a sensible step.

    The three functions are a polynomial, a trigonometric sum and a short ODE solve; the
    central difference must match autograd's directional derivative to 1e-6 at
    ``h_good``, which must lie between 1e-7 and 1e-3.
    """
    __tracebackhide__ = True
    from torchdiffeq import odeint

    h = _number(h_good, "h_good")
    if not 1e-7 <= h <= 1e-3:
        _fail(
            f"h_good = {h:g} is outside [1e-7, 1e-3]: too large and the h**2 truncation "
            "error dominates, too small and round-off (about 1e-16 / h) does."
        )
    A = torch.tensor([[-0.3, 1.0], [-1.0, -0.3]], dtype=torch.float64)
    functions = {
        "a polynomial": lambda x: (x**3).sum() - 2 * (x[0] * x[1]),
        "a trigonometric sum": lambda x: torch.sin(3 * x).sum() * torch.cos(x[0]),
        "an ODE solve": lambda x: (
            odeint(
                lambda t, y: torch.tanh(y @ A.T),
                x,
                torch.tensor([0.0, 1.0], dtype=torch.float64),
                rtol=1e-12,
                atol=1e-12,
            )[-1]
            .pow(2)
            .sum()
        ),
    }
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, generator=gen, dtype=torch.float64)
    v = torch.randn(2, generator=gen, dtype=torch.float64)
    for name, loss in functions.items():
        x_req = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(x_req), x_req)
        want = float(grad @ v)
        got = _number(
            _call(
                directional_derivative, "directional_derivative", loss, x.clone(), v, h
            ),
            f"directional_derivative(...) for {name}",
        )
        if abs(got - want) > 1e-6 * max(1.0, abs(want)):
            hint = ""
            if abs(got - 2 * want) < 1e-5 * max(1.0, abs(want)):
                hint = " It is twice the derivative: divide by 2h."
            elif abs(got + want) < 1e-5 * max(1.0, abs(want)):
                hint = " The sign is flipped: L(x + hv) comes first."
            _fail(
                f"for {name} directional_derivative returned {got:.10g}, autograd gives "
                f"{want:.10g}.{hint}"
            )
    _passed("central differences agree with autograd on three functions at h_good.")


def check_adjoint_at_start(adjoint_at_start: Callable[..., torch.Tensor]) -> None:
    """Exercise 3.3: the adjoint swept backward with jumps equals autograd's dL/dz0.

    The loss is a weighted sum of squares of the states of ``z' = A z`` at uneven times.
    """
    __tracebackhide__ = True
    gen = torch.Generator().manual_seed(5)
    A = torch.tensor(
        [[-0.2, 1.5, 0.0], [-1.5, -0.2, 0.3], [0.0, -0.3, -1.0]], dtype=torch.float64
    )
    t = torch.tensor([0.0, 0.3, 1.0, 1.2, 2.5], dtype=torch.float64)
    weights = torch.rand(5, 3, generator=gen, dtype=torch.float64)
    z0 = torch.randn(3, generator=gen, dtype=torch.float64).requires_grad_(True)
    zs = torch.stack([torch.linalg.matrix_exp(A * s) @ z0 for s in t])
    loss = (weights * zs**2).sum()
    dL_dz = (2 * weights * zs).detach()
    (want,) = torch.autograd.grad(loss, z0)
    got = _call(adjoint_at_start, "adjoint_at_start", A, t, dL_dz)
    got = _tensor(got, "adjoint_at_start(A, t, dL_dz)", like=want)
    without_jumps = dL_dz[-1] @ torch.linalg.matrix_exp(A * (t[-1] - t[0]))
    if torch.allclose(got, without_jumps, atol=1e-10):
        _fail(
            "adjoint_at_start propagated only the last observation's gradient: add "
            "dL_dz[i] to the adjoint at every earlier observation time (the jumps)."
        )
    _close(got, want, "dL/dz(t0)", rtol=1e-9, atol=1e-11)
    _passed("adjoint_at_start matches autograd, jumps included.")


# --- chapter 6 -------------------------------------------------------------------------


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


# --- chapter 7 -------------------------------------------------------------------------


def check_euler_maruyama_step(euler_maruyama_step: Callable[..., torch.Tensor]) -> None:
    """Exercise 7.1: ``y + dt f(t, y) + sigma sqrt(dt) xi``, and the spread it produces."""
    __tracebackhide__ = True

    def f(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -y + torch.sin(t)

    gen = torch.Generator().manual_seed(7)
    y = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    xi = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    t, dt = torch.tensor(0.3, dtype=torch.float64), 0.04
    for sigma in (0.5, torch.tensor([0.2, 0.0], dtype=torch.float64)):
        y_before = y.clone()
        got = _call(euler_maruyama_step, "euler_maruyama_step", f, sigma, t, y, dt, xi)
        got = _tensor(got, "euler_maruyama_step(...)", like=y)
        if not torch.equal(y, y_before):
            _fail("euler_maruyama_step changed y in place; return a new tensor.")
        want = y + dt * f(t, y) + sigma * dt**0.5 * xi
        if torch.allclose(got, y + dt * f(t, y) + sigma * dt * xi, atol=1e-12):
            _fail("the noise term should scale with sqrt(dt), not dt.")
        _close(got, want, f"one step with sigma = {sigma}", rtol=1e-10, atol=1e-12)
    many = torch.randn(20000, 1, generator=gen, dtype=torch.float64)
    start = torch.zeros(20000, 1, dtype=torch.float64)
    spread = _call(
        euler_maruyama_step,
        "euler_maruyama_step",
        lambda t, y: torch.zeros_like(y),
        0.5,
        t,
        start,
        0.04,
        many,
    )
    spread = float(
        _tensor(spread, "euler_maruyama_step(...) for 20000 states", like=start).std()
    )
    if abs(spread - 0.1) > 0.005:
        _fail(
            f"the spread of one step should be sigma * sqrt(dt) = 0.1, got {spread:.4f}."
        )
    _passed(
        "euler_maruyama_step matches the formula and spreads like sigma * sqrt(dt)."
    )


def check_delay_embedding(
    delay_embedding: Callable[[torch.Tensor, int], torch.Tensor],
) -> None:
    """Exercise 7.2: pairs ``(x_k, x_{k - lag})`` for ``k >= lag``, current value first."""
    __tracebackhide__ = True
    for n, lag in ((10, 3), (25, 17), (5, 1)):
        series = torch.arange(n, dtype=torch.float32) * 0.5 + 1.0
        want = torch.stack([series[lag:], series[: n - lag]], dim=-1)
        got = _call(delay_embedding, "delay_embedding", series.clone(), lag)
        got = _tensor(got, f"delay_embedding(series of {n}, lag={lag})", like=want)
        if torch.equal(got, want.flip(-1)):
            _fail("the columns are swapped: put the current value x_k first.")
        _close(got, want, f"delay_embedding with lag {lag}", rtol=0.0, atol=0.0)
    _passed("delay_embedding builds (x_k, x_(k-lag)) pairs for three lags.")


def check_stiffness_ratio(stiffness_ratio: Callable[[torch.Tensor], float]) -> None:
    """Exercise 7.3: largest over smallest ``|Re lambda|`` of the Jacobian's eigenvalues."""
    __tracebackhide__ = True
    cases = {
        "diag(-1, -1000)": (
            torch.diag(torch.tensor([-1.0, -1000.0], dtype=torch.float64)),
            1000.0,
        ),
        "a damped rotation beside a decay": (
            torch.tensor(
                [[-1.0, 10.0, 0.0], [-10.0, -1.0, 0.0], [0.0, 0.0, -5.0]],
                dtype=torch.float64,
            ),
            5.0,
        ),
        "a 3x3 triangular matrix": (
            torch.tensor(
                [[-2.0, 5.0, 1.0], [0.0, -40.0, 3.0], [0.0, 0.0, -0.1]],
                dtype=torch.float64,
            ),
            400.0,
        ),
    }
    for name, (J, want) in cases.items():
        got = _number(
            _call(stiffness_ratio, "stiffness_ratio", J.clone()),
            f"stiffness_ratio for {name}",
        )
        if abs(got - 1 / want) < 1e-6 * max(1.0, 1 / want):
            _fail(
                f"for {name} you returned the inverse ratio {got:.6g}: largest over smallest."
            )
        if abs(got - want) > 1e-6 * want:
            hint = (
                " Use the real parts: the imaginary parts are oscillation, not decay."
                if "rotation" in name
                else ""
            )
            _fail(
                f"for {name} stiffness_ratio returned {got:.6g}, expected {want:.6g}.{hint}"
            )
    _passed(
        "stiffness_ratio is right for diagonal, oscillatory and triangular Jacobians."
    )


# --- chapter 4 -------------------------------------------------------------------------


def check_mlp_parameters(mlp_parameters: Callable[[list[int]], int]) -> None:
    """Exercise 4.1: weights and biases of a fully connected network, counted."""
    __tracebackhide__ = True
    from torch import nn

    for widths in ([3, 128, 128, 2], [2, 16, 2], [5, 1], [4, 7, 7, 7, 3]):
        layers = [nn.Linear(a, b) for a, b in itertools.pairwise(widths)]
        want = sum(p.numel() for layer in layers for p in layer.parameters())
        got = _call(mlp_parameters, "mlp_parameters", list(widths))
        if isinstance(got, bool) or not isinstance(got, int):
            _fail(
                f"mlp_parameters({widths}) should return an int, got {type(got).__name__}."
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
        "rk4_step_backward matches autograd through one RK4 step of a "
        "time-dependent field."
    )


def check_field_agreement(field_agreement: Callable[..., tuple[float, float]]) -> None:
    """Exercise 4.3: mean cosine of the arrows and median length ratio."""
    __tracebackhide__ = True
    true = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.5]])
    cases = {
        "identical fields": (true.clone(), 1.0, 1.0),
        "a field twice as long": (2 * true, 1.0, 2.0),
        "a reversed field": (-true, -1.0, 1.0),
        "a rotated field": (
            torch.stack([-true[:, 1], true[:, 0]], -1)
            * torch.tensor([[1.0], [1.0], [3.0], [1.0]]),
            0.0,
            1.0,
        ),
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
            hint = " Use the median, not the mean." if name == "a rotated field" else ""
            _fail(
                f"for {name} the length ratio should be {ratio_want}, got {ratio_got:.6g}.{hint}"
            )
    _passed("field_agreement gives the right cosine and length ratio for four fields.")


# --- chapter 5 -------------------------------------------------------------------------


def check_fhn_nullclines(
    fhn_nullclines: Callable[..., tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """Exercise 5.1: ``w = v - v**3/3 + I`` and ``w = (v + a) / b``; both zero the field."""
    __tracebackhide__ = True
    from nodebook.systems import FitzHughNagumo

    v = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    for current in (0.2, 0.5):
        got = _call(fhn_nullclines, "fhn_nullclines", v.clone(), current)
        if not isinstance(got, tuple | list) or len(got) != 2:
            _fail(
                f"fhn_nullclines should return a pair of tensors, got {type(got).__name__}."
            )
        w_v = _tensor(got[0], "the v-nullcline", like=v)
        w_w = _tensor(got[1], "the w-nullcline", like=v)
        field = FitzHughNagumo(I=current)
        dv = field(0.0, torch.stack([v, w_v], -1))[:, 0]
        dw = field(0.0, torch.stack([v, w_w], -1))[:, 1]
        if dv.abs().max() > 1e-9:
            swapped = field(0.0, torch.stack([v, w_w], -1))[:, 0].abs().max() < 1e-9
            _fail(
                "the first curve should be where dv/dt = 0"
                + (
                    " (the two are swapped)."
                    if swapped
                    else f"; dv/dt there is up to {float(dv.abs().max()):.3g}."
                )
            )
        if dw.abs().max() > 1e-9:
            _fail(
                f"the second curve should be where dw/dt = 0; dw/dt there is up to {float(dw.abs().max()):.3g}."
            )
    _passed("fhn_nullclines zero dv/dt and dw/dt for two currents.")


def check_find_fixed_point(find_fixed_point: Callable[..., torch.Tensor]) -> None:
    """Exercise 5.2: Newton's method finds zeros of three fields from nearby starts."""
    __tracebackhide__ = True
    from nodebook.systems import FitzHughNagumo

    fhn_field = FitzHughNagumo(I=0.2)
    cases = {
        "a linear field": (
            lambda y: (
                y @ torch.tensor([[-1.0, 2.0], [0.0, -3.0]], dtype=torch.float64).T
                + torch.tensor([1.0, 3.0], dtype=torch.float64)
            ),
            torch.tensor([0.0, 0.0], dtype=torch.float64),
        ),
        "FitzHugh-Nagumo at I = 0.2": (
            lambda y: fhn_field(0.0, y),
            torch.tensor([-1.0, -0.5], dtype=torch.float64),
        ),
        "a cubic": (
            lambda y: y**3 - torch.tensor([8.0, -1.0], dtype=torch.float64),
            torch.tensor([1.5, -0.5], dtype=torch.float64),
        ),
    }
    for name, (f, y0) in cases.items():
        got = _call(find_fixed_point, "find_fixed_point", f, y0.clone())
        got = _tensor(got, f"find_fixed_point for {name}", like=y0)
        residual = float(f(got).abs().max())
        if residual > 1e-8:
            _fail(
                f"for {name} f is still {residual:.3g} at the returned point; iterate until it vanishes."
            )
    _passed("find_fixed_point finds the zeros of three fields.")


def check_period_from_crossings(period_from_crossings: Callable[..., float]) -> None:
    """Exercise 5.3: the mean spacing of upward zero crossings."""
    __tracebackhide__ = True
    t = torch.arange(4000, dtype=torch.float64) * 0.01
    for period, phase in ((2.0, 0.3), (7.5, 1.0), (3.3, 2.0)):
        v = torch.sin(2 * torch.pi * t / period + phase) + 0.2
        got = _number(
            _call(period_from_crossings, "period_from_crossings", t.clone(), v.clone()),
            f"the period of a sine with period {period}",
        )
        if abs(got - period / 2) < 0.02 * period:
            _fail("the result is half the period: count upward crossings only.")
        if abs(got - period) > 0.01 * period:
            _fail(
                f"for a signal of period {period} period_from_crossings returned {got:.4g}."
            )
    _passed("period_from_crossings recovers three periods.")
