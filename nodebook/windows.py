"""Training windows cut from sampled trajectories.

Introduced in chapter 6 (chapters 4, 5 and 7 use them too). Fitting a Neural ODE to
sampled trajectories needs one solve per training step; training on short windows of
the trajectories (as torchdiffeq's ``ode_demo`` does), each integrated from its first
sample for the whole batch at once, keeps each step cheap and the loss well conditioned.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


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
