"""Train the FitzHugh-Nagumo models of chapter 4 over several seeds and store the results.

    .venv/bin/python tools/fhn_seeds.py            # seeds 0-4, about ten minutes

For each seed: the data set of that seed, the Neural ODE and the residual RNN with the
published recipe and with the book's windowed recipe, and the Neural ODE with time as an
extra input (the ablation) under both recipes; for each model the trajectory MSE, the MSE
from fresh initial states over the training length (80 samples) and over 4x longer
trajectories, the vector-field cosine (the plain mean over the grid and the mean weighted by
the true field's magnitude) and magnitude ratio per current, the training time (one thread)
and the first losses of the run.
Chapter 4 shows the spread; ``tests/test_fhn.py`` re-runs the first steps of seed 0 and
compares them with the stored losses. Run it on an otherwise idle machine: the stored
training times are shown in chapter 4.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from nodebook import fhn

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "nodebook" / "data" / "fhn_seeds.json"
RUNS = (
    ("node", fhn.PUBLISHED, False),
    ("rnn", fhn.PUBLISHED, False),
    ("node", fhn.FAST, False),
    ("rnn", fhn.FAST, False),
    ("node", fhn.FAST, True),  # the ablation: time as an input
    ("node", fhn.PUBLISHED, True),  # the same with the source's recipe
)
HEAD = 25
"""Losses stored per run: the first ``HEAD`` steps, which the test re-runs.

Few enough that round-off cannot have grown: the published recipe amplifies it after
about 27 steps (the fused and the autograd rollout, equal to round-off, give losses 1e-6
apart at step 25, 1e-5 at step 29 and 7e-3 at step 37), and another CPU's kernels round
differently too."""


def loss_head(
    seed: int, kind: str, recipe: fhn.Recipe, time_input: bool
) -> list[float]:
    """The first ``HEAD`` losses of one run, on the recipe's full schedule."""
    torch.set_num_threads(1)
    model = fhn.fhn_model(seed, time_input=time_input)
    data = fhn.fhn_data(seed=seed)
    return fhn.train_fhn(model, kind, data, recipe, seed, stop_after=HEAD).loss


def run(seed: int, kind: str, recipe: fhn.Recipe, time_input: bool = False) -> dict:
    torch.set_num_threads(1)
    data = fhn.fhn_data(seed=seed)
    long = fhn.fhn_data(n_samples=320, seed=1000 + seed)
    fresh = fhn.fhn_data(n_samples=data.y.shape[0], seed=1000 + seed)
    model = fhn.fhn_model(seed, time_input=time_input)
    record = fhn.train_fhn(model, kind, data, recipe, seed)
    entry = {
        "seed": seed,
        "model": kind,
        "recipe": recipe.name + (", time input" if time_input else ""),
        "seconds": record.seconds,
        "loss_head": record.loss[:HEAD],
        "mse": fhn.trajectory_mse(model, kind, data),
        "heldout_mse": fhn.trajectory_mse(model, kind, fresh),
        "extrapolation_mse": fhn.trajectory_mse(model, kind, long),
    }
    for current in fhn.CURRENTS:
        cosine, ratio = fhn.field_agreement(model, kind, current)
        entry[f"cosine_I{current}"] = cosine
        entry[f"ratio_I{current}"] = ratio
        entry[f"wcosine_I{current}"], _ = fhn.field_agreement(
            model, kind, current, weighted=True
        )
    return entry


def main() -> None:
    # the timing table's machine-speed figure, stored with the times
    sys.path.insert(0, str(ROOT))
    from conftest import machine_speed_ms

    seeds = [int(s) for s in sys.argv[1:]] or [0, 1, 2, 3, 4]
    results = []
    for seed in seeds:
        for kind, recipe, time_input in RUNS:
            results.append(run(seed, kind, recipe, time_input))
            results[-1]["machine_speed_ms"] = machine_speed_ms()
            print(json.dumps(results[-1]), file=sys.stderr)
    OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
