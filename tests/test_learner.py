"""The learner edition (tools/learner.py): up to date, no book markup, stubs that fail well.

Cheap: nothing here runs a chapter's experiments, only each edition's setup cell, its
exercise stubs and their checks (and the folded reference solutions, which must pass).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest

import nodebook as nb

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("learner", ROOT / "tools" / "learner.py")
assert _spec and _spec.loader
learner = importlib.util.module_from_spec(_spec)
sys.modules["learner"] = learner  # dataclasses look their module up
_spec.loader.exec_module(learner)

CHAPTERS = learner.chapters()
EDITIONS = [learner.LEARNER / p.name for p in CHAPTERS]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_committed_edition_is_what_the_generator_writes(chapter):
    target = learner.LEARNER / chapter.name
    assert target.exists(), (
        f"learner/{chapter.name} is missing: run .venv/bin/python tools/learner.py"
    )
    assert target.read_text() == learner.dumps(learner.learner_notebook(chapter)), (
        f"learner/{chapter.name} differs from its chapter: regenerate it with "
        ".venv/bin/python tools/learner.py (never edit it by hand)"
    )


def test_the_generator_reports_an_edition_that_differs(tmp_path, monkeypatch):
    monkeypatch.setattr(learner, "LEARNER", tmp_path)
    assert learner.main(["--check", CHAPTERS[0].stem]) == 1, "a missing edition passed"
    assert learner.main([CHAPTERS[0].stem]) == 0
    assert learner.main(["--check", CHAPTERS[0].stem]) == 0
    edition = tmp_path / CHAPTERS[0].name
    edition.write_text(edition.read_text().replace("Euler", "Eu1er", 1))
    assert learner.main(["--check", CHAPTERS[0].stem]) == 1, "an edited edition passed"


BOOK_MARKUP = re.compile(r"\{[\w:-]+\}`|^`{3,}\{|^:(class|label):", re.M)


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.stem)
def test_no_book_markup_no_inline_solutions_no_outputs(path):
    cells = _read(path).cells
    for cell in cells:
        where = f"{path.name}, cell {cell.id}"
        if cell.cell_type == "markdown":
            left = BOOK_MARKUP.search(cell.source)
            assert not left, f"{where}: book markup left: {left.group(0)!r}"
        else:
            assert not cell.outputs, f"{where}: stored with outputs"
            assert learner.BEGIN not in cell.source, (
                f"{where}: a solution in a code cell"
            )
            tags = set(cell.metadata.get("tags", []))
            assert not tags & learner.PAGE_TAGS, f"{where}: page tags {tags}"
    install = cells[0].source
    url, tag = learner.release()
    assert f"git+{url}@{tag}" in install and 'if "google.colab"' in install, (
        "the first cell installs the pinned release, in Colab only"
    )
    headings = [c.source for c in cells if c.cell_type == "markdown"]
    assert headings[0].startswith("# ") and "## Learning goals" in headings[0], (
        "the edition opens with the chapter's title and its learning goals"
    )


def _exercises(path: Path):
    """The setup cell's source, then (stub, check, reference solution) per exercise."""
    cells = _read(path).cells
    setup = next(c.source for c in cells[1:] if c.cell_type == "code")
    found = []
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get(
            "solution"
        ):
            check = cells[i + 1]
            folded = cells[i + 2].source
            solution = folded.split("```python\n", 1)[1].rsplit("\n```", 1)[0]
            found.append((cell, check, solution))
    return setup, found


def _run(source: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<cell>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.stem)
def test_each_stub_fails_its_check_with_a_message_and_the_solution_passes(path):
    matplotlib.use("Agg")
    setup, exercises = _exercises(path)
    chapter = _read(ROOT / "chapters" / path.name)
    solutions = sum(
        bool(c.metadata.get("nbgrader", {}).get("solution")) for c in chapter.cells
    )
    assert len(exercises) == solutions, f"{path.name}: an exercise lost its stub"
    namespace: dict = {}
    _run(setup, namespace)
    for stub, check, solution in exercises:
        where = f"{path.name}, exercise cell {stub.id}"
        assert "raise NotImplementedError()" in stub.source or "= None" in stub.source
        assert check.metadata["nbgrader"]["grade"], f"{where}: no check cell after it"
        with contextlib.suppress(NotImplementedError):
            _run(stub.source, namespace)
        with pytest.raises(nb.checks.CheckFailed) as failure:
            _run(check.source, namespace)
        message = str(failure.value)
        assert "not written yet" in message or "should be" in message, (
            f"{where}: the stub's check says {message!r}, not that it is missing"
        )
        _run(solution, namespace)
        assert "\N{CHECK MARK}" in _run(check.source, namespace), (
            f"{where}: the folded reference solution fails its check"
        )


def test_glued_values_are_shown_by_name_with_the_pages_format():
    nb.glue("test_learner_value", 0.123456)
    text = nb.glued_text("test_learner_value:.2f", "test_learner_missing")
    assert "`test_learner_value` = 0.12" in text, text
    assert "`test_learner_missing` = (not computed yet" in text, text
    nb.glue("test_learner_text", "two models")
    assert "= two models" in nb.glued_text("test_learner_text:.2f"), (
        "a value the format does not apply to is shown as it is"
    )
    with pytest.raises(ValueError, match="glue name"):
        nb.glue("", 1.0)
