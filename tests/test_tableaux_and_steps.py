"""The tableaux and the one-step functions; the front door's shapes and input checks.

The convergence orders of every method, both directions and two dtypes, are measured in
``tests/test_integrate.py``; here, what each constant and step must be on its own.
"""

import pytest
import torch

import nodebook as nb

F64 = torch.float64
FIXED_EXPLICIT = [
    name for name, m in nb.METHODS.items() if m.kind == "explicit" and not m.adaptive
]


def rotation(t, y):
    return y @ torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=y.dtype).T


@pytest.mark.parametrize("method", sorted(nb.METHODS))
def test_output_shape_and_first_state(method):
    y0 = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=F64)
    t = torch.linspace(0.0, 1.0, 5, dtype=F64)
    if nb.METHODS[method].kind == "splitting":
        f = nb.Split(lambda y, dt: y, lambda y, dt: y * 0.5)
    else:
        f = rotation
    ys = nb.odeint(f, y0, t, method=method)
    assert ys.shape == (5, *y0.shape), f"{method}: one state per time of t"
    assert torch.equal(ys[0], y0), f"{method}: the first state is y0 itself"


def test_euler_step_is_a_residual_block():
    net = torch.nn.Linear(3, 3)
    h = torch.randn(4, 3)
    with torch.no_grad():
        step = nb.rk_step(lambda t, y: net(y), 0.0, h, 1.0, nb.EULER)
        assert torch.equal(step, h + net(h)), "Euler with dt = 1 is h + f(h), exactly"


def test_stages_and_fsal():
    stages = [nb.METHODS[m].scheme.stages for m in ("euler", "midpoint", "rk4")]
    assert stages == [1, 2, 4], f"stage counts {stages}"
    assert nb.BOSH3.fsal and nb.DOPRI5.fsal and not nb.RK4.fsal, "FSAL flags"


@pytest.mark.parametrize(
    ("method", "z", "expected"),
    [
        (nb.EULER, -0.5 + 0.25j, 0.5 + 0.25j),
        (nb.RK4, -1.0, 1 - 1 + 1 / 2 - 1 / 6 + 1 / 24),
        (nb.BACKWARD_EULER, -3.0, 0.25),
        (nb.TRAPEZOID, -2.0, 0.0),
    ],
)
def test_amplification_factor(method, z, expected):
    got = complex(method.amplification(z))
    assert got == pytest.approx(expected), f"{method.name}: R({z}) = {got}"


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
@pytest.mark.parametrize("method", ["rk4", "bosh3", "backward_euler"])
def test_bad_input_gives_clear_error(y0, t, message, method):
    with pytest.raises((ValueError, TypeError), match=message):
        nb.odeint(lambda t, y: y, y0, t, method=method)


def test_inconsistent_tableau_is_rejected():
    with pytest.raises(ValueError, match="must sum to the nodes"):
        nb.ButcherTableau("bad", a=((), (0.4,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2)
    with pytest.raises(ValueError, match="weights b sum"):
        nb.ButcherTableau("bad", a=((), (0.5,)), b=(0.5, 0.6), c=(0.0, 0.5), order=2)
    with pytest.raises(ValueError, match="explicit"):
        nb.ButcherTableau(
            "bad", a=((0.0,), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2
        )
    with pytest.raises(ValueError, match="b_low"):
        nb.ButcherTableau(
            "bad", a=((), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2, b_low=(0.5, 0.4)
        )


@pytest.mark.parametrize("method", FIXED_EXPLICIT)
def test_a_tableau_passed_itself_takes_the_same_steps_as_its_name(method):
    t = torch.linspace(0.0, 1.0, 7, dtype=F64)
    y0 = torch.tensor([1.0, -0.5], dtype=F64)
    by_name = nb.odeint(rotation, y0, t, method=method)
    by_tableau = nb.odeint(rotation, y0, t, method=nb.METHODS[method].scheme)
    assert torch.equal(by_name, by_tableau), f"{method}: name and tableau differ"
