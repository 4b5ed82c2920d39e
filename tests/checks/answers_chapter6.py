"""The answers chapter 6's checks are tried on (tests/checks/test_answers.py).

``WRONG``: for each check, realistic wrong answers and a pattern of the message that must
name the mistake. ``RIGHT``: right answers written in other ways, beside the chapter's own
solution. An answer may be a pair (the check with its other arguments bound, the answer).
"""

import numpy as np
import torch
from chapter_solutions import solution

spiral_solution = solution(6, "spiral_solution")
inside_training_range = solution(6, "inside_training_range")
estimate_ab = solution(6, "estimate_ab")


def _spiral_matrix_exp(a, b, y0, t):
    A = torch.tensor([[a, -b], [b, a]], dtype=y0.dtype)
    return torch.stack([torch.linalg.matrix_exp(A * s) @ y0 for s in t.to(y0.dtype)])


def _spiral_complex(a, b, y0, t):
    z = torch.complex(y0[0], y0[1]) * torch.exp(complex(a, b) * t.to(y0.dtype))
    return torch.stack([z.real, z.imag], dim=-1)


def _strict_inside(p_test, p_train):
    low, high = p_train.min(dim=0).values, p_train.max(dim=0).values
    return ((p_test > low) & (p_test < high)).all(dim=1)


def _inside_loop(p_test, p_train):
    low, high = p_train.min(dim=0).values, p_train.max(dim=0).values
    return torch.tensor([bool(((p >= low) & (p <= high)).all()) for p in p_test])


def _estimate_forward_differences(t, y):
    dy = (y[1:] - y[:-1]) / (t[1] - t[0])
    y_k = y[:-1]
    rotated = torch.stack([-y_k[:, 1], y_k[:, 0]], dim=-1)
    M = torch.stack([y_k.reshape(-1), rotated.reshape(-1)], dim=-1)
    a, b = torch.linalg.lstsq(M, dy.reshape(-1, 1)).solution.flatten()
    return float(a), float(b)


def _estimate_polar(t, y):
    # log-radius and unwrapped angle fitted by straight lines, with NumPy
    t, y = t.numpy(), y.numpy()
    log_r = np.log(np.hypot(y[:, 0], y[:, 1]))
    angle = np.unwrap(np.arctan2(y[:, 1], y[:, 0]))
    return np.polyfit(t, log_r, 1)[0], np.polyfit(t, angle, 1)[0]


WRONG = {
    "check_spiral_solution": [
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).flip(-1), "swapped"),
        (lambda a, b, y0, t: spiral_solution(-a, b, y0, t), "off by up to"),
        (lambda a, b, y0, t: spiral_solution(a, -b, y0, t), "off by up to"),
        (lambda a, b, y0, t: spiral_solution(b, a, y0, t), "off by up to"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).float(), "dtype"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).T, "shape"),
        (lambda a, b, y0, t: spiral_solution(a, b, y0, t).numpy(), "torch.Tensor"),
    ],
    "check_inside_training_range": [
        (_strict_inside, "boundaries count as inside"),
        (lambda p, q: inside_training_range(p, q).int(), "booleans"),
        (lambda p, q: inside_training_range(p, q)[:3], "one value per test row"),
        (lambda p, q: inside_training_range(p, q).tolist(), "torch.Tensor"),
        (
            lambda p, q: ((p >= q.min(0).values) & (p <= q.max(0).values)).any(1),
            "expected",
        ),
        (lambda p, q: inside_training_range(q, p), "one value per test row|expected"),
    ],
    "check_estimate_ab": [
        (lambda t, y: estimate_ab(t, y)[::-1], "swapped"),
        (lambda t, y: (0.0, 1.0), "expected both within"),
        (_estimate_forward_differences, "expected both within"),
        (lambda t, y: estimate_ab(t, y)[0], "two numbers"),
        (lambda t, y: (float("nan"), 1.0), "finite number"),
    ],
}

RIGHT = {
    "check_spiral_solution": [spiral_solution, _spiral_matrix_exp, _spiral_complex],
    "check_inside_training_range": [inside_training_range, _inside_loop],
    "check_estimate_ab": [
        estimate_ab,
        _estimate_polar,
        lambda t, y: list(map(torch.tensor, estimate_ab(t, y))),
    ],
}
