"""The answers chapter 5's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import numpy as np
import torch
from chapter_solutions import solution

fhn_nullclines = solution(5, "fhn_nullclines")
find_fixed_point = solution(5, "find_fixed_point")
period_from_crossings = solution(5, "period_from_crossings")


def _newton_finite_differences(f, y0, h=1e-7):
    # Newton's method with a Jacobian by forward differences
    y = y0.clone()
    for _ in range(50):
        fy = f(y)
        J = torch.stack(
            [(f(y + h * e) - fy) / h for e in torch.eye(len(y), dtype=y.dtype)], -1
        )
        step = torch.linalg.solve(J, fy)
        y = y - step
        if float(step.abs().max()) < 1e-10:
            break
    return y


def _damped_newton(f, y0):
    # half Newton steps: converges to the zero, but not along Newton's updates
    y = y0.clone()
    for _ in range(50):
        step = torch.linalg.solve(torch.autograd.functional.jacobian(f, y), f(y))
        y = y - 0.5 * step
    return find_fixed_point(f, y)


def _newton_unbounded(f, y0):
    y = y0.clone()
    while True:
        step = torch.linalg.solve(torch.autograd.functional.jacobian(f, y), f(y))
        y = y - step
        if float(step.abs().max()) < 1e-10:
            return y


def _period_numpy(t, v):
    t, v = t.numpy(), v.numpy()
    up = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0)) + 1
    return np.diff(t[up]).mean()


def _period_first_last(t, v):
    up = ((v[:-1] < 0) & (v[1:] >= 0)).nonzero().flatten() + 1
    return float((t[up[-1]] - t[up[0]]) / (len(up) - 1))


def _period_all_crossings(t, v):
    cross = ((v[:-1] < 0) != (v[1:] < 0)).nonzero().flatten() + 1
    return float(t[cross].diff().mean())


WRONG = {
    "check_fhn_nullclines": [
        (lambda v, current: fhn_nullclines(v, current)[::-1], "swapped"),
        (lambda v, current: (v - v**3 / 3, (v + 0.7) / 0.8), "dv/dt"),
        (lambda v, current: (v - v**3 / 3 + current, (v - 0.7) / 0.8), "dw/dt"),
        (lambda v, current: (v - v**3 + current, (v + 0.7) / 0.8), "dv/dt"),
        (lambda v, current: torch.stack(fhn_nullclines(v, current)), "pair"),
        (lambda v, current: (fhn_nullclines(v, current)[0].float(), v), "dtype"),
    ],
    "check_find_fixed_point": [
        (lambda f, y0: y0, "still"),
        (_damped_newton, "not by Newton's method"),
        (_newton_unbounded, "without stopping"),
        (lambda f, y0: find_fixed_point(f, y0).float(), "dtype"),
        (lambda f, y0: find_fixed_point(f, y0).tolist(), "torch.Tensor"),
    ],
    "check_period_from_crossings": [
        (lambda t, v: period_from_crossings(t, v) / 2, "half"),
        (_period_all_crossings, "half"),
        (lambda t, v: period_from_crossings(t, v) * 1.1, "returned"),
        (lambda t, v: float((t[1:][(v[:-1] < 0) & (v[1:] >= 0)]).mean()), "returned"),
        (lambda t, v: float("nan"), "finite"),
        (lambda t, v: "two", "should be a number"),
    ],
}

RIGHT = {
    "check_fhn_nullclines": [
        fhn_nullclines,
        lambda v, current: [v - v**3 / 3 + current, 1.25 * (v + 0.7)],
    ],
    "check_find_fixed_point": [find_fixed_point, _newton_finite_differences],
    "check_period_from_crossings": [
        period_from_crossings,
        _period_numpy,
        _period_first_last,
        lambda t, v: torch.tensor(period_from_crossings(t, v)),
    ],
}
