"""Chapters 4 and 5: the FitzHugh-Nagumo data, models, recipes, metrics and cache."""

import json
from importlib.resources import files

import pytest
import torch
from torchdiffeq import odeint

import nodebook as nb
from nodebook import fhn


def test_data_shapes_currents_and_ground_truth():
    data = fhn.fhn_data(n_traj=6, n_samples=20, seed=3)
    assert data.y.shape == (20, 6, 2) and data.t.shape == (20,)
    assert data.I.tolist() == pytest.approx([0.5, 0.5, 0.5, 0.2, 0.2, 0.2])
    start = data.y[0]
    assert bool(((start[:, 0] >= -2) & (start[:, 0] <= 2)).all())
    assert bool(((start[:, 1] >= -1) & (start[:, 1] <= 1.5)).all())
    # one RK4 step per sample of the true field stays close to the accurate data
    path = nb.odeint(nb.FitzHughNagumo(I=data.I), data.y[0], data.t)
    assert float((path - data.y).abs().max()) < 1e-2


def test_model_has_the_published_size():
    assert nb.count_parameters(fhn.fhn_model()) == 17_282
    assert nb.count_parameters(fhn.fhn_model(time_input=True)) == 17_410


def test_rnn_rollout_is_residual_and_node_rollout_is_rk4():
    model = fhn.fhn_model()
    data = fhn.fhn_data(n_traj=4, n_samples=5)
    with torch.no_grad():
        rnn = fhn.rollout(model, "rnn", data.y[0], data.I, 3)
        g = model.at(data.I[:, None])(torch.zeros(()), data.y[0])
        assert torch.allclose(rnn[1], data.y[0] + g)
        node = fhn.rollout(model, "node", data.y[0], data.I, 3)
        want = nb.odeint(model.at(data.I[:, None]), data.y[0], data.t[:4])
        assert torch.allclose(node, want, atol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        fhn.rollout(model, "lstm", data.y[0], data.I, 3)
    with pytest.raises(ValueError, match="solver"):
        fhn.rollout(model, "node", data.y[0], data.I, 3, solver="scipy")


@pytest.mark.parametrize("kind", ["node", "rnn"])
def test_the_three_solvers_give_the_same_rollout_and_gradient(kind):
    data = fhn.fhn_data(n_traj=6, n_samples=12)
    model = fhn.fhn_model().double()
    results = {}
    for solver in fhn.SOLVERS:
        model.zero_grad()
        pred = fhn.rollout(
            model, kind, data.y[0].double(), data.I.double(), 11, solver=solver
        )
        ((pred - data.y.double()) ** 2).mean().backward()
        results[solver] = (pred.detach(), [p.grad.clone() for p in model.parameters()])
    ref_pred, ref_grad = results["autograd"]
    fused_pred, fused_grad = results["fused"]
    assert torch.allclose(fused_pred, ref_pred, rtol=0, atol=1e-12)
    for a, b in zip(fused_grad, ref_grad, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)
    # torchdiffeq's rk4 is the 3/8 rule: a different method of the same order
    td_pred, _ = results["torchdiffeq"]
    tol = 1e-12 if kind == "rnn" else 1e-3
    assert torch.allclose(td_pred, ref_pred, rtol=0, atol=tol)


def test_a_time_input_sees_each_window_start():
    model = fhn.fhn_model(time_input=True)
    data = fhn.fhn_data(n_traj=3, n_samples=6)
    t0 = torch.tensor([0.0, 1.0, 2.5])
    with torch.no_grad():
        got = fhn.rollout(model, "node", data.y[0], data.I, 2, t0=t0)
        for row in range(3):
            want = nb.odeint(
                model.at(data.I[row : row + 1, None]),
                data.y[0][row : row + 1],
                t0[row] + torch.tensor([0.0, 0.5, 1.0]),
            )
            assert torch.allclose(got[:, row], want[:, 0], atol=1e-6)
    with pytest.raises(ValueError, match="one start time"):
        fhn.rollout(model, "node", data.y[0], data.I, 2, t0=t0, solver="torchdiffeq")
    with pytest.raises(ValueError, match="no time input"):
        fhn.rollout(model, "rnn", data.y[0], data.I, 2)


def test_field_agreement_of_the_true_field_is_perfect():
    class TrueField(torch.nn.Module):
        def forward(self, t, y, p):
            return nb.FitzHughNagumo(I=p.reshape(-1))(t, y)

    cosine, ratio = fhn.field_agreement(TrueField(), "node", 0.5)
    assert cosine == pytest.approx(1.0) and ratio == pytest.approx(1.0)
    cosine, ratio = fhn.field_agreement(TrueField(), "rnn", 0.5)
    assert ratio == pytest.approx(1 / fhn.DT)  # g / dt: the RNN's field needs the step
    cosine, _ = fhn.field_agreement(TrueField(), "node", 0.5, weighted=True)
    assert cosine == pytest.approx(1.0)


def test_weighted_cosine_counts_slow_regions_less():
    class Offset(torch.nn.Module):
        # the true field plus a constant arrow: wrong in direction mostly where slow
        def forward(self, t, y, p):
            true = nb.FitzHughNagumo(I=p.reshape(-1))(t, y)
            return true + torch.tensor([0.0, 0.3])

    uniform, _ = fhn.field_agreement(Offset(), "node", 0.5)
    weighted, _ = fhn.field_agreement(Offset(), "node", 0.5, weighted=True)
    assert uniform < weighted < 1.0, (uniform, weighted)


def test_cache_round_trip_and_missing_or_damaged_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path))
    assert fhn.load_models(("node_published",)) == {}
    model = fhn.fhn_model(seed=5)
    fhn.save_models({"node_published": model})
    loaded = fhn.load_models(("node_published", "rnn_published"))
    assert set(loaded) == {
        "node_published"
    }  # what is there; the chapter trains the rest
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            model.state_dict().values(),
            loaded["node_published"].state_dict().values(),
            strict=True,
        )
    )
    assert not list(tmp_path.glob("*.partial"))  # written aside, then renamed
    fhn.cache_path().write_bytes(b"not a checkpoint")
    assert fhn.load_models(("node_published",)) == {}  # damaged: retrain


def test_data_match_an_independent_solve():
    data = fhn.fhn_data(n_traj=4, n_samples=30, seed=2)
    with torch.no_grad():
        again = odeint(
            nb.FitzHughNagumo(I=data.I.double()),
            data.y[0].double(),
            data.t.double(),
            rtol=1e-10,
            atol=1e-12,
        )
    # float32 storage: agreement to its round-off, relative to the state's size
    assert float((again - data.y.double()).abs().max()) < 1e-5


def test_short_training_lowers_the_loss():
    data = fhn.fhn_data(n_traj=8, n_samples=20)
    model = fhn.fhn_model()
    before = fhn.trajectory_mse(model, "node", data)
    record = fhn.train_fhn(
        model, "node", data, fhn.Recipe("short", steps=30, lr=3e-3, window=4, batch=32)
    )
    assert len(record.loss) == 30 and record.seconds > 0
    assert fhn.trajectory_mse(model, "node", data) < before


def test_a_windowed_recipe_without_windows_to_train_on_is_refused():
    data = fhn.fhn_data(n_traj=4, n_samples=10)
    with pytest.raises(ValueError, match="batch"):
        fhn.train_fhn(
            fhn.fhn_model(),
            "node",
            data,
            fhn.Recipe("empty", steps=3, lr=1e-3, window=4),
        )


def test_seed_file_matches_a_rerun_of_the_first_steps():
    """Re-run the first steps of each recipe at seed 0 and compare with the stored losses.

    Same seed and arithmetic: agreement to float32 round-off, stated as 1e-4 relative.
    The full runs take minutes (``tools/fhn_seeds.py``); the head of the loss curve pins
    the data, the initial weights, the windows, the schedule and the solver.
    """
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "fhn_seeds.py"
    spec = importlib.util.spec_from_file_location("fhn_seeds", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = json.loads(files("nodebook").joinpath("data/fhn_seeds.json").read_text())
    for kind, recipe, time_input in module.RUNS:
        name = recipe.name + (", time input" if time_input else "")
        entry = next(
            e
            for e in stored
            if e["seed"] == 0 and e["model"] == kind and e["recipe"] == name
        )
        head = module.loss_head(0, kind, recipe, time_input)
        assert len(head) == len(entry["loss_head"]) == module.HEAD
        assert head == pytest.approx(entry["loss_head"], rel=1e-4), (kind, name)


def test_building_a_model_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fhn.fhn_model(seed=7)
    assert torch.equal(torch.rand(3), expected)
    a, b = fhn.fhn_model(seed=7), fhn.fhn_model(seed=7)
    assert all(
        torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True)
    )


def test_models_cached_by_another_version_are_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path))
    fhn.cache_path().parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"models": {"node_published": fhn.fhn_model().state_dict()}, "version": 1},
        fhn.cache_path(),
    )
    assert fhn.load_models(("node_published",)) == {}
