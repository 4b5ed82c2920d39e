"""Chapter 7's checks: realistic wrong answers fail with a message that names the mistake;
right answers written in other ways pass, as does the chapter's own solution."""

import numpy as np
import pytest
import torch
from chapter_solutions import solution

import nodebook as nb
from nodebook.checks import CheckFailed

euler_maruyama_step = solution(7, "euler_maruyama_step")
delay_embedding = solution(7, "delay_embedding")
stiffness_ratio = solution(7, "stiffness_ratio")


def _delay_loop(series, lag):
    rows = [torch.stack([series[k], series[k - lag]]) for k in range(lag, len(series))]
    return torch.stack(rows)


def _stiffness_numpy(J):
    rates = np.abs(np.linalg.eigvals(J.numpy()).real)
    return rates.max() / rates.min()


WRONG = {
    "check_euler_maruyama_step": [
        (lambda f, s, t, y, dt, xi: y + dt * f(t, y) + s * dt * xi, "sqrt"),
        (lambda f, s, t, y, dt, xi: y + dt * f(t, y), "off by up to"),
        (lambda f, s, t, y, dt, xi: y + dt * f(t, y) + s * xi, "off by up to"),
        (
            lambda f, s, t, y, dt, xi: y + dt * f(t + dt, y) + s * dt**0.5 * xi,
            "off by up to",
        ),
        (
            lambda f, s, t, y, dt, xi: y.add_(dt * f(t, y) + s * dt**0.5 * xi),
            "in place",
        ),
        (lambda f, s, t, y, dt, xi: (y + dt * f(t, y)).float(), "dtype"),
        (
            lambda f, s, t, y, dt, xi: (
                y + dt * f(t, y) + s * dt**0.5 * torch.randn_like(y)
            ),
            "off by up to",
        ),
    ],
    "check_delay_embedding": [
        (lambda x, lag: delay_embedding(x, lag).flip(-1), "swapped"),
        (lambda x, lag: delay_embedding(x, lag + 1), "shape"),
        (lambda x, lag: torch.stack([x[lag:], x[lag:]], -1), "off by up to"),
        (lambda x, lag: delay_embedding(x, lag).double(), "dtype"),
        (lambda x, lag: delay_embedding(x, lag).T, "shape"),
        (lambda x, lag: delay_embedding(x, lag).tolist(), "torch.Tensor"),
    ],
    "check_stiffness_ratio": [
        (lambda J: 1 / stiffness_ratio(J), "inverse"),
        (
            lambda J: float(
                torch.linalg.eigvals(J).abs().max()
                / torch.linalg.eigvals(J).abs().min()
            ),
            "real parts",
        ),
        (
            lambda J: float(J.diagonal().abs().max() / J.diagonal().abs().min()),
            "returned",
        ),
        (lambda J: float(torch.linalg.cond(J)), "returned"),
        (lambda J: "big", "should be a number"),
    ],
}

RIGHT = {
    "check_euler_maruyama_step": [
        euler_maruyama_step,
        lambda f, s, t, y, dt, xi: (
            torch.add(y, f(t, y), alpha=dt) + s * np.sqrt(dt) * xi
        ),
    ],
    "check_delay_embedding": [
        delay_embedding,
        _delay_loop,
        lambda x, lag: torch.column_stack([x[lag:], x[:-lag]]),
    ],
    "check_stiffness_ratio": [stiffness_ratio, _stiffness_numpy],
}


@pytest.mark.parametrize(
    ("check", "answer", "message"),
    [(c, a, m) for c, cases in WRONG.items() for a, m in cases],
)
def test_wrong_answers_fail_with_a_message_naming_the_mistake(check, answer, message):
    with pytest.raises(CheckFailed, match=message):
        getattr(nb.checks, check)(answer)


@pytest.mark.parametrize(
    ("check", "answer"), [(c, a) for c, answers in RIGHT.items() for a in answers]
)
def test_right_answers_pass(check, answer, capsys):
    getattr(nb.checks, check)(answer)
    assert capsys.readouterr().out.startswith("\N{CHECK MARK}")
