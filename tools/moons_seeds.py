"""Train chapter 1's ResNet and Neural ODE on the two moons over many seeds; store results.

    .venv/bin/python tools/moons_seeds.py          # seeds 0-19, about five minutes

The set-up is that of chapter 1's cells ``c015`` and ``c016`` (keep the two in step): the
moons of ``nb.make_moons`` (256 training points, noise 0.15, seed 0; 1024 test points,
seed 1), a ResNet of 4 blocks of 16 tanh units and a Neural ODE whose field has 24 tanh
units and sees ``t`` (dopri5, rtol 1e-3, atol 1e-4, T = 1), each followed by
``nn.Linear(2, 2)``, both built after ``torch.manual_seed(seed)``, trained for 300
full-batch Adam steps at 1e-2 on the cross-entropy. Only the initial weights change with
the seed. For each seed: both test accuracies, the Neural ODE's evaluations per forward
pass at the end, and the first losses of both runs. Chapter 1 shows the spread;
``tests/test_training.py`` re-runs the first steps of seed 0 against the file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from torch import nn

import nodebook as nb

OUT = Path(__file__).resolve().parents[1] / "nodebook" / "data" / "moons_seeds.json"
STEPS = 300
HEAD = 10
"""Losses stored per run: the first ``HEAD`` steps, which the test re-runs."""


def models(seed: int) -> tuple[nn.Module, nn.Module]:
    """Chapter 1's ResNet and Neural ODE (with read-outs), initialised under ``seed``."""
    torch.manual_seed(seed)
    resnet = nn.Sequential(nb.ResNet(dim=2, hidden=16, n_blocks=4), nn.Linear(2, 2))
    ode = nb.NeuralODE(
        nb.VectorField(dim=2, hidden=24, time_input=True), T=1.0, rtol=1e-3, atol=1e-4
    )
    return resnet, nn.Sequential(ode, nn.Linear(2, 2))


def train(model: nn.Module, steps: int) -> list[float]:
    """Chapter 1's ``fit`` for ``steps`` steps; the losses."""
    X, y = nb.make_moons(256, noise=0.15, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss_fn() -> torch.Tensor:
        return nn.functional.cross_entropy(model(X), y)

    return nb.train(model, loss_fn, optimizer, n_steps=steps, label="seed run").loss


def run(seed: int, steps: int = STEPS) -> dict:
    torch.set_num_threads(1)
    X_test, y_test = nb.make_moons(1024, noise=0.15, seed=1)
    resnet, node = models(seed)
    entry: dict = {"seed": seed}
    for name, model in (("resnet", resnet), ("node", node)):
        losses = train(model, steps)
        with torch.no_grad():
            entry[f"{name}_accuracy"] = nb.accuracy(model(X_test), y_test)
        entry[f"{name}_loss_head"] = losses[:HEAD]
    entry["node_nfe"] = node[0].nfe
    return entry


def main() -> None:
    seeds = [int(s) for s in sys.argv[1:]] or list(range(20))
    results = []
    for seed in seeds:
        results.append(run(seed))
        print(json.dumps(results[-1]), file=sys.stderr)
    OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
