"""What a solve did, and how it can fail: the records and errors of :func:`nodebook.odeint`.

Introduced in chapter 2.
"""

from __future__ import annotations

import torch


class StepLimitError(RuntimeError):
    """An adaptive solve needed more steps than allowed, or its step size underflowed.

    Introduced in chapter 2: on a stiff problem an explicit method keeps shrinking its
    step for stability, not accuracy, and meets this limit.
    """


class NonFiniteError(FloatingPointError):
    """The solution or the field became NaN or infinite. Introduced in chapter 2."""


class SolverStats:
    """What one :func:`~nodebook.odeint` call did. Introduced in chapter 2.

    Pass one as ``stats=``; :func:`~nodebook.odeint` resets it and fills it in::

        stats = nb.SolverStats(keep_states=True)
        ys = nb.odeint(f, y0, t, method="bosh3", rtol=1e-5, stats=stats)
        stats.n_accepted, stats.n_rejected, stats.nfe, stats.dt, stats.y

    Attributes:
        method: the method's name.
        nfe: evaluations of ``f``, not counting the one inside each Jacobian (as scipy's
            ``nfev``); for splitting, calls of the two flows.
        jacobians: Jacobian evaluations (Newton iterations; zero for explicit methods).
        keep_states: whether :attr:`y` keeps the state of every accepted step.
    """

    def __init__(self, keep_states: bool = False) -> None:
        self.keep_states = keep_states
        self.reset("")

    def reset(self, method: str) -> None:
        """Forget everything recorded; :func:`~nodebook.odeint` calls it first."""
        self.method = method
        self.nfe = 0
        self.jacobians = 0
        self._t: list[float] = []
        self._y: list[torch.Tensor] = []
        self._rejected: list[tuple[float, float]] = []
        self._norms: list[float] = []

    def accept(self, t: float, y: torch.Tensor) -> None:
        """Record a step that ended at ``t`` in state ``y`` (the start counts as one)."""
        self._t.append(t)
        if self.keep_states:
            self._y.append(y.detach())

    def reject(self, t: float, dt: float) -> None:
        """Record an attempt from ``t`` with step ``dt`` that was rejected."""
        self._rejected.append((t, dt))

    def attempt(self, norm: float) -> None:
        """Record the scaled error norm of an adaptive attempt."""
        self._norms.append(norm)

    @property
    def t(self) -> torch.Tensor:
        """Times of the accepted steps, from ``t[0]`` to ``t[-1]``, forced stops at the
        output times included; shape ``(n_accepted + 1,)``, float64."""
        return torch.tensor(self._t, dtype=torch.float64)

    @property
    def y(self) -> torch.Tensor:
        """The states at :attr:`t`, shape ``(n_accepted + 1, *y0.shape)`` (detached)."""
        if not self.keep_states:
            raise ValueError("states were not kept: pass SolverStats(keep_states=True)")
        return torch.stack(self._y)

    @property
    def dt(self) -> torch.Tensor:
        """Accepted step sizes, shape ``(n_accepted,)`` (negative backward in time)."""
        t = self.t
        return t[1:] - t[:-1]

    @property
    def rejected_t(self) -> torch.Tensor:
        """Start times of the rejected attempts, shape ``(n_rejected,)``."""
        return torch.tensor([t for t, _ in self._rejected], dtype=torch.float64)

    @property
    def rejected_dt(self) -> torch.Tensor:
        """The step sizes that were rejected, shape ``(n_rejected,)``."""
        return torch.tensor([dt for _, dt in self._rejected], dtype=torch.float64)

    @property
    def error_norms(self) -> torch.Tensor:
        """The scaled error norm of every adaptive attempt, in order (accepted when at
        most 1)."""
        return torch.tensor(self._norms, dtype=torch.float64)

    @property
    def n_accepted(self) -> int:
        """Accepted steps."""
        return max(len(self._t) - 1, 0)

    @property
    def n_rejected(self) -> int:
        """Rejected attempts."""
        return len(self._rejected)

    def __repr__(self) -> str:
        return (
            f"SolverStats(method={self.method!r}, accepted={self.n_accepted}, "
            f"rejected={self.n_rejected}, nfe={self.nfe}, jacobians={self.jacobians})"
        )
