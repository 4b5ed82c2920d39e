"""What every check shares, and the tables of the per-chapter test modules."""

import functools
import importlib

import pytest
from chapter_solutions import not_written

import nodebook as nb
from nodebook.checks import CheckFailed

CHECKS = sorted(n for n in dir(nb.checks) if n.startswith("check_"))
TABLES = [importlib.import_module(f"answers_chapter{n}") for n in range(1, 8)]


def test_learner_error_names_their_line():
    def broken(f, t, y, dt):
        return y + dt * undefined_name  # noqa: F821

    with pytest.raises(CheckFailed, match="NameError: name 'undefined_name'"):
        nb.checks.check_euler_step(broken)


def test_check_failed_is_an_assertion_error():
    # nbgrader and pytest both treat an AssertionError as a failed test
    assert issubclass(CheckFailed, AssertionError)


def test_every_check_has_its_table_of_wrong_and_right_answers():
    wrong = {c: cases for t in TABLES for c, cases in t.WRONG.items()}
    right = {c: answers for t in TABLES for c, answers in t.RIGHT.items()}
    assert set(wrong) == set(right) == set(CHECKS), "a check has no test table"
    for check in CHECKS:
        assert len(wrong[check]) >= 4, f"{check}: fewer than four wrong answers"
        assert len(right[check]) >= 2, f"{check}: fewer than two right answers"


@pytest.mark.parametrize("check", CHECKS)
def test_an_unwritten_stub_is_named(check):
    run = getattr(nb.checks, check)
    if check == "check_directional_derivative":
        run = functools.partial(run, h_good=1e-5)
    with pytest.raises(CheckFailed, match="not written yet"):
        run(not_written)


def _warning_euler_step(f, t, y, dt):
    import warnings

    warnings.warn("a right answer that warns", UserWarning, stacklevel=1)
    return y + dt * f(t, y)


def test_a_right_answer_that_warns_passes_and_the_warning_is_a_note(capsys):
    nb.checks.check_euler_step(_warning_euler_step)
    out, err = capsys.readouterr()
    assert out.startswith("\N{CHECK MARK}"), out
    # once, although the check calls the answer twice, and never on stderr
    assert out.count("note: your code warned: UserWarning: a right answer") == 1, out
    assert err == "", err


def test_a_wrong_answer_that_warns_fails_with_the_note(capsys):
    with pytest.raises(CheckFailed, match="off by up to"):
        nb.checks.check_euler_step(lambda *a: -_warning_euler_step(*a))
    out, err = capsys.readouterr()
    assert "note: your code warned" in out and err == "", (out, err)


def test_a_failing_check_renders_as_one_message_in_a_kernel():
    # what a learner sees in Jupyter or Colab, and what nbgrader stores as the error
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import nodebook as nb\n"
                "def euler_step(f, t, y, dt):\n"
                "    return y - dt * f(t, y)\n"
                "nb.checks.check_euler_step(euler_step)"
            )
        ]
    )
    client = nbclient.NotebookClient(notebook, timeout=120, allow_errors=True)
    client.execute()
    (error,) = [o for o in notebook.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CheckFailed", error
    text = "\n".join(error.traceback)
    assert "off by up to" in text, text
    assert "nodebook" not in text and "File " not in text, (
        f"the learner sees library frames: {text}"
    )
