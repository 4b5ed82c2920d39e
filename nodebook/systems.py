"""Reference ODE systems with exact or high-accuracy solutions.

Introduced in chapter 2. Each system is a callable vector field ``f(t, y)`` in torch
(torchdiffeq's convention, last dimension = state), plus the same right-hand side and its
Jacobian in NumPy for scipy's reference solvers: scipy calls them thousands of times,
and a NumPy version measures the solver rather than torch's per-call overhead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import solve_ivp

from nodebook._validate import as_float_tensor, require_finite


@dataclass(frozen=True)
class LinearTest:
    """Dahlquist's test equation ``y' = lam y``, exact solution ``y0 exp(lam t)``."""

    lam: float

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.lam * y

    def exact(self, t: float, y0: torch.Tensor) -> torch.Tensor:
        return y0 * math.exp(self.lam * t)


@dataclass(frozen=True)
class Oscillator:
    """The harmonic oscillator ``x'' = -omega**2 x`` as ``y = (x, v)``; exact solution."""

    omega: float = 1.0

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.stack((y[..., 1], -(self.omega**2) * y[..., 0]), dim=-1)

    def exact(self, t: float, y0: torch.Tensor) -> torch.Tensor:
        c, s = math.cos(self.omega * t), math.sin(self.omega * t)
        x0, v0 = y0[..., 0], y0[..., 1]
        return torch.stack(
            (c * x0 + s * v0 / self.omega, -self.omega * s * x0 + c * v0), dim=-1
        )


@dataclass(frozen=True)
class LinearSpiral:
    """The spiral ``x' = a x - b y``, ``y' = b x + a y``; exact solution. Chapter 6.

    ``a`` is the growth (negative: decay) rate and ``b`` the angular velocity. Both may
    be tensors of shape ``(batch,)`` for a family of spirals, one per batch row.
    """

    a: float | torch.Tensor
    b: float | torch.Tensor

    def _ab(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.as_tensor(self.a, dtype=like.dtype)
        b = torch.as_tensor(self.b, dtype=like.dtype)
        return a, b

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        a, b = self._ab(y)
        x, v = y[..., 0], y[..., 1]
        return torch.stack((a * x - b * v, b * x + a * v), dim=-1)

    def exact(self, t: torch.Tensor, y0: torch.Tensor) -> torch.Tensor:
        """States at the times ``t`` (1-D), shape ``(len(t), *y0.shape)``."""
        a, b = self._ab(y0)
        t = torch.as_tensor(t, dtype=y0.dtype).reshape(-1, *([1] * (y0.dim() - 1)))
        grow, c, s = torch.exp(a * t), torch.cos(b * t), torch.sin(b * t)
        x0, v0 = y0[..., 0], y0[..., 1]
        return torch.stack((grow * (c * x0 - s * v0), grow * (s * x0 + c * v0)), dim=-1)


@dataclass(frozen=True)
class CubicSpiral:
    """torchdiffeq's demo system ``dy/dt = y**3 @ A``. Introduced in chapter 6.

    ``A = [[-0.1, 2.0], [-2.0, -0.1]]`` as in torchdiffeq's ``examples/ode_demo.py``.
    """

    A: tuple[tuple[float, float], tuple[float, float]] = ((-0.1, 2.0), (-2.0, -0.1))

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (y**3) @ torch.tensor(self.A, dtype=y.dtype)


@dataclass(frozen=True)
class FitzHughNagumo:
    """FitzHugh-Nagumo: ``v' = v - v**3/3 - w + I``, ``w' = eps (v + a - b w)``.

    Introduced in chapter 7 (noisy spiking); the course's source sets ``a = 0.7``,
    ``b = 0.8``, ``eps = 0.08``. ``I`` may be a tensor with one current per batch row.
    """

    I: float | torch.Tensor = 0.5  # noqa: E741 (the input current, as in the maths)
    a: float = 0.7
    b: float = 0.8
    eps: float = 0.08

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        v, w = y[..., 0], y[..., 1]
        current = torch.as_tensor(self.I, dtype=y.dtype)
        return torch.stack(
            (v - v**3 / 3 - w + current, self.eps * (v + self.a - self.b * w)), dim=-1
        )


def mackey_glass(
    T: float,
    dt: float = 0.1,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    n: float = 10.0,
    x0: float = 1.2,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The Mackey-Glass delay equation ``x' = beta x(t-tau) / (1 + x(t-tau)**n) - gamma x``.

    Introduced in chapter 7. Solved with Euler steps of ``dt`` from the constant
    history ``x = x0`` on ``[-tau, 0]``; ``tau`` must be a multiple of ``dt``. Returns
    the times and states on ``[0, T]`` (float64). With ``tau = 17`` the solution is
    chaotic.

    Raises:
        ValueError: for non-positive ``T`` or ``dt``, or ``tau`` not a multiple of ``dt``.
    """
    if T <= 0 or dt <= 0:
        raise ValueError(f"T and dt must be positive, got {T} and {dt}")
    lag = round(tau / dt)
    if abs(lag * dt - tau) > 1e-9 * max(1.0, tau):
        raise ValueError(f"tau = {tau} must be a multiple of dt = {dt}")
    steps = round(T / dt)
    x = torch.full((steps + lag + 1,), x0, dtype=torch.float64)
    for k in range(lag, steps + lag):
        delayed = x[k - lag]
        x[k + 1] = x[k] + dt * (beta * delayed / (1 + delayed**n) - gamma * x[k])
    return torch.arange(steps + 1, dtype=torch.float64) * dt, x[lag:]


@dataclass(frozen=True)
class VanDerPol:
    """Van der Pol's oscillator ``x'' = mu (1 - x**2) x' - x``; stiff for large ``mu``."""

    mu: float

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, v = y[..., 0], y[..., 1]
        return torch.stack((v, self.mu * (1 - x**2) * v - x), dim=-1)

    def rhs_numpy(self, t: float, y: np.ndarray) -> np.ndarray:
        x, v = y
        return np.array([v, self.mu * (1 - x * x) * v - x])

    def jac_numpy(self, t: float, y: np.ndarray) -> np.ndarray:
        x, v = y
        return np.array(
            [[0.0, 1.0], [-2 * self.mu * x * v - 1.0, self.mu * (1 - x * x)]]
        )


@dataclass(frozen=True)
class Robertson:
    """Robertson's chemical kinetics: three species, rates spanning nine decades."""

    k1: float = 0.04
    k2: float = 3e7
    k3: float = 1e4

    def __call__(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        y1, y2, y3 = y[..., 0], y[..., 1], y[..., 2]
        r1, r2, r3 = self.k1 * y1, self.k2 * y2**2, self.k3 * y2 * y3
        return torch.stack((-r1 + r3, r1 - r2 - r3, r2), dim=-1)

    def rhs_numpy(self, t: float, y: np.ndarray) -> np.ndarray:
        y1, y2, y3 = y
        r1, r2, r3 = self.k1 * y1, self.k2 * y2 * y2, self.k3 * y2 * y3
        return np.array([-r1 + r3, r1 - r2 - r3, r2])

    def jac_numpy(self, t: float, y: np.ndarray) -> np.ndarray:
        _, y2, y3 = y
        k1, k2, k3 = self.k1, self.k2, self.k3
        return np.array(
            [
                [-k1, k3 * y3, k3 * y2],
                [k1, -2 * k2 * y2 - k3 * y3, -k3 * y2],
                [0.0, 2 * k2 * y2, 0.0],
            ]
        )


@dataclass(frozen=True)
class FisherKPP:
    """Fisher-KPP ``u_t = D u_xx + u (1 - u)`` on ``n`` periodic grid points of ``[0, L)``.

    The diffusion part is linear and stiff (eigenvalues down to ``-4 D / dx**2``); the
    reaction part is nonlinear and mild. Both have exact flows, which makes the system
    the book's example of operator splitting.
    """

    n: int = 32
    D: float = 1.0
    L: float = 10.0

    @property
    def laplacian(self) -> torch.Tensor:
        """The periodic second-difference matrix divided by ``dx**2`` (float64)."""
        dx = self.L / self.n
        eye = torch.eye(self.n, dtype=torch.float64)
        return (torch.roll(eye, 1, 0) - 2 * eye + torch.roll(eye, -1, 0)) / dx**2

    def __call__(self, t: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return self.D * u @ self.laplacian.to(u.dtype).T + u * (1 - u)

    def diffusion_flow(self, u: torch.Tensor, dt: float) -> torch.Tensor:
        """The exact solution of ``u_t = D u_xx`` after time ``dt``: a matrix exponential."""
        step = torch.linalg.matrix_exp(dt * self.D * self.laplacian).to(u.dtype)
        return u @ step.T

    def reaction_flow(self, u: torch.Tensor, dt: float) -> torch.Tensor:
        """The exact solution of the logistic equation ``u_t = u (1 - u)`` after ``dt``."""
        return u / (u + (1 - u) * math.exp(-dt))

    def rhs_numpy(self, t: float, u: np.ndarray) -> np.ndarray:
        return self.D * (self.laplacian.numpy() @ u) + u * (1 - u)

    def jac_numpy(self, t: float, u: np.ndarray) -> np.ndarray:
        return self.D * self.laplacian.numpy() + np.diag(1 - 2 * u)


def reference_solution(
    system: VanDerPol | Robertson | FisherKPP,
    y0: torch.Tensor,
    t: torch.Tensor,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> torch.Tensor:
    """A high-accuracy solution at the times ``t`` from scipy's implicit ``Radau``.

    Introduced in chapter 2 as the ground truth for error measurements.

    Args:
        system: a system with ``rhs_numpy`` and ``jac_numpy``.
        y0: the initial state, 1-D.
        t: increasing times, 1-D, starting at the initial time.

    Returns:
        A float64 tensor of shape ``(len(t), len(y0))``.

    Raises:
        ValueError: for a non-finite or non 1-D ``y0``, or a failed solve.
    """
    y0 = as_float_tensor(y0, "y0")
    require_finite(y0, "y0")
    if y0.dim() != 1:
        raise ValueError(f"y0 must be 1-D, got shape {tuple(y0.shape)}")
    t_np = as_float_tensor(t, "t").detach().double().numpy()
    sol = solve_ivp(
        system.rhs_numpy,
        (float(t_np[0]), float(t_np[-1])),
        y0.detach().double().numpy(),
        method="Radau",
        t_eval=t_np,
        rtol=rtol,
        atol=atol,
        jac=system.jac_numpy,
    )
    if not sol.success:
        raise ValueError(f"the reference solve failed: {sol.message}")
    return torch.from_numpy(sol.y.T.copy())
