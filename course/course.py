"""Run a course from the book's exercises with nbgrader: release, autograde, export.

    python course/course.py release                 # student notebooks for every chapter
    python course/course.py autograde CHAPTER DIR   # grade DIR/<student>/*.ipynb
    python course/course.py export CHAPTER          # scores per student and exercise (CSV)

Needs the instructor install (``make course-install``: nbgrader). Each chapter's
exercises, with the chapter's setup cell, become one assignment named after the chapter
(for example ``01_resnet_as_euler``), so grading runs the exercises only, not the
chapter's experiments. The book's instructor page explains the workflow and its limits.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("BOOK_ROOT", HERE.parent))  # the book (for its chapters)
CHAPTERS = ROOT / "chapters"
SOURCE, SUBMITTED, AUTOGRADED = HERE / "source", HERE / "submitted", HERE / "autograded"
RELEASE, FEEDBACK, GRADES = HERE / "release", HERE / "feedback", HERE / "grades"
MEMORY_LIMIT = 4 * 2**30  # bytes of address space for a student's kernel
STUDENT_TIMEOUT = 600  # seconds for one student's whole notebook


def _jupyter_data_path() -> str:
    """``$JUPYTER_PATH`` plus ``share/jupyter`` of each environment on ``sys.path``."""
    folders = [f for f in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if f]
    for entry in map(Path, sys.path):
        share = (
            entry.parents[2] / "share" / "jupyter" if len(entry.parents) > 2 else None
        )
        if entry.name == "site-packages" and share is not None and share.is_dir():
            folders.append(str(share))
    return os.pathsep.join(dict.fromkeys(folders))


def _nbgrader(*args: str, limit_memory: bool = False, timeout: float | None = None):
    """Run one nbgrader command in the course directory, in its own process."""

    def limits() -> None:  # applied in the child: the kernel it starts inherits them
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    # nbgrader runs tools (alembic) from the environment's bin folder, and nbconvert's
    # templates come from the Jupyter data folders of every environment on the path
    # (.venv-course sees the book's .venv through a .pth file)
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        JUPYTER_PATH=_jupyter_data_path(),
    )
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limits if limit_memory else None,
    )


def _learner_module() -> ModuleType:
    """The book's learner-edition generator (tools/learner.py), which this reuses."""
    path = ROOT / "tools" / "learner.py"
    spec = importlib.util.spec_from_file_location("learner", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the learner-edition generator {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("learner", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def exercises_notebook(chapter: Path) -> nbformat.NotebookNode:
    """The chapter's exercises as the learner edition writes them, for nbgrader.

    The same generator as the learner edition (``tools/learner.py``, ``part=
    "exercises"``): the Colab cell, the chapter's setup cell, the exercises section with
    the solution cells' ``### BEGIN/END SOLUTION`` markers kept for nbgrader to strip.
    """
    out = _learner_module().learner_notebook(
        chapter, part="exercises", solutions="nbgrader"
    )
    for i, cell in enumerate(out.cells):
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata:
            # setup cells are locked too, so a student cannot break them unnoticed
            cell.metadata["nbgrader"] = {
                "grade": False,
                "solution": False,
                "locked": True,
                "task": False,
                "grade_id": f"setup-{i}",
                "schema_version": 3,
            }
    return out


def release(chapters: list[str] | None = None) -> list[Path]:
    """Write the source assignments and generate the student versions."""
    names = chapters or sorted(p.stem for p in CHAPTERS.glob("*.ipynb"))
    released = []
    for name in names:
        (SOURCE / name).mkdir(parents=True, exist_ok=True)
        nbformat.write(
            exercises_notebook(CHAPTERS / f"{name}.ipynb"),
            SOURCE / name / f"{name}.ipynb",
        )
        result = _nbgrader("generate_assignment", name, "--force")
        if result.returncode != 0:
            raise SystemExit(
                f"generate_assignment {name} failed:\n{result.stdout}{result.stderr}"
            )
        released.append(RELEASE / name / f"{name}.ipynb")
    return released


def _student_notebook(folder: Path, chapter: str) -> tuple[Path | None, str]:
    """The notebook a student handed in, and a note on anything odd about it."""
    notebooks = sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    exact = [p for p in notebooks if p.name == f"{chapter}.ipynb"]
    if exact:
        return exact[0], ""
    if len(notebooks) == 1:
        return notebooks[
            0
        ], f"renamed notebook {notebooks[0].name!r} graded as {chapter}.ipynb"
    if not notebooks:
        return None, "no notebook submitted"
    return None, f"{len(notebooks)} notebooks and none named {chapter}.ipynb"


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _restore_checks(
    submitted: nbformat.NotebookNode, source: nbformat.NotebookNode
) -> int:
    """Put back check cells a student deleted, after their exercise's solution cell.

    nbgrader restores the content of check cells that were edited, but a deleted one
    would simply be missing and its points lost although the answer may be right.
    """
    present = {_grade_id(c) for c in submitted.cells}
    restored = 0
    previous_solution = None
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            previous_solution = meta.get("grade_id")
        if not meta.get("grade") or meta.get("grade_id") in present:
            continue
        ids = [_grade_id(c) for c in submitted.cells]
        at = ids.index(previous_solution) + 1 if previous_solution in ids else len(ids)
        submitted.cells.insert(at, cell.copy())
        restored += 1
    return restored


def _forget(chapter: str, student: str) -> None:
    """Remove a student's submission of ``chapter`` from the gradebook, if any."""
    from nbgrader.api import Gradebook, MissingEntry

    if not (HERE / "gradebook.db").exists():
        return
    with Gradebook(f"sqlite:///{HERE / 'gradebook.db'}") as gb:
        try:
            gb.remove_submission(chapter, student)
        except MissingEntry:
            pass


def autograde(chapter: str, submissions: Path) -> dict[str, str]:
    """Grade every ``submissions/<student>/`` folder; returns a note per student.

    Each student is graded in a separate nbgrader process whose kernel has a memory
    limit, so a crash, a memory bomb or a hang costs that student's score and nothing
    else. Unreadable submissions are recorded with a score of zero and a reason.
    """
    notes: dict[str, str] = {}
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir()):
        student = folder.name
        notebook, note = _student_notebook(folder, chapter)
        target = SUBMITTED / student / chapter / f"{chapter}.ipynb"
        # start clean: no earlier submission, grade or feedback of this student survives
        for old in (SUBMITTED, AUTOGRADED, FEEDBACK):
            shutil.rmtree(old / student / chapter, ignore_errors=True)
        _forget(chapter, student)
        if notebook is None:
            notes[student] = note
            continue
        try:
            nbformat.validate(nbformat.read(notebook, as_version=4))
        except Exception as exc:  # empty, not JSON, not a notebook
            notes[student] = f"unreadable notebook ({type(exc).__name__}); scored 0"
            continue
        target.parent.mkdir(parents=True)
        submitted = nbformat.read(notebook, as_version=4)
        restored = _restore_checks(
            submitted,
            nbformat.read(SOURCE / chapter / f"{chapter}.ipynb", as_version=4),
        )
        if restored:
            note = "; ".join(
                filter(None, [note, f"restored {restored} deleted check cell(s)"])
            )
        nbformat.write(submitted, target)
        try:
            result = _nbgrader(
                "autograde",
                chapter,
                "--student",
                student,
                "--force",
                limit_memory=True,
                timeout=STUDENT_TIMEOUT,
            )
            failure = (
                _failure(result.stdout + result.stderr) if result.returncode else ""
            )
        except subprocess.TimeoutExpired:
            failure = f"grading took over {STUDENT_TIMEOUT} s and was stopped"
        if failure:
            note = "; ".join(filter(None, [note, failure]))
        notes[student] = note
    _nbgrader("generate_feedback", chapter, "--force")
    (GRADES).mkdir(exist_ok=True)
    (GRADES / f"{chapter}-notes.json").write_text(json.dumps(notes, indent=1) + "\n")
    return notes


def _error(cell: nbformat.NotebookNode) -> str:
    """The cell's error as one line, or ''."""
    for out in cell.get("outputs", []):
        if out.output_type == "error" and out.ename != "KeyboardInterrupt":
            if out.ename == "CellTimeoutError":
                return "the cell ran past the time limit and was stopped"
            first = (out.evalue or "").strip().splitlines()[:1]
            return f"{out.ename}: {first[0] if first else ''}".strip()
    return ""


def _reasons(nb: nbformat.NotebookNode) -> dict[str, str]:
    """For every check cell, why it lost points: its error, and the failure before it."""
    reasons, earlier = {}, ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        error = _error(cell) if cell.cell_type == "code" else ""
        if meta.get("grade"):
            if error and earlier and error.startswith("NameError"):
                error = f"{error} (your code cell failed first: {earlier})"
            reasons[meta.get("grade_id")] = error
            earlier = ""
        elif error:
            earlier = error
    return reasons


def _failure(log: str) -> str:
    """A readable reason for an autograde run that did not finish."""
    if "Kernel died" in log or "DeadKernelError" in log:
        return (
            "the kernel died while running the notebook (os._exit, a crash or the "
            "memory limit); nothing after that point could be graded"
        )
    lines = [line for line in log.strip().splitlines() if line.strip()]
    return "autograde failed: " + (lines[-1] if lines else "no output")


def export(chapter: str) -> Path:
    """One CSV row per student and exercise: score, maximum and the reason for a loss."""
    from nbgrader.api import Gradebook, MissingEntry

    notes = json.loads((GRADES / f"{chapter}-notes.json").read_text())
    source = nbformat.read(SOURCE / chapter / f"{chapter}.ipynb", as_version=4)
    checks = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    rows = []
    with Gradebook(f"sqlite:///{HERE / 'gradebook.db'}") as gb:
        for student in sorted(notes):
            graded = AUTOGRADED / student / chapter / f"{chapter}.ipynb"
            reasons = (
                _reasons(nbformat.read(graded, as_version=4)) if graded.exists() else {}
            )
            for check in checks:
                grade_id = check.metadata["nbgrader"]["grade_id"]
                points = check.metadata["nbgrader"]["points"]
                try:
                    score = gb.find_grade(grade_id, chapter, chapter, student).score
                except MissingEntry:  # not graded: unreadable, missing or crashed
                    score = 0.0
                reason = reasons.get(grade_id) or ""
                if score < points and not reason:
                    reason = notes[student] or "no output"
                rows.append(
                    [student, chapter, grade_id, score, points, reason, notes[student]]
                )
    out = GRADES / f"{chapter}.csv"
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "student",
                "assignment",
                "exercise",
                "score",
                "max_score",
                "reason",
                "note",
            ]
        )
        writer.writerows(rows)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_release = sub.add_parser("release", help="generate the student notebooks")
    p_release.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    p_grade = sub.add_parser("autograde", help="grade a folder of submissions")
    p_grade.add_argument("chapter")
    p_grade.add_argument("submissions", type=Path)
    p_export = sub.add_parser("export", help="write the scores as CSV")
    p_export.add_argument("chapter")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if args.command == "release":
        for path in release(args.chapters or None):
            print(path)
    elif args.command == "autograde":
        for student, note in autograde(args.chapter, args.submissions).items():
            print(f"{student}: {note or 'graded'}")
        print(export(args.chapter))
    else:
        print(export(args.chapter))


if __name__ == "__main__":
    main()
