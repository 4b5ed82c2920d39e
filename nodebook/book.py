"""Links between a notebook and the published book."""

from __future__ import annotations

from typing import Any

# The values glued in this kernel, by name: the learner edition shows them (show_glued).
_GLUED: dict[str, Any] = {}


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's ``{glue}`` roles. Introduced in chapter 1.

    Every number in the book's prose comes through here. Outside a book build (Colab has
    no myst-nb) the value is shown when ``display`` is true and otherwise only kept for
    :func:`show_glued`, so a chapter runs the same everywhere.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a glue name is a non-empty string, got {name!r}")
    _GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as ipy_display

            ipy_display(value)
        return
    myst_glue(name, value, display=display)


def glued_text(*specs: str) -> str:
    """The values of this kernel's glued names as one Markdown line. Chapter 1.

    Each spec is ``name`` or ``name:format`` as in the page's ``{glue:text}`` role, e.g.
    ``"order_euler:.2f"``. A name not glued yet says so (run the cells above first).
    """
    parts = []
    for spec in specs:
        name, _, fmt = spec.partition(":")
        if name not in _GLUED:
            parts.append(f"`{name}` = (not computed yet: run the cells above)")
            continue
        value = _GLUED[name]
        try:
            text = format(value, fmt)
        except (TypeError, ValueError):
            text = str(value)
        parts.append(f"`{name}` = {text}")
    return "From this run: " + ", ".join(parts) + "."


def show_glued(*specs: str) -> None:
    """Show :func:`glued_text` as Markdown. Introduced in chapter 1.

    The learner edition of a chapter (``learner/``) quotes each number of the prose by
    its name and calls this just before the paragraph, so the numbers a learner reads are
    the ones their own kernel computed.
    """
    from IPython.display import Markdown, display

    display(Markdown(glued_text(*specs)))
