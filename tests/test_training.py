"""The training loop: it trains, records and stops clearly on NaN."""

import pytest
import torch
from torch import nn

import nodebook as nb


def test_train_reduces_loss_and_records_nfe():
    nb.seed_everything(0)
    X, y = nb.make_moons(64, seed=0)
    model = nn.Sequential(nb.NeuralODE(nb.VectorField(2, 16)), nn.Linear(2, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    record = nb.train(model, lambda: nn.functional.cross_entropy(model(X), y), opt, 30)
    assert len(record.loss) == len(record.nfe) == 30
    assert record.loss[-1] < record.loss[0]
    assert all(
        n >= 8 for n in record.nfe
    )  # dopri5: initial step selection + 6 per step
    assert record.seconds > 0


def test_models_without_ode_record_no_nfe():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    record = nb.train(model, lambda: model(torch.ones(4, 2)).pow(2).mean(), opt, 3)
    assert record.nfe == [] and len(record.loss) == 3


def test_nan_loss_names_the_step():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match="step 0"):
        nb.train(model, lambda: model(torch.ones(1, 1)).sum() * float("nan"), opt, 5)


def test_n_steps_must_be_positive():
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError):
        nb.train(
            model,
            lambda: model(torch.ones(1, 1)).sum(),
            torch.optim.SGD(model.parameters(), lr=0.1),
            0,
        )


def test_progress_is_silent_outside_a_kernel(capsys):
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    nb.train(model, lambda: model(torch.ones(1, 1)).pow(2).sum(), opt, 3)
    assert capsys.readouterr() == ("", "")


def test_progress_line_draws_a_bar_and_ends_with_a_summary():
    from nodebook.training import TrainingRecord, _ProgressLine

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj.data)

    line = _ProgressLine("fit", 10)
    line.handle = Handle()
    line.update(5, 0.25)
    line.close(TrainingRecord(loss=[1.0, 0.5], seconds=1.25))
    assert shown == [
        "fit: [##########..........] step 5/10, loss 0.25",
        "fit: 2 steps in 1.2 s, final loss 0.5",
    ]


def test_moons_seed_file_matches_a_rerun_of_the_first_steps():
    """Chapter 1's seed spread (``tools/moons_seeds.py``) against a re-run of seed 0.

    The first steps pin the data, the initial weights, the solver and the optimiser;
    same seed and arithmetic, so agreement to float32 round-off (1e-4 relative).
    """
    import importlib.util
    import json
    from importlib.resources import files
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "moons_seeds.py"
    spec = importlib.util.spec_from_file_location("moons_seeds", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = json.loads(files("nodebook").joinpath("data/moons_seeds.json").read_text())
    assert [e["seed"] for e in stored] == list(range(len(stored))) and len(stored) >= 10
    entry = stored[0]
    got = module.run(0, steps=module.HEAD)
    for name in ("resnet", "node"):
        assert got[f"{name}_loss_head"] == pytest.approx(
            entry[f"{name}_loss_head"], rel=1e-4
        ), name
