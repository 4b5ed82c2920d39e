"""The answers chapter 1's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import math

import numpy as np
import torch
from chapter_solutions import solution

import nodebook as nb

euler_step = solution(1, "euler_step")
measure_order = solution(1, "measure_order")
min_stable_blocks = solution(1, "min_stable_blocks")


def _measure(step, f, y0, T, y_exact, n_list, *, time=lambda k, dt: k * dt, dts=None):
    """measure_order with one thing changed: the time passed to the step, or the dts."""
    errors = []
    for n in n_list:
        dt = T / n if dts is None else dts(T, n)
        y = y0
        for k in range(n):
            y = step(f, time(k, dt), y, dt)
        errors.append(float((y - y_exact).abs().max()))
    return nb.fit_order([T / n for n in n_list], errors)


def _measure_numpy(step, f, y0, T, y_exact, n_list):
    # a vectorised fit written with NumPy, returning a NumPy float
    errors = []
    for n in n_list:
        dt, y, t = T / n, y0, 0.0
        for _ in range(n):
            y, t = step(f, t, y, dt), t + dt
        errors.append((y - y_exact).norm().item())
    slope, _ = np.polyfit(np.log(T / np.array(n_list)), np.log(errors), 1)
    return slope


def _blocks_loop(lam, T):
    n = 1
    while abs(1 + lam * T / n) > 1:
        n += 1
    return n


WRONG = {
    "check_euler_step": [
        (lambda f, t, y, dt: y - dt * f(t, y), "off by up to"),
        (lambda f, t, y, dt: y, "unchanged"),
        (lambda f, t, y, dt: y + f(t, y), "off by up to"),
        (lambda f, t, y, dt: y + dt * f(t + dt, y), "off by up to"),
        (lambda f, t, y, dt: (y + dt * f(t, y))[0], "shape"),
        (lambda f, t, y, dt: (y + dt * f(t, y)).tolist(), "torch.Tensor"),
        (lambda f, t, y, dt: (y + dt * f(t, y)) * float("nan"), "NaN"),
        (lambda f, t, y, dt: y.add_(dt * f(t, y)), "in place"),
        (lambda f, t, y, dt: (y + dt * f(t, y)).to(torch.float16), "dtype"),
        (lambda f, t, y, dt: y + dt * f(y), "raised TypeError"),
        (lambda f, t, y, dt: torch.zeros(3) @ y, "raised RuntimeError"),
        ("not a function", "should be a function"),
    ],
    "check_measure_order": [
        (lambda *a: -measure_order(*a), "sign is flipped"),
        (lambda *a: _measure(*a, time=lambda k, dt: 0.0), "t = k \\* dt"),
        (lambda *a: _measure(*a, time=lambda k, dt: k), "t = k \\* dt"),
        (lambda *a: _measure(*a, dts=lambda T, n: T / (n + 1)), "end exactly at T"),
        (lambda *a: 1.0, "expected a value within 0.2 of 2"),
        (lambda *a: "two", "should be a number"),
        (lambda *a: float("nan"), "finite number"),
        (lambda *a: torch.tensor([1.0, 2.0]), "should be a number"),
    ],
    "check_min_stable_blocks": [
        (lambda lam, T: math.floor(-lam * T / 2) + 1, "more than needed"),
        (lambda lam, T: math.floor(-lam * T / 2), "too few"),
        (lambda lam, T: math.ceil(-lam * T), "more than needed"),
        (lambda lam, T: float(min_stable_blocks(lam, T)), "float"),
        (lambda lam, T: -lam * T / 2, "float|int"),
        (lambda lam, T: None, "should be an int"),
        (lambda lam, T: True, "should be an int"),
    ],
}

RIGHT = {
    "check_euler_step": [
        euler_step,
        lambda f, t, y, dt: torch.add(y, f(t, y), alpha=dt),
        lambda f, t, y, dt: y.clone().add_(dt * f(t, y)),
    ],
    "check_measure_order": [
        measure_order,
        _measure_numpy,
        lambda *a: torch.tensor(measure_order(*a)),
        lambda *a: np.float32(measure_order(*a)),
    ],
    "check_min_stable_blocks": [
        min_stable_blocks,
        _blocks_loop,
        lambda lam, T: np.int64(min_stable_blocks(lam, T)),
        lambda lam, T: torch.tensor(min_stable_blocks(lam, T)),
    ],
}
