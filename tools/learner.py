"""Generate the learner edition of each chapter: the notebook a learner opens.

    .venv/bin/python tools/learner.py [--check] [CHAPTER ...]
    .venv/bin/python tools/learner.py --nbval-copies DIR [CHAPTER ...]   # for nbval

The book's chapters (``chapters/NN_name.ipynb``) are MyST source for Jupyter Book: glue
roles where numbers go, ``{cite}`` roles, exercise and solution fences, admonitions, cells
tagged for the page. Opened in Jupyter or Colab that source reads badly and shows the
reference solutions. This tool writes ``learner/NN_name.ipynb`` from each chapter, never
by hand (``tests/test_learner.py`` regenerates every edition and fails when a committed
one differs; ``--check`` does the same here):

- Markdown is plain Jupyter Markdown. A citation becomes its author-year text and the
  notebook ends with the references it cites. Learning goals become a headed section, a
  note a quoted paragraph, each exercise a heading ``Exercise N.k: title``.
- A number the prose quotes (a ``{glue:text}`` role) becomes its name in code font, and
  a small cell just before the paragraph shows the values from the learner's own run
  (``nb.show_glued``): numbers differ between machines, so none is frozen in the file.
- Each exercise is its statement, a stub cell (``raise NotImplementedError()``, as
  nbgrader writes it) and its check cell; the reference solution follows the check as a
  folded ``<details>`` block, so no runnable cell holds it.
- The first cell installs, in Colab only, what Colab lacks: torchdiffeq and the book's
  helper package at the release set in ``pyproject.toml`` (tag ``v<version>``), from the
  repository set in ``_config.yml``.
- Cells the page hides (claim checks, figure code) start collapsed.

``course/course.py`` builds its student notebooks with :func:`learner_notebook` too
(``part="exercises"``, ``solutions="nbgrader"``), so a class sees what a reader sees.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
LEARNER = ROOT / "learner"
TORCHDIFFEQ = "torchdiffeq==0.2.5"
# the page's cell tags that mean nothing in Jupyter; nbval's and nbclient's stay
PAGE_TAGS = {"remove-input", "hide-input", "remove-output", "remove-cell"}
HIDDEN_ON_PAGE = {"remove-input", "hide-input"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def release() -> tuple[str, str]:
    """The repository URL (``_config.yml``) and the release tag (``pyproject.toml``)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # the [project] table's version (tomllib is Python 3.11+; the package allows 3.10)
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.M)
    if not version:
        raise ValueError("pyproject.toml names no version")
    return config["repository"]["url"], f"v{version.group(1)}"


def install_cell_source() -> str:
    """The learner edition's first cell: in Colab, install what Colab lacks."""
    url, tag = release()
    return (
        "# In Colab, install what it lacks: torchdiffeq and the book's helper package\n"
        f"# `nodebook` (release {tag}), without their dependencies, which Colab has\n"
        "# (upgrading its ipywidgets would restart the runtime). Elsewhere: nothing.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    packages = [\n"
        f'        "{TORCHDIFFEQ}",\n'
        f'        "neural-ode-course @ git+{url}@{tag}",\n'
        "    ]\n"
        '    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]\n'
        "    subprocess.run(pip + packages, check=True)"
    )


# --- the bibliography ---------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One bibliography entry, as much of it as a reference list needs."""

    key: str
    fields: dict[str, str]

    @property
    def surnames(self) -> list[str]:
        authors = [a.strip() for a in self.fields.get("author", "").split(" and ")]
        return [a.split(",")[0].strip() for a in authors if a]

    @property
    def year(self) -> str:
        return self.fields.get("year", "n.d.")

    def cite(self) -> str:
        """Author-year text as the page shows it: ``He et al.``, ``Haber and Ruthotto``."""
        names = self.surnames
        if len(names) > 2:
            return f"{names[0]} et al."
        return " and ".join(names)

    def reference(self, year: str | None = None) -> str:
        """One line of the reference list (``year`` with its a/b suffix, if any)."""
        f = self.fields
        where = next(
            (
                f[k]
                for k in ("journal", "booktitle", "howpublished", "school")
                if k in f
            ),
            f.get("institution", f.get("publisher", "")),
        )
        authors = "; ".join(a.strip() for a in f.get("author", "").split(" and "))
        tail = f" {where}." if where else ""
        return f"{authors} ({year or self.year}). *{f.get('title', self.key)}*.{tail}"


def _latex_to_text(value: str) -> str:
    value = value.replace(r"{\o}", "ø").replace(r"\o", "ø")
    value = value.replace("--", "–")
    return re.sub(r"[{}]", "", value).strip()


def read_bibliography(path: Path = ROOT / "references.bib") -> dict[str, Entry]:
    """Parse the book's BibTeX: ``field = {...}``, ``"..."`` or a bare word per field."""
    text = path.read_text()
    entries: dict[str, Entry] = {}
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        pos, fields = match.end(), {}
        while True:
            m = re.compile(r"\s*(\w+)\s*=\s*").match(text, pos)
            if not m:
                break
            name, pos = m.group(1).lower(), m.end()
            if text[pos] == "{":
                depth, start = 0, pos
                while True:
                    depth += {"{": 1, "}": -1}.get(text[pos], 0)
                    pos += 1
                    if depth == 0:
                        break
                value = text[start + 1 : pos - 1]
            elif text[pos] == '"':
                end = text.index('"', pos + 1)
                value, pos = text[pos + 1 : end], end + 1
            else:
                m_word = re.compile(r"[^,}\s]+").match(text, pos)
                assert m_word, f"references.bib: no value for {name} at {pos}"
                value, pos = m_word.group(0), m_word.end()
            fields[name] = _latex_to_text(value)
            m_comma = re.compile(r"\s*,").match(text, pos)
            if not m_comma:
                break
            pos = m_comma.end()
        entries[match.group(2)] = Entry(match.group(2), fields)
    return entries


# --- Markdown: MyST to plain Jupyter Markdown ---------------------------------------


@dataclass
class _Context:
    """What converting one chapter collects: citations, exercise numbers."""

    chapter: int
    bib: dict[str, Entry]
    cited: list[str] = field(default_factory=list)
    exercises: int = 0

    def year(self, key: str) -> str:
        """The entry's year, with a, b, ... where one author-year names two entries."""
        entry = self.bib[key]
        same = sorted(
            (
                e
                for e in self.bib.values()
                if (e.cite(), e.year) == (entry.cite(), entry.year)
            ),
            key=lambda e: e.fields.get("title", e.key),
        )
        if len(same) == 1:
            return entry.year
        return entry.year + "abcdefghij"[same.index(entry)]

    def citation(self, keys: str, textual: bool) -> str:
        parts = []
        for key in (k.strip() for k in keys.split(",")):
            if key not in self.bib:
                raise ValueError(f"citation {key!r} is not in references.bib")
            if key not in self.cited:
                self.cited.append(key)
            entry = self.bib[key]
            year = self.year(key)
            parts.append(
                f"{entry.cite()} ({year})" if textual else f"{entry.cite()}, {year}"
            )
        return "; ".join(parts) if textual else f"({'; '.join(parts)})"


FENCE = re.compile(r"^(`{3,})\{([\w:-]+)\}[ \t]*(.*)$")
GLUE = re.compile(r"\{glue:text\}`([^`]+)`")
CITE = re.compile(r"\{cite(:t|:p)?\}`([^`]+)`")
ANY_ROLE = re.compile(r"\{[\w:-]+\}`")


def _fences(lines: list[str], ctx: _Context) -> list[str]:
    """Directives (``admonition``, ``note``, ``exercise``, solution markers) to Markdown."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        ticks, name, argument = m.groups()
        j = i + 1
        while j < len(lines) and re.match(r"^:[\w-]+:", lines[j]):
            j += 1  # options (:class:, :label:) mean nothing here
        end = next(k for k in range(j, len(lines)) if lines[k].strip() == ticks)
        body = _fences(lines[j:end], ctx)
        while body and not body[0].strip():
            body.pop(0)
        if name in ("solution-start", "solution-end"):
            pass  # the solution is folded after the check cell instead
        elif name == "exercise":
            ctx.exercises += 1
            out += [f"### Exercise {ctx.chapter}.{ctx.exercises}: {argument}", ""]
            out += body
        elif name == "admonition" and argument == "Learning goals":
            out += ["## Learning goals", "", *body]
        elif name in ("admonition", "note", "tip", "warning", "important"):
            title = argument if name == "admonition" else name.capitalize()
            out += [f"> **{title}.**", ">"] + [f"> {line}".rstrip() for line in body]
        else:
            raise ValueError(f"no learner form for the directive {{{name}}}")
        i = end + 1
    return out


def markdown(source: str, ctx: _Context) -> tuple[str, list[str]]:
    """The cell as plain Markdown, and the glue specs (``name:format``) it quotes."""
    text = "\n".join(_fences(source.split("\n"), ctx)).strip("\n")
    specs = GLUE.findall(text)
    text = GLUE.sub(lambda m: f"`{m.group(1).split(':')[0]}`", text)
    text = CITE.sub(lambda m: ctx.citation(m.group(2), m.group(1) == ":t"), text)
    left = ANY_ROLE.search(text)
    if left:
        raise ValueError(f"no learner form for the role {left.group(0)}")
    return text, specs


# --- code cells ---------------------------------------------------------------------


def stub(source: str) -> str:
    """The solution cell as the learner gets it: what nbgrader's release writes."""

    def replace(m: re.Match[str]) -> str:
        indent, body = m.group(1), m.group(2)
        if (
            not indent
        ):  # a value to choose at top level: the check then says it's missing
            tree = ast.parse(body)
            if all(isinstance(node, ast.Assign) for node in tree.body):
                names = [
                    target.id
                    for node in tree.body
                    for target in node.targets  # type: ignore[attr-defined]
                    if isinstance(target, ast.Name)
                ]
                return "\n".join(f"{name} = None  # YOUR CODE HERE" for name in names)
        return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()"

    pattern = rf"^([ \t]*){re.escape(BEGIN)}\n(.*?)^[ \t]*{re.escape(END)}[ \t]*$"
    out = re.sub(pattern, replace, source, flags=re.M | re.S)
    if out == source:
        raise ValueError("a solution cell without ### BEGIN/END SOLUTION markers")
    return out


def without_markers(source: str) -> str:
    """The reference solution: the cell without nbgrader's marker lines."""
    lines = [ln for ln in source.split("\n") if ln.strip() not in (BEGIN, END)]
    return "\n".join(lines)


def _is_solution(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(
        cell.metadata.get("nbgrader", {}).get("solution")
    )


def _is_check(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(
        cell.metadata.get("nbgrader", {}).get("grade")
    )


def _code(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    out = nbformat.v4.new_code_cell(cell.source)
    out.id = cell.id
    tags = [t for t in cell.metadata.get("tags", []) if t not in PAGE_TAGS]
    if "skip-execution" in tags:  # a live explorer: nbval skips it too
        tags.append("nbval-skip")
    metadata = {k: v for k, v in cell.metadata.items() if k not in ("tags", "mystnb")}
    if tags:
        metadata["tags"] = tags
    if HIDDEN_ON_PAGE & set(cell.metadata.get("tags", [])):
        metadata["jupyter"] = {"source_hidden": True}
    out.metadata = metadata
    return out


def _details(source: str) -> str:
    return (
        "<details>\n<summary>Reference solution (try the exercise first)</summary>\n\n"
        f"```python\n{source}\n```\n\n</details>"
    )


# --- the notebook -------------------------------------------------------------------

Part = Literal["all", "exercises"]
Solutions = Literal["details", "nbgrader"]


def chapter_number(path: Path) -> int:
    m = re.match(r"(\d+)_", path.name)
    if not m:
        raise ValueError(f"{path.name}: a chapter's name starts with its number, NN_")
    return int(m.group(1))


def _exercises_start(cells: list[nbformat.NotebookNode]) -> int:
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            return i
    raise ValueError("the chapter has no '## Exercises' section")


def learner_notebook(
    chapter: Path,
    part: Part = "all",
    solutions: Solutions = "details",
    bib: dict[str, Entry] | None = None,
) -> nbformat.NotebookNode:
    """The learner edition of ``chapter`` (``part="all"``), or its exercises alone.

    ``solutions="details"`` gives stubs and folded reference solutions (the learner
    edition); ``"nbgrader"`` keeps the solution cells with their markers, for nbgrader's
    release to strip (course/course.py). Both open with the Colab install cell; the
    exercises part keeps the chapter's setup cell (its first code cell) before the
    exercises section.
    """
    nb = nbformat.read(chapter, as_version=4)
    ctx = _Context(chapter_number(chapter), bib or read_bibliography())
    cells = nb.cells
    start = _exercises_start(cells)
    if part == "exercises":
        setup = next(c for c in cells if c.cell_type == "code")
        head = cells[start].copy()
        head.source = head.source[head.source.index("## Exercises") :]
        # the statements' numbering counts every exercise, so convert the whole
        # chapter's Markdown and keep only the exercises' cells
        for cell in cells[:start]:
            if cell.cell_type == "markdown":
                markdown(cell.source, ctx)
        ctx.cited.clear()
        title = cells[0].source.splitlines()[0].lstrip("# ")
        intro = nbformat.v4.new_markdown_cell(
            f"# Exercises: {title}\n\nFrom chapter {ctx.chapter} of *Neural ODEs, "
            "executable*. Write your answers in the marked cells and run each check "
            "cell; do not rename this notebook or edit the check cells."
        )
        intro.id = "intro"
        selected = [setup, head, *cells[start + 1 :]]
        out_cells = [intro]
    else:
        selected = cells
        out_cells = []
    install = nbformat.v4.new_code_cell(install_cell_source())
    install.id = "install"
    out_cells.append(install)
    pending: str | None = None  # a reference solution waiting for its check cell
    for cell in selected:
        if cell.cell_type == "markdown":
            text, specs = markdown(cell.source, ctx)
            if specs:
                show = nbformat.v4.new_code_cell(
                    "nb.show_glued(" + ", ".join(f'"{s}"' for s in specs) + ")"
                )
                show.id = f"{cell.id}-numbers"
                show.metadata = {"jupyter": {"source_hidden": True}}
                out_cells.append(show)
            if text.strip():
                md = nbformat.v4.new_markdown_cell(text)
                md.id = cell.id
                out_cells.append(md)
            continue
        code = _code(cell)
        if _is_solution(cell) and solutions == "details":
            code.source = stub(cell.source)
            pending = without_markers(cell.source)
        out_cells.append(code)
        if _is_check(cell) and pending is not None:
            folded = nbformat.v4.new_markdown_cell(_details(pending))
            folded.id = f"{cell.id}-solution"
            out_cells.append(folded)
            pending = None
    if pending is not None:
        raise ValueError(f"{chapter.name}: a solution cell with no check cell after it")
    if ctx.cited:
        refs = sorted((ctx.bib[k] for k in ctx.cited), key=lambda e: e.reference())
        lines = ["## References", ""]
        lines += [f"- {e.reference(ctx.year(e.key))}" for e in refs]
        md = nbformat.v4.new_markdown_cell("\n".join(lines))
        md.id = "references"
        out_cells.append(md)
    metadata = {
        k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")
    }
    metadata["nodebook"] = {
        "generated_from": f"chapters/{chapter.name}",
        "by": "tools/learner.py (do not edit by hand)",
    }
    return nbformat.v4.new_notebook(cells=out_cells, metadata=metadata)


def nbval_copy(chapter: Path, pins: dict[str, list[dict]]) -> nbformat.NotebookNode:
    """The learner edition as nbval runs it: solutions filled in, pinned outputs put in.

    Each stub gets the chapter's reference solution back (without nbgrader's markers);
    each cell tagged ``nbval-check-output`` gets its pin from ``tests/pinned_outputs.json``
    (``pins`` is the chapter's entry), the one source of pins that the chapter checks use
    too. The committed edition stays without outputs.
    """
    source = {c.id: c for c in nbformat.read(chapter, as_version=4).cells}
    nb = learner_notebook(chapter)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if _is_solution(cell):
            cell.source = without_markers(source[cell.id].source)
        if "nbval-check-output" in cell.metadata.get("tags", []):
            if cell.id not in pins:
                raise ValueError(
                    f"{chapter.name}, cell {cell.id} is tagged nbval-check-output but "
                    "has no pin: run tools/pin_outputs.py"
                )
            cell.outputs = [nbformat.from_dict(out) for out in pins[cell.id]]
            # nbval takes a reference cell without an execution count for unrun
            cell.execution_count = 1
    return nb


def write_nbval_copies(folder: Path, paths: Iterable[Path]) -> list[Path]:
    """Write :func:`nbval_copy` of each chapter into ``folder`` (emptied first)."""
    pins = json.loads((ROOT / "tests" / "pinned_outputs.json").read_text())
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written = []
    for path in paths:
        target = folder / path.name
        nbformat.write(nbval_copy(path, pins.get(path.name, {})), target)
        written.append(target)
    return written


def dumps(nb: nbformat.NotebookNode) -> str:
    """The committed form: nbformat's JSON, one space indent, a final newline."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def _executor() -> ModuleType:
    """The sibling ``tools/execute_chapters.py``: the book's one reading of the toc."""
    if "execute_chapters" in sys.modules:
        return sys.modules["execute_chapters"]
    spec = importlib.util.spec_from_file_location(
        "execute_chapters", Path(__file__).with_name("execute_chapters.py")
    )
    assert spec and spec.loader, "tools/execute_chapters.py is missing"
    module = importlib.util.module_from_spec(spec)
    sys.modules["execute_chapters"] = module
    spec.loader.exec_module(module)
    return module


def chapters() -> list[Path]:
    """The chapters of the table of contents, in order."""
    return _executor().toc_chapters()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", help="e.g. 01_resnet_as_euler")
    parser.add_argument(
        "--check", action="store_true", help="fail if a committed edition differs"
    )
    parser.add_argument(
        "--nbval-copies",
        type=Path,
        metavar="DIR",
        help="write the editions with solutions and pins filled in, for nbval",
    )
    args = parser.parse_args(argv)
    paths = _executor().selected(args.chapters, parser)
    if args.nbval_copies:
        for path in write_nbval_copies(args.nbval_copies, paths):
            print(f"wrote {_shown(path)}")
        return 0
    bib = read_bibliography()
    stale = []
    for path in paths:
        target = LEARNER / path.name
        text = dumps(learner_notebook(path, bib=bib))
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(_shown(target))
            continue
        LEARNER.mkdir(exist_ok=True)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {_shown(target)}")
    if stale:
        print("out of date (run tools/learner.py):", *map(str, stale), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
