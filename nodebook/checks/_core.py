"""What every exercise check shares: failing with a message, calling learner code, comparing.

Every check calls the learner's function itself (:func:`_call`), so an exception in the
learner's code, a wrong type or shape, a NaN or a wrong value all end the same way: a
:class:`CheckFailed` whose message says what was expected and what came back. Each
helper sets ``__tracebackhide__`` so that its frames are hidden from tracebacks.
"""

from __future__ import annotations

import functools
import math
import numbers
import traceback
import warnings
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec

import numpy as np
import torch

P = ParamSpec("P")


class CheckFailed(AssertionError):
    """An exercise answer is not right yet; the message says why. Introduced in chapter 1.

    In IPython (Jupyter, Colab, and the kernel nbgrader grades in) it shows as one message
    block instead of a traceback through this package, which would look like a crash of
    the library; it is still an error, so nbgrader withholds the point.
    """

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting the frames (its documented hook)
        return [f"\x1b[1;31mCheckFailed\x1b[0m: {self}"]


def _check(check: Callable[P, None]) -> Callable[P, None]:
    """Make ``check`` an exercise check: warnings of the learner's code become notes.

    A warning raised while the check runs (by the learner's code, or by torch on its
    behalf) is recorded instead of written to stderr, where nbgrader would take it for a
    failed cell, and is printed once, after the check, as a note on stdout.
    """

    @functools.wraps(check)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        __tracebackhide__ = True
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                check(*args, **kwargs)
            finally:
                seen: set[tuple[str, str]] = set()
                for w in caught:
                    key = (w.category.__name__, str(w.message))
                    if key not in seen:
                        seen.add(key)
                        print(f"note: your code warned: {key[0]}: {key[1]}")

    return run


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    raise CheckFailed(message) from None


def _passed(message: str) -> None:
    print(f"\N{CHECK MARK} {message}")


def _learner_frame(exc: BaseException) -> str:
    """' (line N of your code: `text`)' for the deepest frame in notebook code, if any."""
    frames = [
        fr
        for fr in traceback.extract_tb(exc.__traceback__)
        if "ipykernel" in fr.filename or fr.filename.startswith("<")
    ]
    if not frames:
        return ""
    fr = frames[-1]
    return f" (line {fr.lineno} of your code: `{(fr.line or '').strip()}`)"


def _call(fn: object, name: str, *args: Any) -> Any:
    """Call the learner's ``fn``, turning any exception into a readable CheckFailed."""
    __tracebackhide__ = True
    if not callable(fn):
        _fail(f"`{name}` should be a function, but it is a {type(fn).__name__}.")
    try:
        return fn(*args)
    except NotImplementedError:
        _fail(
            f"`{name}` is not written yet: replace `raise NotImplementedError()` with your code."
        )
    except (
        Exception
    ) as exc:  # any learner error becomes feedback, never a deep traceback
        _fail(f"`{name}` raised {type(exc).__name__}: {exc}{_learner_frame(exc)}")


def _tensor(value: object, what: str, like: torch.Tensor) -> torch.Tensor:
    """Require a finite tensor with the shape and dtype of ``like``."""
    __tracebackhide__ = True
    if not isinstance(value, torch.Tensor):
        _fail(f"{what} should be a torch.Tensor, but it is a {type(value).__name__}.")
    if value.shape != like.shape:
        _fail(
            f"{what} should have shape {tuple(like.shape)}, but it has shape {tuple(value.shape)}."
        )
    if value.dtype != like.dtype:
        _fail(
            f"{what} should have dtype {like.dtype} (the dtype of the input), got {value.dtype}."
        )
    if not bool(torch.isfinite(value).all()):
        _fail(f"{what} contains NaN or inf values.")
    return value


def _number(value: object, what: str) -> float:
    """Require a finite real number (a Python or NumPy number, or a one-element tensor)."""
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        _fail(f"{what} should be a number, but it is a {type(value).__name__}.")
    if not math.isfinite(number):
        _fail(f"{what} should be a finite number, got {number}.")
    return number


def _integer(value: object, what: str) -> int:
    """Require a whole number: a Python or NumPy integer, or a one-element integer tensor.

    A float, even a whole one such as ``4.0``, is refused with a hint: the exercises that
    ask for a count say so.
    """
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor | np.ndarray) and value.ndim <= 1:
        if value.ndim == 0 or len(value) == 1:
            value = value.item()  # an int for an integer dtype, a float otherwise
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        if (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool | np.bool_)
            and float(value).is_integer()
        ):
            _fail(
                f"{what} is the float {value!r}; a count is an int: return int(...) "
                "or use integer arithmetic such as math.ceil."
            )
        _fail(f"{what} should be an int, got {type(value).__name__} {value!r}.")
    return int(value)


def _close(
    got: torch.Tensor, expected: torch.Tensor, what: str, rtol: float, atol: float
) -> None:
    __tracebackhide__ = True
    if not torch.allclose(got, expected, rtol=rtol, atol=atol):
        err = (got - expected).abs()
        i = int(err.argmax())
        _fail(
            f"{what} is off by up to {float(err.max()):.3g}: at flat index {i} expected "
            f"{float(expected.flatten()[i]):.6g}, got {float(got.flatten()[i]):.6g}."
        )
