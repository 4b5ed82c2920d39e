"""pytest plugin for the book: the chapter timing report.

Chapters are executed by ``tools/execute_chapters.py`` (``make execute``) into the build's
execution cache, and ``tests/test_chapters.py`` checks what they produced. At the end of a
run that checked them, this prints each chapter's execution time against the budget:
60 s is the target, over 90 s fails ``test_chapter_runs_within_its_time_budget``.
"""

from __future__ import annotations

import pytest

_seen: list[tuple[str, float]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # the budget test records the chapter and its seconds in its report
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "chapter_seconds":
            _seen.append(value)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seen:
        return
    tr = terminalreporter
    tr.section(
        "chapter timing (one execution per chapter, for the build and the tests)"
    )
    for name, seconds in _seen:
        flag = (
            "ok"
            if seconds <= 60
            else ("over 60 s target" if seconds <= 90 else "OVER 90 s LIMIT")
        )
        tr.write_line(f"{name:<40} {seconds:6.1f} s   target 60 s   {flag}")
