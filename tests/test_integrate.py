"""nb.odeint against exact solutions: every method of the registry, both directions, two dtypes.

In the manner of torchdiffeq's ``tests/problems.py``: a few problems with known solutions
(non-autonomous, a linear system with a batch, a split field), each integrated forward and
backward in time, in float64 (where the measured order is asserted) and float32 (which
must agree with float64 to round-off). Then the controller, the counts, and every error a
user meets.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nodebook as nb
from nodebook.integrate import NonFiniteError, StepLimitError
from nodebook.integrate.controller import SAFETY

F64, F32 = torch.float64, torch.float32
T0, T1 = 0.0, 1.2


class NonAutonomous:
    """y' = cos(t) y: y(t) = y(t0) exp(sin t - sin t0); the stage times c_i matter."""

    def f(self, t, y):
        return torch.cos(t) * y

    def y0(self, dtype):
        return torch.tensor([1.0, -0.5], dtype=dtype)

    def exact(self, t_start, t_end, y0):
        return y0 * math.exp(math.sin(t_end) - math.sin(t_start))


class LinearSystem:
    """y' = A y for a batch of three states; A is a damped rotation."""

    A = torch.tensor([[-0.3, 2.0], [-2.0, -0.3]], dtype=F64)

    def f(self, t, y):
        return y @ self.A.to(y.dtype).T

    def y0(self, dtype):
        return torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=dtype)

    def exact(self, t_start, t_end, y0):
        return y0 @ torch.linalg.matrix_exp(self.A * (t_end - t_start)).to(y0.dtype).T


PROBLEMS = [NonAutonomous(), LinearSystem()]
EXPLICIT_OR_IMPLICIT = [name for name, m in nb.METHODS.items() if m.kind != "splitting"]
FIXED = [name for name in EXPLICIT_OR_IMPLICIT if not nb.METHODS[name].adaptive]
ADAPTIVE = [name for name in EXPLICIT_OR_IMPLICIT if nb.METHODS[name].adaptive]


def grid(n, reverse, dtype=F64):
    t = torch.linspace(T0, T1, n + 1, dtype=dtype)
    return t.flip(0) if reverse else t


def slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def final_error(problem, method, t, dtype=F64, **kwargs):
    y0 = problem.y0(dtype)
    ys = nb.odeint(problem.f, y0, t, method=method, **kwargs)
    want = problem.exact(float(t[0]), float(t[-1]), y0.to(F64))
    return float((ys[-1].to(F64) - want).abs().max()), ys


def test_every_kind_of_method_is_in_the_registry():
    kinds = {(m.kind, m.adaptive) for m in nb.METHODS.values()}
    assert kinds == {
        ("explicit", False),
        ("explicit", True),
        ("implicit", False),
        ("implicit", True),
        ("splitting", False),
    }, f"the registry lacks a kind of method: {kinds}"


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize(
    "method",
    [*FIXED, nb.BOSH3, nb.DOPRI5],
    ids=lambda m: m if isinstance(m, str) else f"{m.name}-fixed",
)
def test_fixed_step_methods_converge_at_their_order(method, problem, reverse):
    order = nb.METHODS[method].order if isinstance(method, str) else method.order
    # dopri5's error constant changes over the coarser grids: start where it is settled
    ns = [8, 16, 32, 64] if order < 5 else [32, 64, 128]
    errors = [final_error(problem, method, grid(n, reverse))[0] for n in ns]
    measured = slope(ns, errors)
    name = method if isinstance(method, str) else method.name
    assert abs(-measured - order) < 0.35, (
        f"{name}: measured order {-measured:.2f}, expected {order} (errors {errors})"
    )


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("method", EXPLICIT_OR_IMPLICIT)
def test_float32_agrees_with_float64_to_round_off(method, problem, reverse):
    kwargs = {"rtol": 1e-4, "atol": 1e-6} if nb.METHODS[method].adaptive else {}
    _, y64 = final_error(problem, method, grid(10, reverse), F64, **kwargs)
    _, y32 = final_error(problem, method, grid(10, reverse, F32), F32, **kwargs)
    assert y32.dtype == F32, f"{method}: a float32 state came back as {y32.dtype}"
    assert y32.shape == (11, *problem.y0(F32).shape), f"{method}: shape {y32.shape}"
    gap = float((y32.to(F64) - y64).abs().max())
    # adaptive float32 runs may take other steps: compare with the tolerance then
    allowed = 1e-4 if nb.METHODS[method].adaptive else 2e-5
    assert gap < allowed, f"{method}: float32 differs from float64 by {gap:.2e}"


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("method", ADAPTIVE)
def test_adaptive_error_falls_at_the_methods_order_per_step(method, problem, reverse):
    # over a long span (six time units), so that the step counts are in the asymptotic
    # range: global error ~ steps**-order when each step's error is held at the tolerance
    spec = nb.METHODS[method]
    rtols = ADAPTIVE_RTOLS[method]
    t = torch.tensor([6.0, 0.0] if reverse else [0.0, 6.0], dtype=F64)
    errors, steps = [], []
    for rtol in rtols:
        stats = nb.SolverStats()
        err, _ = final_error(
            problem, method, t, rtol=rtol, atol=rtol * 1e-3, stats=stats
        )
        errors.append(err)
        steps.append(stats.n_accepted)
    measured = -slope(steps, errors)
    assert abs(measured - spec.order) < 0.5, (
        f"{method}: error falls like steps**-{measured:.2f}, expected "
        f"-{spec.order} (steps {steps}, errors {errors})"
    )


ADAPTIVE_RTOLS = {
    "bosh3": [1e-4, 1e-6, 1e-8],
    "dopri5": [1e-6, 1e-8, 1e-10],
    "adaptive_backward_euler": [1e-2, 1e-3, 1e-4],
}


def split_problem():
    """y' = (A + B) y, with A and B (which do not commute) given by their exact flows."""
    A = torch.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype=F64)
    B = torch.tensor([[-0.5, 0.0], [0.3, -1.5]], dtype=F64)

    def flow(M):
        return lambda y, dt: y @ torch.linalg.matrix_exp(M * dt).T

    y0 = torch.tensor([[1.0, 0.5], [-0.2, 1.0]], dtype=F64)
    return nb.Split(flow(A), flow(B)), y0, A + B


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    "method", [n for n, m in nb.METHODS.items() if m.kind == "splitting"]
)
def test_splitting_converges_at_its_order(method, reverse):
    flows, y0, M = split_problem()
    ns = [8, 16, 32, 64]
    errors = []
    for n in ns:
        t = grid(n, reverse)
        exact = y0 @ torch.linalg.matrix_exp(M * float(t[-1] - t[0])).T
        errors.append(
            float((nb.odeint(flows, y0, t, method=method)[-1] - exact).abs().max())
        )
    measured = -slope(ns, errors)
    order = nb.METHODS[method].order
    assert abs(measured - order) < 0.3, f"{method}: order {measured:.2f}, not {order}"


def test_step_size_option_cuts_each_interval_into_equal_steps():
    problem = LinearSystem()
    coarse = torch.tensor([0.0, 0.5, 1.2], dtype=F64)
    stats = nb.SolverStats()
    ys = nb.odeint(
        problem.f,
        problem.y0(F64),
        coarse,
        method="rk4",
        options={"step_size": 0.1},
        stats=stats,
    )
    fine = torch.cat(
        [
            torch.linspace(0, 0.5, 6, dtype=F64),
            torch.linspace(0.5, 1.2, 8, dtype=F64)[1:],
        ]
    )
    want = nb.odeint(problem.f, problem.y0(F64), fine, method="rk4")
    assert stats.n_accepted == 12, f"5 + 7 steps of at most 0.1, got {stats.n_accepted}"
    assert torch.allclose(ys[1], want[5], atol=1e-14) and torch.allclose(
        ys[2], want[-1], atol=1e-14
    ), "step_size: the states differ from the same steps taken on a fine grid"
    assert stats.t[-1] == 1.2, "the last step must land on the last time exactly"


def test_adaptive_methods_land_on_every_output_time():
    problem = NonAutonomous()
    t = torch.tensor([1.2, 0.9, 0.3, -0.4], dtype=F64)
    stats = nb.SolverStats()
    ys = nb.odeint(
        problem.f,
        problem.y0(F64),
        t,
        method="dopri5",
        rtol=1e-9,
        atol=1e-12,
        stats=stats,
    )
    for i in range(len(t)):
        assert float(t[i]) in stats.t, f"no step ended at t = {float(t[i])}"
        want = problem.exact(1.2, float(t[i]), problem.y0(F64))
        assert float((ys[i] - want).abs().max()) < 1e-8, f"wrong state at t[{i}]"
    assert all(a > b for a, b in zip(stats.t, stats.t[1:], strict=False)), (
        "backward steps go down"
    )


@pytest.mark.parametrize(
    "method, counts",
    [
        ("bosh3", (191, 8, 598, 0, [-1.6195962525345524, 0.44091059809386096])),
        (
            "adaptive_backward_euler",
            (3036, 0, 9108, 6071, [-1.6141105484990537, 0.4432863009805404]),
        ),
    ],
)
def test_front_door_takes_the_steps_chapter_2s_old_function_took(method, counts):
    """Recorded from ``odeint_adaptive`` (bosh3, backward_euler) before it was removed
    (issue 28, slice 4): accepted, rejected, evaluations, Jacobians and the end state."""
    vdp = nb.VanDerPol(mu=2.0)
    y0 = torch.tensor([2.0, 0.0], dtype=F64)
    stats = nb.SolverStats()
    t = torch.tensor([0.0, 5.0], dtype=F64)
    ys = nb.odeint(vdp, y0, t, method=method, rtol=1e-5, atol=1e-8, stats=stats)
    got = (stats.n_accepted, stats.n_rejected, stats.nfe, stats.jacobians)
    assert got == counts[:4], f"{method}: counts {got}, recorded {counts[:4]}"
    assert ys[-1].tolist() == pytest.approx(counts[4], rel=1e-12, abs=0), (
        f"{method}: the end state moved from the recorded one"
    )


# --- the controller and the counts ---------------------------------------------------


class Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, t, y):
        self.calls += 1
        return self.f(t, y)


@pytest.mark.parametrize("method", ["bosh3", "dopri5"])
def test_fsal_saves_one_evaluation_per_attempt(method):
    f = Counted(nb.VanDerPol(mu=1.0))
    stats = nb.SolverStats()
    t = torch.tensor([0.0, 3.0], dtype=F64)
    nb.odeint(
        f,
        torch.tensor([2.0, 0.0], dtype=F64),
        t,
        method=method,
        rtol=1e-6,
        atol=1e-9,
        options={"first_step": 0.5},  # too large: rejected attempts are counted too
        stats=stats,
    )
    stages = nb.METHODS[method].scheme.stages
    attempts = stats.n_accepted + stats.n_rejected
    assert stats.n_rejected > 0, "the test needs rejected attempts to count them too"
    assert f.calls == stats.nfe == 1 + (stages - 1) * attempts, (
        f"{method}: {f.calls} calls, stats {stats.nfe}; FSAL means "
        f"1 + {stages - 1} per attempt = {1 + (stages - 1) * attempts}"
    )


@pytest.mark.parametrize("method", ["bosh3", "dopri5"])
def test_a_rejected_step_is_retried_at_the_size_its_error_order_predicts(method):
    # Far too large a first step on y' = -y: the error of the retry, rescaled by
    # SAFETY * norm**(-1/q), must come out near SAFETY**q, which holds only for the
    # exponent that matches how the error shrinks (dt**q)
    q = nb.METHODS[method].error_order
    first_step = {"bosh3": 0.008, "dopri5": 0.1}[method]  # a first norm near 100
    stats = nb.SolverStats()
    nb.odeint(
        lambda t, y: -y,
        torch.ones(1, dtype=F64),
        torch.tensor([0.0, 1.0], dtype=F64),
        method=method,
        rtol=1e-10,
        atol=1e-12,
        options={"first_step": first_step},
        stats=stats,
    )
    first, retry = stats.error_norms[:2]
    assert 10 < first < 300, (
        f"{method}: the first attempt's norm {first:.3g} is not in range"
    )
    assert 0.6 * SAFETY**q < retry < min(1.0, 1.4 * SAFETY**q), (
        f"{method}: the retry's norm is {retry:.3g}, the exponent 1/{q} predicts "
        f"{SAFETY**q:.3g}"
    )


def test_implicit_stats_count_newton_iterations():
    stats = nb.SolverStats()
    nb.odeint(
        nb.VanDerPol(mu=5.0),
        torch.tensor([2.0, 0.0], dtype=F64),
        grid(20, False),
        method="backward_euler",
        stats=stats,
    )
    assert stats.n_accepted == 20 and stats.jacobians >= 20, stats
    # f(t, y) once per step and once per Newton iteration, not counting the
    # evaluation inside each Jacobian (as scipy counts nfev and njev)
    assert stats.nfe == stats.jacobians + 20, stats


def test_an_implicit_step_is_differentiable_through_newton():
    # backward Euler on y' = -k y: y1 = y / (1 + k dt), dy1/dk = -y dt / (1 + k dt)**2
    k = torch.tensor(3.0, dtype=F64, requires_grad=True)
    y, dt = torch.tensor([2.0], dtype=F64), 0.1
    y1 = nb.theta_step(lambda t, z: -k * z, 0.0, y, dt)
    (grad,) = torch.autograd.grad(y1.sum(), k)
    want = -2.0 * dt / (1 + 3.0 * dt) ** 2
    assert abs(float(grad) - want) < 1e-10, f"dy1/dk = {float(grad)}, not {want}"
    with torch.no_grad():
        y1 = nb.theta_step(lambda t, z: -k * z, 0.0, y, dt)
    assert not y1.requires_grad, "under no_grad the step must not build a graph"


def test_solver_stats_keep_states_on_request():
    problem = NonAutonomous()
    stats = nb.SolverStats(keep_states=True)
    ys = nb.odeint(
        problem.f, problem.y0(F64), grid(1, False), method="dopri5", stats=stats
    )
    assert stats.y.shape == (stats.n_accepted + 1, 2), stats.y.shape
    assert torch.equal(stats.y[-1], ys[-1]), "the last kept state is the result"
    with pytest.raises(ValueError, match="keep_states=True"):
        _ = nb.SolverStats().y


# --- errors a user meets -------------------------------------------------------------

Y3 = torch.ones(3, dtype=F64)
T_GRID = torch.linspace(0.0, 1.0, 5, dtype=F64)


@pytest.mark.parametrize(
    "method", ["rk4", "dopri5", "backward_euler", "adaptive_backward_euler"]
)
def test_a_field_of_the_wrong_shape_names_both_shapes(method):
    with pytest.raises(ValueError, match=r"shape \(1,\) for a state of shape \(3,\)"):
        nb.odeint(lambda t, y: y[:1], Y3, T_GRID, method=method)


def test_a_field_that_returns_no_tensor_says_so():
    with pytest.raises(TypeError, match=r"must return a torch\.Tensor, got float"):
        nb.odeint(lambda t, y: 1.0, Y3, T_GRID)


@pytest.mark.parametrize(
    "method, where",
    [
        ("euler", "step 4, from t = 0.75 to t = 1"),  # evaluates at 0.5, then 0.75
        ("rk4", "step 3, from t = 0.5 to t = 0.75"),  # a stage at 0.625
        ("trapezoid", "step 3, from t = 0.5 to t = 0.75"),  # f at the step's end
        ("backward_euler", "step 3, from t = 0.5 to t = 0.75"),
    ],
)
def test_nan_from_the_field_stops_at_once_naming_step_and_time(method, where):
    def f(t, y):
        return -y if float(t) < 0.6 else y * float("nan")

    with pytest.raises(NonFiniteError, match=where):
        nb.odeint(f, Y3, T_GRID, method=method)


@pytest.mark.parametrize("method", ["bosh3", "dopri5", "adaptive_backward_euler"])
def test_nan_in_an_adaptive_solve_is_reported_at_once(method):
    f = Counted(lambda t, y: y * float("nan"))
    with pytest.raises(NonFiniteError, match=r"NaN or inf at t = 0"):
        nb.odeint(f, Y3, T_GRID, method=method)
    assert f.calls == 1, f"{f.calls} evaluations before the NaN was reported"


def test_nan_only_in_trial_stages_shrinks_the_step_then_says_why():
    # finite at the states the solver accepts, NaN beyond |y| > 1.5: steps that try to
    # go there are rejected; a field NaN everywhere past t = 0.5 underflows the step
    def f(t, y):
        return y * float("nan") if float(t) > 0.5 else -y

    with pytest.raises(StepLimitError, match="returned NaN or inf in the rejected"):
        nb.odeint(f, Y3, T_GRID, method="dopri5")


def test_an_unstable_explicit_step_is_reported_where_it_overflows():
    with pytest.raises(NonFiniteError, match="too large for the method to be stable"):
        nb.odeint(
            lambda t, y: -1e4 * y,
            Y3,
            torch.linspace(0, 100, 101, dtype=F64),
            method="euler",
        )


def test_rk_step_with_a_name_where_a_tableau_is_expected():
    with pytest.raises(TypeError, match=r"nb.METHODS\['euler'\]\.scheme"):
        nb.rk_step(lambda t, y: -y, 0.0, Y3, 0.1, "euler")


@pytest.mark.parametrize("max_iter", [0, -1, 2.5])
def test_newton_needs_at_least_one_iteration(max_iter):
    with pytest.raises(ValueError, match="max_iter must be an integer >= 1"):
        nb.newton_solve(lambda z: z - 1.0, Y3, max_iter=max_iter)


@pytest.mark.parametrize("dt", [math.inf, -math.inf, math.nan, 0.0])
def test_non_finite_or_zero_steps_are_refused(dt):
    with pytest.raises(ValueError, match="finite and non-zero"):
        nb.rk_step(lambda t, y: -y, 0.0, Y3, dt, nb.RK4)
    with pytest.raises(ValueError, match="finite and non-zero"):
        nb.theta_step(lambda t, y: -y, 0.0, Y3, dt)


@pytest.mark.parametrize("t_end", [math.inf, math.nan, 0.0, -0.1])
def test_the_sde_loop_refuses_a_non_finite_or_backward_step(t_end):
    t = torch.tensor([0.0, t_end], dtype=Y3.dtype)
    with pytest.raises(ValueError, match="t "):
        nb.euler_maruyama(lambda t, y: -y, 0.1, Y3, t, torch.Generator())


@pytest.mark.parametrize(
    "t, where",
    [
        ([0.0, 1.0, 1.0, 2.0], r"t\[1\] = 1 and t\[2\] = 1"),
        ([0.0, 1.0, 0.5], r"t\[1\] = 1 and t\[2\] = 0.5"),
        ([2.0, 1.0, 1.5], r"t\[1\] = 1 and t\[2\] = 1.5"),
        ([0.0, 0.0], r"t\[0\] = 0 and t\[1\] = 0"),
    ],
)
def test_a_grid_that_is_not_strictly_monotone_names_where(t, where):
    with pytest.raises(
        ValueError, match="strictly increasing or strictly decreasing.*" + where
    ):
        nb.odeint(lambda t, y: -y, Y3, torch.tensor(t, dtype=F64))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "rk45"}, "unknown method 'rk45'"),
        ({"method": 4}, "must be a name"),
        ({"method": "rk4", "rtol": 1e-6}, "takes fixed steps, so rtol and atol"),
        ({"method": "rk4", "options": {"first_step": 0.1}}, r"options \['step_size'\]"),
        ({"method": "dopri5", "options": {"step_size": 0.1}}, "not \\['step_size'\\]"),
        ({"method": "dopri5", "rtol": -1.0}, "rtol must be finite and positive"),
        ({"method": "rk4", "options": {"step_size": math.inf}}, "step_size must be"),
        ({"method": "dopri5", "options": {"max_num_steps": 0}}, "max_num_steps must"),
        ({"method": "trapezoid", "options": {"max_iter": 0}}, "max_iter must"),
    ],
)
def test_unknown_methods_and_options_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        nb.odeint(lambda t, y: -y, Y3, T_GRID, **kwargs)


def test_a_split_field_and_a_splitting_method_go_together():
    flows, y0, _ = split_problem()
    with pytest.raises(TypeError, match=r"nb.Split\(flow_a, flow_b\)"):
        nb.odeint(lambda t, y: -y, y0, T_GRID, method="strang")
    with pytest.raises(TypeError, match="needs method 'lie' or 'strang'"):
        nb.odeint(flows, y0, T_GRID, method="rk4")
    with pytest.raises(ValueError, match="flow map"):
        nb.odeint(nb.Split(flows.a, lambda y, dt: y[:1]), y0, T_GRID, method="lie")


def test_step_limit_on_a_stiff_problem_suggests_an_implicit_method():
    with pytest.raises(StepLimitError, match="stiff: use an implicit method"):
        nb.odeint(
            nb.Robertson(),
            torch.tensor([1.0, 0.0, 0.0], dtype=F64),
            torch.tensor([0.0, 1e3], dtype=F64),
            method="dopri5",
            rtol=1e-4,
            atol=1e-8,
            options={"max_num_steps": 200},
        )
