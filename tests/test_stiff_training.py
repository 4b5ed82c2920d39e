"""The stored stiff-training runs of chapter 7 against a live re-run of their first steps."""

import importlib.util
import json
from importlib.resources import files
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "stiff_training.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("stiff_training", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_runs_cover_every_ratio_and_method():
    tool = load_tool()
    stored = json.loads(
        files("nodebook").joinpath("data/stiff_training.json").read_text()
    )
    assert {(e["k"], e["method"]) for e in stored} == {
        (k, m) for k in tool.RATIOS for m in tool.METHODS
    }
    for e in stored:
        assert len(e["loss"]) == len(e["steps"]) == len(e["seconds"]) == tool.STEPS


def test_first_steps_match_a_rerun():
    """Same seed, double precision: the first losses and step counts agree."""
    tool = load_tool()
    stored = json.loads(
        files("nodebook").joinpath("data/stiff_training.json").read_text()
    )
    entry = next(e for e in stored if e["k"] == 10.0 and e["method"] == "bosh3")
    live = tool.run(10.0, "bosh3", steps=3)
    assert live["steps"] == entry["steps"][:3]
    assert live["loss"] == pytest.approx(entry["loss"][:3], rel=1e-6)
