"""Every chapter as executed for the build: no errors, pinned outputs, times recorded.

The chapters are executed once per ``make test``, in parallel, by
``tools/execute_chapters.py``, into jupyter-book's execution cache; the build renders those
outputs and these tests check them. Cells tagged ``nbval-check-output`` must print what
``tests/pinned_outputs.json`` records (after the substitutions in
``tests/output_sanitize.cfg``, which hide timings and addresses); regenerate the pins with
``tools/pin_outputs.py`` after changing such a cell on purpose.

Time is a measurement, not a test: a slower machine must not fail by being slow. Each
chapter's execution time is recorded and printed at the end of the run (``conftest.py``)
next to a machine-speed figure; a hang is caught by the per-cell timeout in
``_config.yml``.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAG = "nbval-check-output"
PINNED = json.loads((ROOT / "tests" / "pinned_outputs.json").read_text())


def _tool():
    spec = importlib.util.spec_from_file_location(
        "execute_chapters", ROOT / "tools" / "execute_chapters.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
CHAPTERS = TOOL.toc_chapters()


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "output_sanitize.cfg")
    return [
        (re.compile(s["regex"]), s["replace"])
        for s in map(config.__getitem__, config.sections())
    ]


SANITIZERS = _sanitizers()


def comparable(outputs: list[dict]) -> list[tuple[str, str, str]]:
    """What a pin fixes about outputs: their kind and text, with run-to-run noise hidden."""
    result = []
    for out in outputs:
        if out["output_type"] == "stream":
            kind, text = out["name"], out["text"]
        elif out["output_type"] in ("execute_result", "display_data"):
            kind, text = out["output_type"], out["data"].get("text/plain", "")
        else:
            kind, text = out["output_type"], out.get("evalue", "")
        for pattern, replace in SANITIZERS:
            text = pattern.sub(replace, text)
        result.append((out["output_type"], kind, text))
    return result


@pytest.fixture(scope="module", params=CHAPTERS, ids=lambda p: p.name)
def run(request):
    found = TOOL.executed(request.param)
    if found is None:
        pytest.fail(
            f"{request.param.name} has no execution for its current code in "
            "_build/.jupyter_cache: run `make execute` (make test does) first"
        )
    return request.param, *found


def test_chapter_execution_time_is_recorded(run, record_property):
    # a measurement for the timing table, never a failure: see the module docstring
    path, _, seconds = run
    assert seconds > 0, f"{path.name}: the cache records no execution time"
    record_property("chapter_seconds", (path.name, seconds))


def test_pinned_outputs_are_reproduced(run):
    path, nb, _ = run
    pins = PINNED.get(path.name, {})
    tagged = {
        cell.id: cell
        for cell in nb.cells
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
    }
    assert set(tagged) == set(pins), (
        f"{path.name}: cells tagged {TAG} and pinned cells differ; run "
        "tools/pin_outputs.py after tagging"
    )
    for cell_id, cell in tagged.items():
        assert comparable(cell.outputs) == comparable(pins[cell_id]), (
            f"{path.name}, cell {cell_id}: the output differs from its pin\n"
            f"source:\n{cell.source}"
        )


def test_no_cell_writes_to_stderr(run):
    path, nb, _ = run
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"{path.name}: a cell wrote to stderr:\n{out['text']}\n"
                f"source:\n{cell.source}"
            )


def test_the_fingerprint_sees_a_change_to_the_package(tmp_path, monkeypatch):
    (tmp_path / "nodebook" / "data").mkdir(parents=True)
    (tmp_path / "nodebook" / "a.py").write_text("x = 1\n")
    (tmp_path / "nodebook" / "data" / "run.json").write_text("{}\n")
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(TOOL, "ROOT", tmp_path)
    before = TOOL.fingerprint()
    assert TOOL.fingerprint() == before, "the fingerprint must be deterministic"
    (tmp_path / "nodebook" / "data" / "run.json").write_text('{"changed": 1}\n')
    assert TOOL.fingerprint() != before, "a change to package data must re-run chapters"
    changed = TOOL.fingerprint()
    (tmp_path / "requirements.txt").write_text("torch==2.14.0\n")
    assert TOOL.fingerprint() != changed, (
        "a change of requirements must re-run chapters"
    )


def test_the_executor_runs_the_toc_in_order():
    names = [p.stem for p in CHAPTERS]
    assert names == sorted(names) and len(names) >= 7


def test_the_executor_takes_names_and_paths_and_rejects_unknown_ones():
    ch5 = next(p for p in CHAPTERS if p.stem.startswith("05"))
    for arg in [ch5.stem, ch5.name, f"chapters/{ch5.name}", str(ch5)]:
        assert TOOL.chapter_name(arg, CHAPTERS) == ch5.stem, (
            f"{arg!r} should name {ch5.stem}"
        )
    with pytest.raises(ValueError, match="no chapter called 'phase_portraits'"):
        TOOL.chapter_name("phase_portraits", CHAPTERS)
