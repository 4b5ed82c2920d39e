"""The answers chapter 4's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import itertools

import numpy as np
import torch
from chapter_solutions import solution

mlp_parameters = solution(4, "mlp_parameters")
rnn_rollout = solution(4, "rnn_rollout")
field_agreement = solution(4, "field_agreement")
rk4_step_backward = solution(4, "rk4_step_backward")


def _count_with_torch(widths):
    layers = [torch.nn.Linear(a, b) for a, b in itertools.pairwise(widths)]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _rollout_preallocated(g, y0, n):
    ys = torch.empty((n + 1, *y0.shape), dtype=y0.dtype)
    ys[0] = y0
    for k in range(n):
        ys[k + 1] = ys[k] + g(ys[k])
    return ys


def _rollout_in_place(g, y0, n):
    ys = [y0.clone()]
    y = y0
    for _ in range(n):
        y += g(y)  # edits y0, and every state is the same tensor
        ys.append(y)
    return torch.stack(ys)


def _agreement_numpy(pred, true):
    p, q = pred.numpy(), true.numpy()
    cos = (p * q).sum(-1) / (np.linalg.norm(p, axis=-1) * np.linalg.norm(q, axis=-1))
    ratio = np.linalg.norm(p, axis=-1) / np.linalg.norm(q, axis=-1)
    return np.mean(cos), np.median(ratio)


def _agreement_ratio_of_medians(pred, true):
    cos, _ = field_agreement(pred, true)
    return cos, float(pred.norm(dim=-1).median() / true.norm(dim=-1).median())


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
    # every stage evaluated at the step's start time
    return rk4_step_backward(
        lambda s, z: f(t, z), lambda s, z, v: vjp(t, z, v), t, y, dt, ybar
    )


def _rk4_backward_autograd(f, vjp, t, y, dt, ybar):
    # a right answer by another road: autograd through one RK4 step
    with torch.enable_grad():
        z = y.clone().requires_grad_(True)
        k1 = f(t, z)
        k2 = f(t + dt / 2, z + dt / 2 * k1)
        k3 = f(t + dt / 2, z + dt / 2 * k2)
        k4 = f(t + dt, z + dt * k3)
        out = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        (grad,) = torch.autograd.grad(out, z, grad_outputs=ybar)
    return grad


WRONG = {
    "check_mlp_parameters": [
        (lambda w: sum(a * b for a, b in itertools.pairwise(w)), "biases"),
        (lambda w: sum(a * b + a for a, b in itertools.pairwise(w)), "expected"),
        (lambda w: sum(a * b + 1 for a, b in itertools.pairwise(w)), "expected"),
        (lambda w: float(mlp_parameters(w)), "float"),
        (lambda w: str(mlp_parameters(w)), "should be an int"),
    ],
    "check_rnn_rollout": [
        (lambda g, y0, n: rnn_rollout(g, y0, n)[1:], "include y0"),
        (lambda g, y0, n: rnn_rollout(lambda y: 2 * g(y), y0, n), "off by up to"),
        (lambda g, y0, n: rnn_rollout(g, y0, n + 1), "shape"),
        (lambda g, y0, n: rnn_rollout(lambda y: g(y0), y0, n), "off by up to"),
        (_rollout_in_place, "off by up to"),
        (lambda g, y0, n: list(rnn_rollout(g, y0, n)), "torch.Tensor"),
    ],
    "check_rk4_step_backward": [
        (_rk4_backward_no_chain, "later stages"),
        (lambda *a: rk4_step_backward(*a) - a[-1], "starts from ybar"),
        (_rk4_backward_all_at_t, "off by up to"),
        (lambda *a: rk4_step_backward(*a).float(), "dtype"),
        (lambda *a: rk4_step_backward(*a).tolist(), "torch.Tensor"),
    ],
    "check_field_agreement": [
        (lambda p, t: (0.5, 1.0), "cosine"),
        (_agreement_ratio_of_medians, "ratio of the median lengths"),
        (
            lambda p, t: (
                field_agreement(p, t)[0],
                float((p.norm(dim=-1) / t.norm(dim=-1)).mean()),
            ),
            "mean of the ratios",
        ),
        (
            lambda p, t: (float((p * t).sum(-1).mean()), field_agreement(p, t)[1]),
            "cosine",
        ),
        (lambda p, t: field_agreement(p, t)[::-1], "cosine"),
        (lambda p, t: field_agreement(p, t)[0], "two numbers"),
    ],
}

RIGHT = {
    "check_mlp_parameters": [
        mlp_parameters,
        _count_with_torch,
        lambda w: np.int64(mlp_parameters(w)),
        lambda w: torch.tensor(mlp_parameters(w)),
    ],
    "check_rnn_rollout": [rnn_rollout, _rollout_preallocated],
    "check_rk4_step_backward": [rk4_step_backward, _rk4_backward_autograd],
    "check_field_agreement": [
        field_agreement,
        _agreement_numpy,
        lambda p, t: list(torch.stack(list(map(torch.tensor, field_agreement(p, t))))),
    ],
}
