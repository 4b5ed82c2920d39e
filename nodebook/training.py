"""A small full-batch training loop with a live progress line and a record of the run."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from IPython import get_ipython
from IPython.display import Pretty, display
from torch import nn

from nodebook.models import NeuralODE


@dataclass
class TrainingRecord:
    """What a call to :func:`train` measured. Introduced in chapter 1.

    ``loss[i]`` is the loss at step ``i``; ``nfe[i]`` the forward function evaluations of
    the model's Neural ODE blocks at that step (empty for models without any).
    """

    loss: list[float] = field(default_factory=list)
    nfe: list[int] = field(default_factory=list)
    seconds: float = 0.0


def _in_live_kernel() -> bool:
    """True inside a Jupyter kernel (a live session or a notebook being executed)."""
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class _ProgressLine:
    """One line of text that rewrites itself in a notebook and ends as a summary.

    Plain text with a display id, not a widget: the built page keeps only the final
    summary line, with no widget state and nothing that needs JavaScript.
    """

    def __init__(self, label: str, n_steps: int) -> None:
        self.label = label
        self.n_steps = n_steps
        self.handle = None
        self.last = 0.0
        if _in_live_kernel():
            self.handle = display(Pretty(f"{label}: starting"), display_id=True)

    def update(self, step: int, loss: float) -> None:
        now = time.perf_counter()
        # Redraw at most twice a second.
        if self.handle is None or now - self.last < 0.5:
            return
        self.last = now
        bar = "#" * int(20 * step / self.n_steps)
        text = f"{self.label}: [{bar:.<20}] step {step}/{self.n_steps}, loss {loss:.4g}"
        self.handle.update(Pretty(text))

    def close(self, record: TrainingRecord) -> None:
        if self.handle is not None:
            summary = (
                f"{self.label}: {len(record.loss)} steps in {record.seconds:.1f} s, "
                f"final loss {record.loss[-1]:.4g}"
            )
            self.handle.update(Pretty(summary))


def train(
    model: nn.Module,
    loss_fn: Callable[[], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    n_steps: int,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    clip: float | None = None,
    label: str = "training",
) -> TrainingRecord:
    """Minimise ``loss_fn()`` for ``n_steps`` optimizer steps. Introduced in chapter 1.

    ``loss_fn`` takes no arguments and returns a scalar tensor computed with ``model``
    (a closure over the data). In a notebook a progress line updates in place and ends as
    a one-line summary; elsewhere nothing is printed.

    Raises:
        ValueError: if ``n_steps`` is not positive.
        FloatingPointError: if the loss becomes NaN or infinite, naming the step.
    """
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1, got {n_steps}")
    odes = [m for m in model.modules() if isinstance(m, NeuralODE)]
    record = TrainingRecord()
    progress = _ProgressLine(label, n_steps)
    start = time.perf_counter()
    model.train()
    for step in range(n_steps):
        optimizer.zero_grad()
        loss = loss_fn()
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"{label}: the loss became {value} at step {step}")
        record.loss.append(value)
        if odes:
            record.nfe.append(sum(ode.nfe for ode in odes))
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        progress.update(step + 1, value)
    record.seconds = time.perf_counter() - start
    model.eval()
    progress.close(record)
    return record
