"""The answers chapter 7's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import numpy as np
import torch
from chapter_solutions import solution

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
