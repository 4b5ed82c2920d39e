"""Reproducibility: one call at the top of every chapter fixes seeds and threads."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int = 0, *, threads: int = 1) -> None:
    """Seed Python, NumPy and torch, and pin torch to ``threads`` CPU threads.

    Introduced in chapter 1 and called first by every chapter.

    One thread is the book's policy: the small networks here are overhead-bound, so two
    threads are barely faster on an idle machine and many times slower when another
    process (a parallel build, a browser) is using the other core.

    Raises:
        ValueError: if ``seed`` is negative or ``threads`` is not a positive integer.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global generator is what chapter code uses
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
