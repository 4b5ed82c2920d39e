"""Chapter 2's solvers against exact solutions, scipy and torchdiffeq.

Adaptive embedded pairs and adaptive backward Euler, the implicit theta-methods, the
reference systems, operator splitting, and clear errors for bad input.
"""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp
from torchdiffeq import odeint

import nodebook as nb
from nodebook.solvers import ButcherTableau

F64 = torch.float64
EXPLICIT_PAIRS = ["bosh3", "dopri5"]


@pytest.mark.parametrize(
    ("method", "system"),
    [
        ("bosh3", nb.Oscillator(omega=2.0)),
        ("dopri5", nb.Oscillator(omega=2.0)),
        # backward Euler damps oscillations (|R| < 1 on the imaginary axis): test it on
        # the decaying problems it is meant for
        ("backward_euler", nb.LinearTest(-2.0)),
    ],
)
def test_adaptive_meets_tolerance_on_exact_problem(method, system):
    y0 = torch.tensor([[1.0, 0.0], [0.5, -1.0]], dtype=F64)
    rtol = 1e-6
    sol = nb.odeint_adaptive(system, y0, 0.0, 3.0, method=method, rtol=rtol, atol=1e-9)
    assert sol.t[0] == 0.0 and sol.t[-1] == 3.0
    assert bool((sol.dt > 0).all())
    assert sol.y.shape == (sol.n_accepted + 1, 2, 2)
    error = float((sol.y[-1] - system.exact(3.0, y0)).abs().max())
    assert error < 200 * rtol  # global error: a modest multiple of the local tolerance


@pytest.mark.parametrize("method", EXPLICIT_PAIRS)
def test_tighter_tolerance_costs_more_and_is_more_accurate(method):
    lin = nb.LinearTest(-1.0)
    y0 = torch.ones(3, dtype=F64)
    runs = [
        nb.odeint_adaptive(lin, y0, 0.0, 5.0, method=method, rtol=r, atol=r * 1e-3)
        for r in (1e-4, 1e-8)
    ]
    errors = [float((s.y[-1] - lin.exact(5.0, y0)).abs().max()) for s in runs]
    assert runs[1].nfe > runs[0].nfe and errors[1] < errors[0]


@pytest.mark.parametrize("method", EXPLICIT_PAIRS)
def test_adaptive_pairs_agree_with_torchdiffeq(method):
    vdp = nb.VanDerPol(mu=2.0)
    y0 = torch.tensor([2.0, 0.0], dtype=F64)
    ours = nb.odeint_adaptive(vdp, y0, 0.0, 6.0, method=method, rtol=1e-7, atol=1e-10)
    theirs = odeint(
        vdp,
        y0,
        torch.tensor([0.0, 6.0], dtype=F64),
        method=method,
        rtol=1e-7,
        atol=1e-10,
    )
    ref = nb.reference_solution(vdp, y0, torch.tensor([0.0, 6.0], dtype=F64))[-1]
    # same method, same tolerance: similar accuracy and similar work
    assert float((ours.y[-1] - ref).abs().max()) < 1e-4
    assert float((theirs[-1] - ref).abs().max()) < 1e-4


def test_rejections_are_recorded():
    vdp = nb.VanDerPol(mu=5.0)
    sol = nb.odeint_adaptive(
        vdp, torch.tensor([2.0, 0.0], dtype=F64), 0.0, 12.0, "bosh3"
    )
    assert sol.n_rejected > 0
    assert sol.rejected_t.shape == sol.rejected_dt.shape == (sol.n_rejected,)


def test_fsal_tableaux():
    assert nb.BOSH3.fsal and nb.DOPRI5.fsal and not nb.RK4.fsal


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
    assert complex(method.amplification(z)) == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(nb.IMPLICIT_METHODS))
def test_implicit_order_on_exact_problem(name):
    osc = nb.Oscillator()
    y0 = torch.tensor([1.0, 0.0], dtype=F64)
    ns = [20, 40, 80, 160]
    errors = []
    for n in ns:
        t = torch.linspace(0.0, 2.0, n + 1, dtype=F64)
        errors.append(
            float(
                (nb.odeint_implicit(osc, y0, t, name)[-1] - osc.exact(2.0, y0))
                .abs()
                .max()
            )
        )
    order = nb.fit_order([2.0 / n for n in ns], errors)
    assert order == pytest.approx(nb.IMPLICIT_METHODS[name].order, abs=0.15)


def test_backward_euler_is_stable_far_beyond_eulers_limit():
    lin = nb.LinearTest(-1000.0)
    t = torch.linspace(0.0, 1.0, 11, dtype=F64)  # dt = 0.1, 50x Euler's limit
    ys = nb.odeint_implicit(lin, torch.ones(1, dtype=F64), t)
    assert bool((ys[1:].abs() < 1e-2).all())
    assert float(nb.odeint_fixed(lin, torch.ones(1, dtype=F64), t)[-1].abs()) > 1e10


def test_backward_euler_on_a_batch_matches_closed_form():
    A = torch.tensor([[-3.0, 1.0], [0.0, -20.0]], dtype=F64)
    y = torch.randn(4, 2, dtype=F64)
    y1, iterations = nb.implicit_step(lambda t, y: y @ A.T, 0.0, y, 0.1)
    exact = torch.linalg.solve(torch.eye(2, dtype=F64) - 0.1 * A, y.T).T
    assert torch.allclose(y1, exact, atol=1e-12) and iterations <= 2


@pytest.mark.parametrize("scipy_method", ["Radau", "BDF"])
def test_adaptive_backward_euler_matches_scipy_on_robertson(scipy_method):
    rob = nb.Robertson()
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    ours = nb.odeint_adaptive(rob, y0, 0.0, 5.0, "backward_euler", rtol=1e-4, atol=1e-8)
    ref = solve_ivp(
        rob.rhs_numpy,
        (0.0, 5.0),
        y0.numpy(),
        method=scipy_method,
        rtol=1e-10,
        atol=1e-14,
        jac=rob.jac_numpy,
    ).y[:, -1]
    rel = np.abs(ours.y[-1].numpy() - ref) / np.abs(ref)
    assert rel.max() < 1e-2
    assert ours.n_accepted < 500  # implicit: no stability limit on the step


def test_explicit_solver_meets_its_step_limit_on_a_stiff_problem():
    rob = nb.Robertson()
    with pytest.raises(nb.StepLimitError, match="stiff"):
        nb.odeint_adaptive(
            rob,
            torch.tensor([1.0, 0.0, 0.0], dtype=F64),
            0.0,
            100.0,
            "bosh3",
            rtol=1e-4,
            atol=1e-8,
            max_steps=500,
        )


def test_newton_failure_is_reported():
    with pytest.raises(nb.ConvergenceError, match=r"Newton.s method"):
        nb.newton_solve(lambda z: z**2 + 1.0, torch.ones(1, dtype=F64), max_iter=5)


@pytest.mark.parametrize(
    "system", [nb.VanDerPol(mu=3.0), nb.Robertson(), nb.FisherKPP(n=8)]
)
def test_numpy_rhs_and_jacobian_match_torch(system):
    n = {nb.VanDerPol: 2, nb.Robertson: 3, nb.FisherKPP: 8}[type(system)]
    y = torch.rand(n, dtype=F64) * 0.5 + 0.1
    assert np.allclose(system.rhs_numpy(0.0, y.numpy()), system(0.0, y).numpy())
    jac = torch.autograd.functional.jacobian(lambda z: system(0.0, z), y)
    assert np.allclose(system.jac_numpy(0.0, y.numpy()), jac.numpy())


def test_reference_solution_matches_exact_linear_oscillator_via_vdp_mu0():
    vdp = nb.VanDerPol(mu=0.0)  # mu = 0: the harmonic oscillator
    y0 = torch.tensor([1.0, 0.5], dtype=F64)
    t = torch.linspace(0.0, 4.0, 5, dtype=F64)
    ref = nb.reference_solution(vdp, y0, t)
    exact = torch.stack([nb.Oscillator().exact(float(s), y0) for s in t])
    assert torch.allclose(ref, exact, atol=1e-8)


def test_fisher_kpp_flows_are_exact():
    kpp = nb.FisherKPP(n=16)
    u = torch.rand(16, dtype=F64)
    assert torch.allclose(
        kpp.reaction_flow(kpp.reaction_flow(u, 0.3), 0.2), kpp.reaction_flow(u, 0.5)
    )
    assert torch.allclose(kpp.diffusion_flow(u, 0.0), u)
    # diffusion conserves the mean on a periodic grid
    assert float(kpp.diffusion_flow(u, 1.0).mean()) == pytest.approx(float(u.mean()))


@pytest.mark.parametrize(("scheme", "order"), [("lie", 1), ("strang", 2)])
def test_splitting_orders(scheme, order):
    kpp = nb.FisherKPP(n=16, L=5.0)
    x = torch.arange(16, dtype=F64) / 16
    u0 = 0.5 + 0.3 * torch.sin(2 * math.pi * x)
    ref = nb.reference_solution(kpp, u0, torch.tensor([0.0, 0.5], dtype=F64))[-1]
    ns = [4, 8, 16, 32]
    errors = [
        float(
            (
                nb.odeint_split(
                    kpp.diffusion_flow, kpp.reaction_flow, u0, 0.5, n, scheme
                )
                - ref
            )
            .abs()
            .max()
        )
        for n in ns
    ]
    assert nb.fit_order([0.5 / n for n in ns], errors) == pytest.approx(order, abs=0.15)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: nb.odeint_adaptive(
                nb.LinearTest(-1.0), torch.tensor([math.nan]), 0.0, 1.0
            ),
            ValueError,
            "non-finite",
        ),
        (
            lambda: nb.odeint_adaptive(nb.LinearTest(-1.0), torch.ones(1), 1.0, 1.0),
            ValueError,
            "t0 < t1",
        ),
        (
            lambda: nb.odeint_adaptive(
                nb.LinearTest(-1.0), torch.ones(1), 0.0, 1.0, dt0=0.0
            ),
            ValueError,
            "dt0",
        ),
        (
            lambda: nb.odeint_adaptive(
                nb.LinearTest(-1.0), torch.ones(1), 0.0, 1.0, rtol=0.0
            ),
            ValueError,
            "positive",
        ),
        (
            lambda: nb.odeint_adaptive(
                nb.LinearTest(-1.0), torch.ones(1), 0.0, 1.0, method="rk4"
            ),
            ValueError,
            "unknown method",
        ),
        (
            lambda: nb.rk_step(nb.LinearTest(-1.0), 0.0, torch.ones(1), 0.0, nb.RK4),
            ValueError,
            "non-zero",
        ),
        (
            lambda: nb.rk_step(
                nb.LinearTest(-1.0), 0.0, torch.ones(1), math.inf, nb.RK4
            ),
            ValueError,
            "finite",
        ),
        (
            lambda: nb.implicit_step(nb.LinearTest(-1.0), 0.0, torch.ones(1), -0.1),
            ValueError,
            "positive",
        ),
        (
            lambda: nb.odeint_implicit(
                nb.LinearTest(-1.0), torch.ones(1), torch.tensor([1.0, 0.0])
            ),
            ValueError,
            "increasing",
        ),
        (
            lambda: nb.odeint_implicit(
                nb.LinearTest(-1.0), torch.ones(1), torch.tensor([0.0, 1.0]), "bdf"
            ),
            ValueError,
            "unknown method",
        ),
        (
            lambda: nb.odeint_split(
                lambda y, dt: y, lambda y, dt: y, torch.ones(1), 1.0, 0
            ),
            ValueError,
            "n >= 1",
        ),
        (
            lambda: nb.odeint_split(
                lambda y, dt: y, lambda y, dt: y, torch.ones(1), 1.0, 2, "yoshida"
            ),
            ValueError,
            "unknown scheme",
        ),
        (
            lambda: nb.reference_solution(
                nb.Robertson(), torch.ones(3, 1, dtype=F64), torch.tensor([0.0, 1.0])
            ),
            ValueError,
            "1-D",
        ),
    ],
)
def test_bad_input_gives_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_embedded_weights_are_validated():
    with pytest.raises(ValueError, match="b_low"):
        ButcherTableau(
            "bad", a=((), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2, b_low=(0.5, 0.4)
        )
