"""Training time of the FitzHugh-Nagumo Neural ODE: three ways to differentiate one RK4.

    .venv/bin/python tools/fhn_benchmark.py [epochs]     # default 600, one process

All three train the same model (seed 0) with the published recipe on the same data,
through ``fhn.train_fhn``; only the rollout's solver differs (``fhn.rollout``):

- ``fused``: ``nb.fused_odeint``, the forward pass without a graph and the backward pass
  written by hand (the discrete adjoint of RK4, chapter 4);
- ``autograd``: the same classical RK4 steps through ``nb.odeint``, recorded and
  differentiated by autograd;
- ``torchdiffeq``: its ``odeint(method="rk4")`` on the same grid (its 3/8-rule variant).

Prints the seconds of each, ``ratio`` (torchdiffeq over fused), and how far the fused
run is from the arithmetic floor: the same matrix products and tanh done in one call per
layer (``fhn.arithmetic_floor``) times the number of epochs. One torch thread.
"""

from __future__ import annotations

import sys

import torch

from nodebook import fhn


def main() -> None:
    torch.set_num_threads(1)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    recipe = fhn.Recipe("published", steps=epochs, lr=3e-3)
    data = fhn.fhn_data(seed=0)
    seconds = {}
    for solver in fhn.SOLVERS:
        record = fhn.train_fhn(fhn.fhn_model(0), "node", data, recipe, solver=solver)
        seconds[solver] = record.seconds
        print(
            f"{solver:<12} {record.seconds:6.1f} s   final loss {record.loss[-1]:.5f}"
        )
    floors = [fhn.arithmetic_floor(fhn.fhn_model(0), data) for _ in range(6)]
    # the first call warms up; the best forward and backward of the others
    floor = epochs * sum(min(f[k] for f in floors[1:]) for k in range(2))
    print(
        f"{epochs} epochs: ratio {seconds['torchdiffeq'] / seconds['fused']:.2f} "
        f"(torchdiffeq over fused), autograd over fused "
        f"{seconds['autograd'] / seconds['fused']:.2f}; arithmetic floor {floor:.1f} s, "
        f"fused at {seconds['fused'] / floor:.1f}x the floor"
    )


if __name__ == "__main__":
    main()
