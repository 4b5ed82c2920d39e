"""Every check on its table of answers (tests/checks/answers_chapterN.py, one per chapter):
each realistic wrong answer fails with a message that names the mistake, and each right
answer passes, the chapter's own solution among them."""

import importlib

import pytest

import nodebook as nb
from nodebook.checks import CheckFailed

TABLES = [importlib.import_module(f"answers_chapter{n}") for n in range(1, 8)]


def _run(check, answer):
    """The check and the answer; a pair in a table binds the check's other arguments."""
    if isinstance(answer, tuple):
        return answer
    return getattr(nb.checks, check), answer


@pytest.mark.parametrize(
    ("check", "answer", "message"),
    [(c, a, m) for t in TABLES for c, cases in t.WRONG.items() for a, m in cases],
)
def test_wrong_answers_fail_with_a_message_naming_the_mistake(check, answer, message):
    run, answer = _run(check, answer)
    with pytest.raises(CheckFailed, match=message):
        run(answer)


@pytest.mark.parametrize(
    ("check", "answer"),
    [(c, a) for t in TABLES for c, answers in t.RIGHT.items() for a in answers],
)
def test_right_answers_pass(check, answer, capsys):
    run, answer = _run(check, answer)
    run(answer)
    out = capsys.readouterr().out
    assert out.startswith("\N{CHECK MARK}"), out
    # the page's output box shows about 78 characters before it scrolls sideways
    assert len(out.splitlines()[0]) <= 78, f"the pass line overflows the page: {out}"
