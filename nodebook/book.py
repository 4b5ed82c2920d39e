"""Links between a notebook and the published book."""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's ``{glue}`` roles. Introduced in chapter 1.

    Every number in the book's prose comes through here. Outside a book build (Colab has
    no myst-nb) the value is shown when ``display`` is true and otherwise only returned to
    the notebook's own variables, so a chapter runs the same everywhere.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as ipy_display

            ipy_display(value)
        return
    myst_glue(name, value, display=display)
