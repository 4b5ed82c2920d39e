"""Train chapter 7's stiff hybrid model with an explicit and an implicit solver, and store it.

    .venv/bin/python tools/stiff_training.py       # about six minutes, one thread

The data come from ``f(y) = A y + 0.5 sin(3 y')``, ``A = diag(-1, -k)`` and ``y'`` the
state with its components swapped, for the stiffness ratios ``k`` of ``RATIOS``: four
trajectories to ``T = 2``, eleven samples each, solved by dopri5 at rtol 1e-9. The model
keeps the known linear part and learns the rest, ``A y + g_theta(y)``, ``g_theta`` an MLP
of 16 tanh units. It is trained for ``STEPS`` Adam steps with nodebook's explicit
Bogacki-Shampine pair and with its adaptive backward Euler (the book's only adaptive
implicit method, hence of order 1 against 3), both at rtol 1e-3, from the same initial
weights. Stored per step: the solver's accepted steps in the forward pass, the seconds
of the whole training step, and the loss. Chapter 7 shows them;
``tests/test_stiff_training.py`` re-runs the first steps of one run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

import nodebook as nb

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "nodebook" / "data" / "stiff_training.json"
RATIOS = (10.0, 100.0, 1000.0)
METHODS = ("bosh3", "adaptive_backward_euler")
STEPS = 30


def problem(k: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``A``, the initial states, the sample times and the data for ratio ``k``."""
    A = torch.diag(torch.tensor([-1.0, -k], dtype=torch.float64))
    y0 = torch.tensor(
        [[1.0, 1.0], [-1.0, 0.5], [0.5, -1.0], [1.5, 0.0]], dtype=torch.float64
    )
    t = torch.linspace(0.0, 2.0, 11, dtype=torch.float64)

    def f_true(_: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y @ A.T + 0.5 * torch.sin(3 * y.flip(-1))

    data = nb.odeint(f_true, y0, t, method="dopri5", rtol=1e-9, atol=1e-11)
    return A, y0, t, data


def run(k: float, method: str, steps: int = STEPS) -> dict:
    """Train from the seed-0 network; the record of every step."""
    torch.set_num_threads(1)
    A, y0, t, data = problem(k)
    torch.manual_seed(nb.seed(0))
    g = nb.MLP(2, 16, 2).double()

    def f(_: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return y @ A.T + g(y)

    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    stats = nb.SolverStats()
    entry: dict = {"k": k, "method": method, "steps": [], "seconds": [], "loss": []}
    for _ in range(steps):
        start = time.perf_counter()
        opt.zero_grad()
        pred = nb.odeint(f, y0, t, method=method, rtol=1e-3, atol=1e-6, stats=stats)
        loss = ((pred - data) ** 2).mean()
        loss.backward()
        opt.step()
        entry["seconds"].append(time.perf_counter() - start)
        entry["steps"].append(stats.n_accepted)
        entry["loss"].append(float(loss.detach()))
    return entry


def main() -> None:
    # the timing table's machine-speed figure, stored with the times
    sys.path.insert(0, str(ROOT))
    from conftest import machine_speed_ms

    results = []
    for k in RATIOS:
        for method in METHODS:
            results.append(run(k, method))
            results[-1]["machine_speed_ms"] = machine_speed_ms()
            last = results[-1]
            print(k, method, last["steps"][-1], sum(last["seconds"]), last["loss"][-1])
    OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
