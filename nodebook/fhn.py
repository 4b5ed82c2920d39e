"""The FitzHugh-Nagumo experiment of chapters 4 and 5: data, models, recipes, metrics.

Set-up from the course's source (a blog series on Neural ODEs for biological dynamics):
40 trajectories of 80 samples at ``dt = 0.5``, half with input current ``I = 0.5``
(spiking) and half with ``I = 0.2`` (quiescent), random initial states; one MLP
``(v, w, I) -> 128 -> tanh -> 128 -> tanh -> 2`` with 17,282 parameters, used either as
the vector field of a Neural ODE (one RK4 step per sample) or as the increment of a
residual RNN. Trained models are cached so chapter 5 can reuse chapter 4's; each
chapter trains them itself when the cache is missing.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import torch
from torchdiffeq import odeint

from nodebook.models import ConditionedField
from nodebook.rollout import rk4_rollout, sample_windows
from nodebook.systems import FitzHughNagumo

DT = 0.5
CURRENTS = (0.5, 0.2)


class FHNData(NamedTuple):
    """Sampled trajectories: ``t`` (n,), ``y`` (n, n_traj, 2), currents ``I`` (n_traj,)."""

    t: torch.Tensor
    y: torch.Tensor
    I: torch.Tensor  # noqa: E741 (the input current, as in the maths)


def fhn_data(n_traj: int = 40, n_samples: int = 80, seed: int = 0) -> FHNData:
    """Trajectories from random initial states, half per current. Chapter 4.

    Initial states are uniform in ``v in [-2, 2]``, ``w in [-1, 1.5]``; the ground truth
    is dopri5 in double precision at rtol 1e-10, returned in float32.
    """
    if n_traj < 2 or n_samples < 2:
        raise ValueError("need at least 2 trajectories of at least 2 samples")
    gen = torch.Generator().manual_seed(seed)
    half = n_traj // 2
    current = torch.cat(
        [torch.full((half,), CURRENTS[0]), torch.full((n_traj - half,), CURRENTS[1])]
    ).double()
    v0 = 4 * torch.rand(n_traj, generator=gen, dtype=torch.float64) - 2
    w0 = 2.5 * torch.rand(n_traj, generator=gen, dtype=torch.float64) - 1
    t = torch.arange(n_samples, dtype=torch.float64) * DT
    with torch.no_grad():
        y = odeint(
            FitzHughNagumo(I=current),
            torch.stack([v0, w0], -1),
            t,
            rtol=1e-10,
            atol=1e-12,
        )
    return FHNData(t.float(), y.float(), current.float())


def fhn_model(seed: int = 0, time_input: bool = False) -> ConditionedField:
    """The shared MLP ``(v, w, I) -> 2``: 17,282 parameters (17,410 with a time input)."""
    torch.manual_seed(seed)
    return ConditionedField(
        2, param_dim=1, hidden=128, n_hidden=2, time_input=time_input
    )


Kind = Literal["node", "rnn"]


def rollout(
    model: ConditionedField,
    kind: Kind,
    y0: torch.Tensor,
    current: torch.Tensor,
    n: int,
    t0: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """``n`` sample steps from ``y0``: RK4 on the field (``"node"``) or residual updates
    ``y + g(y, I)`` (``"rnn"``). Shape ``(n + 1, *y0.shape)``. Chapter 4.

    ``t0`` (a scalar or one time per row) matters only to a model with a time input.
    """
    f = model.at(current.reshape(-1, 1))
    if kind == "node":
        return rk4_rollout(f, y0, DT, n, t0=t0)
    if kind != "rnn":
        raise ValueError(f"kind must be 'node' or 'rnn', got {kind!r}")
    ys, y = [y0], y0
    t = torch.as_tensor(t0, dtype=y0.dtype)
    for _ in range(n):
        y = y + f(t, y)
        ys.append(y)
        t = t + DT
    return torch.stack(ys)


@dataclass(frozen=True)
class Recipe:
    """A training recipe. Introduced in chapter 4.

    ``window = None`` trains on whole trajectories, one full batch per step (the
    published recipe); otherwise on ``batch`` random windows of ``window`` steps.
    """

    name: str
    steps: int
    lr: float
    window: int | None = None
    batch: int = 0
    schedule: Literal["cosine", "one-cycle"] = "cosine"


PUBLISHED = Recipe("published", steps=600, lr=3e-3)
"""AdamW 3e-3, cosine schedule, 600 full-trajectory epochs, clipping 1.0."""
FAST = Recipe("windows", steps=1500, lr=3e-3, window=8, batch=128, schedule="one-cycle")
"""Windows of 8 steps, 128 per step, one-cycle schedule: the book's faster recipe."""


def train_fhn(
    model: ConditionedField, kind: Kind, data: FHNData, recipe: Recipe, seed: int = 0
) -> float:
    """Train in place with AdamW and gradient clipping at 1.0; returns seconds."""
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    if recipe.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, recipe.steps)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=recipe.lr, total_steps=recipe.steps
        )
    gen = torch.Generator().manual_seed(seed)
    n = data.y.shape[0] - 1
    start = time.perf_counter()
    for _ in range(recipe.steps):
        opt.zero_grad()
        if recipe.window is None:
            target, current, t0 = data.y, data.I, 0.0
        else:
            w = sample_windows(data.y, recipe.window, recipe.batch, gen)
            target, current = w.target, data.I[w.traj]
            t0 = data.t[w.start].unsqueeze(-1)  # each window's true start time
        steps = n if recipe.window is None else recipe.window
        pred = rollout(model, kind, target[0], current, steps, t0=t0)
        loss = ((pred - target) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    return time.perf_counter() - start


def trajectory_mse(model: ConditionedField, kind: Kind, data: FHNData) -> float:
    """Mean squared error of rollouts from each trajectory's first state. Chapter 4."""
    with torch.no_grad():
        pred = rollout(model, kind, data.y[0], data.I, data.y.shape[0] - 1)
    return float(((pred - data.y) ** 2).mean())


def field_grid(n: int = 25) -> torch.Tensor:
    """``n * n`` states covering the initial-state box ``[-2, 2] x [-1, 1.5]``."""
    v, w = torch.meshgrid(
        torch.linspace(-2, 2, n), torch.linspace(-1, 1.5, n), indexing="ij"
    )
    return torch.stack([v.flatten(), w.flatten()], -1)


def learned_field(
    model: ConditionedField, kind: Kind, states: torch.Tensor, current: float
) -> torch.Tensor:
    """The model's vector field at ``states``: ``f`` for a Neural ODE, ``g / dt`` for
    the RNN (its increment per unit time, which needs the training ``dt``). Chapter 5."""
    with torch.no_grad():
        out = model(torch.zeros(()), states, torch.full((len(states), 1), current))
    return out / DT if kind == "rnn" else out


def field_agreement(
    model: ConditionedField, kind: Kind, current: float, n: int = 25
) -> tuple[float, float]:
    """Mean cosine similarity and median magnitude ratio ``|learned| / |true|`` against
    the true field on :func:`field_grid`. Chapter 4."""
    states = field_grid(n)
    true = FitzHughNagumo(I=current)(0.0, states)
    pred = learned_field(model, kind, states, current)
    cosine = torch.nn.functional.cosine_similarity(pred, true, dim=-1).mean()
    ratio = (pred.norm(dim=-1) / true.norm(dim=-1)).median()
    return float(cosine), float(ratio)


def cache_path() -> Path:
    """Where trained models are cached: ``$NODEBOOK_CACHE`` or ``~/.cache/nodebook``."""
    root = os.environ.get("NODEBOOK_CACHE") or Path.home() / ".cache" / "nodebook"
    return Path(root) / "fhn_models.pt"


def save_models(models: dict[str, ConditionedField], seconds: dict[str, float]) -> Path:
    """Store trained weights and training times for chapter 5. Chapter 4."""
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: m.state_dict() for k, m in models.items()}
    torch.save({"models": state, "seconds": seconds, "version": 1}, path)
    return path


def load_models(names: tuple[str, ...]) -> dict[str, ConditionedField] | None:
    """The cached models, or ``None`` when the cache is missing or incomplete. Chapter 5."""
    path = cache_path()
    if not path.exists():
        return None
    try:
        saved = torch.load(path, weights_only=True)
        models = {}
        for name in names:
            model = fhn_model()
            model.load_state_dict(saved["models"][name])
            models[name] = model
        return models
    except (KeyError, RuntimeError, EOFError, OSError, pickle.UnpicklingError):
        return None  # stale or damaged: the chapter retrains
