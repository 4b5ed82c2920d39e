"""A fixed-step rollout of an MLP field with its backward pass written by hand.

Introduced in chapter 4, where training the FitzHugh-Nagumo Neural ODE is the book's
heaviest computation. The network there is small (two hidden layers of 128 units), so
autograd's cost is not arithmetic but bookkeeping: every addition, product and ``tanh``
of every stage of every step becomes a node of the graph, and the backward pass walks
them one by one. :func:`fused_odeint` computes the same states with the graph switched
off and differentiates them with the *discrete adjoint* of the Runge-Kutta method,
derived in chapter 4 (the discrete counterpart of chapter 3's continuous adjoint):

- forward, every stage ``Y_i = y + dt * sum_j a_ij k_j``, ``k_i = f(t + c_i dt, Y_i)``
  keeps only what its backward needs: the stage input and each hidden activation;
- backward, step by step in reverse, the stage cotangents start at
  ``kbar_i = dt * b_i * ybar`` and each stage, latest first, pulls its
  vector-Jacobian product ``Ybar_i = J_i^T kbar_i`` into ``ybar`` and into the earlier
  stages it was built from (``kbar_j += dt * a_ij * Ybar_i``);
- the weight gradients, sums over every stage of every step, are formed a few steps
  at a time, in one batched matrix product per layer for all the stages of those
  steps (instead of one call per stage), summed by torch's reduction.

The values and gradients equal autograd's through the same tableau (tested to 1e-12 in
float64); only the order of floating-point additions differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from nodebook._validate import as_float_tensor, require_finite, time_grid
from nodebook.integrate.registry import METHODS
from nodebook.integrate.tableaux import ButcherTableau
from nodebook.models import BoundField, ConditionedField

__all__ = ["SUPPORTED", "fused_odeint"]

# Buffers are allocated afresh for every rollout. An earlier version kept the stage
# buffers of a finished backward pass for the next rollout of the same shape; measured on
# 50 epochs of chapter 4's published recipe it saved nothing (the allocator already
# reuses freed blocks), and it could hand one buffer to two live graphs.


@dataclass(frozen=True)
class _Plan:
    """What the fused kernels need from a tableau and a network, checked once."""

    tableau: ButcherTableau
    used: tuple[int, ...]  # stages whose slope reaches the new state
    state_dim: int
    param_dim: int
    time_input: bool
    dropout: float  # applied after every hidden tanh, as nb.MLP does in training
    state_power: int = 1  # the network sees y**state_power

    @property
    def inputs(self) -> tuple[tuple[tuple[int, float], ...], ...]:
        """For each used stage (by slot), the earlier slots and ``a_ij`` it is built from."""
        slot = {i: n for n, i in enumerate(self.used)}
        return tuple(
            tuple((slot[j], a) for j, a in enumerate(self.tableau.a[i]) if a != 0.0)
            for i in self.used
        )

    @property
    def weights(self) -> tuple[float, ...]:
        """``b_i`` of each used stage, by slot."""
        return tuple(self.tableau.b[i] for i in self.used)

    @property
    def nodes(self) -> tuple[float, ...]:
        """``c_i`` of each used stage, by slot."""
        return tuple(self.tableau.c[i] for i in self.used)


def _stages_used(tableau: ButcherTableau) -> tuple[int, ...]:
    """Stages that influence the step: weight non-zero, or feeding a later used stage.

    A first-same-as-last pair such as dopri5 evaluates its last stage only for the next
    error estimate; with fixed steps nothing reads it, so it is skipped.
    """
    s = tableau.stages
    used = [tableau.b[i] != 0.0 for i in range(s)]
    for i in reversed(range(s)):
        for j, a_ij in enumerate(tableau.a[i]):
            if used[i] and a_ij != 0.0:
                used[j] = True
    return tuple(i for i in range(s) if used[i])


SUPPORTED = (
    "nb.ConditionedField's own tanh MLP: Linear, Tanh (, Dropout), ..., Linear, with "
    "biases, equal hidden widths, one dropout rate after every Tanh or none, and no "
    "hooks; use nb.odeint(field.at(p), y0, t, method=...) for any other field"
)


def _fixed_tableau(method: object) -> ButcherTableau:
    """The tableau of an explicit method taken at fixed steps, or a clear error."""
    if isinstance(method, ButcherTableau):
        return method
    fixed = sorted(
        n for n, m in METHODS.items() if m.kind == "explicit" and not m.adaptive
    )
    spec = METHODS.get(method) if isinstance(method, str) else None
    if spec is None:
        raise ValueError(
            f"unknown method {method!r} for fused_odeint; choose one of {fixed}, or "
            "pass a ButcherTableau"
        )
    if spec.kind != "explicit" or spec.adaptive:
        raise ValueError(
            f"fused_odeint takes fixed explicit steps, and {method!r} is "
            f"{'adaptive' if spec.adaptive else spec.kind}: choose one of {fixed}, or "
            "pass a ButcherTableau such as nb.DOPRI5 to take fixed steps with it"
        )
    assert isinstance(spec.scheme, ButcherTableau), "explicit methods have tableaux"
    return spec.scheme


def _unsupported(what: str) -> ValueError:
    return ValueError(
        f"fused_odeint cannot run this field exactly ({what}); it runs {SUPPORTED}"
    )


def _has_hooks(module: nn.Module) -> bool:
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks")
    names += ("_backward_pre_hooks",)
    return any(getattr(module, name, None) for name in names)


def _linear_layers(field: ConditionedField) -> tuple[list[nn.Linear], float]:
    """The Linear layers of the field's tanh MLP and its dropout rate when training.

    The kernel computes ``ConditionedField.forward`` of an ``nb.MLP`` without calling
    any module, so anything that would change what calling the field computes (an
    overridden ``forward``, another activation, a hook, a subclass of a layer) would be
    silently ignored: such a field is refused instead.
    """
    if type(field).forward is not ConditionedField.forward:
        raise _unsupported(f"{type(field).__name__} overrides forward")
    net = field.net
    if (
        not isinstance(net, nn.Sequential)
        or type(net).forward is not nn.Sequential.forward
    ):
        raise _unsupported(f"its net is a {type(net).__name__}, not an nn.Sequential")
    global_hooks = nn.modules.module
    if any(_has_hooks(m) for m in field.modules()) or any(
        getattr(global_hooks, name, None)
        for name in (
            "_global_forward_hooks",
            "_global_forward_pre_hooks",
            "_global_backward_hooks",
            "_global_backward_pre_hooks",
        )
    ):
        raise _unsupported("a hook is registered on it or on every module")
    modules = list(net)
    names = [type(m).__name__ for m in modules]
    layers: list[nn.Linear] = []
    rates: list[float] = []
    k = 0
    while k < len(modules):
        m = modules[k]
        if type(m) is not nn.Linear:
            raise _unsupported(
                f"layer {k} is a {names[k]} where a Linear belongs: {names}"
            )
        if m.bias is None:
            raise _unsupported(f"the Linear layer {k} has no bias")
        if layers and m.in_features != layers[-1].out_features:
            raise _unsupported(
                f"layer {k} takes {m.in_features} inputs, not {layers[-1].out_features}"
            )
        layers.append(m)
        k += 1
        if k == len(modules):
            break
        if type(modules[k]) is not nn.Tanh:
            raise _unsupported(
                f"layer {k} is a {names[k]} where a Tanh belongs: {names}"
            )
        k += 1
        if k < len(modules) and type(modules[k]) is nn.Dropout:
            rates.append(float(modules[k].p))
            k += 1
        else:
            rates.append(0.0)
    if type(modules[-1]) is not nn.Linear:
        raise _unsupported(
            f"it ends with a {names[-1]} where a Linear belongs: {names}"
        )
    n_hidden = len(layers) - 1
    if n_hidden < 1:
        raise _unsupported("it has no hidden layer")
    widths = {layer.out_features for layer in layers[:-1]}
    if len(widths) != 1:
        raise _unsupported(f"its hidden widths differ: {sorted(widths)}")
    if len(set(rates)) != 1:
        raise _unsupported(f"its dropout rates differ between layers: {rates}")
    expected_in = field.state_dim + field.param_dim + int(field.time_input)
    if (
        layers[0].in_features != expected_in
        or layers[-1].out_features != field.state_dim
    ):
        raise _unsupported(
            f"its net maps {layers[0].in_features} -> {layers[-1].out_features}, "
            f"the field needs {expected_in} -> {field.state_dim}"
        )
    return layers, (rates[0] if field.training else 0.0)


def fused_odeint(
    field: ConditionedField | BoundField,
    y0: torch.Tensor,
    t: torch.Tensor,
    *,
    p: torch.Tensor | None = None,
    method: str | ButcherTableau = "rk4",
) -> torch.Tensor:
    """Fixed-step solve of ``dy/dt = field(t, y, p)``, differentiated by hand.

    Introduced in chapter 4. Same result as
    ``nb.odeint(field.at(p), y0, t, method=method)``: one step of the explicit method
    between consecutive times, the states at ``t`` returned with shape
    ``(len(t), *y0.shape)``, but several times faster to train through because the backward pass is the discrete adjoint of the method,
    written out (see the module docstring).

    Args:
        field: a :class:`~nodebook.ConditionedField` (a tanh MLP on ``(y, p, t)``), or
            one bound to its parameters with ``field.at(p)``.
        y0: initial states, shape ``(batch, state_dim)`` or ``(state_dim,)``.
        t: the time grid, 1-D of length at least 2 and strictly monotone, or 2-D with
            one column per batch row (``(len, batch)``) when the rows start at different
            times; rows must then share their step sizes (only a time input sees the
            difference).
        p: the field's parameters, ``(batch, param_dim)`` or ``(param_dim,)``; given
            here or bound with ``field.at(p)``, not both.
        method: the name of a fixed-step explicit method in :data:`~nodebook.METHODS`
            (``"euler"``, ``"midpoint"``, ``"rk4"``, ``"rk38"``), or a
            :class:`~nodebook.ButcherTableau` to take fixed steps with (``nb.DOPRI5``),
            as :func:`~nodebook.odeint` takes it. Forward Euler with unit steps on
            ``g`` is the residual RNN ``y + g(y)`` of chapter 4.

    A field in training mode with dropout (chapter 6's report-style model) drops units
    at every evaluation, as calling it would, with masks from torch's global generator.

    Returns:
        The states at ``t``. Gradients flow to ``y0``, ``p`` and the field's weights;
        the time grid is treated as data (no gradient).

    Only what the kernel computes exactly is accepted: ``ConditionedField``'s own
    ``forward`` on an ``nb.MLP``-shaped net (see :data:`SUPPORTED`), in float32 or
    float64, with the time grid as data. The grid is converted to ``y0``'s dtype before
    it is checked, since that is the dtype the steps are taken in. A second derivative
    (``create_graph=True``) is refused: the backward pass is written by hand.

    Raises:
        ValueError: for an unknown method, a field the kernel cannot run exactly (an
            overridden ``forward``, another layer or activation, a hook, a Linear
            without bias, unequal hidden widths or dropout rates), a state or
            parameters of the wrong shape, a non-finite ``y0``, a time grid that is not
            strictly monotone in ``y0``'s dtype, or one that requires a gradient.
        TypeError: if ``y0`` or ``t`` is not a floating-point tensor, or ``y0`` is not
            float32 or float64.
    """
    if isinstance(field, BoundField):
        if p is not None:
            raise ValueError("p is bound to the field already; pass it once")
        inner, p = field.field, field.p
        if not isinstance(inner, ConditionedField):
            raise ValueError("fused_odeint needs a ConditionedField (a tanh MLP)")
        field = inner
    if not isinstance(field, ConditionedField):
        raise ValueError(
            f"fused_odeint needs a ConditionedField, got {type(field).__name__}; "
            "use nb.odeint for any other f(t, y)"
        )
    tableau = _fixed_tableau(method)
    layers, dropout = _linear_layers(field)
    y0 = as_float_tensor(y0, "y0")
    if y0.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"fused_odeint computes in float32 or float64; y0 is {y0.dtype}"
        )
    t = as_float_tensor(t, "t")
    if t.requires_grad:
        raise ValueError(
            "fused_odeint treats the time grid as data and gives it no gradient, but "
            "t requires one; use nb.odeint to differentiate with respect to t, "
            "or pass t.detach()"
        )
    if t.dim() not in (1, 2):
        raise ValueError(f"t must be 1-D, or (len, batch); got shape {tuple(t.shape)}")
    # the steps are taken in y0's dtype: the grid is checked as it will be stepped
    # (float64 times of 1e7 + 0.5 k are 1e7 and 1e7 + 1 in float32)
    t = t.to(y0.dtype)
    # the checks every integrator makes, on the (first) time grid
    y0, _ = time_grid(y0, t if t.dim() == 1 else t[:, 0])
    unbatched = y0.dim() == 1
    y = y0.unsqueeze(0) if unbatched else y0
    if y.dim() != 2 or y.shape[-1] != field.state_dim:
        raise ValueError(
            f"y0 must have shape (batch, {field.state_dim}) or ({field.state_dim},), "
            f"got {tuple(y0.shape)}"
        )
    batch = y.shape[0]
    times = _grid(t, batch)
    if field.param_dim:
        if p is None:
            raise ValueError(
                f"this field is conditioned on {field.param_dim} parameters: pass p"
            )
        p = as_float_tensor(p, "p").to(y.dtype)
        if p.shape not in ((field.param_dim,), (batch, field.param_dim)):
            raise ValueError(
                f"p must have shape ({field.param_dim},) or ({batch}, "
                f"{field.param_dim}), got {tuple(p.shape)}"
            )
    else:
        p = y.new_zeros(0)
    plan = _Plan(
        tableau,
        _stages_used(tableau),
        field.state_dim,
        field.param_dim,
        field.time_input,
        dropout,
        field.state_power,
    )
    weights = [w for layer in layers for w in (layer.weight, layer.bias)]
    if any(w.dtype != y.dtype for w in weights):
        raise TypeError(
            f"y0 is {y.dtype} but the field's weights are {weights[0].dtype}; "
            "convert one of them"
        )
    if torch.is_grad_enabled() and any(x.requires_grad for x in (y, p, *weights)):
        ys = _FusedRollout.apply(plan, times, y, p, *weights)
    else:  # nothing to differentiate: keep nothing for a backward pass
        ys, _ = _forward(plan, times, y, p, weights, save=False)
    return ys[:, 0] if unbatched else ys


def _grid(t: torch.Tensor, batch: int) -> torch.Tensor:
    """The grid as ``(len, batch)`` or ``(len, 1)``; a 2-D one checked for shared steps.

    ``time_grid`` has checked the first column (finite, monotone, at least 2 times).
    """
    if t.dim() == 1:
        return t.unsqueeze(-1)
    require_finite(t, "t")
    if t.shape[1] not in (1, batch):
        raise ValueError(f"a 2-D t must have one column per batch row ({batch})")
    steps = t[1:] - t[:-1]
    # equal up to the round-off of the times themselves (float32 windows starting late)
    slack = 16 * torch.finfo(t.dtype).eps * float(t.abs().max())
    if bool(((steps - steps[:, :1]).abs() > slack).any()):
        raise ValueError(
            "the rows of a 2-D t must share their step sizes; only their start "
            "times may differ"
        )
    return t


def _forward(
    plan: _Plan,
    times: torch.Tensor,
    y0: torch.Tensor,
    p: torch.Tensor,
    weights: list[torch.Tensor],
    save: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """All steps without a graph: the states, and what the backward pass reads.

    That is, when ``save``: each evaluation's state input ``Y`` (the network's: the
    stage state raised to ``state_power``), with a power its derivative ``dY`` with
    respect to the stage state, its time (only with a time input), each layer's
    activation ``H`` (after dropout, if any) and its derivative ``dH = 1 - tanh^2``
    (times the dropout mask).

    Small networks make this loop overhead-bound: every tensor operation costs a few
    microseconds of dispatch whatever its size, so each stage does only what it must
    (one fused multiply-add per layer, in-place tanh) and writes its activations
    straight into preallocated buffers that the backward pass reads as whole matrices.
    """
    used = plan.used
    d, q = plan.state_dim, plan.param_dim
    batch = y0.shape[0]
    w_first, b_first = weights[0], weights[1]
    width = w_first.shape[0]
    hidden_t = [
        (weights[i].t(), weights[i + 1].expand(batch, -1))
        for i in range(2, len(weights) - 2, 2)
    ]
    w_last_t, b_last = weights[-2].t(), weights[-1].expand(batch, -1)
    w_state_t = w_first[:, :d].t()
    w_time = w_first[:, d + q] if plan.time_input else None
    # The parameters' share of the first layer is the same at every stage: once.
    base = b_first + p @ w_first[:, d : d + q].t() if q else b_first
    base = base.expand(batch, -1)
    n_steps = times.shape[0] - 1
    n_eval = n_steps * len(used) if save else 1
    n_layers = len(hidden_t) + 1
    # one buffer per quantity; unbind gives every stage its slice in one call
    keep = 1.0 - plan.dropout
    H = y0.new_empty((n_layers, n_eval, batch, width))
    # tanh' = 1 - H^2 is recomputed in the backward pass from H, which it reads anyway
    # (writing it here would double the memory traffic); with dropout the mask is in it
    # too, so then it is stored
    store_dh = save and keep < 1.0
    dH = y0.new_empty((n_layers, n_eval, batch, width)) if store_dh else H.new_empty(0)
    Y = y0.new_empty((n_eval, batch, d))
    power = plan.state_power
    dY = y0.new_empty((n_eval, batch, d)) if save and power > 1 else Y.new_empty(0)
    dy_at = dY.unbind(0) if dY.numel() else ()
    h_at = [h.unbind(0) for h in H.unbind(0)]
    dh_at = [h.unbind(0) for h in dH.unbind(0)] if store_dh else []
    y_at = Y.unbind(0)
    T: list[torch.Tensor] = []
    inputs, b, c = plan.inputs, plan.weights, plan.nodes
    stages = range(len(used))
    steps = (times[1:, 0] - times[:-1, 0]).tolist()
    ys = [y0]
    y = y0
    e = 0
    for n, dt in enumerate(steps):
        k: list[torch.Tensor] = []
        for i in stages:
            # the stage input y + dt * sum_j a_ij k_j, the small increments summed before
            # they meet y (as nb.odeint does: in float32, adding them into y one by
            # one rounds each), written straight into its slot when it is kept
            terms = [(a_ij, k[j]) for j, a_ij in inputs[i]]
            if power == 1:
                y_i = _step(y, dt, terms, y_at[e] if save else None)
            else:  # the network's input y_i**power, and its derivative when kept
                y_s = _step(y, dt, terms, None)
                y_i = torch.pow(y_s, power, out=y_at[e]) if save else y_s**power
                if save:
                    torch.mul(y_s ** (power - 1), power, out=dy_at[e])
            z = base
            if w_time is not None:
                t_i = times[n] + c[i] * dt
                z = torch.addcmul(base, t_i.unsqueeze(-1), w_time)
                T.append(t_i)
            h = torch.addmm(z, y_i, w_state_t, out=h_at[0][e]).tanh_()
            if keep < 1.0:
                _drop(h, dh_at[0][e] if store_dh else None, keep)
            for layer, (w_t, b_l) in enumerate(hidden_t, start=1):
                h = torch.addmm(b_l, h, w_t, out=h_at[layer][e]).tanh_()
                if keep < 1.0:
                    _drop(h, dh_at[layer][e] if store_dh else None, keep)
            k.append(torch.addmm(b_last, h, w_last_t))
            e += save
        y = _step(
            y, dt, [(b_i, k_i) for b_i, k_i in zip(b, k, strict=True) if b_i], None
        )
        ys.append(y)
    times_seen = torch.stack(T) if T else y0.new_zeros(0)
    return torch.stack(ys), (Y, dY, times_seen, H, dH)


def _step(
    y: torch.Tensor,
    dt: float,
    terms: list[tuple[float, torch.Tensor]],
    out: torch.Tensor | None,
) -> torch.Tensor:
    """``y + dt * sum(w * k for w, k in terms)``, into ``out`` when given.

    One term is one fused add; several are summed first, so that each small increment
    is rounded once against the others instead of against ``y``.
    """
    if not terms:
        return y if out is None else out.copy_(y)
    if len(terms) == 1:
        (w, total), alpha = terms[0], dt * terms[0][0]
    else:
        total = terms[0][1] * terms[0][0]
        for w, k_j in terms[1:]:
            total.add_(k_j, alpha=w)
        alpha = dt
    if out is None:
        return torch.add(y, total, alpha=alpha)
    return torch.add(y, total, alpha=alpha, out=out)


def _drop(h: torch.Tensor, dh: torch.Tensor | None, keep: float) -> None:
    """Dropout in place: zero each unit with probability ``1 - keep``, scale the rest.

    ``dh`` receives ``tanh'`` times the same mask, so the backward pass (which
    multiplies by it) sends no gradient through a dropped unit.
    """
    if dh is not None:  # tanh' before the mask scales h
        torch.addcmul(h.new_ones(()), h, h, value=-1.0, out=dh)
    mask = torch.empty_like(h).bernoulli_(keep).div_(keep)
    h.mul_(mask)
    if dh is not None:
        dh.mul_(mask)


class _FusedRollout(torch.autograd.Function):
    """The rollout as one autograd node; see the module docstring for the backward."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        plan: _Plan,
        times: torch.Tensor,
        y0: torch.Tensor,
        p: torch.Tensor,
        *weights: torch.Tensor,
    ) -> torch.Tensor:
        ys, stored = _forward(plan, times, y0, p, list(weights), save=True)
        ctx.plan = plan
        # saved through autograd, so saved-tensor hooks (chapter 3) see them
        ctx.save_for_backward(times, p, *stored, *weights)
        return ys

    @staticmethod
    @once_differentiable  # a hand-written backward: a second derivative is refused
    def backward(ctx: Any, grad_ys: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        plan: _Plan = ctx.plan
        times, p, Y, dY, times_seen, H, dH, *weights = ctx.saved_tensors
        used = plan.used
        d, q = plan.state_dim, plan.param_dim
        w_first = weights[0]
        w_state = w_first[:, :d]
        # the matrices that carry a cotangent back into each hidden layer
        w_back = [weights[i] for i in range(2, len(weights), 2)]
        n_layers, _, batch, width = H.shape  # (layers, evaluations, batch, width)
        s = len(used)
        n_steps = times.shape[0] - 1
        # The weight gradients are sums over all stages of (cotangent of a layer's
        # output)^T (its input). They are added up a chunk of steps at a time: G holds
        # the chunk's cotangents of each layer's pre-activation and K those of each
        # stage's slope, in buffers reused from chunk to chunk. Each evaluation's
        # product is formed on its own (one batched product per layer) and the chunk's
        # products are then summed by torch's reduction: one long product over all the
        # chunk's rows instead, a single float32 dot product of chunk * stages * batch
        # terms, was measured 5x less accurate on chapter 4's model (issue 26).
        chunk = max(1, 16 // s)
        G = H.new_empty((n_layers, chunk * s, batch, width))
        K = Y.new_empty((chunk * s, batch, d))
        g_at = [x.unbind(0) for x in G.unbind(0)]
        k_at = K.unbind(0)
        dh_at = [x.unbind(0) for x in dH.unbind(0)] if dH.numel() else []
        h_at = [x.unbind(0) for x in H.unbind(0)]
        dy_at = dY.unbind(0) if dY.numel() else ()
        one = H.new_ones(())
        grad_w = [torch.zeros_like(w) for w in weights[0::2]]
        grad_b = [torch.zeros_like(b) for b in weights[1::2]]
        grad_w_state = grad_w[0][:, :d]
        g_rows = H.new_zeros((batch, width))  # first layer, per row: for p and its bias
        t_seen = times_seen.expand(-1, batch).unsqueeze(-1) if plan.time_input else None

        def add_chunk(lo: int, hi: int) -> None:
            evals, count = slice(lo * s, hi * s), (hi - lo) * s

            def summed(cotangent: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
                return torch.bmm(cotangent.transpose(1, 2), inputs).sum(0)

            k_c, g_c = K[:count], G[:, :count]
            grad_w[-1].add_(summed(k_c, H[-1, evals]))
            grad_b[-1].add_(k_c.sum((0, 1)))
            for layer in range(1, n_layers):
                grad_w[layer].add_(summed(g_c[layer], H[layer - 1, evals]))
                grad_b[layer].add_(g_c[layer].sum((0, 1)))
            grad_w_state.add_(summed(g_c[0], Y[evals]))
            g_rows.add_(g_c[0].sum(0))
            if t_seen is not None:
                grad_w[0][:, d + q :].add_(summed(g_c[0], t_seen[evals]))

        grad_at = grad_ys.unbind(0)
        inputs, b = plan.inputs, plan.weights
        steps = (times[1:, 0] - times[:-1, 0]).tolist()
        zero = grad_ys.new_zeros(())
        ybar = grad_at[n_steps]
        for n in reversed(range(n_steps)):
            dt = steps[n]
            lo = n - n % chunk  # the first step of this step's chunk
            # pending[i]: sum over later stages l of dt a_li Ybar_l
            pending: list[torch.Tensor | None] = [None] * s
            y_acc = ybar
            for i in reversed(range(s)):
                e, local = n * s + i, (n - lo) * s + i
                # kbar_i = dt b_i ybar + pending[i] (adds with alpha: one call each)
                k_e = k_at[local]
                torch.add(
                    zero if pending[i] is None else pending[i],
                    ybar,
                    alpha=dt * b[i],
                    out=k_e,
                )
                g = k_e
                for layer in reversed(range(n_layers)):
                    g = torch.mm(g, w_back[layer], out=g_at[layer][local])
                    if dh_at:
                        g = g.mul_(dh_at[layer][e])
                    else:  # times tanh' = 1 - h^2
                        h_e = h_at[layer][e]
                        g = g.mul_(torch.addcmul(one, h_e, h_e, value=-1.0))
                g = torch.mm(g, w_state)
                if dy_at:  # through the power: times d(y**power)/dy
                    g = g.mul_(dy_at[e])
                y_acc = y_acc + g
                for j, a in inputs[i]:
                    pending[j] = torch.add(
                        zero if pending[j] is None else pending[j], g, alpha=dt * a
                    )
            ybar = y_acc + grad_at[n]
            if n == lo:
                add_chunk(lo, min(lo + chunk, n_steps))
        grad_b[0] = g_rows.sum(0)
        p_grad = None
        if q:
            w_param = w_first[:, d : d + q]
            if p.dim() == 1:
                grad_w[0][:, d : d + q] = torch.outer(grad_b[0], p)
                p_grad = grad_b[0] @ w_param
            else:
                grad_w[0][:, d : d + q] = g_rows.t() @ p
                p_grad = g_rows @ w_param
        if not ctx.needs_input_grad[3]:
            p_grad = None
        grads = [g_ for pair in zip(grad_w, grad_b, strict=True) for g_ in pair]
        return (None, None, ybar, p_grad, *grads)
