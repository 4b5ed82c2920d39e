"""The checks of chapter 3's exercises: The adjoint method.

The chapter is ``chapters/03_adjoint_method.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nodebook.checks._core import _call, _close, _fail, _number, _passed, _tensor

__all__ = [
    "check_adjoint_at_start",
    "check_adjoint_rhs",
    "check_directional_derivative",
]


def check_adjoint_rhs(adjoint_rhs: Callable[..., torch.Tensor]) -> None:
    """Exercise 3.1: ``adjoint_rhs(f, t, z, a)`` returns ``-a df/dz`` for a batch.

    Compared with ``-a A`` for a linear field and with a Jacobian from autograd for a small
    network; ``z`` and ``a`` must not be changed in place.
    """
    __tracebackhide__ = True
    gen = torch.Generator().manual_seed(3)
    A = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    z = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    a = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    t = torch.tensor(0.5, dtype=torch.float64)

    def linear(t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return z @ A.T

    W = torch.randn(3, 3, generator=gen, dtype=torch.float64)

    def network(t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(z @ W.T) * torch.cos(t)

    def expected_network() -> torch.Tensor:
        rows = []
        for z_i, a_i in zip(z, a, strict=True):
            J = torch.autograd.functional.jacobian(lambda y: network(t, y), z_i)
            rows.append(-(a_i @ J))
        return torch.stack(rows)

    for name, f, want in (
        ("a linear field z A^T", linear, -(a @ A)),
        ("a tanh network", network, expected_network()),
    ):
        z_before, a_before = z.clone(), a.clone()
        got = _call(adjoint_rhs, "adjoint_rhs", f, t, z, a)
        got = _tensor(got, f"adjoint_rhs(f, t, z, a) for {name}", like=z)
        if not (torch.equal(z, z_before) and torch.equal(a, a_before)):
            _fail("adjoint_rhs changed z or a in place; leave its inputs unchanged.")
        if torch.allclose(got, -want, rtol=1e-8, atol=1e-10):
            _fail(f"for {name} the sign is flipped: da/dt = -a df/dz.")
        _close(got, want, f"adjoint_rhs for {name}", rtol=1e-8, atol=1e-10)
    _passed("adjoint_rhs matches -a df/dz for a linear field and a network.")


def check_directional_derivative(
    directional_derivative: Callable[..., float], h_good: object
) -> None:
    """Exercise 3.2: central differences verify autograd; ``h_good`` is a sensible step.

    The three functions are a polynomial, a trigonometric sum and a short ODE solve; the
    central difference must match autograd's directional derivative to 1e-6 at
    ``h_good``, which must lie between 1e-7 and 1e-3.
    """
    __tracebackhide__ = True
    from torchdiffeq import odeint

    h = _number(h_good, "h_good")
    if not 1e-7 <= h <= 1e-3:
        _fail(
            f"h_good = {h:g} is outside [1e-7, 1e-3]: too large and the h**2 truncation "
            "error dominates, too small and round-off (about 1e-16 / h) does."
        )
    A = torch.tensor([[-0.3, 1.0], [-1.0, -0.3]], dtype=torch.float64)
    functions = {
        "a polynomial": lambda x: (x**3).sum() - 2 * (x[0] * x[1]),
        "a trigonometric sum": lambda x: torch.sin(3 * x).sum() * torch.cos(x[0]),
        "an ODE solve": lambda x: (
            odeint(
                lambda t, y: torch.tanh(y @ A.T),
                x,
                torch.tensor([0.0, 1.0], dtype=torch.float64),
                rtol=1e-12,
                atol=1e-12,
            )[-1]
            .pow(2)
            .sum()
        ),
    }
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, generator=gen, dtype=torch.float64)
    v = torch.randn(2, generator=gen, dtype=torch.float64)
    for name, loss in functions.items():
        x_req = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(x_req), x_req)
        want = float(grad @ v)
        got = _number(
            _call(
                directional_derivative, "directional_derivative", loss, x.clone(), v, h
            ),
            f"directional_derivative(...) for {name}",
        )
        if abs(got - want) > 1e-6 * max(1.0, abs(want)):
            hint = ""
            if abs(got - 2 * want) < 1e-5 * max(1.0, abs(want)):
                hint = " It is twice the derivative: divide by 2h."
            elif abs(got + want) < 1e-5 * max(1.0, abs(want)):
                hint = " The sign is flipped: L(x + hv) comes first."
            _fail(
                f"for {name} directional_derivative returned {got:.10g}, autograd gives "
                f"{want:.10g}.{hint}"
            )
    _passed("central differences agree with autograd on three functions at h_good.")


def check_adjoint_at_start(adjoint_at_start: Callable[..., torch.Tensor]) -> None:
    """Exercise 3.3: the adjoint swept backward with jumps equals autograd's dL/dz0.

    The loss is a weighted sum of squares of the states of ``z' = A z`` at uneven times.
    """
    __tracebackhide__ = True
    gen = torch.Generator().manual_seed(5)
    A = torch.tensor(
        [[-0.2, 1.5, 0.0], [-1.5, -0.2, 0.3], [0.0, -0.3, -1.0]], dtype=torch.float64
    )
    t = torch.tensor([0.0, 0.3, 1.0, 1.2, 2.5], dtype=torch.float64)
    weights = torch.rand(5, 3, generator=gen, dtype=torch.float64)
    z0 = torch.randn(3, generator=gen, dtype=torch.float64).requires_grad_(True)
    zs = torch.stack([torch.linalg.matrix_exp(A * s) @ z0 for s in t])
    loss = (weights * zs**2).sum()
    dL_dz = (2 * weights * zs).detach()
    (want,) = torch.autograd.grad(loss, z0)
    got = _call(adjoint_at_start, "adjoint_at_start", A, t, dL_dz)
    got = _tensor(got, "adjoint_at_start(A, t, dL_dz)", like=want)
    without_jumps = dL_dz[-1] @ torch.linalg.matrix_exp(A * (t[-1] - t[0]))
    if torch.allclose(got, without_jumps, atol=1e-10):
        _fail(
            "adjoint_at_start propagated only the last observation's gradient: add "
            "dL_dz[i] to the adjoint at every earlier observation time (the jumps)."
        )
    _close(got, want, "dL/dz(t0)", rtol=1e-9, atol=1e-11)
    _passed("adjoint_at_start matches autograd, jumps included.")
