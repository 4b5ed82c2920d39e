"""Chapters 4 and 5: the FitzHugh-Nagumo data, models, recipes, metrics and cache."""

import json
from importlib.resources import files

import pytest
import torch

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
    path = nb.rk4_rollout(nb.FitzHughNagumo(I=data.I), data.y[0], fhn.DT, 19)
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
        want = nb.rk4_rollout(model.at(data.I[:, None]), data.y[0], fhn.DT, 3)
        assert torch.equal(node, want)
    with pytest.raises(ValueError, match="kind"):
        fhn.rollout(model, "lstm", data.y[0], data.I, 3)


def test_field_agreement_of_the_true_field_is_perfect():
    class TrueField(torch.nn.Module):
        def forward(self, t, y, p):
            return nb.FitzHughNagumo(I=p.reshape(-1))(t, y)

    cosine, ratio = fhn.field_agreement(TrueField(), "node", 0.5)
    assert cosine == pytest.approx(1.0) and ratio == pytest.approx(1.0)
    cosine, ratio = fhn.field_agreement(TrueField(), "rnn", 0.5)
    assert ratio == pytest.approx(1 / fhn.DT)  # g / dt: the RNN's field needs the step


def test_cache_round_trip_and_missing_or_damaged_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path))
    assert fhn.load_models(("node_published",)) is None
    model = fhn.fhn_model(seed=5)
    fhn.save_models({"node_published": model}, {"node_published": 1.0})
    loaded = fhn.load_models(("node_published",))
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            model.state_dict().values(),
            loaded["node_published"].state_dict().values(),
            strict=True,
        )
    )
    assert fhn.load_models(("rnn_published",)) is None  # incomplete: retrain
    fhn.cache_path().write_bytes(b"not a checkpoint")
    assert fhn.load_models(("node_published",)) is None  # damaged: retrain


def test_short_training_lowers_the_loss():
    data = fhn.fhn_data(n_traj=8, n_samples=20)
    model = fhn.fhn_model()
    before = fhn.trajectory_mse(model, "node", data)
    fhn.train_fhn(
        model, "node", data, fhn.Recipe("short", steps=30, lr=3e-3, window=4, batch=32)
    )
    assert fhn.trajectory_mse(model, "node", data) < before


def test_seed_file_matches_a_rerun_of_the_windowed_recipe():
    """Re-run seed 0 of the windowed recipe (about 20 s) and compare with the stored result."""
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "fhn_seeds.py"
    spec = importlib.util.spec_from_file_location("fhn_seeds", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = json.loads(files("nodebook").joinpath("data/fhn_seeds.json").read_text())
    entry = next(e for e in stored if e["seed"] == 0 and e["recipe"] == "windows")
    again = module.run(0, "node", fhn.FAST)
    # same seed and arithmetic: agreement to float32 round-off, stated as 1e-4 relative
    for key in ("mse", "extrapolation_mse", "cosine_I0.2", "cosine_I0.5"):
        assert again[key] == pytest.approx(entry[key], rel=1e-4), key
