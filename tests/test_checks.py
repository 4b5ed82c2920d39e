"""Exercise checks: right answers pass; every kind of wrong answer gets a clear message."""

import functools
import itertools
import math

import pytest
import torch

import nodebook as nb
from nodebook.checks import CheckFailed


def euler_step(f, t, y, dt):
    return y + dt * f(t, y)


def measure_order(step, f, y0, T, y_exact, n_list):
    errors = []
    for n in n_list:
        dt, y = T / n, y0
        for k in range(n):
            y = step(f, k * dt, y, dt)
        errors.append(float((y - y_exact).abs().max()))
    return nb.fit_order([T / n for n in n_list], errors)


def min_stable_blocks(lam, T):
    return max(1, math.ceil(-lam * T / 2))


def not_written(*args):
    raise NotImplementedError()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda f, t, y, dt: y - dt * f(t, y), "off by up to"),
        (lambda f, t, y, dt: y, "unchanged"),
        (lambda f, t, y, dt: (y + dt * f(t, y))[0], "shape"),
        (lambda f, t, y, dt: (y + dt * f(t, y)).tolist(), "torch.Tensor"),
        (lambda f, t, y, dt: (y + dt * f(t, y)).float().double() * float("nan"), "NaN"),
        (lambda f, t, y, dt: y.add_(dt * f(t, y)), "in place"),
        (lambda f, t, y, dt: (y + dt * f(t, y)).to(torch.float16), "dtype"),
        (lambda f, t, y, dt: y + dt * f(y), "raised TypeError"),
        (lambda f, t, y, dt: torch.zeros(3) @ y, "raised RuntimeError"),
        ("not a function", "should be a function"),
    ],
)
def test_euler_step_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_euler_step(answer)


def test_learner_error_names_their_line():
    def broken(f, t, y, dt):
        return y + dt * undefined_name  # noqa: F821

    with pytest.raises(CheckFailed, match="NameError: name 'undefined_name'"):
        nb.checks.check_euler_step(broken)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda *a: -measure_order(*a), "sign is flipped"),
        (lambda *a: 1.0, "expected a value within 0.2 of 2"),
        (lambda *a: "two", "should be a number"),
        (lambda *a: float("nan"), "finite number"),
        (lambda *a: torch.tensor([1.0, 2.0]), "should be a number"),
    ],
)
def test_measure_order_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_measure_order(answer)


def test_measure_order_accepts_tensor_scalars():
    nb.checks.check_measure_order(lambda *a: torch.tensor(measure_order(*a)))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda lam, T: math.floor(-lam * T / 2) + 1, "more than needed"),
        (lambda lam, T: math.floor(-lam * T / 2), "too few"),
        (lambda lam, T: float(min_stable_blocks(lam, T)), "return an int"),
        (lambda lam, T: None, "should return an int"),
        (lambda lam, T: True, "should return an int"),
    ],
)
def test_min_stable_blocks_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_min_stable_blocks(answer)


def test_check_failed_is_an_assertion_error():
    # nbgrader and pytest both treat an AssertionError as a failed test
    assert issubclass(CheckFailed, AssertionError)


# --- chapter 2 -------------------------------------------------------------------------


def rk_step_from_tableau(f, t, y, dt, a, b, c):
    k = []
    for a_row, c_i in zip(a, c, strict=True):
        y_stage = y
        for a_ij, k_j in zip(a_row, k, strict=True):
            y_stage = y_stage + dt * a_ij * k_j
        k.append(f(t + c_i * dt, y_stage))
    return y + dt * sum(b_i * k_i for b_i, k_i in zip(b, k, strict=True))


def largest_stable_dt(A):
    eig = torch.linalg.eigvals(A)
    return float((-2 * eig.real / eig.abs() ** 2).min())


def newton_update(f, jac, t1, y_n, dt, z):
    J = torch.eye(z.numel(), dtype=z.dtype) - dt * jac(t1, z)
    return z - torch.linalg.solve(J, z - y_n - dt * f(t1, z))


def rk_ignoring_nodes(f, t, y, dt, a, b, c):
    return rk_step_from_tableau(f, t, y, dt, a, b, [0.0] * len(c))


def rk_in_place(f, t, y, dt, a, b, c):
    return y.add_(rk_step_from_tableau(f, t, y.clone(), dt, a, b, c) - y)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (rk_ignoring_nodes, "off by up to"),
        (rk_in_place, "in place"),
        (lambda f, t, y, dt, a, b, c: y + dt * f(t, y), "off by up to"),
        (lambda f, t, y, dt, a, b, c: float(y.sum()), "torch.Tensor"),
        (lambda f, t, y, dt, a, b, c: y[0], "shape"),
        (lambda f, t, y, dt, a, b, c: a[5][0], "raised IndexError"),
    ],
)
def test_rk_step_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_rk_step(answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda A: float(2 / torch.linalg.eigvals(A).abs().max()), "real part"),
        (lambda A: float("nan"), "finite number"),
        (lambda A: "fast", "should be a number"),
        (lambda A: torch.linalg.eigvals(A), "number"),
        (lambda A: 1.0, "expected"),
    ],
)
def test_largest_stable_dt_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_largest_stable_dt(answer)


def newton_wrong_sign(f, jac, t1, y_n, dt, z):
    J = torch.eye(z.numel(), dtype=z.dtype) + dt * jac(t1, z)
    return z - torch.linalg.solve(J, z - y_n - dt * f(t1, z))


def explicit_euler_instead(f, jac, t1, y_n, dt, z):
    return y_n + dt * f(t1, y_n)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (newton_wrong_sign, "off by up to"),
        (explicit_euler_instead, "off by up to"),
        (lambda f, jac, t1, y_n, dt, z: z.unsqueeze(0), "shape"),
        (lambda f, jac, t1, y_n, dt, z: z * float("nan"), "NaN"),
        (
            lambda f, jac, t1, y_n, dt, z: torch.linalg.solve(jac(t1, z), z[:1]),
            "raised",
        ),
    ],
)
def test_newton_update_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_newton_update(answer)


# --- chapter 3 -------------------------------------------------------------------------


def adjoint_rhs(f, t, z, a):
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        (vjp,) = torch.autograd.grad(f(t, z), z, grad_outputs=a)
    return -vjp


def directional_derivative(loss, x, v, h):
    return float((loss(x + h * v) - loss(x - h * v)) / (2 * h))


def adjoint_at_start(A, t, dL_dz):
    a = dL_dz[-1]
    for i in range(len(t) - 2, -1, -1):
        a = a @ torch.linalg.matrix_exp(A * (t[i + 1] - t[i])) + dL_dz[i]
    return a


def adjoint_rhs_in_place(f, t, z, a):
    out = adjoint_rhs(f, t, z, a)
    a.mul_(2)
    return out


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda f, t, z, a: -adjoint_rhs(f, t, z, a), "sign is flipped"),
        (lambda f, t, z, a: -a, "off by up to"),
        (lambda f, t, z, a: adjoint_rhs(f, t, z, a).sum(0), "shape"),
        (lambda f, t, z, a: adjoint_rhs(f, t, z, a).float(), "dtype"),
        (
            lambda f, t, z, a: torch.autograd.grad(f(t, z), z, a)[0],
            "raised RuntimeError",
        ),
        (adjoint_rhs_in_place, "in place"),
    ],
)
def test_adjoint_rhs_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_adjoint_rhs(answer)


@pytest.mark.parametrize(
    ("answer", "h", "message"),
    [
        (directional_derivative, 1e-1, "outside"),
        (directional_derivative, 1e-12, "outside"),
        (directional_derivative, "small", "should be a number"),
        (
            lambda loss, x, v, h: float((loss(x + h * v) - loss(x - h * v)) / h),
            1e-5,
            "twice",
        ),
        (
            lambda loss, x, v, h: float((loss(x - h * v) - loss(x + h * v)) / (2 * h)),
            1e-5,
            "sign",
        ),
        (
            lambda loss, x, v, h: float((loss(x + h * v) - loss(x)) / h),
            1e-5,
            "autograd gives",
        ),
        (
            lambda loss, x, v, h: loss(x + h * v) - loss(x - h * v),
            1e-5,
            "autograd gives",
        ),
        (lambda loss, x, v, h: [1.0], 1e-5, "should be a number"),
    ],
)
def test_directional_derivative_wrong_answers(answer, h, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_directional_derivative(answer, h)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda A, t, g: g[-1] @ torch.linalg.matrix_exp(A * (t[-1] - t[0])), "jumps"),
        (lambda A, t, g: g.sum(0), "off by up to"),
        (lambda A, t, g: adjoint_at_start(A.T, t, g), "off by up to"),
        (lambda A, t, g: adjoint_at_start(A, t, g)[None], "shape"),
        (lambda A, t, g: adjoint_at_start(A, t, g).tolist(), "torch.Tensor"),
    ],
)
def test_adjoint_at_start_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_adjoint_at_start(answer)


# --- chapter 6 -------------------------------------------------------------------------


def spiral_solution(a, b, y0, t):
    t = t.to(y0.dtype)
    grow, c, s = torch.exp(a * t), torch.cos(b * t), torch.sin(b * t)
    return torch.stack(
        [grow * (c * y0[0] - s * y0[1]), grow * (s * y0[0] + c * y0[1])], dim=-1
    )


def inside_training_range(p_test, p_train):
    low, high = p_train.min(dim=0).values, p_train.max(dim=0).values
    return ((p_test >= low) & (p_test <= high)).all(dim=1)


def estimate_ab(t, y):
    dt = t[1] - t[0]
    dy = (y[2:] - y[:-2]) / (2 * dt)
    mid = y[1:-1]
    rotated = torch.stack([-mid[:, 1], mid[:, 0]], dim=-1)
    M = torch.stack([mid.reshape(-1), rotated.reshape(-1)], dim=-1)
    a, b = torch.linalg.lstsq(M, dy.reshape(-1, 1)).solution.flatten()
    return float(a), float(b)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).flip(-1), "swapped"),
        (lambda a, b, y0, t: spiral_solution(-a, b, y0, t), "off by up to"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).float(), "dtype"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).T, "shape"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).numpy(), "torch.Tensor"),
    ],
)
def test_spiral_solution_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_spiral_solution(answer)


def strict_inside(p_test, p_train):
    low, high = p_train.min(dim=0).values, p_train.max(dim=0).values
    return ((p_test > low) & (p_test < high)).all(dim=1)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (strict_inside, "boundaries count as inside"),
        (lambda p, q: inside_training_range(p, q).int(), "booleans"),
        (lambda p, q: inside_training_range(p, q)[:3], "one value per test row"),
        (lambda p, q: inside_training_range(p, q).tolist(), "torch.Tensor"),
        (
            lambda p, q: ((p >= q.min(0).values) & (p <= q.max(0).values)).any(1),
            "expected",
        ),
    ],
)
def test_inside_training_range_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_inside_training_range(answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda t, y: estimate_ab(t, y)[::-1], "swapped"),
        (lambda t, y: (0.0, 1.0), "expected both within"),
        (lambda t, y: estimate_ab(t, y)[0], "two numbers"),
        (lambda t, y: (float("nan"), 1.0), "finite number"),
    ],
)
def test_estimate_ab_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_estimate_ab(answer)


# --- chapter 7 -------------------------------------------------------------------------


def euler_maruyama_step(f, sigma, t, y, dt, xi):
    return y + dt * f(t, y) + sigma * dt**0.5 * xi


def delay_embedding(series, lag):
    return torch.stack([series[lag:], series[: len(series) - lag]], dim=-1)


def stiffness_ratio(J):
    rates = torch.linalg.eigvals(J).real.abs()
    return float(rates.max() / rates.min())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda f, s, t, y, dt, xi: y + dt * f(t, y) + s * dt * xi, "sqrt"),
        (lambda f, s, t, y, dt, xi: y + dt * f(t, y), "off by up to"),
        (
            lambda f, s, t, y, dt, xi: y.add_(dt * f(t, y) + s * dt**0.5 * xi),
            "in place",
        ),
        (lambda f, s, t, y, dt, xi: (y + dt * f(t, y)).float(), "dtype"),
    ],
)
def test_euler_maruyama_step_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_euler_maruyama_step(answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda x, lag: delay_embedding(x, lag).flip(-1), "swapped"),
        (lambda x, lag: delay_embedding(x, lag + 1), "shape"),
        (lambda x, lag: torch.stack([x[lag:], x[lag:]], -1), "off by up to"),
        (lambda x, lag: delay_embedding(x, lag).double(), "dtype"),
    ],
)
def test_delay_embedding_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_delay_embedding(answer)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda J: 1 / stiffness_ratio(J), "inverse"),
        (
            lambda J: float(
                torch.linalg.eigvals(J).abs().max()
                / torch.linalg.eigvals(J).abs().min()
            ),
            "real parts",
        ),
        (lambda J: "big", "should be a number"),
    ],
)
def test_stiffness_ratio_wrong_answers(answer, message):
    with pytest.raises(CheckFailed, match=message):
        nb.checks.check_stiffness_ratio(answer)


# --- chapters 4 and 5 ------------------------------------------------------------------


def mlp_parameters(widths):
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def rnn_rollout(g, y0, n):
    ys = [y0]
    for _ in range(n):
        ys.append(ys[-1] + g(ys[-1]))
    return torch.stack(ys)


def field_agreement(pred, true):
    cosine = (pred * true).sum(-1) / (pred.norm(dim=-1) * true.norm(dim=-1))
    return float(cosine.mean()), float((pred.norm(dim=-1) / true.norm(dim=-1)).median())


def rk4_step_backward(f, vjp, t, y, dt, ybar):
    k1 = f(t, y)
    y2 = y + dt / 2 * k1
    k2 = f(t + dt / 2, y2)
    y3 = y + dt / 2 * k2
    k3 = f(t + dt / 2, y3)
    y4 = y + dt * k3
    bar4 = vjp(t + dt, y4, dt / 6 * ybar)
    bar3 = vjp(t + dt / 2, y3, dt / 3 * ybar + dt * bar4)
    bar2 = vjp(t + dt / 2, y2, dt / 3 * ybar + dt / 2 * bar3)
    bar1 = vjp(t, y, dt / 6 * ybar + dt / 2 * bar2)
    return ybar + bar1 + bar2 + bar3 + bar4


def _rk4_backward_no_chain(f, vjp, t, y, dt, ybar):
    # the tempting mistake: each stage's cotangent only dt * b_i * ybar
    stages = [(t, y)]
    k = f(t, y)
    for c, a in [(0.5, 0.5), (0.5, 0.5), (1.0, 1.0)]:
        stages.append((t + c * dt, y + a * dt * k))
        k = f(*stages[-1])
    weights = [1 / 6, 1 / 3, 1 / 3, 1 / 6]
    return ybar + sum(
        vjp(s, z, dt * b * ybar) for (s, z), b in zip(stages, weights, strict=True)
    )


def _rk4_backward_all_at_t(f, vjp, t, y, dt, ybar):
    # stages evaluated at the step's start time
    return rk4_step_backward(
        lambda s, z: f(t, z), lambda s, z, v: vjp(t, z, v), t, y, dt, ybar
    )


def fhn_nullclines(v, current):
    return v - v**3 / 3 + current, (v + 0.7) / 0.8


def find_fixed_point(f, y0):
    y = y0.clone()
    for _ in range(50):
        step = torch.linalg.solve(torch.autograd.functional.jacobian(f, y), f(y))
        y = y - step
        if float(step.abs().max()) < 1e-10:
            break
    return y


def period_from_crossings(t, v):
    up = ((v[:-1] < 0) & (v[1:] >= 0)).nonzero().flatten()
    return float(t[up + 1].diff().mean())


@pytest.mark.parametrize(
    ("check", "answer", "message"),
    [
        (
            nb.checks.check_mlp_parameters,
            lambda w: sum(a * b for a, b in itertools.pairwise(w)),
            "biases",
        ),
        (nb.checks.check_mlp_parameters, lambda w: 17282.0, "int"),
        (
            nb.checks.check_rnn_rollout,
            lambda g, y0, n: rnn_rollout(g, y0, n)[1:],
            "include y0",
        ),
        (
            nb.checks.check_rnn_rollout,
            lambda g, y0, n: rnn_rollout(lambda y: 2 * g(y), y0, n),
            "off by up to",
        ),
        (nb.checks.check_rk4_step_backward, _rk4_backward_no_chain, "later stages"),
        (
            nb.checks.check_rk4_step_backward,
            lambda *a: rk4_step_backward(*a) - a[-1],
            "starts from ybar",
        ),
        (nb.checks.check_rk4_step_backward, _rk4_backward_all_at_t, "off by up to"),
        (
            nb.checks.check_rk4_step_backward,
            lambda *a: rk4_step_backward(*a).float(),
            "dtype",
        ),
        (
            nb.checks.check_rk4_step_backward,
            lambda *a: rk4_step_backward(*a).tolist(),
            "torch.Tensor",
        ),
        (nb.checks.check_field_agreement, lambda p, t: (0.5, 1.0), "cosine"),
        (
            nb.checks.check_field_agreement,
            lambda p, t: (
                field_agreement(p, t)[0],
                float((p.norm(dim=-1) / t.norm(dim=-1)).mean()),
            ),
            "median",
        ),
        (
            nb.checks.check_fhn_nullclines,
            lambda v, current: fhn_nullclines(v, current)[::-1],
            "swapped",
        ),
        (
            nb.checks.check_fhn_nullclines,
            lambda v, current: (v - v**3 / 3, (v + 0.7) / 0.8),
            "dv/dt",
        ),
        (nb.checks.check_find_fixed_point, lambda f, y0: y0, "still"),
        (
            nb.checks.check_period_from_crossings,
            lambda t, v: period_from_crossings(t, v) / 2,
            "half",
        ),
        (nb.checks.check_period_from_crossings, lambda t, v: float("nan"), "finite"),
    ],
)
def test_chapter4_5_wrong_answers(check, answer, message):
    with pytest.raises(CheckFailed, match=message):
        check(answer)


# --- every exercise: the reference answer passes, the unwritten stub is named ----------

REFERENCE_ANSWERS = [
    (nb.checks.check_euler_step, euler_step),
    (nb.checks.check_measure_order, measure_order),
    (nb.checks.check_min_stable_blocks, min_stable_blocks),
    (nb.checks.check_rk_step, rk_step_from_tableau),
    (nb.checks.check_largest_stable_dt, largest_stable_dt),
    (nb.checks.check_newton_update, newton_update),
    (nb.checks.check_adjoint_rhs, adjoint_rhs),
    (
        functools.partial(nb.checks.check_directional_derivative, h_good=1e-5),
        directional_derivative,
    ),
    (nb.checks.check_adjoint_at_start, adjoint_at_start),
    (nb.checks.check_mlp_parameters, mlp_parameters),
    (nb.checks.check_rnn_rollout, rnn_rollout),
    (nb.checks.check_field_agreement, field_agreement),
    (nb.checks.check_rk4_step_backward, rk4_step_backward),
    (nb.checks.check_fhn_nullclines, fhn_nullclines),
    (nb.checks.check_find_fixed_point, find_fixed_point),
    (nb.checks.check_period_from_crossings, period_from_crossings),
    (nb.checks.check_spiral_solution, spiral_solution),
    (nb.checks.check_inside_training_range, inside_training_range),
    (nb.checks.check_estimate_ab, estimate_ab),
    (nb.checks.check_euler_maruyama_step, euler_maruyama_step),
    (nb.checks.check_delay_embedding, delay_embedding),
    (nb.checks.check_stiffness_ratio, stiffness_ratio),
]
CHECK_IDS = [getattr(c, "func", c).__name__ for c, _ in REFERENCE_ANSWERS]


@pytest.mark.parametrize(("check", "answer"), REFERENCE_ANSWERS, ids=CHECK_IDS)
def test_reference_answer_passes(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK}")


@pytest.mark.parametrize(("check", "answer"), REFERENCE_ANSWERS, ids=CHECK_IDS)
def test_unwritten_solution_says_so(check, answer):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(not_written)


def test_every_check_is_covered():
    checks = {n for n in dir(nb.checks) if n.startswith("check_")}
    assert checks == set(CHECK_IDS)
