"""The fused rollout (chapter 4): autograd's values and gradients, by hand and faster."""

import math
import random

import pytest
import torch

import nodebook as nb

F64 = torch.float64


def _field(param_dim, time_input, hidden=12, n_hidden=2, seed=0, power=1):
    torch.manual_seed(seed)
    return nb.ConditionedField(
        3,
        param_dim=param_dim,
        hidden=hidden,
        n_hidden=n_hidden,
        time_input=time_input,
        state_power=power,
    ).double()


def _grads(out, weight, inputs):
    return torch.autograd.grad((out * weight).sum(), inputs, allow_unused=True)


CASES = [
    # (param_dim, time_input, n_hidden, batch, n_steps, method, per-row times, p shape)
    (0, False, 2, 1, 1, "rk4", False, None),
    (0, False, 1, 7, 5, "rk4", False, None),
    (1, False, 2, 5, 12, "rk4", False, "rows"),
    (2, False, 3, 4, 3, "rk4", False, "shared"),
    (0, True, 2, 6, 9, "rk4", False, None),
    (1, True, 2, 6, 4, "rk4", True, "rows"),
    (2, True, 1, 3, 6, "euler", True, "rows"),
    (1, False, 2, 8, 7, "euler", False, "rows"),
    (1, True, 2, 2, 5, "midpoint", False, "shared"),
    (1, False, 2, 3, 4, nb.DOPRI5, False, "rows"),
    (0, True, 2, 5, 6, nb.BOSH3, False, None),
]
# the same with the network fed y**power (chapter 6's ode_demo field has power 3)
CASES = [(*case, 1) for case in CASES] + [
    (0, False, 1, 20, 9, "rk4", False, None, 3),
    (1, True, 2, 4, 5, "rk4", True, "rows", 2),
    (2, False, 2, 3, 4, nb.DOPRI5, False, "shared", 3),
]


@pytest.mark.parametrize(
    (
        "param_dim",
        "time_input",
        "n_hidden",
        "batch",
        "n_steps",
        "method",
        "per_row",
        "p",
        "power",
    ),
    CASES,
)
def test_values_and_gradients_equal_autograd_through_the_same_tableau(
    param_dim, time_input, n_hidden, batch, n_steps, method, per_row, p, power
):
    field = _field(param_dim, time_input, n_hidden=n_hidden, power=power)
    gen = torch.Generator().manual_seed(batch * 31 + n_steps)
    y0 = torch.randn(batch, 3, generator=gen, dtype=F64, requires_grad=True)
    params = None
    if p == "rows":
        params = torch.randn(batch, param_dim, generator=gen, dtype=F64)
    elif p == "shared":
        params = torch.randn(param_dim, generator=gen, dtype=F64)
    if params is not None:
        params.requires_grad_(True)
    # an uneven, decreasing grid for some cases: steps need not be equal or positive
    steps = 0.1 + 0.2 * torch.rand(n_steps, generator=gen, dtype=F64)
    t = torch.cat([torch.zeros(1, dtype=F64), steps.cumsum(0)]) + 0.3
    if n_steps % 2:
        t = t.flip(0)
    if per_row:
        start = torch.randn(batch, generator=gen, dtype=F64)
        grid = t[:, None] + start[None, :]
    got = nb.fused_odeint(field, y0, grid if per_row else t, p=params, method=method)

    def f(tau, y):
        return field(tau, y, params)

    if per_row:
        # the reference: each row on its own time grid, stacked
        want = torch.stack(
            [
                nb.odeint(
                    lambda tau, y, r=r: field(
                        tau, y, None if params is None else params[r : r + 1]
                    ),
                    y0[r : r + 1],
                    grid[:, r],
                    method=method,
                )[:, 0]
                for r in range(batch)
            ],
            dim=1,
        )
    else:
        want = nb.odeint(f, y0, t, method=method)
    assert got.shape == (n_steps + 1, batch, 3)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)
    weight = torch.randn(got.shape, generator=gen, dtype=F64)
    inputs = [y0, *field.parameters()] + ([params] if params is not None else [])
    for a, b in zip(
        _grads(got, weight, inputs), _grads(want, weight, inputs), strict=True
    ):
        assert torch.allclose(a, b, rtol=0, atol=1e-12), (a - b).abs().max()


def test_unbatched_state_and_a_bound_field():
    field = _field(1, False)
    p = torch.tensor([0.4], dtype=F64)
    y0 = torch.tensor([0.1, -0.2, 0.3], dtype=F64)
    t = torch.linspace(0, 1, 6, dtype=F64)
    got = nb.fused_odeint(field.at(p), y0, t)
    want = nb.odeint(field.at(p), y0, t)
    assert got.shape == (6, 3)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)


def test_the_residual_rnn_is_euler_with_unit_steps():
    field = _field(0, False)
    y0 = torch.randn(4, 3, dtype=F64)
    got = nb.fused_odeint(field, y0, torch.arange(4, dtype=F64), method="euler")
    with torch.no_grad():
        y1 = y0 + field(0.0, y0)
    assert torch.allclose(got[1], y1, rtol=0, atol=1e-14)


def test_no_graph_is_kept_when_nothing_needs_a_gradient():
    field = _field(0, False)
    y0 = torch.randn(4, 3, dtype=F64)
    t = torch.linspace(0, 1, 5, dtype=F64)
    with torch.no_grad():
        out = nb.fused_odeint(field, y0, t)
    assert out.grad_fn is None and not out.requires_grad
    assert nb.fused_odeint(field, y0, t).grad_fn is not None  # weights need gradients


def test_float32_training_step_matches_autograd_closely():
    torch.manual_seed(0)
    field = nb.ConditionedField(2, param_dim=1, hidden=32, n_hidden=2)
    y0 = torch.randn(10, 2)
    p = torch.rand(10, 1)
    t = torch.arange(21) * 0.5
    got = nb.fused_odeint(field, y0, t, p=p)
    want = nb.odeint(field.at(p), y0, t)
    g1 = torch.autograd.grad((got**2).mean(), list(field.parameters()))
    g2 = torch.autograd.grad((want**2).mean(), list(field.parameters()))
    assert torch.allclose(got, want, atol=1e-5)
    for a, b in zip(g1, g2, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6)


def _bad(**change):
    field = change.pop("field", None) or _field(1, False)
    args = {
        "field": field,
        "y0": torch.zeros(2, 3, dtype=F64),
        "t": torch.linspace(0, 1, 4, dtype=F64),
        "p": torch.zeros(2, 1, dtype=F64),
    }
    args.update(change)
    nb.fused_odeint(args.pop("field"), args.pop("y0"), args.pop("t"), **args)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"method": "rk5"}, ValueError, "unknown method"),
        ({"method": "dopri5"}, ValueError, "is adaptive.*nb.DOPRI5"),
        ({"y0": torch.zeros(2, 4, dtype=F64)}, ValueError, r"y0 must have shape"),
        (
            {"y0": torch.tensor([[math.nan, 0, 0]] * 2, dtype=F64)},
            ValueError,
            "non-finite",
        ),
        ({"y0": [[0.0, 0.0, 0.0]]}, TypeError, "y0 must be a torch.Tensor"),
        ({"y0": torch.zeros(2, 3)}, TypeError, "weights are torch.float64"),
        ({"t": torch.tensor([0.0, 0.0, 1.0], dtype=F64)}, ValueError, "no zero steps"),
        ({"t": torch.tensor([0.0, 1.0, 0.5], dtype=F64)}, ValueError, "strictly"),
        ({"t": torch.tensor([0.0], dtype=F64)}, ValueError, "at least 2"),
        ({"t": torch.tensor([0.0, math.inf], dtype=F64)}, ValueError, "non-finite"),
        (
            {"t": torch.tensor([[0.0, 1.0], [0.5, 2.0]], dtype=F64)},
            ValueError,
            "share their step sizes",
        ),
        ({"t": torch.arange(15.0, dtype=F64).reshape(3, 5)}, ValueError, "one column"),
        ({"p": None}, ValueError, "pass p"),
        ({"p": torch.zeros(3, 1, dtype=F64)}, ValueError, "p must have shape"),
        ({"field": lambda t, y: y}, ValueError, "needs a ConditionedField"),
    ],
)
def test_bad_input_gets_a_clear_error(change, error, message):
    with pytest.raises(error, match=message):
        _bad(**change)


def test_a_bound_field_and_p_together_is_an_error():
    field = _field(1, False)
    p = torch.zeros(2, 1, dtype=F64)
    with pytest.raises(ValueError, match="bound"):
        nb.fused_odeint(
            field.at(p), torch.zeros(2, 3, dtype=F64), torch.arange(3.0, dtype=F64), p=p
        )


def test_dropout_in_training_mode_matches_autograd_with_the_same_masks():
    torch.manual_seed(3)
    field = nb.ConditionedField(3, 1, 10, n_hidden=2, time_input=True, dropout=0.3)
    field = field.double().train()
    layers = [m for m in field.net if isinstance(m, torch.nn.Linear)]
    y0 = torch.randn(4, 3, dtype=F64, requires_grad=True)
    p = torch.rand(4, 1, dtype=F64)
    t = torch.linspace(0.2, 1.0, 5, dtype=F64)

    def reference(tau, y):  # masks drawn in the fused rollout's order: per stage, layer
        x = torch.cat([y, p, torch.as_tensor(tau, dtype=F64).expand(4, 1)], -1)
        for layer in layers[:-1]:
            x = torch.tanh(layer(x))
            x = x * torch.empty_like(x).bernoulli_(0.7).div_(0.7)
        return layers[-1](x)

    torch.manual_seed(11)
    got = nb.fused_odeint(field, y0, t, p=p)
    torch.manual_seed(11)
    want = nb.odeint(reference, y0, t)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)
    weight = torch.randn(got.shape, dtype=F64)
    inputs = [y0, *field.parameters()]
    for a, b in zip(
        _grads(got, weight, inputs), _grads(want, weight, inputs), strict=True
    ):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)
    torch.manual_seed(12)
    assert not torch.allclose(nb.fused_odeint(field, y0, t, p=p), got)  # other masks


def test_dropout_in_eval_mode_is_fine():
    field = nb.ConditionedField(3, 0, 8, dropout=0.5).double().eval()
    y0 = torch.zeros(2, 3, dtype=F64)
    t = torch.arange(3.0, dtype=F64)
    want = nb.odeint(lambda tau, y: field(tau, y), y0, t)
    assert torch.allclose(nb.fused_odeint(field, y0, t), want, atol=1e-12)


def _autograd_reference(field, y0, t, p):
    return nb.odeint(field.at(p), y0, t)


def test_a_retained_graph_gives_the_same_gradient_twice():
    """No buffer of a live graph is handed to another rollout (issue 26, item 1)."""
    field = _field(1, False)
    y0 = torch.randn(3, 3, dtype=F64)
    p = torch.rand(3, 1, dtype=F64)
    t = torch.linspace(0, 1, 6, dtype=F64)
    params = list(field.parameters())
    first = nb.fused_odeint(field, y0, t, p=p).pow(2).sum()
    g1 = torch.autograd.grad(first, params, retain_graph=True)
    for shift in (1, 2):  # rollouts of the same shape in between
        nb.fused_odeint(field, y0 + shift, t, p=p).sum().backward()
    g2 = torch.autograd.grad(first, params)
    for a, b in zip(g1, g2, strict=True):
        assert torch.equal(a, b), "a second backward of a retained graph changed"


@pytest.mark.parametrize("probe", [False, True])
def test_two_rollouts_of_one_shape_in_one_loss_match_autograd(probe):
    """Also under chapter 3's memory probe, whose hooks skip autograd's version check."""
    field = _field(1, False)
    y0 = torch.randn(4, 3, dtype=F64)
    p = torch.rand(4, 1, dtype=F64)
    t = torch.linspace(0, 1, 6, dtype=F64)
    params = list(field.parameters())

    def loss(solve):
        return solve(field, y0, t, p).pow(2).sum() + solve(field, -y0, t, p).sum()

    # before: two backward passes of one retained graph (which once put its buffers
    # on the spare list twice, for two later rollouts to share)
    retained = nb.fused_odeint(field, y0, t, p=p).sum()
    retained.backward(retain_graph=True)
    retained.backward()
    if probe:
        with nb.saved_tensors():
            got = torch.autograd.grad(
                loss(lambda f, y, s, q: nb.fused_odeint(f, y, s, p=q)), params
            )
    else:
        got = torch.autograd.grad(
            loss(lambda f, y, s, q: nb.fused_odeint(f, y, s, p=q)), params
        )
    want = torch.autograd.grad(loss(_autograd_reference), params)
    for a, b in zip(got, want, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-12), (a - b).abs().max()


class _OwnForward(nb.ConditionedField):
    def forward(self, t, y, p=None):
        return 2 * super().forward(t, y, p)


class _OtherTanh(torch.nn.Tanh):
    def forward(self, x):
        return torch.tanh(2 * x)


class _OtherLinear(torch.nn.Linear):
    pass


def _with_net(*modules, param_dim=1, cls=nb.ConditionedField):
    field = cls(3, param_dim=param_dim, hidden=8, n_hidden=2).double()
    if modules:
        field.net = torch.nn.Sequential(*modules).double()
    return field


L, TANH = torch.nn.Linear, torch.nn.Tanh


def _hooked(where):
    field = _with_net()
    target = field if where == "field" else field.net[0]
    target.register_forward_hook(lambda module, args, out: out * 2)
    return field


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (_with_net(cls=_OwnForward), "overrides forward"),
        (_with_net(L(4, 8), TANH(), L(8, 8), L(8, 3)), "where a Tanh belongs"),
        (_with_net(L(4, 8), TANH(), L(8, 3), TANH()), "where a Linear belongs"),
        (_with_net(L(4, 8), _OtherTanh(), L(8, 3)), "_OtherTanh where a Tanh"),
        (_with_net(_OtherLinear(4, 8), TANH(), L(8, 3)), "where a Linear belongs"),
        (_hooked("field"), "hook"),
        (_hooked("layer"), "hook"),
        (
            _with_net(
                L(4, 8),
                TANH(),
                torch.nn.Dropout(0.1),
                L(8, 8),
                TANH(),
                torch.nn.Dropout(0.5),
                L(8, 3),
            ),
            "dropout rates differ",
        ),
        (
            _with_net(L(4, 8), torch.nn.Dropout(0.1), TANH(), L(8, 3)),
            "where a Tanh belongs",
        ),
        (_with_net(L(4, 8), TANH(), L(8, 6), TANH(), L(6, 3)), "hidden widths differ"),
        (_with_net(L(4, 8), TANH(), L(8, 3, bias=False)), "has no bias"),
        (_with_net(L(4, 8), TANH(), L(8, 3), param_dim=2), "maps 4 -> 3"),
    ],
)
def test_a_field_the_kernel_cannot_run_exactly_is_refused(field, message):
    """Each of these ran before and gave wrong values or a raw error (issue 26, item 2)."""
    y0 = torch.zeros(2, 3, dtype=F64)
    t = torch.linspace(0, 1, 4, dtype=F64)
    p = torch.zeros(2, field.param_dim, dtype=F64)
    with pytest.raises(ValueError, match=message) as raised:
        nb.fused_odeint(field, y0, t, p=p)
    assert "nb.odeint(" in str(raised.value), "the message names the way out"


def test_a_subclass_that_keeps_forward_is_accepted():
    class Named(nb.ConditionedField):
        pass

    field = _with_net(cls=Named)
    y0 = torch.randn(2, 3, dtype=F64)
    t = torch.linspace(0, 1, 4, dtype=F64)
    p = torch.rand(2, 1, dtype=F64)
    got = nb.fused_odeint(field, y0, t, p=p)
    assert torch.allclose(got, _autograd_reference(field, y0, t, p), atol=1e-12)


def test_a_time_grid_that_requires_grad_is_refused():
    """It used to get no gradient and no warning (issue 26, item 3)."""
    t = torch.linspace(0, 1, 4, dtype=F64).requires_grad_(True)
    with pytest.raises(ValueError, match="treats the time grid as data"):
        _bad(t=t)


def test_the_grid_is_checked_in_the_dtype_it_is_stepped_in():
    """float64 times 1e7 + 0.5 k collapse in float32 (issue 26, item 4)."""
    field = nb.ConditionedField(3, param_dim=1, hidden=8)
    t = 1e7 + 0.5 * torch.arange(5, dtype=F64)
    with pytest.raises(ValueError, match="no zero steps"):
        nb.fused_odeint(field, torch.zeros(2, 3), t, p=torch.zeros(2, 1))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused(dtype):
    field = nb.ConditionedField(3, param_dim=1, hidden=8).to(dtype)
    with pytest.raises(TypeError, match="float32 or float64"):
        nb.fused_odeint(
            field,
            torch.zeros(2, 3, dtype=dtype),
            torch.linspace(0, 1, 4, dtype=dtype),
            p=torch.zeros(2, 1, dtype=dtype),
        )


def test_a_second_derivative_is_refused_clearly():
    """create_graph=True used to fail with an out= error (issue 26, item 7)."""
    field = _field(1, False)
    y0 = torch.randn(2, 3, dtype=F64, requires_grad=True)
    p = torch.rand(2, 1, dtype=F64)
    t = torch.linspace(0, 1, 4, dtype=F64)
    (g,) = torch.autograd.grad(
        nb.fused_odeint(field, y0, t, p=p).pow(2).sum(), [y0], create_graph=True
    )
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()


class _Rollout(torch.nn.Module):
    """fused_odeint as a module, so that functional_call can swap in the weights."""

    def __init__(self, field, t, method):
        super().__init__()
        self.field, self.t, self.method = field, t, method

    def forward(self, y0, p):
        return nb.fused_odeint(self.field, y0, self.t, p=p, method=self.method)


def test_gradcheck_for_every_tableau_in_one_process_in_shuffled_order():
    """The result must not depend on what ran before (issue 26)."""
    order = [nb.EULER, nb.MIDPOINT, nb.RK4, nb.RK38, nb.BOSH3, nb.DOPRI5]
    random.Random(26).shuffle(order)
    for method in order * 2:
        rollout = _Rollout(
            _field(1, True, hidden=4, seed=len(method.name)),
            torch.linspace(0.2, 0.8, 4, dtype=F64),
            method,
        )
        names = [name for name, _ in rollout.named_parameters()]
        y0 = torch.randn(2, 3, dtype=F64, requires_grad=True)
        p = torch.rand(2, 1, dtype=F64, requires_grad=True)
        weights = [w.detach().clone().requires_grad_() for w in rollout.parameters()]

        def run(y, q, *w, rollout=rollout, names=names):
            return torch.func.functional_call(
                rollout, dict(zip(names, w, strict=True)), (y, q)
            )

        assert torch.autograd.gradcheck(run, (y0, p, *weights)), method.name


def test_repeated_training_steps_give_the_same_gradients_as_the_first():
    field = _field(1, False)
    y0 = torch.randn(4, 3, dtype=F64)
    p = torch.rand(4, 1, dtype=F64)
    t = torch.linspace(0, 1, 6, dtype=F64)
    grads = []
    for _ in range(3):  # the second and third reuse the first's buffers
        field.zero_grad()
        nb.fused_odeint(field, y0, t, p=p).pow(2).sum().backward()
        grads.append([w.grad.clone() for w in field.parameters()])
    for later in grads[1:]:
        assert all(torch.equal(a, b) for a, b in zip(grads[0], later, strict=True))


def test_float32_forward_sums_the_stages_before_adding_them_to_the_state():
    """Issue 26, item 5: on chapter 4's model and data, adding each stage into y on its
    own gave 2.4x autograd's float32 error (against float64); summed first, 1.5x."""
    data = nb.fhn.fhn_data(seed=0)
    field = nb.fhn.fhn_model(0)
    exact = nb.fhn.fhn_model(0).double()
    y0, p, t = data.y[0], data.I[:, None], data.t
    with torch.no_grad():
        want = nb.odeint(exact.at(p.double()), y0.double(), t.double())

        def error(ys):
            return float((ys.double() - want).abs().max() / want.abs().max())

        fused = error(nb.fused_odeint(field, y0, t, p=p))
        autograd = error(nb.odeint(field.at(p), y0, t))
    assert fused < 2 * autograd, (
        f"float32 error {fused:.2e} against autograd's {autograd:.2e}"
    )


def test_float32_parameter_gradients_are_as_accurate_as_autograds():
    """Issue 26, item 5: on chapter 4's model and loss, three of the six float32 weight
    gradients were 5-8x less accurate than autograd's (against float64), because each
    chunk's products were one long float32 dot product over all its rows; formed per
    evaluation and summed by torch's reduction, all six are within autograd's."""
    data = nb.fhn.fhn_data(seed=0)
    field = nb.fhn.fhn_model(0)
    exact = nb.fhn.fhn_model(0).double()
    y0, p, t = data.y[0], data.I[:, None], data.t

    def grads(model, ys, target):
        loss = ((ys - target) ** 2).mean()
        return torch.autograd.grad(loss, list(model.parameters()))

    dtype = torch.float64
    want = grads(
        exact,
        nb.odeint(exact.at(p.to(dtype)), y0.to(dtype), t.to(dtype)),
        data.y.to(dtype),
    )
    fused = grads(field, nb.fused_odeint(field, y0, t, p=p), data.y)
    autograd = grads(field, nb.odeint(field.at(p), y0, t), data.y)

    def error(got, ref):
        return float((got.to(dtype) - ref).norm() / ref.norm())

    names = [name for name, _ in field.named_parameters()]
    for name, a, b, ref in zip(names, fused, autograd, want, strict=True):
        assert error(a, ref) < 1.5 * error(b, ref), (
            f"float32 gradient of {name}: error {error(a, ref):.1e} against "
            f"autograd's {error(b, ref):.1e}"
        )


def test_state_power_feeds_the_network_the_powered_state():
    torch.manual_seed(0)
    field = nb.ConditionedField(2, hidden=5, n_hidden=1, state_power=3).double()
    y = torch.randn(4, 2, dtype=F64)
    assert torch.equal(field(0.0, y), field.net(y**3))
    with pytest.raises(ValueError, match="at least 1"):
        nb.ConditionedField(2, state_power=0)
    with pytest.raises(TypeError, match="must be an int"):
        nb.ConditionedField(2, state_power=1.5)
