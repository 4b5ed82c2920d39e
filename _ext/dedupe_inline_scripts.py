"""Sphinx extension: drop repeated inline ``<script>`` blocks from the built pages.

jupyter-book 1.0.4 emits the inline configuration of sphinx-thebe and sphinx-togglebutton
twice on every page. The second copy redeclares ``const THEBE_JS_URL``, which throws a
SyntaxError in the browser. This pass runs after the HTML build and keeps the first copy of
each identical inline script; scripts with a ``src`` are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

INLINE_SCRIPT = re.compile(r"^[ \t]*<script>[^\n]*</script>[ \t]*\n", re.MULTILINE)


def dedupe(html: str) -> str:
    """``html`` with every repeated one-line inline script removed."""
    seen: set[str] = set()

    def keep_first(match: re.Match[str]) -> str:
        script = match.group(0).strip()
        if script in seen:
            return ""
        seen.add(script)
        return match.group(0)

    return INLINE_SCRIPT.sub(keep_first, html)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = dedupe(text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
