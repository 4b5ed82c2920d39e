"""The answers chapter 2's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import numpy as np
import torch
from chapter_solutions import solution

import nodebook as nb

rk_step_from_tableau = solution(2, "rk_step_from_tableau")
largest_stable_dt = solution(2, "largest_stable_dt")
newton_update = solution(2, "newton_update")
crossover_stiffness = solution(2, "crossover_stiffness")


def _rk_tensors(f, t, y, dt, a, b, c):
    # the stages kept in one tensor, the (ragged) tableau turned into a square matrix
    s = len(b)
    a = torch.tensor([list(row) + [0.0] * (s - len(row)) for row in a], dtype=y.dtype)
    b, c = torch.tensor(b, dtype=y.dtype), torch.tensor(c, dtype=y.dtype)
    k = torch.zeros((s, *y.shape), dtype=y.dtype)
    for i in range(len(b)):
        y_i = y + dt * torch.tensordot(a[i, :i], k[:i], dims=1)
        k[i] = f(t + c[i] * dt, y_i)
    return y + dt * torch.tensordot(b, k, dims=1)


def _rk_wrong(f, t, y, dt, a, b, c, *, nodes=True, last_row_only=False):
    k = []
    for i, (a_row, c_i) in enumerate(zip(a, c, strict=True)):
        y_i = y + dt * sum(a_ij * k_j for a_ij, k_j in zip(a_row, k, strict=False))
        if last_row_only and i:
            y_i = y + dt * a_row[i - 1] * k[-1]
        k.append(f(t + (c_i * dt if nodes else 0.0), y_i))
    return y + dt * sum(b_i * k_i for b_i, k_i in zip(b, k, strict=True))


def _stable_dt_bisection(A):
    # a numerical answer: bisect on the spectral radius of I + dt A
    eye = torch.eye(A.shape[0], dtype=A.dtype)
    lo, hi = 0.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        stable = torch.linalg.eigvals(eye + mid * A).abs().max() <= 1 + 1e-13
        lo, hi = (mid, hi) if stable else (lo, mid)
    return lo


def _newton(f, jac, t1, y_n, dt, z, *, t=None, at=None, sign=1.0):
    J = torch.eye(z.numel(), dtype=z.dtype) - sign * dt * jac(
        t1, z if at is None else at
    )
    G = z - y_n - dt * f(t1 if t is None else t, z)
    return z - torch.linalg.solve(J, G)


def _crossover(ks, *, rule=min, flip=False, dtype=torch.float64, tol=(1e-2, 1e-5)):
    """The experiment with one thing changed: which k is returned, the comparison,
    the dtype or the tolerances."""
    y0 = torch.tensor([1.0, 1.0], dtype=dtype)
    t = torch.tensor([0.0, 2.0], dtype=dtype)
    wins = []
    for k in ks:
        rates = torch.tensor([-1.0, -float(k)], dtype=dtype)
        steps = []
        for method in ("bosh3", "adaptive_backward_euler"):
            stats = nb.SolverStats()
            nb.odeint(
                lambda s, y, r=rates: r * y,
                y0,
                t,
                method=method,
                rtol=tol[0],
                atol=tol[1],
                stats=stats,
            )
            steps.append(stats.n_accepted)
        if (steps[1] > steps[0]) if flip else (steps[1] < steps[0]):
            wins.append(k)
    return rule(wins) if wins else None


def _crossover_all_counts(ks):
    # every count first, then the smallest winning k, returned as a NumPy number
    counts = {}
    for k in ks:
        A = torch.from_numpy(np.diag([-1.0, -float(k)]))
        for method in ("bosh3", "adaptive_backward_euler"):
            stats = nb.SolverStats()
            nb.odeint(
                lambda s, y, A=A: A @ y,
                torch.ones(2, dtype=torch.float64),
                torch.tensor([0.0, 2.0], dtype=torch.float64),
                method=method,
                rtol=1e-2,
                atol=1e-5,
                stats=stats,
            )
            counts[k, method] = stats.n_accepted
    wins = [k for k in ks if counts[k, "adaptive_backward_euler"] < counts[k, "bosh3"]]
    return np.float64(min(wins)) if wins else None


WRONG = {
    "check_rk_step": [
        (lambda *a: _rk_wrong(*a, nodes=False), "off by up to"),
        (lambda *a: _rk_wrong(*a, last_row_only=True), "off by up to"),
        (
            lambda f, t, y, dt, a, b, c: y.add_(
                rk_step_from_tableau(f, t, y.clone(), dt, a, b, c) - y
            ),
            "in place",
        ),
        (lambda f, t, y, dt, a, b, c: y + dt * f(t, y), "off by up to"),
        (lambda f, t, y, dt, a, b, c: float(y.sum()), "torch.Tensor"),
        (lambda f, t, y, dt, a, b, c: y[0], "shape"),
        (
            lambda f, t, y, dt, a, b, c: rk_step_from_tableau(
                f, t, y, dt, a, b, c
            ).float(),
            "dtype",
        ),
        (lambda f, t, y, dt, a, b, c: a[5][0], "raised IndexError"),
    ],
    "check_largest_stable_dt": [
        (lambda A: float(2 / torch.linalg.eigvals(A).abs().max()), "real part"),
        (lambda A: float((-2 / torch.linalg.eigvals(A).real).min()), "expected"),
        (lambda A: float("nan"), "finite number"),
        (lambda A: "fast", "should be a number"),
        (lambda A: torch.linalg.eigvals(A), "number"),
        (lambda A: 1.0, "expected"),
    ],
    "check_newton_update": [
        (lambda *a: _newton(*a, t=a[2] - a[4]), "start of the step"),
        (lambda *a: _newton(*a, at=a[3]), "Jacobian at y_n"),
        (lambda *a: _newton(*a, sign=-1.0), "off by up to"),
        (lambda f, jac, t1, y_n, dt, z: y_n + dt * f(t1, y_n), "off by up to"),
        (lambda f, jac, t1, y_n, dt, z: z.unsqueeze(0), "shape"),
        (lambda f, jac, t1, y_n, dt, z: z * float("nan"), "NaN"),
        (
            lambda f, jac, t1, y_n, dt, z: newton_update(
                f, jac, t1, y_n, dt, z
            ).float(),
            "dtype",
        ),
        (
            lambda f, jac, t1, y_n, dt, z: torch.linalg.solve(jac(t1, z), z[:1]),
            "raised",
        ),
    ],
    "check_crossover_stiffness": [
        (lambda ks: _crossover(ks, rule=max), "largest"),
        (lambda ks: _crossover(ks, flip=True), "flipped"),
        (lambda ks: _crossover(ks, tol=(1e-3, 1e-6)), "expected"),
        (lambda ks: _crossover(ks) or ks[-1], "should return None"),
        (
            lambda ks: None if _crossover(ks) is None else ks.index(_crossover(ks)),
            "position",
        ),
        (lambda ks: [k for k in ks if k >= (_crossover(ks) or 1e9)], "number"),
    ],
}

RIGHT = {
    "check_rk_step": [rk_step_from_tableau, _rk_tensors],
    "check_largest_stable_dt": [
        largest_stable_dt,
        _stable_dt_bisection,
        lambda A: np.float64(largest_stable_dt(A)),
        lambda A: torch.tensor(largest_stable_dt(A)),
    ],
    "check_crossover_stiffness": [
        crossover_stiffness,
        _crossover,
        _crossover_all_counts,
    ],
    "check_newton_update": [
        newton_update,
        # the inverse the statement advises against is still a right answer
        lambda f, jac, t1, y_n, dt, z: (
            z
            - torch.linalg.inv(torch.eye(len(z), dtype=z.dtype) - dt * jac(t1, z))
            @ (z - y_n - dt * f(t1, z))
        ),
    ],
}
