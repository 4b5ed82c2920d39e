"""Re-run torchdiffeq's ``examples/ode_demo.py`` recipe and record its test loss.

Chapter 6 shows this run beside its own recipe. The run takes about a minute and a half
on one CPU thread, too long for the chapter's budget, so its result is stored as package
data (``nodebook/data/ode_demo_rerun.json``, available in Colab too) and regenerated with

    .venv/bin/python tools/ode_demo_rerun.py

The recipe, as in the example's defaults: the cubic spiral ``dy/dt = y**3 @ A`` with
``A = [[-0.1, 2.0], [-2.0, -0.1]]`` from ``y0 = (2, 0)`` on 1000 samples of ``[0, 25]``;
the field ``Linear(2, 50) - tanh - Linear(50, 2)`` applied to ``y**3`` (weights normal
with std 0.1, zero biases); 2000 iterations of RMSprop (lr 1e-3) on 20 random windows of
10 samples, each solved with ``dopri5`` at torchdiffeq's default tolerances, mean absolute
error as the loss; every 20 iterations the mean absolute error of the whole trajectory.
The example seeds nothing in its released form; we seed torch and NumPy with 0.
``tests/test_ode_demo_rerun.py`` re-runs the first iterations and compares.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchdiffeq
from torch import nn
from torchdiffeq import odeint

OUT = Path(__file__).resolve().parents[1] / "nodebook" / "data" / "ode_demo_rerun.json"
TRUE_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
DATA_SIZE, BATCH_TIME, BATCH_SIZE, TEST_FREQ = 1000, 10, 20, 20


class CubicField(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 2))
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.1)
                nn.init.zeros_(m.bias)

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(y**3)


def run(n_iters: int = 2000, seed: int = 0) -> dict:
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y0 = torch.tensor([[2.0, 0.0]])
    t = torch.linspace(0.0, 25.0, DATA_SIZE)
    with torch.no_grad():
        true_y = odeint(lambda t, y: (y**3) @ TRUE_A, y0, t, method="dopri5")
    func = CubicField()
    optimizer = torch.optim.RMSprop(func.parameters(), lr=1e-3)
    iters, test_loss, seconds = [], [], []
    train_seconds = 0.0
    for itr in range(1, n_iters + 1):
        start = time.perf_counter()
        s = torch.from_numpy(
            rng.choice(DATA_SIZE - BATCH_TIME, BATCH_SIZE, replace=False)
        )
        batch_y = torch.stack([true_y[s + i] for i in range(BATCH_TIME)])
        optimizer.zero_grad()
        pred_y = odeint(func, true_y[s], t[:BATCH_TIME])
        loss = (pred_y - batch_y).abs().mean()
        loss.backward()
        optimizer.step()
        train_seconds += time.perf_counter() - start
        if itr % TEST_FREQ == 0:
            with torch.no_grad():
                full = odeint(func, y0, t)
            iters.append(itr)
            test_loss.append(float((full - true_y).abs().mean()))
            seconds.append(train_seconds)
    return {
        "recipe": "torchdiffeq examples/ode_demo.py defaults (see tools/ode_demo_rerun.py)",
        "seed": seed,
        "torch": torch.__version__,
        "torchdiffeq": torchdiffeq.__version__,
        "iterations": iters,
        "test_loss": test_loss,
        "train_seconds_at_test": seconds,
        "final_test_loss": test_loss[-1],
        "best_test_loss": min(test_loss),
        "train_seconds": train_seconds,
    }


def main() -> None:
    result = run()
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"wrote {OUT.name}: final test loss {result['final_test_loss']:.4f}, "
        f"training {result['train_seconds']:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
