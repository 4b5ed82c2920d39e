"""Train the FitzHugh-Nagumo models of chapter 4 over several seeds and store the results.

    .venv/bin/python tools/fhn_seeds.py            # seeds 0-4, about eight minutes

For each seed: the data set of that seed, the Neural ODE and the residual RNN with the
published recipe, the Neural ODE with the book's windowed recipe, and the same with time as
an extra input (the ablation); for each model the
trajectory MSE, the MSE on 4x longer trajectories from fresh initial states, the
vector-field cosine and magnitude ratio per current, and the training time (one thread).
Chapter 4 shows the spread; ``tests/test_fhn.py`` re-runs one entry and compares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from nodebook import fhn

OUT = Path(__file__).resolve().parents[1] / "nodebook" / "data" / "fhn_seeds.json"
RUNS = (
    ("node", fhn.PUBLISHED, False),
    ("rnn", fhn.PUBLISHED, False),
    ("node", fhn.FAST, False),
    ("node", fhn.FAST, True),  # the ablation: time as an input
)


def run(seed: int, kind: str, recipe: fhn.Recipe, time_input: bool = False) -> dict:
    torch.set_num_threads(1)
    data = fhn.fhn_data(seed=seed)
    long = fhn.fhn_data(n_samples=320, seed=1000 + seed)
    model = fhn.fhn_model(seed, time_input=time_input)
    seconds = fhn.train_fhn(model, kind, data, recipe, seed)
    entry = {
        "seed": seed,
        "model": kind,
        "recipe": recipe.name + (", time input" if time_input else ""),
        "seconds": seconds,
        "mse": fhn.trajectory_mse(model, kind, data),
        "extrapolation_mse": fhn.trajectory_mse(model, kind, long),
    }
    for current in fhn.CURRENTS:
        cosine, ratio = fhn.field_agreement(model, kind, current)
        entry[f"cosine_I{current}"] = cosine
        entry[f"ratio_I{current}"] = ratio
    return entry


def main() -> None:
    seeds = [int(s) for s in sys.argv[1:]] or [0, 1, 2, 3, 4]
    results = []
    for seed in seeds:
        for kind, recipe, time_input in RUNS:
            results.append(run(seed, kind, recipe, time_input))
            print(json.dumps(results[-1]), file=sys.stderr)
    OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
