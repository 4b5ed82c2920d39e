"""Numerics of nodebook.solvers against exact solutions, parametrised over methods."""

import math

import pytest
import torch

import nodebook as nb
from nodebook.solvers import ButcherTableau

METHODS = sorted(nb.TABLEAUX)


def linear_problem():
    """y' = lam * y, y(0) = 1: exact solution exp(lam t)."""
    lam = -1.3

    def f(t, y):
        return lam * y

    return f, torch.ones(1, dtype=torch.float64), lambda t: math.exp(lam * t)


def rotation_problem():
    """A batch of states on the rotation y' = [[0, -1], [1, 0]] y."""
    A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
    y0 = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=torch.float64)

    def exact(t):
        c, s = math.cos(t), math.sin(t)
        R = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
        return y0 @ R.T

    return (lambda t, y: y @ A.T), y0, exact


def time_dependent_problem():
    """y' = cos(t): exact solution sin(t), which exercises the stage times c_i."""
    return (
        (lambda t, y: torch.cos(t) * torch.ones_like(y)),
        torch.zeros(1, dtype=torch.float64),
        math.sin,
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "problem", [linear_problem, rotation_problem, time_dependent_problem]
)
def test_measured_order_matches_tableau(method, problem):
    f, y0, exact = problem()
    T = 1.5
    ns = [16, 32, 64, 128]
    errors = []
    for n in ns:
        t = torch.linspace(0.0, T, n + 1, dtype=torch.float64)
        y_T = nb.odeint_fixed(f, y0, t, method=method)[-1]
        errors.append(
            float((y_T - torch.as_tensor(exact(T), dtype=torch.float64)).abs().max())
        )
    order = nb.fit_order([T / n for n in ns], errors)
    assert order == pytest.approx(nb.TABLEAUX[method].order, abs=0.15)


@pytest.mark.parametrize("method", METHODS)
def test_output_shape_and_first_state(method):
    f, y0, _ = rotation_problem()
    t = torch.linspace(0.0, 1.0, 5, dtype=torch.float64)
    ys = nb.odeint_fixed(f, y0, t, method=method)
    assert ys.shape == (5, *y0.shape)
    assert torch.equal(ys[0], y0)


def test_backward_in_time_inverts_forward():
    f, y0, _ = rotation_problem()
    t = torch.linspace(0.0, 1.0, 201, dtype=torch.float64)
    y_T = nb.odeint_fixed(f, y0, t, method="rk4")[-1]
    y_back = nb.odeint_fixed(f, y_T, t.flip(0), method="rk4")[-1]
    assert torch.allclose(y_back, y0, atol=1e-10)


def test_euler_step_is_a_residual_block():
    net = torch.nn.Linear(3, 3)
    h = torch.randn(4, 3)
    with torch.no_grad():
        assert torch.equal(
            nb.rk_step(lambda t, y: net(y), 0.0, h, 1.0, nb.EULER), h + net(h)
        )


def test_stages():
    assert [nb.TABLEAUX[m].stages for m in ("euler", "midpoint", "rk4")] == [1, 2, 4]


@pytest.mark.parametrize(
    ("y0", "t", "message"),
    [
        (torch.tensor([float("nan")]), torch.tensor([0.0, 1.0]), "non-finite"),
        (torch.tensor([1.0]), torch.tensor([0.0, 0.0, 1.0]), "strictly"),
        (torch.tensor([1.0]), torch.tensor([0.0, 1.0, 0.5]), "strictly"),
        (torch.tensor([1.0]), torch.tensor([0.0]), "at least 2"),
        (torch.tensor([1]), torch.tensor([0.0, 1.0]), "floating-point"),
        ([1.0], torch.tensor([0.0, 1.0]), "torch.Tensor"),
    ],
)
def test_bad_input_gives_clear_error(y0, t, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nb.odeint_fixed(lambda t, y: y, y0, t)


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown method"):
        nb.odeint_fixed(
            lambda t, y: y, torch.ones(1), torch.tensor([0.0, 1.0]), method="rk5"
        )


def test_inconsistent_tableau_is_rejected():
    with pytest.raises(ValueError, match="must sum to the nodes"):
        ButcherTableau("bad", a=((), (0.4,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2)
    with pytest.raises(ValueError, match="weights b sum"):
        ButcherTableau("bad", a=((), (0.5,)), b=(0.5, 0.6), c=(0.0, 0.5), order=2)
    with pytest.raises(ValueError, match="explicit"):
        ButcherTableau("bad", a=((0.0,), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2)
