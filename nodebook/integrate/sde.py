"""Sample paths of a stochastic differential equation by Euler-Maruyama.

Introduced in chapter 7, with the front door's convention: ``(f, ..., y0, t)`` in, the
states at every time of ``t`` out, ``options={"step_size": ...}`` for steps finer than
the grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from nodebook._validate import time_grid
from nodebook.integrate.steps import Field, substeps


def euler_maruyama(
    f: Field,
    sigma: torch.Tensor | float,
    y0: torch.Tensor,
    t: torch.Tensor,
    generator: torch.Generator,
    *,
    options: Mapping[str, float] | None = None,
) -> torch.Tensor:
    """Sample paths of ``dy = f(t, y) dt + sigma dW`` at the times ``t``.

    Introduced in chapter 7. Returns shape ``(len(t), *y0.shape)``, as
    :func:`~nodebook.odeint` does. ``sigma`` scales independent Brownian increments per
    state component (a scalar, or one value per component); each step of size ``dt``
    adds ``dt * f(t, y) + sigma * sqrt(dt) * N(0, 1)``. One step per interval of ``t``,
    or ``options={"step_size": h}`` to cut each interval into equal steps no longer than
    ``h`` (the noise is drawn per step, so the paths depend on the steps taken). Strong
    order one half: enough to show the spread of a noisy system, not to resolve it
    precisely.

    Raises:
        ValueError: for a grid that is not strictly increasing (time runs forward in an
            Ito equation), an option other than a finite positive ``step_size``, a
            non-finite ``y0``, or a field that returns another shape.
    """
    y0, t = time_grid(y0, t, increasing_only=True)
    opts = dict(options or {})
    if set(opts) - {"step_size"}:
        raise ValueError(
            f"euler_maruyama takes the option 'step_size' only, got {sorted(opts)}"
        )
    step_size = opts.get("step_size")
    if step_size is not None and not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be finite and positive, got {step_size!r}")
    sigma = torch.as_tensor(sigma, dtype=y0.dtype)
    times = t.tolist()
    ys, y = [y0], y0
    for i in range(len(times) - 1):
        n = substeps(times[i + 1] - times[i], step_size)
        dt = (times[i + 1] - times[i]) / n
        for j in range(n):
            t_j = torch.tensor(times[i] + j * dt, dtype=y0.dtype)
            dy = f(t_j, y)
            if not isinstance(dy, torch.Tensor) or dy.shape != y.shape:
                got = tuple(dy.shape) if isinstance(dy, torch.Tensor) else type(dy)
                raise ValueError(
                    f"f(t, y) must return dy/dt with the state's shape "
                    f"{tuple(y.shape)}, got {got}"
                )
            noise = torch.randn(y0.shape, generator=generator, dtype=y0.dtype)
            y = y + dt * dy + sigma * math.sqrt(dt) * noise
        ys.append(y)
    return torch.stack(ys)
