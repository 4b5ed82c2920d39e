"""What a solve did, and how it can fail: the records and errors of :func:`nodebook.odeint`.

Introduced in chapter 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


class StepLimitError(RuntimeError):
    """An adaptive solve needed more steps than allowed, or its step size underflowed.

    Introduced in chapter 2: on a stiff problem an explicit method keeps shrinking its
    step for stability, not accuracy, and meets this limit.
    """


class NonFiniteError(FloatingPointError):
    """The solution or the field became NaN or infinite. Introduced in chapter 2."""


@dataclass
class SolverStats:
    """What one :func:`odeint` call did. Introduced in chapter 2.

    Pass a fresh one as ``stats=``; :func:`odeint` resets it and fills it in.

    Attributes:
        method: the method's name.
        nfe: evaluations of ``f`` (for implicit methods, including the one inside each
            Jacobian; for splitting, calls of the two flows).
        jacobians: Jacobian evaluations (Newton iterations; zero for explicit methods).
        t: the times of the accepted steps, from ``t[0]`` to ``t[-1]`` (forced stops at
            the output times included).
        rejected_t: start times of the rejected attempts.
        rejected_dt: the step sizes that were rejected (negative backward in time).
        error_norms: the scaled error norm of every attempt, in order (adaptive methods;
            an attempt is accepted when its norm is at most 1).
    """

    method: str = ""
    nfe: int = 0
    jacobians: int = 0
    t: list[float] = field(default_factory=list)
    rejected_t: list[float] = field(default_factory=list)
    rejected_dt: list[float] = field(default_factory=list)
    error_norms: list[float] = field(default_factory=list)

    @property
    def n_accepted(self) -> int:
        """Accepted steps."""
        return max(len(self.t) - 1, 0)

    @property
    def n_rejected(self) -> int:
        """Rejected attempts."""
        return len(self.rejected_t)

    @property
    def dt(self) -> torch.Tensor:
        """Accepted step sizes, shape ``(n_accepted,)`` (float64)."""
        t = torch.tensor(self.t, dtype=torch.float64)
        return t[1:] - t[:-1]

    def reset(self, method: str) -> None:
        """Forget everything recorded; :func:`~nodebook.odeint` calls it first."""
        self.__init__(method=method)  # type: ignore[misc]
