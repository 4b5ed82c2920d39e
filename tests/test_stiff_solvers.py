"""Chapter 2's solvers against exact solutions, scipy and torchdiffeq, through nb.odeint.

Adaptive embedded pairs and adaptive backward Euler, the implicit theta methods, the
reference systems, operator splitting, and clear errors for bad input.
"""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp
from torchdiffeq import odeint

import nodebook as nb

F64 = torch.float64
EXPLICIT_PAIRS = ["bosh3", "dopri5"]


def span(t0, t1):
    return torch.tensor([t0, t1], dtype=F64)


@pytest.mark.parametrize(
    ("method", "system"),
    [
        ("bosh3", nb.Oscillator(omega=2.0)),
        ("dopri5", nb.Oscillator(omega=2.0)),
        # backward Euler damps oscillations (|R| < 1 on the imaginary axis): test it on
        # the decaying problems it is meant for
        ("adaptive_backward_euler", nb.LinearTest(-2.0)),
    ],
)
def test_adaptive_meets_tolerance_on_exact_problem(method, system):
    y0 = torch.tensor([[1.0, 0.0], [0.5, -1.0]], dtype=F64)
    rtol = 1e-6
    stats = nb.SolverStats(keep_states=True)
    ys = nb.odeint(
        system, y0, span(0.0, 3.0), method=method, rtol=rtol, atol=1e-9, stats=stats
    )
    assert float(stats.t[0]) == 0.0 and float(stats.t[-1]) == 3.0, "from 0 to 3"
    assert bool((stats.dt > 0).all()), "every accepted step moves forward"
    assert stats.y.shape == (stats.n_accepted + 1, 2, 2), "one state per accepted step"
    error = float((ys[-1] - system.exact(3.0, y0)).abs().max())
    # global error: a modest multiple of the local tolerance
    assert error < 200 * rtol, f"{method}: error {error:.2e} at rtol {rtol}"


@pytest.mark.parametrize("method", EXPLICIT_PAIRS)
def test_tighter_tolerance_costs_more_and_is_more_accurate(method):
    lin = nb.LinearTest(-1.0)
    y0 = torch.ones(3, dtype=F64)
    nfe, errors = [], []
    for r in (1e-4, 1e-8):
        stats = nb.SolverStats()
        ys = nb.odeint(
            lin, y0, span(0.0, 5.0), method=method, rtol=r, atol=r * 1e-3, stats=stats
        )
        nfe.append(stats.nfe)
        errors.append(float((ys[-1] - lin.exact(5.0, y0)).abs().max()))
    assert nfe[1] > nfe[0] and errors[1] < errors[0], (
        f"{method}: evaluations {nfe}, errors {errors} at rtol 1e-4 and 1e-8"
    )


@pytest.mark.parametrize("method", EXPLICIT_PAIRS)
def test_adaptive_pairs_agree_with_torchdiffeq(method):
    vdp = nb.VanDerPol(mu=2.0)
    y0 = torch.tensor([2.0, 0.0], dtype=F64)
    ours = nb.odeint(vdp, y0, span(0.0, 6.0), method=method, rtol=1e-7, atol=1e-10)
    theirs = odeint(vdp, y0, span(0.0, 6.0), method=method, rtol=1e-7, atol=1e-10)
    ref = nb.reference_solution(vdp, y0, span(0.0, 6.0))[-1]
    # same method, same tolerance: similar accuracy
    assert float((ours[-1] - ref).abs().max()) < 1e-4, f"ours ({method}) is off"
    assert float((theirs[-1] - ref).abs().max()) < 1e-4, (
        f"torchdiffeq ({method}) is off"
    )


def test_rejections_are_recorded():
    vdp = nb.VanDerPol(mu=5.0)
    stats = nb.SolverStats()
    nb.odeint(
        vdp,
        torch.tensor([2.0, 0.0], dtype=F64),
        span(0.0, 12.0),
        method="bosh3",
        stats=stats,
    )
    assert stats.n_rejected > 0, "Van der Pol at mu = 5 makes bosh3 reject steps"
    assert stats.rejected_t.shape == stats.rejected_dt.shape == (stats.n_rejected,), (
        "one time and one step size per rejection"
    )


@pytest.mark.parametrize("name", ["backward_euler", "trapezoid"])
def test_implicit_order_on_exact_problem(name):
    osc = nb.Oscillator()
    y0 = torch.tensor([1.0, 0.0], dtype=F64)
    ns = [20, 40, 80, 160]
    errors = []
    for n in ns:
        t = torch.linspace(0.0, 2.0, n + 1, dtype=F64)
        y_T = nb.odeint(osc, y0, t, method=name)[-1]
        errors.append(float((y_T - osc.exact(2.0, y0)).abs().max()))
    order = nb.fit_order([2.0 / n for n in ns], errors)
    want = nb.METHODS[name].order
    assert order == pytest.approx(want, abs=0.15), f"{name}: order {order:.2f}"


def test_backward_euler_is_stable_far_beyond_eulers_limit():
    lin = nb.LinearTest(-1000.0)
    t = torch.linspace(0.0, 1.0, 11, dtype=F64)  # dt = 0.1, 50x Euler's limit
    y0 = torch.ones(1, dtype=F64)
    ys = nb.odeint(lin, y0, t, method="backward_euler")
    assert bool((ys[1:].abs() < 1e-2).all()), "backward Euler decays at any step"
    euler = float(nb.odeint(lin, y0, t, method="euler")[-1].abs())
    assert euler > 1e10, f"the null, forward Euler, should blow up: {euler:.3g}"


def test_backward_euler_on_a_batch_matches_closed_form():
    A = torch.tensor([[-3.0, 1.0], [0.0, -20.0]], dtype=F64)
    y = torch.randn(4, 2, dtype=F64)
    stats = nb.SolverStats()
    y1 = nb.odeint(
        lambda t, y: y @ A.T, y, span(0.0, 0.1), method="backward_euler", stats=stats
    )[-1]
    exact = torch.linalg.solve(torch.eye(2, dtype=F64) - 0.1 * A, y.T).T
    assert torch.allclose(y1, exact, atol=1e-12), "(I - dt A)^-1 y"
    assert stats.jacobians <= 2, (
        f"a linear field needs one Newton step, took {stats.jacobians}"
    )


@pytest.mark.parametrize("scipy_method", ["Radau", "BDF"])
def test_adaptive_backward_euler_matches_scipy_on_robertson(scipy_method):
    rob = nb.Robertson()
    y0 = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    stats = nb.SolverStats()
    ours = nb.odeint(
        rob,
        y0,
        span(0.0, 5.0),
        method="adaptive_backward_euler",
        rtol=1e-4,
        atol=1e-8,
        stats=stats,
    )
    ref = solve_ivp(
        rob.rhs_numpy,
        (0.0, 5.0),
        y0.numpy(),
        method=scipy_method,
        rtol=1e-10,
        atol=1e-14,
        jac=rob.jac_numpy,
    ).y[:, -1]
    rel = np.abs(ours[-1].numpy() - ref) / np.abs(ref)
    assert rel.max() < 1e-2, f"relative error {rel.max():.2e} against {scipy_method}"
    # implicit: no stability limit on the step
    assert stats.n_accepted < 500, f"{stats.n_accepted} steps"


def test_explicit_solver_meets_its_step_limit_on_a_stiff_problem():
    rob = nb.Robertson()
    with pytest.raises(nb.StepLimitError, match="stiff"):
        nb.odeint(
            rob,
            torch.tensor([1.0, 0.0, 0.0], dtype=F64),
            span(0.0, 100.0),
            method="bosh3",
            rtol=1e-4,
            atol=1e-8,
            options={"max_num_steps": 500},
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
    ref = nb.reference_solution(kpp, u0, span(0.0, 0.5))[-1]
    flows = nb.Split(kpp.diffusion_flow, kpp.reaction_flow)
    ns = [4, 8, 16, 32]
    errors = []
    for n in ns:
        t = torch.linspace(0.0, 0.5, n + 1, dtype=F64)
        errors.append(
            float((nb.odeint(flows, u0, t, method=scheme)[-1] - ref).abs().max())
        )
    got = nb.fit_order([0.5 / n for n in ns], errors)
    assert got == pytest.approx(order, abs=0.15), f"{scheme}: order {got:.2f}"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0),
                torch.tensor([math.nan]),
                span(0.0, 1.0),
                method="bosh3",
            ),
            ValueError,
            "non-finite",
        ),
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0), torch.ones(1), span(1.0, 1.0), method="bosh3"
            ),
            ValueError,
            "strictly",
        ),
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0),
                torch.ones(1),
                span(0.0, 1.0),
                method="bosh3",
                options={"first_step": 0.0},
            ),
            ValueError,
            "first_step",
        ),
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0),
                torch.ones(1),
                span(0.0, 1.0),
                method="bosh3",
                rtol=0.0,
            ),
            ValueError,
            "positive",
        ),
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0),
                torch.ones(1),
                span(0.0, 1.0),
                method="rk4",
                rtol=1e-3,
            ),
            ValueError,
            "fixed steps",
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
            lambda: nb.theta_step(nb.LinearTest(-1.0), 0.0, torch.ones(1), 0.0),
            ValueError,
            "non-zero",
        ),
        (
            lambda: nb.odeint(
                nb.LinearTest(-1.0), torch.ones(1), span(0.0, 1.0), method="bdf"
            ),
            ValueError,
            "unknown method",
        ),
        (
            lambda: nb.odeint(
                nb.Split(lambda y, dt: y, lambda y, dt: y),
                torch.ones(1),
                span(0.0, 1.0),
                method="yoshida",
            ),
            ValueError,
            "unknown method",
        ),
        (
            lambda: nb.odeint(
                nb.Split(lambda y, dt: y, lambda y, dt: y),
                torch.ones(1),
                span(0.0, 1.0),
                method="rk4",
            ),
            TypeError,
            "'lie' or 'strang'",
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
