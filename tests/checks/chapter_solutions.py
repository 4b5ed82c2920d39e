"""The exercises' reference answers, read from the chapters' own solution cells.

The tests of the checks take the right answer from the chapter, not from a copy, so that
a check and the solution the book shows cannot drift apart. A solution cell is run in a
namespace holding what the chapters' setup cells import (``torch``, ``nb``, ``np``,
``math``); cells that need more import it themselves.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import nodebook as nb

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _namespace(chapter: int) -> dict[str, Any]:
    (path,) = (ROOT / "chapters").glob(f"{chapter:02d}_*.ipynb")
    namespace: dict[str, Any] = {"torch": torch, "nb": nb, "np": np, "math": math}
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get(
            "solution"
        ):
            code = compile("".join(cell["source"]), f"{path.name}:{cell['id']}", "exec")
            exec(code, namespace)
    return namespace


def solution(chapter: int, name: str) -> Callable[..., Any]:
    """The function (or value) ``name`` as chapter ``chapter``'s solution cells define it."""
    namespace = _namespace(chapter)
    if name not in namespace:
        raise KeyError(f"no solution cell of chapter {chapter} defines {name!r}")
    return namespace[name]


def not_written(*args: object) -> object:
    """A learner's stub as the learner edition ships it."""
    raise NotImplementedError()
