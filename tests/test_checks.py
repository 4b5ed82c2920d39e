"""Exercise checks: right answers pass; every kind of wrong answer gets a clear message."""

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


def test_right_answers_pass(capsys):
    nb.checks.check_euler_step(euler_step)
    nb.checks.check_measure_order(measure_order)
    nb.checks.check_min_stable_blocks(min_stable_blocks)
    out = capsys.readouterr().out
    assert out.count("\N{CHECK MARK}") == 3


@pytest.mark.parametrize(
    "check",
    [
        nb.checks.check_euler_step,
        nb.checks.check_measure_order,
        nb.checks.check_min_stable_blocks,
    ],
)
def test_unwritten_solution_says_so(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(not_written)


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
