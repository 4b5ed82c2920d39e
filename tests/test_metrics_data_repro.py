"""Metrics, generated data and the seeding policy."""

import numpy as np
import pytest
import torch

import nodebook as nb


@pytest.mark.parametrize("order", [1.0, 2.0, 4.0])
def test_fit_order_recovers_a_power_law(order):
    dt = np.array([0.1, 0.05, 0.025, 0.0125])
    assert nb.fit_order(dt, 3.0 * dt**order) == pytest.approx(order)


@pytest.mark.parametrize(
    ("dt", "errors"),
    [
        ([0.1], [0.1]),
        ([0.1, 0.05], [0.1]),
        ([0.1, 0.05], [0.0, 0.1]),
        ([0.1, -0.05], [0.1, 0.1]),
        ([0.1, 0.05], [float("nan"), 0.1]),
    ],
)
def test_fit_order_rejects_bad_input(dt, errors):
    with pytest.raises(ValueError):
        nb.fit_order(dt, errors)


def test_accuracy():
    logits = torch.tensor([[2.0, 1.0], [0.0, 1.0], [3.0, 0.0]])
    assert nb.accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        nb.accuracy(logits, torch.tensor([0, 1]))


def test_moons_are_deterministic_balanced_and_standardised():
    X, y = nb.make_moons(101, noise=0.1, seed=3)
    X2, y2 = nb.make_moons(101, noise=0.1, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    assert X.shape == (101, 2) and X.dtype == torch.float32 and y.dtype == torch.long
    assert int((y == 0).sum()) == 50
    assert torch.allclose(X.mean(0), torch.zeros(2), atol=1e-5)
    assert not torch.equal(X, nb.make_moons(101, noise=0.1, seed=4)[0])


def test_moons_bad_input():
    with pytest.raises(ValueError):
        nb.make_moons(1)
    with pytest.raises(ValueError):
        nb.make_moons(10, noise=-1.0)


def test_seed_everything_pins_threads_and_reproduces():
    nb.seed_everything(7)
    assert torch.get_num_threads() == 1
    a = (torch.rand(3), np.random.rand(3))  # noqa: NPY002 - the global generator is seeded
    nb.seed_everything(7)
    b = (torch.rand(3), np.random.rand(3))  # noqa: NPY002
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize(("seed", "threads"), [(-1, 1), (0, 0), (1.5, 1)])
def test_seed_everything_bad_input(seed, threads):
    with pytest.raises(ValueError):
        nb.seed_everything(seed, threads=threads)


def test_the_seed_offset_shifts_every_seed(monkeypatch):
    monkeypatch.delenv("NODEBOOK_SEED", raising=False)
    assert nb.seed_offset() == 0 and nb.seed(3) == 3
    base = (nb.make_moons(8, seed=1)[0], nb.fhn.fhn_model(2).net[0].weight)
    a = torch.rand(3, generator=nb.generator(5))
    monkeypatch.setenv("NODEBOOK_SEED", "2")
    assert nb.seed(3) == 5 and nb.seed(np.int64(3)) == 5
    assert torch.equal(torch.rand(3, generator=nb.generator(3)), a), (
        "generator(3) under offset 2 should be generator(5) without one"
    )
    assert not torch.equal(nb.make_moons(8, seed=1)[0], base[0]), (
        "make_moons should follow the offset"
    )
    assert not torch.equal(nb.fhn.fhn_model(2).net[0].weight, base[1]), (
        "fhn_model's initial weights should follow the offset"
    )
    assert nb.fhn.cache_path().name == "fhn_models_seed2.pt", (
        "models trained under another seed need a cache file of their own"
    )
    monkeypatch.setenv("NODEBOOK_SEED", "0")
    assert torch.equal(nb.make_moons(8, seed=1)[0], base[0])


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_seed_offset_is_named(monkeypatch, value):
    monkeypatch.setenv("NODEBOOK_SEED", value)
    with pytest.raises(
        ValueError, match="NODEBOOK_SEED must be a non-negative integer"
    ):
        nb.seed(0)


@pytest.mark.parametrize("k", [-1, 1.5, True, "0"])
def test_a_bad_seed_is_named(k):
    with pytest.raises(ValueError, match="a seed must be a non-negative int"):
        nb.seed(k)


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = (
        "import torch; n = torch.get_num_threads(); import matplotlib as mpl; "
        "before = dict(mpl.rcParams); import nodebook; "
        "assert torch.get_num_threads() == n; assert dict(mpl.rcParams) == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
