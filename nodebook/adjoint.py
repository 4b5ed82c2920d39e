"""The adjoint method, written out: gradients of an ODE solve without storing its graph.

Introduced in chapter 3. For ``dz/dt = f(t, z; theta)`` and a loss ``L`` on the states at
observation times ``t_0 < ... < t_N``, the adjoint ``a(t) = dL/dz(t)``, a row vector as in
the chapter (in code a batch of rows, the shape of ``z``), solves

    da/dt = -a df/dz,                    (backward from t_N, jumping by dL/dz(t_i) at t_i)
    dL/dtheta = -integral_{t_N}^{t_0} a df/dtheta dt = integral_{t_0}^{t_N} a df/dtheta dt.

:func:`adjoint_odeint` integrates forward without a graph and then integrates the augmented
state ``[z, a, dL/dtheta]`` backward, reconstructing ``z`` as it goes. Every solver that
takes ``solve(f, y0, t) -> ys`` works: torchdiffeq's ``odeint`` or nodebook's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torchdiffeq
from torch import nn
from torch.utils.checkpoint import checkpoint

from nodebook._validate import time_grid
from nodebook.integrate import METHODS, Field, odeint

Solve = Callable[[Field, torch.Tensor, torch.Tensor], torch.Tensor]
"""A solver ``solve(f, y0, t)`` returning the states at the times ``t``, shape ``(len(t), *y0.shape)``."""


def torchdiffeq_solver(method: str = "dopri5", **kwargs: object) -> Solve:
    """A :data:`Solve` that calls torchdiffeq's ``odeint`` with fixed options. Chapter 3."""

    def solve(f: Field, y0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torchdiffeq.odeint(f, y0, t, method=method, **kwargs)

    return solve


def fixed_step_solver(method: str = "rk4", steps_per_interval: int = 10) -> Solve:
    """A :data:`Solve` with nodebook's fixed-step methods, ``steps_per_interval`` equal
    steps between consecutive output times (forward or backward). Chapter 3.

    The gradient functions of chapter 3 (:func:`adjoint_odeint`,
    :func:`checkpointed_odeint`) take any ``solve(f, y0, t)`` as a strategy: this one,
    :func:`torchdiffeq_solver`, or ``functools.partial(nb.odeint, method=...)``.
    """
    fixed = [n for n, m in METHODS.items() if not m.adaptive and m.kind != "splitting"]
    if method not in fixed:
        raise ValueError(f"method must be a fixed-step method {fixed}, got {method!r}")
    if steps_per_interval < 1:
        raise ValueError(f"steps_per_interval must be >= 1, got {steps_per_interval}")

    def solve(f: Field, y0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ys = [y0]
        for t_a, t_b in itertools.pairwise(t):
            grid = torch.linspace(0.0, 1.0, steps_per_interval + 1, dtype=t.dtype)
            ys.append(odeint(f, ys[-1], t_a + (t_b - t_a) * grid, method=method)[-1])
        return torch.stack(ys)

    return solve


def adjoint_dynamics(
    f: nn.Module, t: torch.Tensor, z: torch.Tensor, a: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...]]:
    """``f(t, z)``, ``-a df/dz`` and ``-a df/dtheta`` with one vector-Jacobian product.

    Introduced in chapter 3: the right-hand side of the augmented backward system. The
    products come from one reverse-mode pass through ``f``, so the cost is about that of
    one backward pass of the network, whatever the size of ``theta``.
    """
    params = tuple(p for p in f.parameters() if p.requires_grad)
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        dz = f(t, z)
        grads = torch.autograd.grad(dz, (z, *params), -a, allow_unused=True)
    da = grads[0]
    dtheta = tuple(
        torch.zeros_like(p) if g is None else g
        for p, g in zip(params, grads[1:], strict=True)
    )
    return dz.detach(), da, dtheta


class _Adjoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, f, solve, y0, t, *params):  # type: ignore[override]
        with torch.no_grad():
            ys = solve(f, y0, t)
        ctx.f, ctx.solve = f, solve
        # only the final state, copied: a view of ys would keep all of ys alive
        ctx.save_for_backward(t, ys[-1].clone())
        return ys

    @staticmethod
    def backward(ctx, grad_ys):  # type: ignore[override]
        f, solve = ctx.f, ctx.solve
        t, y_end = ctx.saved_tensors
        params = tuple(p for p in f.parameters() if p.requires_grad)
        shape, n = y_end.shape, y_end.numel()
        sizes = [p.numel() for p in params]

        def augmented(s: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
            z = state[:n].reshape(shape)
            a = state[n : 2 * n].reshape(shape)
            dz, da, dtheta = adjoint_dynamics(f, s, z, a)
            return torch.cat(
                [dz.reshape(-1), da.reshape(-1)] + [g.reshape(-1) for g in dtheta]
            )

        # dL/dt_i: moving an observation time t_i (i >= 1) moves only where its own
        # term looks, dL/dt_i = dl_i/dz(t_i) . f(t_i, z(t_i)); moving the start t_0 with
        # z(t_0) = y0 held shifts the whole trajectory, dL/dt_0 = -a(t_0+) . f(t_0, y0),
        # with a(t_0+) the adjoint that arrives from the later observations
        grad_t = torch.zeros_like(t) if ctx.needs_input_grad[3] else None

        def slope_dot(
            s: torch.Tensor, z: torch.Tensor, w: torch.Tensor
        ) -> torch.Tensor:
            with torch.no_grad():
                return (w * f(s, z)).sum()

        z = y_end
        a = grad_ys[-1]
        g = torch.zeros(sum(sizes), dtype=y_end.dtype, device=y_end.device)
        for i in range(t.numel() - 1, 0, -1):
            if grad_t is not None:
                grad_t[i] = slope_dot(t[i], z, grad_ys[i])
            state = torch.cat([z.reshape(-1), a.reshape(-1), g])
            state = solve(augmented, state, torch.stack([t[i], t[i - 1]]))[-1]
            z = state[:n].reshape(shape)
            a = state[n : 2 * n].reshape(shape)
            if i == 1 and grad_t is not None:
                grad_t[0] = -slope_dot(t[0], z, a)
            # the loss's direct dependence on z(t_{i-1}) makes a jump in the adjoint
            a = a + grad_ys[i - 1]
            g = state[2 * n :]
        grads_params = [
            chunk.reshape(p.shape)
            for chunk, p in zip(g.split(sizes), params, strict=True)
        ]
        return (None, None, a, grad_t, *grads_params)


def adjoint_odeint(
    f: nn.Module,
    y0: torch.Tensor,
    t: torch.Tensor,
    solve: Solve | None = None,
) -> torch.Tensor:
    """Solve ``dz/dt = f(t, z)`` at the times ``t``; gradients come from the adjoint method.

    Introduced in chapter 3. The forward pass stores no graph, only the final state; the
    backward pass integrates ``[z, a, dL/dtheta]`` from ``t[-1]`` back to ``t[0]`` with
    the same ``solve``, adding ``dL/dz(t_i)`` to ``a`` at every observation time. When
    ``t`` requires a gradient it gets one too (chapter 3 derives it): one more
    evaluation of ``f`` per observation time.

    Args:
        f: the field, an ``nn.Module`` called as ``f(t, z)``; its parameters receive
            gradients.
        y0: the initial state, any shape.
        t: increasing 1-D times of at least two entries.
        solve: the solver for both directions; torchdiffeq's ``dopri5`` at rtol 1e-7,
            atol 1e-9 if omitted.

    Returns:
        The states at ``t``, shape ``(len(t), *y0.shape)``.

    Raises:
        TypeError: if ``f`` is not an ``nn.Module`` or the inputs are not float tensors.
        ValueError: for a non-finite ``y0`` or times that are not strictly increasing.
    """
    if not isinstance(f, nn.Module):
        raise TypeError(
            f"f must be an nn.Module (its parameters get the gradients), got {type(f).__name__}"
        )
    y0, t = _check_inputs(y0, t)
    solve = solve or torchdiffeq_solver("dopri5", rtol=1e-7, atol=1e-9)
    params = [p for p in f.parameters() if p.requires_grad]
    return _Adjoint.apply(f, solve, y0, t, *params)


def checkpointed_odeint(
    f: Field,
    y0: torch.Tensor,
    t: torch.Tensor,
    segments: int,
    solve: Solve | None = None,
) -> torch.Tensor:
    """Solve at the times ``t``, storing only ``segments + 1`` states for the backward pass.

    Introduced in chapter 3 as the fix for an unstable adjoint. The observation times are
    split into ``segments`` consecutive groups; each group's solve is wrapped in
    :func:`torch.utils.checkpoint.checkpoint`, so its graph is thrown away after the forward
    pass and recomputed from the stored start state during the backward pass. Gradients are
    exactly those of backpropagation through the segmented solve (identical to plain
    backpropagation for fixed steps; an adaptive solver restarts at each checkpoint, so its
    steps differ slightly). Memory is that of one segment plus the stored states, and the
    price is a second forward solve.

    Raises:
        TypeError, ValueError: for the inputs :func:`adjoint_odeint` rejects, or a number
            of segments outside ``1 .. len(t) - 1``.
    """
    y0, t = _check_inputs(y0, t)
    if segments < 1 or segments > t.numel() - 1:
        raise ValueError(
            f"segments must be between 1 and len(t) - 1 = {t.numel() - 1}, got {segments}"
        )
    solve = solve or torchdiffeq_solver("dopri5", rtol=1e-7, atol=1e-9)
    bounds = torch.linspace(0, t.numel() - 1, segments + 1).round().long().tolist()
    ys = [y0.unsqueeze(0)]
    y = y0
    for start, stop in itertools.pairwise(bounds):
        t_seg = t[start : stop + 1]

        def run(y_start: torch.Tensor, t_seg: torch.Tensor = t_seg) -> torch.Tensor:
            return solve(f, y_start, t_seg)

        part = checkpoint(run, y, use_reentrant=False)
        ys.append(part[1:])
        y = part[-1]
    return torch.cat(ys)


def _check_inputs(y0: object, t: object) -> tuple[torch.Tensor, torch.Tensor]:
    return time_grid(y0, t, increasing_only=True)


@dataclass
class SavedTensors:
    """What :func:`saved_tensors` recorded: bytes the autograd graph saved. Chapter 3."""

    bytes: int = 0
    count: int = 0
    _seen: set[int] = field(default_factory=set, repr=False)

    @property
    def mb(self) -> float:
        return self.bytes / 2**20


@contextmanager
def saved_tensors() -> Iterator[SavedTensors]:
    """Count the memory autograd saves for the backward pass while the block runs.

    Introduced in chapter 3 as the book's memory probe. Every tensor the graph keeps for
    its backward pass goes through the saved-tensor pack hook; storages are counted once,
    so a tensor saved by two operations is not counted twice. This measures the graph's
    memory exactly and deterministically, unlike the process's resident memory, which
    the allocator and other objects blur.
    """
    record = SavedTensors()

    def pack(x: torch.Tensor) -> torch.Tensor:
        storage = x.untyped_storage()
        key = storage.data_ptr()
        if key not in record._seen:
            record._seen.add(key)
            record.bytes += storage.nbytes()
            record.count += 1
        return x

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        yield record
