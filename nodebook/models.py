"""Networks used across the chapters: MLP vector fields, Neural ODEs and ResNets."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torchdiffeq import odeint

from nodebook._validate import as_float_tensor, require_finite


class MLP(nn.Sequential):
    """A tanh multilayer perceptron ``in_dim -> hidden -> ... -> out_dim``.

    Introduced in chapter 1. ``n_hidden`` counts hidden layers of width ``hidden``;
    ``dropout > 0`` adds dropout after every hidden activation (chapter 6 reproduces a
    model that uses it).
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        out_dim: int,
        n_hidden: int = 1,
        dropout: float = 0.0,
    ) -> None:
        if min(in_dim, hidden, out_dim, n_hidden) < 1:
            raise ValueError(
                "in_dim, hidden, out_dim and n_hidden must all be at least 1"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        layers: list[nn.Module] = []
        width = in_dim
        for _ in range(n_hidden):
            layers += [nn.Linear(width, hidden), nn.Tanh()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(hidden, out_dim))
        super().__init__(*layers)


class VectorField(nn.Module):
    """A learnable vector field ``f(t, h)`` that counts its evaluations.

    Introduced in chapter 1. With ``time_input=True`` the network sees ``t`` as an extra
    input (a non-autonomous field); otherwise ``f`` depends on the state alone.
    ``nfe`` counts calls since the last :meth:`reset_nfe`: the cost of a solve.
    """

    def __init__(
        self, dim: int, hidden: int, n_hidden: int = 1, time_input: bool = False
    ) -> None:
        super().__init__()
        self.dim = dim
        self.time_input = time_input
        self.net = MLP(dim + int(time_input), hidden, dim, n_hidden)
        self.nfe = 0

    def reset_nfe(self) -> None:
        """Set the evaluation counter back to zero."""
        self.nfe = 0

    def forward(self, t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        self.nfe += 1
        if self.time_input:
            t_col = torch.as_tensor(t, dtype=h.dtype, device=h.device).expand(
                *h.shape[:-1], 1
            )
            return self.net(torch.cat([h, t_col], dim=-1))
        return self.net(h)


class NeuralODE(nn.Module):
    """The map ``x -> h(T)`` where ``dh/dt = f(t, h)``, ``h(0) = x``, solved by torchdiffeq.

    Introduced in chapter 1. ``method`` is any torchdiffeq method (``"dopri5"`` adapts
    its step to ``rtol``/``atol``; ``"euler"`` or ``"rk4"`` use ``step_size``).
    After a call, :attr:`nfe` holds the forward function evaluations it took.
    """

    def __init__(
        self,
        field: VectorField,
        T: float = 1.0,
        method: str = "dopri5",
        rtol: float = 1e-3,
        atol: float = 1e-4,
        step_size: float | None = None,
    ) -> None:
        super().__init__()
        if T <= 0:
            raise ValueError(f"T must be positive, got {T}")
        self.field = field
        self.T = T
        self.method = method
        self.rtol = rtol
        self.atol = atol
        self.step_size = step_size

    @property
    def nfe(self) -> int:
        """Function evaluations of the most recent forward solve."""
        return self.field.nfe

    def trajectory(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """States at the times ``t`` (starting at 0): shape ``(len(t), *x.shape)``."""
        x = as_float_tensor(x, "x")
        if x.shape[-1] != self.field.dim:
            raise ValueError(
                f"x must end in dimension {self.field.dim}, got shape {tuple(x.shape)}"
            )
        require_finite(x, "x")
        options = {"step_size": self.step_size} if self.step_size is not None else None
        self.field.reset_nfe()
        t = t.to(x)
        return odeint(
            self.field,
            x,
            t,
            method=self.method,
            rtol=self.rtol,
            atol=self.atol,
            options=options,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.tensor([0.0, self.T])
        return self.trajectory(x, t)[-1]


class ResNet(nn.Module):
    """A residual network ``h_{k+1} = h_k + dt * f_k(h_k)`` with ``n_blocks`` blocks.

    Introduced in chapter 1. Each block has its own MLP (``tied=False``, the usual ResNet)
    or all blocks share one (``tied=True``): the weight-tied network is forward Euler
    with ``n_blocks`` steps of size ``dt = T / n_blocks`` on the field of that one MLP.
    """

    def __init__(
        self,
        dim: int,
        hidden: int,
        n_blocks: int,
        T: float | None = None,
        tied: bool = False,
    ) -> None:
        super().__init__()
        if n_blocks < 1:
            raise ValueError(f"n_blocks must be at least 1, got {n_blocks}")
        self.dim = dim
        self.n_blocks = n_blocks
        # The classic ResNet block h + f(h) is an Euler step of size 1, so T defaults to n_blocks.
        self.dt = 1.0 if T is None else T / n_blocks
        count = 1 if tied else n_blocks
        self.blocks = nn.ModuleList(MLP(dim, hidden, dim) for _ in range(count))

    def path(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states after 0, 1, ..., n_blocks blocks: shape ``(n_blocks + 1, *x.shape)``."""
        x = as_float_tensor(x, "x")
        if x.shape[-1] != self.dim:
            raise ValueError(
                f"x must end in dimension {self.dim}, got shape {tuple(x.shape)}"
            )
        hs = [x]
        for k in range(self.n_blocks):
            block = self.blocks[k % len(self.blocks)]
            hs.append(hs[-1] + self.dt * block(hs[-1]))
        return torch.stack(hs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.path(x)[-1]


class _Conditioned(nn.Module):
    """A field ``f(t, y, p)`` with parameters ``p`` that are inputs, never state."""

    def at(self, p: torch.Tensor) -> BoundField:
        """The field with ``p`` fixed: an ``f(t, y)`` for any solver. Chapter 6."""
        return BoundField(self, p)


class BoundField(nn.Module):
    """``f(t, y) = field(t, y, p)`` for a fixed ``p``. Introduced in chapter 6.

    The parameters ``p`` enter every evaluation as inputs; the solver never sees them,
    so they are not integrated, not counted by the error control and not carried by
    an adjoint. The trainable weights are those of ``field``.
    """

    def __init__(self, field: _Conditioned, p: torch.Tensor) -> None:
        super().__init__()
        self.field = field
        self.p = p

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.field(t, y, self.p)


class ConditionedField(_Conditioned):
    """An MLP field ``f(t, y; p)`` that sees the state, optional parameters and time.

    Introduced in chapter 6. ``param_dim = 0`` and ``time_input=True`` is a
    non-autonomous single-system model; ``param_dim > 0`` conditions the field on
    system parameters ``p`` (shape ``(batch, param_dim)`` or ``(param_dim,)``). ``t`` may
    be a scalar or one time per batch row (shape ``(batch, 1)``). ``state_power = 3``
    feeds the network ``y**3`` instead of ``y``, elementwise: the architecture of
    torchdiffeq's ``ode_demo``, whose cubic spiral chapter 6 fits.
    """

    def __init__(
        self,
        state_dim: int,
        param_dim: int = 0,
        hidden: int = 64,
        n_hidden: int = 2,
        time_input: bool = False,
        dropout: float = 0.0,
        state_power: int = 1,
    ) -> None:
        super().__init__()
        if isinstance(state_power, bool) or not isinstance(state_power, int):
            raise TypeError(
                f"state_power must be an int, got {type(state_power).__name__}"
            )
        if state_power < 1:
            raise ValueError(f"state_power must be at least 1, got {state_power}")
        self.state_dim, self.param_dim, self.time_input = (
            state_dim,
            param_dim,
            time_input,
        )
        self.state_power = state_power
        self.net = MLP(
            state_dim + param_dim + int(time_input),
            hidden,
            state_dim,
            n_hidden,
            dropout,
        )

    def forward(
        self, t: torch.Tensor | float, y: torch.Tensor, p: torch.Tensor | None = None
    ) -> torch.Tensor:
        parts = [y if self.state_power == 1 else y**self.state_power]
        if self.param_dim:
            if p is None:
                raise ValueError(
                    f"this field is conditioned on {self.param_dim} parameters: pass p"
                )
            parts.append(p.to(y).expand(*y.shape[:-1], self.param_dim))
        if self.time_input:
            t = torch.as_tensor(t, dtype=y.dtype, device=y.device)
            parts.append(
                t.reshape(-1, 1).expand(*y.shape[:-1], 1)
                if t.dim()
                else t.expand(*y.shape[:-1], 1)
            )
        return self.net(torch.cat(parts, dim=-1))


class LinearInState(_Conditioned):
    """A physics-informed field ``f(t, y; p) = A(p) y`` with ``A`` linear in ``p``.

    Introduced in chapter 6: the structure of a linear system is built in, and only the
    map from the parameters to the matrix is learned. It starts at ``A = 0``.
    """

    def __init__(self, state_dim: int, param_dim: int) -> None:
        super().__init__()
        self.state_dim = state_dim
        self.to_matrix = nn.Linear(param_dim, state_dim * state_dim)
        nn.init.zeros_(self.to_matrix.weight)
        nn.init.zeros_(self.to_matrix.bias)

    def matrix(self, p: torch.Tensor) -> torch.Tensor:
        """``A(p)``, shape ``(*p.shape[:-1], state_dim, state_dim)``."""
        return self.to_matrix(p).unflatten(-1, (self.state_dim, self.state_dim))

    def forward(
        self, t: torch.Tensor | float, y: torch.Tensor, p: torch.Tensor | None = None
    ) -> torch.Tensor:
        if p is None:
            raise ValueError("LinearInState needs the parameters p")
        return (self.matrix(p.to(y)) @ y.unsqueeze(-1)).squeeze(-1)


def count_parameters(
    model: nn.Module, which: Literal["trainable", "all"] = "trainable"
) -> int:
    """Number of (trainable) scalar parameters of ``model``. Introduced in chapter 1."""
    return sum(
        p.numel() for p in model.parameters() if which == "all" or p.requires_grad
    )
