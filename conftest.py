"""pytest plugin for the book: the chapter timing report.

Chapters are executed by ``tools/execute_chapters.py`` (``make execute``) into the build's
execution cache, and ``tests/test_chapters.py`` checks what they produced. At the end of a
run that checked them, this prints each chapter's execution time against its budget, with
a machine-speed figure measured in the same run, so that times from two machines can be
compared. Time is reported, never a failure: a slower machine must not fail by being
slow.

The budgets hold on the book's reference machine, a 2-core AMD EPYC (AVX2) running two
chapters at a time (issue 29): 60 s a chapter, 80 s for chapter 4, whose published recipe
is kept. The report scales them to this machine by the ratio of the machine-speed figures,
a rough guide (a wider vector unit speeds some chapters more than others).
"""

from __future__ import annotations

import time

import pytest

TARGET_S = 60.0  # the book's promise: a chapter runs in a minute on a laptop CPU
BUDGET_S = {"04_fitzhugh_nagumo.ipynb": 80.0}  # the published recipe's 600 epochs
REFERENCE_SPEED_MS = 43.8  # machine_speed_ms() on the reference machine

_seen: list[tuple[str, float]] = []


def machine_speed_ms(repeats: int = 7) -> float:
    """Milliseconds for a fixed workload of plain torch: the median of ``repeats`` runs.

    1000 products of a (40, 128) block with a (128, 128) matrix, each followed by tanh,
    on one thread: the arithmetic of a small Neural ODE's training step, independent of
    ``nodebook`` so that the figure does not change when the book's kernels get faster.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(40, 128, generator=gen)
        w = torch.randn(128, 128, generator=gen) / 128**0.5
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            y = x
            for _ in range(1000):
                y = torch.tanh(y @ w)
            times.append(time.perf_counter() - start)
        return 1e3 * sorted(times)[len(times) // 2]
    finally:
        torch.set_num_threads(threads)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # the timing test records the chapter and its seconds in its report
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
    speed = machine_speed_ms()
    scale = speed / REFERENCE_SPEED_MS
    for name, seconds in _seen:
        budget = BUDGET_S.get(name, TARGET_S)
        here = budget * scale
        flag = "ok" if seconds <= here else "over budget"
        tr.write_line(
            f"{name:<40} {seconds:6.1f} s   budget {budget:.0f} s on the reference "
            f"machine, {here:.0f} s here   {flag}"
        )
    tr.write_line(
        f"machine speed: {speed:.1f} ms for the fixed torch workload "
        "(1000 x tanh((40,128) @ (128,128)), one thread; lower is faster), "
        f"{REFERENCE_SPEED_MS} ms on the reference machine"
    )
