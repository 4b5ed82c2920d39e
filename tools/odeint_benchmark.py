"""What the front door's checks cost a training step: ``nb.odeint`` against a bare loop.

    .venv/bin/python tools/odeint_benchmark.py [rounds]     # default 40, one process

One training step of a small Neural ODE, the kind chapters 5-7 train (an MLP field
2 -> 32 -> 2, a batch of 64 states, a window of five classical RK4 steps, mean squared
error, backward pass), four ways, taking turns round by round so a change in load hits
all of them alike:

- ``bare loop``: the classical RK4 steps written out, no checks (the old ``rk4_rollout``);
- ``nb.odeint``: the front door, which checks the grid, the field's output shape, and
  after every step that the state is finite;
- ``nb.odeint, no finite check``: the same with the per-step check replaced by a no-op,
  so the difference is what that check costs;
- ``torchdiffeq rk4``: its ``odeint(method="rk4")`` (Kutta's 3/8 rule), for scale.

Prints the minimum and median milliseconds per step of each, over ``rounds`` rounds of
30 steps, and the finite check's share of a step (issue 28 asks for under 5%). One torch
thread.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from collections.abc import Callable

import torch
from torchdiffeq import odeint as torchdiffeq_odeint

import nodebook as nb
from nodebook.integrate import front_door

STEPS_PER_ROUND = 30


def bare_rk4(f: nb.Field, y0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    ys, y = [y0], y0
    for t_a, t_b in itertools.pairwise(t):
        dt = float(t_b - t_a)
        k1 = f(t_a, y)
        k2 = f(t_a + dt / 2, y + dt / 2 * k1)
        k3 = f(t_a + dt / 2, y + dt / 2 * k2)
        k4 = f(t_a + dt, y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)


def without_finite_check(
    f: nb.Field, y0: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    check = front_door._require_finite_state
    front_door._require_finite_state = lambda *args: None  # the benchmark's one patch
    try:
        return nb.odeint(f, y0, t)
    finally:
        front_door._require_finite_state = check


def main() -> None:
    torch.set_num_threads(1)
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    torch.manual_seed(0)
    field = nb.VectorField(2, 32)
    y0 = torch.randn(64, 2)
    t = torch.linspace(0.0, 0.5, 6)
    target = torch.randn(6, 64, 2)
    solvers: dict[str, Callable[..., torch.Tensor]] = {
        "bare loop": bare_rk4,
        "nb.odeint": nb.odeint,
        "nb.odeint, no finite check": without_finite_check,
        "torchdiffeq rk4": lambda f, y, s: torchdiffeq_odeint(f, y, s, method="rk4"),
    }
    times: dict[str, list[float]] = {name: [] for name in solvers}
    for _ in range(rounds):
        for name, solve in solvers.items():
            start = time.perf_counter()
            for _ in range(STEPS_PER_ROUND):
                field.zero_grad()
                ((solve(field, y0, t) - target) ** 2).mean().backward()
            times[name].append(1000 * (time.perf_counter() - start) / STEPS_PER_ROUND)
    for name, ms in times.items():
        print(
            f"{name:<28} min {min(ms):6.3f} ms   median {statistics.median(ms):6.3f} ms"
        )
    share = 1 - min(times["nb.odeint, no finite check"]) / min(times["nb.odeint"])
    print(
        f"the finite check: {100 * share:.1f}% of a step (min over min); nb.odeint "
        f"over the bare loop {min(times['nb.odeint']) / min(times['bare loop']):.2f}"
    )


if __name__ == "__main__":
    main()
