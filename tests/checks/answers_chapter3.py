"""The answers chapter 3's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import functools

import numpy as np
import torch
from chapter_solutions import solution

import nodebook as nb

adjoint_rhs = solution(3, "adjoint_rhs")
directional_derivative = solution(3, "directional_derivative")
h_good = solution(3, "h_good")
adjoint_at_start = solution(3, "adjoint_at_start")


def _rhs_without_enable_grad(f, t, z, a):
    z = z.detach().requires_grad_(True)
    (vjp,) = torch.autograd.grad(f(t, z), z, grad_outputs=a)
    return -vjp


def _rhs_jacobian(f, t, z, a):
    # a right answer the statement advises against: the Jacobian of every row
    rows = []
    for z_i, a_i in zip(z, a, strict=True):
        J = torch.autograd.functional.jacobian(lambda y: f(t, y), z_i)
        rows.append(-(a_i @ J))
    return torch.stack(rows)


def _rhs_func_vjp(f, t, z, a):
    _, vjp = torch.autograd.functional.vjp(lambda y: f(t, y), z, a)
    return -vjp


def _rhs_in_place(f, t, z, a):
    out = adjoint_rhs(f, t, z, a)
    a.mul_(2)
    return out


def _one_sided(loss, x, v, h):
    return float((loss(x + h * v) - loss(x)) / h)


def _adjoint_no_jumps(A, t, g):
    return g[-1] @ torch.linalg.matrix_exp(A * (t[-1] - t[0]))


def _adjoint_loop_expm1(A, t, dL_dz):
    # the same sweep, with the propagator as a solve of the adjoint ODE by torchdiffeq
    from torchdiffeq import odeint

    a = dL_dz[-1]
    for i in range(len(t) - 2, -1, -1):
        span = torch.stack([t[i + 1], t[i]])
        a = odeint(lambda s, y: -(y @ A), a, span, rtol=1e-12, atol=1e-14)[-1]
        a = a + dL_dz[i]
    return a


def _dd(answer, h=h_good):
    return functools.partial(nb.checks.check_directional_derivative, h_good=h), answer


WRONG = {
    "check_adjoint_rhs": [
        (lambda f, t, z, a: -adjoint_rhs(f, t, z, a), "sign is flipped"),
        (lambda f, t, z, a: -a, "off by up to"),
        (lambda f, t, z, a: adjoint_rhs(f, t, z, a).sum(0), "shape"),
        (lambda f, t, z, a: adjoint_rhs(f, t, z, a).float(), "dtype"),
        (_rhs_without_enable_grad, "torch.enable_grad"),
        (lambda f, t, z, a: torch.autograd.grad(f(t, z), z, a)[0], "enable_grad"),
        (_rhs_in_place, "in place"),
    ],
    "check_directional_derivative": [
        (_dd(directional_derivative, 1e-1), "outside.*too large"),
        (_dd(directional_derivative, 1e-3), "outside.*too large"),
        (_dd(directional_derivative, 1e-12), "outside.*too small"),
        (_dd(directional_derivative, "small"), "should be a number"),
        (
            _dd(lambda loss, x, v, h: float((loss(x + h * v) - loss(x - h * v)) / h)),
            "twice",
        ),
        (
            _dd(
                lambda loss, x, v, h: float(
                    (loss(x - h * v) - loss(x + h * v)) / (2 * h)
                )
            ),
            "sign",
        ),
        (_dd(_one_sided, 1e-5), "autograd gives"),
        (_dd(_one_sided, 1e-7), "one-sided"),
        (_dd(lambda loss, x, v, h: [1.0]), "should be a number"),
    ],
    "check_adjoint_at_start": [
        (_adjoint_no_jumps, "jumps"),
        (lambda A, t, g: g.sum(0), "off by up to"),
        (lambda A, t, g: adjoint_at_start(A.T, t, g), "off by up to"),
        (lambda A, t, g: adjoint_at_start(A, t.flip(0), g), "off by up to"),
        (lambda A, t, g: adjoint_at_start(A, t, g)[None], "shape"),
        (lambda A, t, g: adjoint_at_start(A, t, g).tolist(), "torch.Tensor"),
    ],
}

RIGHT = {
    "check_adjoint_rhs": [adjoint_rhs, _rhs_jacobian, _rhs_func_vjp],
    "check_directional_derivative": [
        _dd(directional_derivative),
        _dd(directional_derivative, 1e-6),
        _dd(directional_derivative, np.float64(1e-4)),
        _dd(lambda loss, x, v, h: (loss(x + h * v) - loss(x - h * v)) / (2 * h)),
        _dd(
            lambda loss, x, v, h: np.float64(
                (loss(x + h * v) - loss(x - h * v)).item() / (2 * h)
            )
        ),
    ],
    "check_adjoint_at_start": [adjoint_at_start, _adjoint_loop_expm1],
}
