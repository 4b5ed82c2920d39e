"""Sphinx extension: a chapter's launch and download buttons open its learner edition.

sphinx-book-theme points the Binder and Colab buttons and the ``.ipynb`` download at the
page's own source, ``chapters/NN_name.ipynb``: the book's MyST source, with glue roles,
directives and the reference solutions in plain view. A learner should get
``learner/NN_name.ipynb`` instead (made by ``tools/learner.py``). This handler runs after
the theme has built the buttons and rewrites their URLs; the learner editions are copied
into the site (``learner/`` beside the pages) for the download button.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

SOURCE, LEARNER = "chapters/", "learner/"


def _retarget(buttons: list[dict[str, Any]], pagename: str, download: str) -> None:
    stem = pagename.removeprefix(SOURCE)
    for button in buttons:
        if button.get("type") == "group":
            _retarget(button.get("buttons", []), pagename, download)
        elif "url" not in button or f"{pagename}.ipynb" not in button["url"]:
            continue
        elif "_sources/" in button["url"]:  # the download button
            button["url"] = download
        else:  # a launch button
            button["url"] = button["url"].replace(
                f"{pagename}.ipynb", f"{LEARNER}{stem}.ipynb"
            )


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if not pagename.startswith(SOURCE) or "header_buttons" not in context:
        return
    stem = pagename.removeprefix(SOURCE)
    if not (Path(app.srcdir) / LEARNER / f"{stem}.ipynb").exists():
        return
    download = context["pathto"](f"{LEARNER}{stem}.ipynb", 1)
    _retarget(context["header_buttons"], pagename, download)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / LEARNER
    target.mkdir(parents=True, exist_ok=True)
    for edition in sorted((Path(app.srcdir) / LEARNER).glob("*.ipynb")):
        shutil.copyfile(edition, target / edition.name)


def setup(app: Sphinx) -> dict[str, Any]:
    # after sphinx-book-theme's add_launch_buttons and add_header_buttons (501)
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
