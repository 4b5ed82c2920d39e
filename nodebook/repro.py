"""Reproducibility: every seed goes through :func:`seed`, and one call fixes the threads.

A chapter's claims must hold for other seeds than the one its page shows. Every seed the
chapters and the package set is written as ``nb.seed(k)`` (directly, or through
:func:`generator`, :func:`seed_everything` and the package's seeded functions), which adds
the offset in the environment variable ``NODEBOOK_SEED`` (default 0). Setting it shifts
every seed of a chapter at once: ``tools/seed_sweep.py`` runs the chapters that way.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

SEED_ENV = "NODEBOOK_SEED"
"""The environment variable holding the offset added to every seed."""


def seed_offset() -> int:
    """The offset in ``$NODEBOOK_SEED``: 0 when unset. Chapter 1.

    Raises:
        ValueError: if the variable is set to anything but a non-negative integer.
    """
    text = os.environ.get(SEED_ENV, "").strip()
    if not text:
        return 0
    try:
        offset = int(text)
    except ValueError:
        offset = -1
    if offset < 0:
        raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {text!r}")
    return offset


def seed(k: int) -> int:
    """The seed to use where the page's code means seed ``k``: ``k + $NODEBOOK_SEED``.

    Introduced in chapter 1 and used for every seed in the book, e.g.
    ``torch.manual_seed(nb.seed(1))``.

    Raises:
        ValueError: if ``k`` is not a non-negative int.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"a seed must be a non-negative int, got {k!r}")
    return int(k) + seed_offset()


def generator(k: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`seed` ``(k)``. Chapter 1."""
    return torch.Generator().manual_seed(seed(k))


def seed_everything(k: int = 0, *, threads: int = 1) -> None:
    """Seed Python, NumPy and torch with :func:`seed` ``(k)``; pin torch to ``threads``.

    Introduced in chapter 1 and called first by every chapter.

    One thread is the book's policy: the small networks here are overhead-bound, so two
    threads are barely faster on an idle machine and many times slower when another
    process (a parallel build, a browser) is using the other core.

    Raises:
        ValueError: if ``k`` is negative or ``threads`` is not a positive integer.
    """
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    s = seed(k)
    random.seed(s)
    np.random.seed(s)  # noqa: NPY002 - the global generator is what chapter code uses
    torch.manual_seed(s)
    torch.set_num_threads(threads)
