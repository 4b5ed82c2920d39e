"""Fast fixed-step rollouts and training windows for fitting trajectories.

Introduced in chapter 6 (chapters 4 and 5 use the windows too). Fitting a Neural ODE to
sampled trajectories needs one solve per training step; a plain RK4 loop over the sample
grid, written for the whole batch at once, avoids a general solver's bookkeeping (for the
book's MLP fields, :func:`~nodebook.fused_odeint` also writes the backward pass). Training
on short windows of the trajectories (as torchdiffeq's ``ode_demo`` does) keeps each
step cheap and the loss well conditioned.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from nodebook._validate import as_float_tensor, require_finite
from nodebook.solvers import Field


def rk4_rollout(
    f: Field,
    y0: torch.Tensor,
    dt: float,
    n_steps: int,
    t0: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """``n_steps`` classical RK4 steps of size ``dt`` from ``y0``: shape ``(n_steps + 1, *y0.shape)``.

    Introduced in chapter 6. ``t0`` may be a scalar or one start time per batch row
    (shape ``(batch, 1)``), so windows that start at different times share one rollout.

    Raises:
        ValueError: for ``n_steps < 1``, a non-positive or non-finite ``dt``, or a
            non-finite ``y0``.
    """
    y0 = as_float_tensor(y0, "y0")
    require_finite(y0, "y0")
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1, got {n_steps}")
    if not (dt > 0 and dt < float("inf")):
        raise ValueError(f"dt must be finite and positive, got {dt}")
    t = torch.as_tensor(t0, dtype=y0.dtype)
    ys = [y0]
    y = y0
    for _ in range(n_steps):
        k1 = f(t, y)
        k2 = f(t + dt / 2, y + dt / 2 * k1)
        k3 = f(t + dt / 2, y + dt / 2 * k2)
        k4 = f(t + dt, y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t + dt
        ys.append(y)
    return torch.stack(ys)


class Windows(NamedTuple):
    """A batch of windows cut from trajectories. Introduced in chapter 6.

    ``target`` has shape ``(window + 1, batch, dim)``; ``target[0]`` are the start
    states. ``traj`` and ``start`` index the trajectory and the first sample.
    """

    target: torch.Tensor
    traj: torch.Tensor
    start: torch.Tensor


def sample_windows(
    data: torch.Tensor, window: int, batch: int, generator: torch.Generator
) -> Windows:
    """Random windows of ``window + 1`` consecutive samples from ``data``.

    Introduced in chapter 6. ``data`` has shape ``(n_samples, n_traj, dim)``.

    Raises:
        ValueError: if the window does not fit in the trajectories.
    """
    n_samples, n_traj = data.shape[:2]
    if not 1 <= window < n_samples:
        raise ValueError(f"window must be in [1, {n_samples - 1}], got {window}")
    traj = torch.randint(0, n_traj, (batch,), generator=generator)
    start = torch.randint(0, n_samples - window, (batch,), generator=generator)
    index = start[None, :] + torch.arange(window + 1)[:, None]
    return Windows(data[index, traj[None, :]], traj, start)


def euler_maruyama(
    f: Field,
    sigma: torch.Tensor | float,
    y0: torch.Tensor,
    dt: float,
    n_steps: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """Sample paths of ``dy = f(t, y) dt + sigma dW``: shape ``(n_steps + 1, *y0.shape)``.

    Introduced in chapter 7. ``sigma`` scales independent Brownian increments per state
    component (a scalar, or one value per component); each step adds
    ``sigma * sqrt(dt) * N(0, 1)``. Strong order one half: enough to show the spread of
    a noisy system, not to resolve it precisely.
    """
    y0 = as_float_tensor(y0, "y0")
    require_finite(y0, "y0")
    if n_steps < 1 or not (math.isfinite(dt) and dt > 0):
        raise ValueError(
            f"need n_steps >= 1 and a finite dt > 0, got {n_steps} and {dt}"
        )
    sigma = torch.as_tensor(sigma, dtype=y0.dtype)
    ys, y = [y0], y0
    for k in range(n_steps):
        noise = torch.randn(y0.shape, generator=generator, dtype=y0.dtype)
        y = (
            y
            + dt * f(torch.tensor(k * dt, dtype=y0.dtype), y)
            + sigma * dt**0.5 * noise
        )
        ys.append(y)
    return torch.stack(ys)
