"""Chapter 3's adjoint, checkpointing and memory probe against backpropagation."""

import pytest
import torch
from torch import nn
from torchdiffeq import odeint

import nodebook as nb

F64 = torch.float64
TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def field():
    torch.manual_seed(0)
    return nb.VectorField(2, 8, time_input=True).double()


def grads(f, run, y0, t):
    y = y0.clone().requires_grad_(True)
    loss = (run(f, y, t) ** 2).sum()
    return torch.cat(
        [g.reshape(-1) for g in torch.autograd.grad(loss, [y, *f.parameters()])]
    )


def relative(a, b):
    return float((a - b).norm() / b.norm())


Y0 = torch.tensor([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.4]], dtype=F64)
T_OBS = torch.tensor([0.0, 0.4, 1.0, 1.3], dtype=F64)


def backprop(f, y, t):
    return odeint(f, y, t, **TIGHT)


@pytest.mark.parametrize(
    "solve",
    [
        nb.torchdiffeq_solver("dopri5", **TIGHT),
        nb.torchdiffeq_solver("rk4", options={"step_size": 1e-3}),
        nb.fixed_step_solver("rk4", 100),
    ],
    ids=["dopri5", "torchdiffeq-rk4", "nodebook-rk4"],
)
def test_adjoint_matches_backprop_for_any_solver(solve):
    f = field()
    want = grads(f, backprop, Y0, T_OBS)
    got = grads(f, lambda f, y, t: nb.adjoint_odeint(f, y, t, solve), Y0, T_OBS)
    assert relative(got, want) < 1e-8


def test_adjoint_forward_values_equal_the_solve():
    f = field()
    with torch.no_grad():
        assert torch.equal(
            nb.adjoint_odeint(f, Y0, T_OBS, nb.fixed_step_solver("rk4", 5)),
            nb.fixed_step_solver("rk4", 5)(f, Y0, T_OBS),
        )


def test_adjoint_gradient_of_linear_ode_is_exact():
    # z' = theta z, L = z(T): dL/dtheta = T z0 exp(theta T), dL/dz0 = exp(theta T)
    class Linear(nn.Module):
        def __init__(self):
            super().__init__()
            self.theta = nn.Parameter(torch.tensor(-0.7, dtype=F64))

        def forward(self, t, z):
            return self.theta * z

    f, T = Linear(), 2.0
    z0 = torch.tensor([1.3], dtype=F64, requires_grad=True)
    zs = nb.adjoint_odeint(f, z0, torch.tensor([0.0, T], dtype=F64))
    zs[-1].sum().backward()
    e = torch.exp(torch.tensor(-0.7 * T, dtype=F64))
    assert float(f.theta.grad) == pytest.approx(float(T * 1.3 * e), rel=1e-7)
    assert float(z0.grad) == pytest.approx(float(e), rel=1e-7)


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpointed_matches_backprop(segments):
    f = field()
    solve = nb.torchdiffeq_solver("rk4", options={"step_size": 0.01})
    want = grads(f, lambda f, y, t: solve(f, y, t), Y0, T_OBS)
    got = grads(
        f, lambda f, y, t: nb.checkpointed_odeint(f, y, t, segments, solve), Y0, T_OBS
    )
    assert relative(got, want) < 1e-12


def test_checkpointing_keeps_less_memory():
    f = field()
    t = torch.linspace(0.0, 4.0, 41, dtype=F64)
    solve = nb.torchdiffeq_solver("rk4", options={"step_size": 0.01})
    y = Y0.clone().requires_grad_(True)
    with nb.saved_tensors() as full:
        solve(f, y, t)
    with nb.saved_tensors() as checkpointed:
        nb.checkpointed_odeint(f, y, t, 4, solve)
    with nb.saved_tensors() as adjoint:
        nb.adjoint_odeint(f, y, t, solve)
    assert checkpointed.bytes < full.bytes / 20
    assert adjoint.bytes < 1024  # final state and the time grid only


def test_saved_tensor_probe_counts_each_storage_once():
    x = torch.randn(1000, dtype=F64, requires_grad=True)
    with nb.saved_tensors() as record:
        y = x * x  # saves x twice (as both operands): one storage
    assert record.bytes == 8000 and record.count == 1
    assert record.mb == pytest.approx(8000 / 2**20)
    del y


def test_adjoint_dynamics_vjp():
    A = torch.tensor([[0.0, 2.0], [-1.0, -0.5]], dtype=F64)

    class Lin(nn.Module):
        def __init__(self):
            super().__init__()
            self.A = nn.Parameter(A.clone())

        def forward(self, t, z):
            return z @ self.A.T

    z = torch.randn(3, 2, dtype=F64)
    a = torch.randn(3, 2, dtype=F64)
    dz, da, (dA,) = nb.adjoint_dynamics(Lin(), torch.tensor(0.0), z, a)
    assert torch.allclose(dz, z @ A.T)
    assert torch.allclose(da, -(a @ A))
    assert torch.allclose(dA, -(a.T @ z))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nb.adjoint_odeint(lambda t, y: y, Y0, T_OBS), TypeError, "nn.Module"),
        (
            lambda: nb.adjoint_odeint(field(), Y0, T_OBS.flip(0)),
            ValueError,
            "increasing",
        ),
        (
            lambda: nb.adjoint_odeint(field(), Y0 * torch.nan, T_OBS),
            ValueError,
            "non-finite",
        ),
        (lambda: nb.adjoint_odeint(field(), Y0.long(), T_OBS), TypeError, "floating"),
        (lambda: nb.checkpointed_odeint(field(), Y0, T_OBS, 0), ValueError, "segments"),
        (lambda: nb.checkpointed_odeint(field(), Y0, T_OBS, 9), ValueError, "segments"),
        (lambda: nb.fixed_step_solver("rk4", 0), ValueError, "steps_per_interval"),
    ],
)
def test_bad_input_gives_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_checkpointed_rejects_bad_times():
    with pytest.raises(ValueError, match="increasing"):
        nb.checkpointed_odeint(field(), Y0, T_OBS.flip(0), 1)


def test_adjoint_gives_the_gradient_with_respect_to_the_time_grid():
    # a field with a time input, and a loss on every state, the start included
    f = field()
    solve = nb.torchdiffeq_solver("dopri5", **TIGHT)

    def time_gradient(run):
        t = T_OBS.clone().requires_grad_(True)
        loss = (run(f, Y0, t) ** 2).sum()
        return torch.autograd.grad(loss, t)[0]

    want = time_gradient(backprop)
    got = time_gradient(lambda f, y, t: nb.adjoint_odeint(f, y, t, solve))
    assert want.abs().min() > 1e-3  # every time matters, the start included
    assert torch.allclose(got, want, rtol=1e-7, atol=1e-10), (got, want)
    # without a gradient on t the backward pass computes none
    y = Y0.clone().requires_grad_(True)
    (nb.adjoint_odeint(f, y, T_OBS, solve) ** 2).sum().backward()
    assert y.grad is not None
