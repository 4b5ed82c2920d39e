"""The book's structure: stored notebooks, table of contents, launch set-up, exercises."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
# The book's plan: chapter files appear in the toc in this order once they exist.
PLAN = [
    "01_resnet_as_euler",
    "02_solvers_and_stiffness",
    "03_adjoint_method",
    "04_fitzhugh_nagumo",
    "05_phase_portraits",
    "06_spiral_generalisation",
    "07_limits",
]


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: a cell has outputs; strip them"
            assert cell["execution_count"] is None, (
                f"{path.name}: strip execution counts"
            )


def test_toc_lists_existing_chapters_in_plan_order():
    files = [
        c["file"]
        for part in TOC["parts"]
        if part["caption"] == "Chapters"
        for c in part["chapters"]
    ]
    names = [Path(f).name for f in files]
    assert names == [n for n in PLAN if (ROOT / "chapters" / f"{n}.ipynb").exists()]
    assert {p.stem for p in CHAPTERS} == set(names), (
        "every chapter notebook is in the toc"
    )


def test_only_toc_files_are_built_and_executed_with_a_cache():
    assert CONFIG["only_build_toc_files"] is True
    assert CONFIG["execute"]["execute_notebooks"] == "cache"
    assert CONFIG["execute"]["timeout"] > 0
    assert CONFIG["execute"].get("allow_errors") is False


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_seed_goes_through_nb_seed(path):
    """``tools/seed_sweep.py`` shifts seeds with ``$NODEBOOK_SEED``: a literal seed
    (``torch.manual_seed(0)``, ``torch.Generator().manual_seed(5)``,
    ``np.random.default_rng(1)``) would stay where it is and hide a seed-dependent claim."""
    literal = re.compile(r"(manual_seed|default_rng|random\.seed)\(\s*\d")
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        for line in source(cell).splitlines():
            assert not literal.search(line), (
                f"{path.name}, cell {cell.get('id')}: write the seed as nb.seed(k) "
                f"or nb.generator(k): {line.strip()}"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapters_install_nothing_the_learner_edition_installs_for_colab(path):
    """Colab opens the learner edition, whose first cell installs (tools/learner.py)."""
    for cell in cells(path):
        assert "pip" not in source(cell) or cell["cell_type"] != "code", (
            f"{path.name}, cell {cell.get('id')}: a chapter installs nothing; the learner "
            "edition's generated first cell installs for Colab"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_template(path):
    cs = cells(path)
    markdown = [source(c) for c in cs if c["cell_type"] == "markdown"]
    assert markdown[0].startswith("# "), "the chapter opens with its title"
    assert "Learning goals" in markdown[0], "learning goals come first"
    setup = next(source(c) for c in cs[1:] if c["cell_type"] == "code")
    assert "import nodebook as nb" in setup and "nb.seed_everything(" in setup
    text = "\n".join(markdown)
    assert text.index("## Summary") < text.index("## Exercises"), (
        "summary, then exercises, last"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_exercises_follow_the_format(path):
    cs = cells(path)
    labels = re.findall(
        r"```\{exercise\}[^\n]*\n:label: (\S+)", "\n".join(source(c) for c in cs)
    )
    assert len(labels) >= 3, "at least three exercises per chapter"
    for label in labels:
        i = next(
            i for i, c in enumerate(cs) if f"```{{solution-start}} {label}" in source(c)
        )
        solution, end, check = cs[i + 1], cs[i + 2], cs[i + 3]
        assert ":class: dropdown" in source(cs[i])
        assert "### BEGIN SOLUTION" in source(
            solution
        ) and "### END SOLUTION" in source(solution)
        assert solution["metadata"]["nbgrader"]["solution"] is True
        assert "{solution-end}" in source(end)
        assert "nb.checks.check_" in source(check)
        grading = check["metadata"]["nbgrader"]
        assert (
            grading["grade"] is True
            and grading["points"] > 0
            and grading["locked"] is True
        )


def test_launch_buttons_and_downloads():
    assert CONFIG["launch_buttons"]["binderhub_url"].startswith("https://")
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["html"]["use_download_button"] is True
    assert "sphinx_exercise" in CONFIG["sphinx"]["extra_extensions"]


def test_binder_gets_cpu_torch_from_its_own_folder():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in binder and "torch==" in binder
    assert "pip install" in (ROOT / "binder" / "postBuild").read_text()


def test_torch_is_pinned_and_our_package_is_not_called_nodebook():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", requirements, re.M)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^name = "neural-ode-course"$', pyproject, re.M)


def test_a_wheel_carries_every_subpackage(tmp_path):
    # Colab installs the package from the repository (not editable): a wheel that
    # left out nodebook/integrate or nodebook/checks would fail at `import nodebook`
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"  # a copy, so that the build leaves no files here
    shutil.copytree(
        ROOT / "nodebook",
        source / "nodebook",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", str(source)),
            *("--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "nodebook").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert wanted <= shipped, f"the wheel lacks {sorted(wanted - shipped)}"


def test_pinned_outputs_belong_to_tagged_cells():
    pinned = json.loads((ROOT / "tests" / "pinned_outputs.json").read_text())
    for path in CHAPTERS:
        tagged = {c["id"] for c in cells(path) if "nbval-check-output" in tags(c)}
        assert set(pinned.get(path.name, {})) == tagged, (
            f"{path.name}: run tools/pin_outputs.py"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_have_alt_text(path):
    for cell in cells(path):
        if (
            cell["cell_type"] == "code"
            and "plt.show()" in source(cell)
            and "remove-output" not in tags(cell)
        ):
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 20, (
                f"{path.name}: a figure cell needs mystnb.image.alt metadata"
            )


def test_duplicate_inline_scripts_are_removed():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "dedupe_inline_scripts", ROOT / "_ext" / "dedupe_inline_scripts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    html = (
        "<head>\n    <script>const A = 1;</script>\n"
        '    <script src="x.js"></script>\n'
        '    <script src="x.js"></script>\n'
        "    <script>const A = 1;</script>\n    <script>var b;</script>\n</head>\n"
    )
    out = module.dedupe(html)
    assert out.count("const A = 1;") == 1 and out.count('src="x.js"') == 2
    assert "var b;" in out


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_fits_the_page(path):
    """Code lines of at most 80 characters show whole in the page's code blocks."""
    long_lines = [
        line
        for cell in cells(path)
        if cell["cell_type"] == "code" and "remove-cell" not in tags(cell)
        for line in source(cell).splitlines()
        if len(line) > 80
    ]
    assert long_lines == [], f"{path.name}: lines over 80 characters: {long_lines}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_control_characters(path):
    """A stray escape (``\\a`` for ``\\approx`` in a non-raw string) shows as garbage."""
    for cell in cells(path):
        bad = re.findall(r"[\x00-\x08\x0b-\x1f]", source(cell))
        assert not bad, (
            f"{path.name}: control characters {bad} in a {cell['cell_type']} cell"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_explorers_are_live_only(path):
    """An explorer needs a kernel behind it: the build neither runs nor shows it.

    Executed headless, the explorer's Output widget left nbclient waiting out the
    120 s cell timeout now and then; on the page its output would be dead widget
    state. The static figure after it is what the page shows.
    """
    for cell in cells(path):
        if cell["cell_type"] == "code" and "nb.explorer(" in source(cell):
            assert {"skip-execution", "remove-output"} <= set(tags(cell)), (
                f"{path.name}: tag the explorer cell skip-execution and remove-output"
            )


GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]*)`")
GLUE_KEY = re.compile(r"[A-Za-z_]\w*(:[^`{}\s]*)?")
GLUE_CALL = re.compile(r"glue\(\s*(f?)[\"']([^\"']*)[\"']")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_glue_roles_are_well_formed_and_glued(path):
    """A role with a lost backtick or an unglued name only warns in the strict build,
    ten minutes in; this finds it at once."""
    patterns = []  # an f-string name such as f"{part}_{solver}_ms" matches any words
    for cell in cells(path):
        if cell["cell_type"] == "code":
            for fstring, name in GLUE_CALL.findall(source(cell)):
                parts = re.split(r"\{[^}]*\}", name) if fstring else [name]
                patterns.append(re.compile(r"\w+".join(map(re.escape, parts))))
    for cell in cells(path):
        if cell["cell_type"] != "markdown":
            continue
        for key in GLUE_ROLE.findall(source(cell)):
            assert GLUE_KEY.fullmatch(key), (
                f"{path.name}: malformed glue role `{key}` (a lost backtick?)"
            )
            name = key.split(":")[0]
            assert any(p.fullmatch(name) for p in patterns), (
                f"{path.name}: {name!r} is shown but never glued"
            )
