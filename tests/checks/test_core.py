"""What every check shares, and the tables of the per-chapter test modules."""

import functools
import importlib

import pytest
from chapter_solutions import not_written

import nodebook as nb
from nodebook.checks import CheckFailed

CHECKS = sorted(n for n in dir(nb.checks) if n.startswith("check_"))
TABLES = [importlib.import_module(f"test_chapter{n}") for n in range(1, 8)]


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
