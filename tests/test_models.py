"""Models: shapes, the ResNet-Euler identity, Neural ODE accuracy and evaluation counts."""

import math

import pytest
import torch
from torch import nn

import nodebook as nb


def test_mlp_shapes_and_parameters():
    mlp = nb.MLP(3, 128, 2, n_hidden=2)
    assert mlp(torch.zeros(7, 3)).shape == (7, 2)
    # the FitzHugh-Nagumo model of chapters 4-5: 3*128+128 + 128*128+128 + 128*2+2
    assert nb.count_parameters(mlp) == 17_282


def test_tied_resnet_is_forward_euler():
    torch.manual_seed(0)
    resnet = nb.ResNet(dim=2, hidden=8, n_blocks=16, T=2.0, tied=True).double()
    x = torch.randn(5, 2, dtype=torch.float64)
    block = resnet.blocks[0]
    t = torch.linspace(0.0, 2.0, 17, dtype=torch.float64)
    with torch.no_grad():
        euler = nb.odeint(lambda t, y: block(y), x, t, method="euler")
        assert torch.allclose(resnet.path(x), euler, atol=1e-14)


def test_untied_resnet_has_one_block_per_layer():
    assert len(nb.ResNet(2, 8, n_blocks=4).blocks) == 4
    assert len(nb.ResNet(2, 8, n_blocks=4, tied=True).blocks) == 1


def test_neural_ode_solves_a_linear_field_accurately():
    field = nb.VectorField(dim=2, hidden=4).double()
    # Make the network exactly linear in h: out = W2 (W1 h) with tanh replaced by identity.
    field.net[1] = nn.Identity()
    A = torch.tensor([[-0.5, 1.0], [-1.0, -0.5]], dtype=torch.float64)
    with torch.no_grad():
        field.net[0].weight.copy_(torch.cat([torch.eye(2), torch.zeros(2, 2)]).double())
        field.net[0].bias.zero_()
        field.net[2].weight.copy_(torch.cat([A, torch.zeros(2, 2)], dim=1))
        field.net[2].bias.zero_()
    ode = nb.NeuralODE(field, T=1.0, rtol=1e-10, atol=1e-12)
    x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    with torch.no_grad():
        got = ode(x)
    e, c, s = math.exp(-0.5), math.cos(1.0), math.sin(1.0)
    assert torch.allclose(
        got, torch.tensor([[e * c, -e * s]], dtype=torch.float64), atol=1e-8
    )
    assert ode.nfe > 10  # a tight tolerance costs evaluations, and they are counted


def test_neural_ode_counts_evaluations_per_call():
    ode = nb.NeuralODE(nb.VectorField(dim=2, hidden=8), method="euler", step_size=0.25)
    ode(torch.zeros(3, 2))
    assert ode.nfe == 4
    ode(torch.zeros(3, 2))
    assert ode.nfe == 4  # reset at every call, not accumulated


def test_time_input_changes_the_field():
    torch.manual_seed(0)
    field = nb.VectorField(dim=2, hidden=8, time_input=True)
    h = torch.zeros(3, 2)
    assert not torch.allclose(field(torch.tensor(0.0), h), field(torch.tensor(1.0), h))


@pytest.mark.parametrize(
    ("x", "error"),
    [(torch.zeros(3, 3), ValueError), (torch.zeros(3, 2, dtype=torch.long), TypeError)],
)
def test_bad_inputs(x, error):
    with pytest.raises(error):
        nb.NeuralODE(nb.VectorField(dim=2, hidden=4))(x)
    with pytest.raises(error):
        nb.ResNet(2, 4, 2)(x)


def test_nan_input_rejected():
    with pytest.raises(ValueError, match="non-finite"):
        nb.NeuralODE(nb.VectorField(dim=2, hidden=4))(torch.full((1, 2), float("nan")))


def test_invalid_construction():
    with pytest.raises(ValueError):
        nb.ResNet(2, 4, n_blocks=0)
    with pytest.raises(ValueError):
        nb.NeuralODE(nb.VectorField(2, 4), T=0.0)
    with pytest.raises(ValueError):
        nb.MLP(0, 4, 2)
