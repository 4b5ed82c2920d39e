"""Training time of the FitzHugh-Nagumo Neural ODE: our batched RK4 vs torchdiffeq.

    .venv/bin/python tools/fhn_benchmark.py [epochs]     # default 600, one process

Both train the same model with the published recipe on the same data; the only
difference is the solver call: nodebook's ``rk4_rollout`` over the sample grid, or
torchdiffeq's ``odeint(method="rk4")`` on the same grid (its 3/8-rule variant, one step
per sample). Prints the seconds of each and the ratio.
"""

from __future__ import annotations

import sys
import time

import torch
from torchdiffeq import odeint

from nodebook import fhn


def train_with_torchdiffeq(epochs: int) -> float:
    data = fhn.fhn_data(seed=0)
    model = fhn.fhn_model(0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    field = model.at(data.I.reshape(-1, 1))
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        pred = odeint(field, data.y[0], data.t, method="rk4")
        loss = ((pred - data.y) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    return time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    recipe = fhn.Recipe("published", steps=epochs, lr=3e-3)
    ours = fhn.train_fhn(fhn.fhn_model(0), "node", fhn.fhn_data(seed=0), recipe)
    theirs = train_with_torchdiffeq(epochs)
    print(
        f"{epochs} epochs: rk4_rollout {ours:.1f} s, torchdiffeq odeint(rk4) {theirs:.1f} s, "
        f"ratio {theirs / ours:.2f}"
    )


if __name__ == "__main__":
    main()
