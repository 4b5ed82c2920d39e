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

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torchdiffeq import odeint

from nodebook import integrate
from nodebook.fused import fused_odeint
from nodebook.models import ConditionedField
from nodebook.repro import generator, seed_offset
from nodebook.repro import seed as seed_of
from nodebook.systems import FitzHughNagumo
from nodebook.training import TrainingRecord
from nodebook.windows import sample_windows

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
    is scipy's DOP853 (order 8) in double precision at rtol 1e-10, atol 1e-12, all
    trajectories as one system, returned in float32.
    """
    if n_traj < 2 or n_samples < 2:
        raise ValueError("need at least 2 trajectories of at least 2 samples")
    gen = generator(seed)
    half = n_traj // 2
    current = torch.cat(
        [torch.full((half,), CURRENTS[0]), torch.full((n_traj - half,), CURRENTS[1])]
    ).double()
    v0 = 4 * torch.rand(n_traj, generator=gen, dtype=torch.float64) - 2
    w0 = 2.5 * torch.rand(n_traj, generator=gen, dtype=torch.float64) - 1
    t = torch.arange(n_samples, dtype=torch.float64) * DT
    system = FitzHughNagumo(I=current)

    def rhs(_: float, y: np.ndarray) -> np.ndarray:
        state = torch.from_numpy(y).reshape(2, n_traj).T
        return system(torch.zeros(()), state).T.reshape(-1).numpy()

    sol = solve_ivp(
        rhs,
        (0.0, float(t[-1])),
        torch.cat([v0, w0]).numpy(),
        method="DOP853",
        t_eval=t.numpy(),
        rtol=1e-10,
        atol=1e-12,
    )
    if not sol.success:
        raise RuntimeError(f"the ground-truth solve failed: {sol.message}")
    y = torch.from_numpy(sol.y).reshape(2, n_traj, n_samples).permute(2, 1, 0)
    return FHNData(t.float(), y.float(), current.float())


def fhn_model(seed: int = 0, time_input: bool = False) -> ConditionedField:
    """The shared MLP ``(v, w, I) -> 2``: 17,282 parameters (17,410 with a time input).

    Chapter 4. The initial weights depend on ``seed`` alone (through :func:`nodebook.seed`,
    so ``$NODEBOOK_SEED`` shifts it); the global random generator is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed_of(seed))
        return ConditionedField(
            2, param_dim=1, hidden=128, n_hidden=2, time_input=time_input
        )


Kind = Literal["node", "rnn"]
Solver = Literal["fused", "autograd", "torchdiffeq"]
SOLVERS: tuple[Solver, ...] = ("fused", "autograd", "torchdiffeq")


def rollout(
    model: ConditionedField,
    kind: Kind,
    y0: torch.Tensor,
    current: torch.Tensor,
    n: int,
    t0: torch.Tensor | float = 0.0,
    solver: Solver = "fused",
) -> torch.Tensor:
    """``n`` sample steps from ``y0``: RK4 on the field (``"node"``) or residual updates
    ``y + g(y, I)`` (``"rnn"``). Shape ``(n + 1, *y0.shape)``. Chapter 4.

    The book's one special case of :func:`~nodebook.odeint`: the experiment's sample grid
    (``DT`` = 0.5 from ``t0``) and its two kinds of model, with a choice of backend.
    ``t0`` (a scalar or one time per row) matters only to a model with a time input.
    The residual RNN is forward Euler with unit steps on ``g`` (chapter 1), so both
    kinds run through one solver. ``solver`` picks how the rollout is differentiated,
    ``"fused"`` (the default, :func:`~nodebook.fused_odeint`, backward pass written by
    hand) and ``"autograd"`` (the same steps through :func:`~nodebook.odeint`,
    recorded by autograd) agree to round-off; ``"torchdiffeq"`` is its ``odeint``,
    whose ``rk4`` is the 3/8 rule, another fourth-order method, so for the Neural ODE
    its states differ by the methods' discretisation errors. Chapter 4 times all three.
    """
    if kind not in ("node", "rnn"):
        raise ValueError(f"kind must be 'node' or 'rnn', got {kind!r}")
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if kind == "rnn" and model.time_input:
        raise ValueError("the residual RNN of chapter 4 has no time input")
    steps = torch.arange(n + 1, dtype=y0.dtype)
    if kind == "node":
        start = torch.as_tensor(t0, dtype=y0.dtype).reshape(-1)
        t = start[None, :] + DT * steps[:, None]  # (n + 1, 1) or one column per row
        method = "rk4"
    else:
        t = steps[:, None]  # unit steps: y + 1 * g(y)
        method = "euler"
    p = current.reshape(-1, 1).to(y0.dtype)
    if solver == "fused":
        return fused_odeint(
            model, y0, t.squeeze(-1) if t.shape[1] == 1 else t, p=p, method=method
        )
    if t.shape[1] != 1:
        raise ValueError(f"solver {solver!r} takes one start time for all rows")
    field = model.at(p)
    if solver == "autograd":
        return integrate.odeint(field, y0, t[:, 0], method=method)
    return odeint(field, y0, t[:, 0], method=method)


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
    model: ConditionedField,
    kind: Kind,
    data: FHNData,
    recipe: Recipe,
    seed: int = 0,
    solver: Solver = "fused",
    stop_after: int | None = None,
) -> TrainingRecord:
    """Train in place with AdamW and gradient clipping at 1.0. Chapter 4.

    Returns the loss at every step and the seconds taken. ``solver`` only changes how
    the rollout is differentiated (see :func:`rollout`); chapter 4 times the three.
    ``stop_after`` ends the run early, on the recipe's own schedule: the first steps
    of a long run, which the tests compare with a stored one.
    """
    if recipe.window is not None and recipe.batch < 1:
        raise ValueError(f"a windowed recipe needs batch >= 1, got {recipe.batch}")
    if stop_after is not None and not 1 <= stop_after <= recipe.steps:
        raise ValueError(f"stop_after must be in [1, {recipe.steps}], got {stop_after}")
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    if recipe.schedule == "cosine":
        sched: torch.optim.lr_scheduler.LRScheduler = (
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, recipe.steps)
        )
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=recipe.lr, total_steps=recipe.steps
        )
    gen = generator(seed)
    n = data.y.shape[0] - 1
    record = TrainingRecord()
    start = time.perf_counter()
    for _ in range(recipe.steps if stop_after is None else stop_after):
        opt.zero_grad()
        if recipe.window is None:
            target, current, t0 = data.y, data.I, 0.0
        else:
            w = sample_windows(data.y, recipe.window, recipe.batch, gen)
            target, current = w.target, data.I[w.traj]
            # each window's true start time (seen only by a model with a time input)
            t0 = data.t[w.start] if model.time_input else 0.0
        steps = n if recipe.window is None else recipe.window
        pred = rollout(model, kind, target[0], current, steps, t0=t0, solver=solver)
        loss = ((pred - target) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        record.loss.append(float(loss.detach()))
    record.seconds = time.perf_counter() - start
    return record


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
    model: ConditionedField,
    kind: Kind,
    current: float,
    n: int = 25,
    weighted: bool = False,
) -> tuple[float, float]:
    """Mean cosine similarity and median magnitude ratio ``|learned| / |true|`` against
    the true field on :func:`field_grid`. Chapter 4.

    ``weighted=True`` weights each state's cosine by the true field's magnitude there,
    so that the slow regions near the nullclines, where the direction is hardest to
    learn and matters least for a trajectory, count for less than the fast jumps.
    """
    states = field_grid(n)
    true = FitzHughNagumo(I=current)(0.0, states)
    pred = learned_field(model, kind, states, current)
    cosines = torch.nn.functional.cosine_similarity(pred, true, dim=-1)
    if weighted:
        speed = true.norm(dim=-1)
        cosine = (speed * cosines).sum() / speed.sum()
    else:
        cosine = cosines.mean()
    ratio = (pred.norm(dim=-1) / true.norm(dim=-1)).median()
    return float(cosine), float(ratio)


CACHE_VERSION = 2
"""Bumped when training changes what a model is (2: the fused rollout)."""


def cache_path() -> Path:
    """Where trained models are cached: ``$NODEBOOK_CACHE`` or ``~/.cache/nodebook``.

    One file per seed offset (``$NODEBOOK_SEED``): a chapter run under another seed
    never reads models trained under this one.
    """
    root = os.environ.get("NODEBOOK_CACHE") or Path.home() / ".cache" / "nodebook"
    offset = seed_offset()
    return Path(root) / (
        "fhn_models.pt" if offset == 0 else f"fhn_models_seed{offset}.pt"
    )


def save_models(models: dict[str, ConditionedField]) -> Path:
    """Store trained weights for a later chapter. Chapter 4."""
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: m.state_dict() for k, m in models.items()}
    # written aside, then renamed: a chapter reading at the same moment sees the old
    # file or the new one, never half of one
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    torch.save({"models": state, "version": CACHE_VERSION}, partial)
    os.replace(partial, path)
    return path


def load_models(names: tuple[str, ...]) -> dict[str, ConditionedField]:
    """The cached models among ``names``; the others are simply absent. Chapter 5.

    A missing or damaged cache, or one written by another version of the training
    code, holds nothing: the chapter trains what it needs.
    """
    path = cache_path()
    if not path.exists():
        return {}
    try:
        saved = torch.load(path, weights_only=True)
        if saved.get("version") != CACHE_VERSION:
            return {}
        models = {}
        for name in names:
            if name in saved["models"]:
                model = fhn_model()
                model.load_state_dict(saved["models"][name])
                models[name] = model
        return models
    except (KeyError, RuntimeError, EOFError, OSError, pickle.UnpicklingError):
        return {}


def epoch_seconds(
    data: FHNData, epochs: int = 5, rounds: int = 3, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Seconds of one published-recipe epoch of the Neural ODE, per solver. Chapter 4.

    For each solver of :func:`rollout`: ``"forward"`` (rollout and loss) and
    ``"backward"`` (gradient, clipping and the AdamW step), each the best of ``rounds``
    rounds of ``epochs`` epochs; the solvers take turns within every round, so a
    change in the machine's load hits all of them alike. ``"floor"`` is the same
    arithmetic done in a few large calls (:func:`arithmetic_floor`).
    """
    models = {s: fhn_model(seed) for s in SOLVERS}
    opts = {s: torch.optim.AdamW(m.parameters(), lr=3e-3) for s, m in models.items()}
    best = {s: {"forward": float("inf"), "backward": float("inf")} for s in SOLVERS}
    n = data.y.shape[0] - 1
    for _ in range(rounds):
        for solver in SOLVERS:
            model, opt = models[solver], opts[solver]
            forward = backward = 0.0
            for _ in range(epochs):
                start = time.perf_counter()
                opt.zero_grad()
                pred = rollout(model, "node", data.y[0], data.I, n, solver=solver)
                loss = ((pred - data.y) ** 2).mean()
                middle = time.perf_counter()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                forward += middle - start
                backward += time.perf_counter() - middle
            best[solver]["forward"] = min(best[solver]["forward"], forward / epochs)
            best[solver]["backward"] = min(best[solver]["backward"], backward / epochs)
    floors = [arithmetic_floor(fhn_model(seed), data) for _ in range(rounds + 1)]
    best["floor"] = {  # the first call warms up; the best of the others
        "forward": min(f[0] for f in floors[1:]),
        "backward": min(f[1] for f in floors[1:]),
    }
    return best


def arithmetic_floor(model: ConditionedField, data: FHNData) -> tuple[float, float]:
    """Seconds of one epoch's arithmetic with no per-step overhead. Chapter 4.

    The Neural ODE's epoch evaluates the network four times per sample interval for
    every trajectory: ``4 * (len(t) - 1) * n_traj`` rows. Here those rows go through
    the network's matrix products and tanh in one call per layer (forward), and the
    backward pass's products (cotangents through each layer, then the weight
    gradients) in one call each, into buffers allocated and touched beforehand: what
    the epoch would cost if dispatch, memory allocation and the sequential dependence
    of the steps were free. Returns (forward, backward) seconds.
    """
    rows = 4 * (data.y.shape[0] - 1) * data.y.shape[1]
    layers = [m for m in model.net if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        hs = [torch.randn(rows, layers[0].in_features)]
        hs += [torch.zeros(rows, layer.out_features) for layer in layers]
        gs = [torch.zeros_like(h) for h in hs]
        grads = [torch.zeros_like(layer.weight) for layer in layers]
        slope = torch.zeros_like(hs[-1])
        tanh_grad = torch.zeros_like(hs[1])
        start = time.perf_counter()
        for k, layer in enumerate(layers):
            torch.addmm(layer.bias, hs[k], layer.weight.t(), out=hs[k + 1])
            if k < len(layers) - 1:
                hs[k + 1].tanh_()
        middle = time.perf_counter()
        gs[-1].copy_(slope)  # the slopes' cotangents
        for k in reversed(range(len(layers))):
            if k < len(layers) - 1:  # through tanh: times 1 - h^2
                torch.mul(hs[k + 1], hs[k + 1], out=tanh_grad)
                gs[k + 1].mul_(tanh_grad.neg_().add_(1.0))
            torch.mm(gs[k + 1].t(), hs[k], out=grads[k])
            torch.mm(gs[k + 1], layers[k].weight, out=gs[k])
        end = time.perf_counter()
    return middle - start, end - middle
