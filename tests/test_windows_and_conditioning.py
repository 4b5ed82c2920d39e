"""Chapter 6's windows, conditioned fields and spiral systems."""

import math

import pytest
import torch
from torchdiffeq import odeint

import nodebook as nb

F64 = torch.float64


def test_sample_windows_cut_consecutive_samples():
    data = torch.arange(50.0).reshape(10, 5, 1)  # value = 5 * sample + traj
    w = nb.sample_windows(data, 3, 7, torch.Generator().manual_seed(0))
    assert w.target.shape == (4, 7, 1)
    expected = 5 * (w.start[None, :] + torch.arange(4)[:, None]) + w.traj[None, :]
    assert torch.equal(w.target[..., 0], expected.float())
    with pytest.raises(ValueError, match="window"):
        nb.sample_windows(data, 10, 2, torch.Generator())


def test_conditioned_field_sees_its_parameters_and_time():
    torch.manual_seed(0)
    field = nb.ConditionedField(2, param_dim=2, hidden=8, time_input=True)
    y = torch.randn(3, 2)
    p = torch.randn(3, 2)
    out = field.at(p)(torch.tensor(0.5), y)
    assert out.shape == (3, 2)
    assert not torch.allclose(out, field.at(p + 1)(torch.tensor(0.5), y))
    assert not torch.allclose(out, field.at(p)(torch.tensor(1.5), y))
    per_row_t = field(torch.tensor([[0.5], [0.5], [0.5]]), y, p)
    assert torch.allclose(out, per_row_t)
    with pytest.raises(ValueError, match="pass p"):
        field(torch.tensor(0.0), y)


def test_bound_field_trains_the_underlying_weights():
    field = nb.ConditionedField(2, param_dim=1, hidden=4)
    bound = field.at(torch.ones(1))
    assert {id(q) for q in bound.parameters()} == {id(q) for q in field.parameters()}


def test_linear_in_state_starts_at_zero_and_is_linear():
    model = nb.LinearInState(2, 2)
    y = torch.randn(4, 2)
    p = torch.randn(4, 2)
    assert torch.equal(model(0.0, y, p), torch.zeros(4, 2))
    with torch.no_grad():
        model.to_matrix.weight.normal_()
    assert torch.allclose(model(0.0, 2 * y, p), 2 * model(0.0, y, p), atol=1e-6)
    assert model.matrix(p).shape == (4, 2, 2)


def test_dropout_mlp_and_bad_dropout():
    net = nb.MLP(2, 8, 2, n_hidden=2, dropout=0.1)
    assert sum(isinstance(m, torch.nn.Dropout) for m in net) == 2
    with pytest.raises(ValueError, match="dropout"):
        nb.MLP(2, 8, 2, dropout=1.0)


def test_linear_spiral_family_exact_solution():
    a = torch.tensor([-0.1, 0.2], dtype=F64)
    b = torch.tensor([1.0, 0.5], dtype=F64)
    family = nb.LinearSpiral(a, b)
    y0 = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=F64)
    t = torch.linspace(0.0, 4.0, 9, dtype=F64)
    numerical = odeint(family, y0, t, rtol=1e-11, atol=1e-12)
    assert torch.allclose(family.exact(t, y0), numerical, atol=1e-8)


def test_cubic_spiral_is_torchdiffeqs_demo_field():
    y = torch.tensor([[2.0, 0.0]])
    A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
    assert torch.allclose(nb.CubicSpiral()(0.0, y), torch.mm(y**3, A))


def test_euler_maruyama_without_noise_is_euler_and_with_noise_spreads():
    gen = torch.Generator().manual_seed(0)
    y0 = torch.ones(4000, 1, dtype=F64)
    t = torch.linspace(0.0, 1.0, 101, dtype=F64)
    paths = nb.euler_maruyama(lambda t, y: -y, 0.0, y0, t, gen)
    assert paths.shape == (101, 4000, 1), "the states at every time of t"
    assert torch.allclose(paths[-1], torch.full_like(y0, 0.99**100)), (
        "without noise, Euler-Maruyama is forward Euler"
    )
    zero = nb.euler_maruyama(lambda t, y: torch.zeros_like(y), 0.5, y0, t, gen)
    # Brownian motion: standard deviation sigma * sqrt(t) = 0.5 at t = 1
    assert float(zero[-1].std()) == pytest.approx(0.5, rel=0.05), "spread sigma sqrt(t)"
    assert float(zero[50].std()) == pytest.approx(0.5 * 0.5**0.5, rel=0.05), (
        "the spread at t = 0.5 is sigma sqrt(0.5)"
    )


def test_euler_maruyama_step_size_takes_the_fine_grid_steps():
    def f(t, y):
        return torch.sin(t) - y  # time-dependent, so the times of the steps matter

    y0 = torch.zeros(8, 2, dtype=F64)
    fine = torch.linspace(0.0, 2.0, 201, dtype=F64)
    coarse = fine[::20]
    want = nb.euler_maruyama(f, 0.3, y0, fine, torch.Generator().manual_seed(1))
    got = nb.euler_maruyama(
        f,
        0.3,
        y0,
        coarse,
        torch.Generator().manual_seed(1),
        options={"step_size": 0.01},
    )
    assert got.shape == (11, 8, 2), "states at the coarse times only"
    assert torch.allclose(got, want[::20], atol=1e-12), (
        "ten steps of 0.01 per interval are the fine grid's steps, with the same noise"
    )
    one_step = nb.euler_maruyama(f, 0.3, y0, coarse, torch.Generator().manual_seed(1))
    assert not torch.allclose(one_step, got), "one step per interval is another path"


@pytest.mark.parametrize(
    ("t", "options", "message"),
    [
        ([0.0, 1.0, 0.5], None, "strictly increasing"),
        ([1.0, 0.0], None, "strictly increasing"),
        ([0.0, 1.0], {"step_size": 0.0}, "step_size must be finite and positive"),
        ([0.0, 1.0], {"step_size": math.inf}, "step_size must be finite and positive"),
        ([0.0, 1.0], {"rtol": 1e-3}, "'step_size' only"),
    ],
)
def test_euler_maruyama_bad_input(t, options, message):
    with pytest.raises(ValueError, match=message):
        nb.euler_maruyama(
            lambda t, y: y,
            0.1,
            torch.ones(3, dtype=F64),
            torch.tensor(t, dtype=F64),
            torch.Generator(),
            options=options,
        )


def test_euler_maruyama_names_a_field_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(3,\), got \(1,\)"):
        nb.euler_maruyama(
            lambda t, y: y[:1],
            0.1,
            torch.ones(3, dtype=F64),
            torch.tensor([0.0, 1.0], dtype=F64),
            torch.Generator(),
        )


def test_fitzhugh_nagumo_field_and_per_row_current():
    y = torch.tensor([[0.0, 0.0], [1.0, -0.5]])
    f = nb.FitzHughNagumo(I=torch.tensor([0.5, 0.2]))(0.0, y)
    assert torch.allclose(f[0], torch.tensor([0.5, 0.08 * 0.7]))
    assert torch.allclose(
        f[1], torch.tensor([1 - 1 / 3 + 0.5 + 0.2, 0.08 * (1.7 + 0.4)])
    )


def test_mackey_glass_is_bounded_oscillation_and_validates():
    t, x = nb.mackey_glass(T=300.0)
    assert t.shape == x.shape and float(t[-1]) == pytest.approx(300.0)
    late = x[t > 100]
    assert 0.2 < float(late.min()) < 0.7 < 1.1 < float(late.max()) < 1.5
    with pytest.raises(ValueError, match="multiple"):
        nb.mackey_glass(T=10.0, dt=0.3)
