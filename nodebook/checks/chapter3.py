"""The checks of chapter 3's exercises: The adjoint method.

The chapter is ``chapters/03_adjoint_method.ipynb``; its exercise cells call these as ``nb.checks.check_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nodebook.checks._core import (
    CheckFailed,
    _call,
    _check,
    _close,
    _fail,
    _number,
    _passed,
    _tensor,
)

__all__ = [
    "check_adjoint_at_start",
    "check_adjoint_rhs",
    "check_directional_derivative",
]


@_check
def check_adjoint_rhs(adjoint_rhs: Callable[..., torch.Tensor]) -> None:
    """Exercise 3.1: ``adjoint_rhs(f, t, z, a)`` returns ``-a df/dz`` for a batch.

    Compared with ``-a A`` for a linear field and with a Jacobian from autograd for a small
    network; ``z`` and ``a`` must not be changed in place. The learner's function is called
    under ``torch.no_grad()``, as the chapter's backward solve calls it.
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
        # called as the chapter's backward solve calls it: outside any graph
        with torch.no_grad():
            try:
                got = _call(adjoint_rhs, "adjoint_rhs", f, t, z, a)
            except CheckFailed as failure:
                if "grad" not in str(failure):
                    raise
                _fail(
                    f"{failure} The chapter calls adjoint_rhs under torch.no_grad() "
                    "(the backward solve records no graph), and so does this check: "
                    "compute the vector-Jacobian product inside "
                    "`with torch.enable_grad():`, from a detached copy of z that "
                    "requires gradients."
                )
        got = _tensor(got, f"adjoint_rhs(f, t, z, a) for {name}", like=z)
        if not (torch.equal(z, z_before) and torch.equal(a, a_before)):
            _fail("adjoint_rhs changed z or a in place; leave its inputs unchanged.")
        if torch.allclose(got, -want, rtol=1e-8, atol=1e-10):
            _fail(f"for {name} the sign is flipped: da/dt = -a df/dz.")
        _close(got, want, f"adjoint_rhs for {name}", rtol=1e-8, atol=1e-10)
    _passed("adjoint_rhs matches -a df/dz for a linear field and a network.")


@_check
def check_directional_derivative(
    directional_derivative: Callable[..., float], h_good: object
) -> None:
    """Exercise 3.2: central differences verify autograd; ``h_good`` is a sensible step.

    ``h_good`` must lie in [1e-7, 1e-4], where a central difference in float64 matches
    autograd's directional derivative to 1e-6 (relative) on the three functions: a
    polynomial, a trigonometric sum and a short ODE solve. At ``h_good`` the learner's
    difference must do so; at two large steps chosen here its error must fall like
    ``h**2`` (a one-sided difference falls like ``h`` and is named).
    """
    __tracebackhide__ = True
    from torchdiffeq import odeint

    h = _number(h_good, "h_good")
    if not 1e-7 <= h <= 1e-4:
        why = (
            "too large: the truncation error, about h**2 times the third derivative, "
            "exceeds 1e-6 on these functions"
            if h > 1e-4
            else "too small: round-off, about 1e-16 / h, grows"
        )
        _fail(f"h_good = {h:g} is outside [1e-7, 1e-4], {why}.")
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

    def exact(loss: Callable[[torch.Tensor], torch.Tensor]) -> float:
        x_req = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(x_req), x_req)
        return float(grad @ v)

    def learner(name: str, step: float) -> float:
        return _number(
            _call(
                directional_derivative,
                "directional_derivative",
                functions[name],
                x.clone(),
                v.clone(),
                step,
            ),
            f"directional_derivative(...) for {name} at h = {step:g}",
        )

    for name, loss in functions.items():
        want = exact(loss)
        got = learner(name, h)
        scale = max(1.0, abs(want))
        if abs(got - want) > 1e-6 * scale:
            hint = ""
            if abs(got - 2 * want) < 1e-5 * scale:
                hint = " It is twice the derivative: divide by 2h."
            elif abs(got + want) < 1e-5 * scale:
                hint = " The sign is flipped: L(x + hv) comes first."
            _fail(
                f"for {name} at h = {h:g} directional_derivative returned {got:.10g}, "
                f"autograd gives {want:.10g}.{hint}"
            )
    # the order: on the cubic the central difference errs h**2 * sum(v**3) exactly
    want = exact(functions["a polynomial"])
    errors = [abs(learner("a polynomial", step) - want) for step in (1e-2, 5e-3)]
    if errors[0] > 1e-9 * max(1.0, abs(want)) and errors[0] < 3 * errors[1]:
        _fail(
            f"at h = 1e-2 and 5e-3 the error on the polynomial is {errors[0]:.2g} and "
            f"{errors[1]:.2g}: it halves with h, so this is a one-sided difference. The "
            "central difference (L(x + hv) - L(x - hv)) / (2h) errs like h**2."
        )
    _passed("central differences agree with autograd on three functions at h_good.")


@_check
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
