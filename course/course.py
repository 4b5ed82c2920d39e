"""Run a course from the book's exercises with nbgrader: release, autograde, export.

    python course/course.py [--course DIR] release                # student notebooks
    python course/course.py [--course DIR] autograde CHAPTER SUBS  # grade SUBS/<student>/
    python course/course.py [--course DIR] export CHAPTER          # scores (CSV)

Needs the instructor install (``make course-install``: nbgrader). Each chapter's
exercises, with the chapter's setup cell, become one assignment named after the chapter
(for example ``01_resnet_as_euler``), so grading runs the exercises only, not the
chapter's experiments. The book's instructor page explains the workflow and its limits.

Everything a course writes (assignments, gradebook, feedback, grades) goes into the course
folder: ``--course DIR``, else ``$COURSE_DIR``, else this file's folder. The book itself is
only read, so it can be mounted read-only. Results are kept per student and written
atomically (a temporary file renamed over the old one): grading some students again
keeps every other student's result, and a run killed at any point loses only the student
it was grading, whom the next run grades again.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("BOOK_ROOT", HERE.parent))  # the book (for its chapters)
CHAPTERS = ROOT / "chapters"
CONFIG = HERE / "nbgrader_config.py"  # copied into each course folder
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


@dataclass(frozen=True)
class Course:
    """The folder one course writes into, and nbgrader's folders in it."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def grades(self) -> Path:
        return self.root / "grades"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def record(self, chapter: str, student: str) -> Path:
        """One student's result for a chapter: the note on their submission."""
        return self.grades / chapter / f"{student}.json"

    def prepare(self) -> None:
        """Create the folder and give it the book's nbgrader settings."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / CONFIG.name
        if target.resolve() != CONFIG and (
            not target.exists() or target.read_text() != CONFIG.read_text()
        ):
            _write_atomic(target, CONFIG.read_text())


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def _nbgrader(
    course: Course,
    *args: str,
    limit_memory: bool = False,
    timeout: float | None = None,
):
    """Run one nbgrader command in the course folder, in its own process."""

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
        cwd=course.root,
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


def release(course: Course, chapters: list[str] | None = None) -> list[Path]:
    """Write the source assignments and generate the student versions."""
    course.prepare()
    names = chapters or sorted(p.stem for p in CHAPTERS.glob("*.ipynb"))
    released = []
    for name in names:
        (course.source / name).mkdir(parents=True, exist_ok=True)
        nbformat.write(
            exercises_notebook(CHAPTERS / f"{name}.ipynb"),
            course.source / name / f"{name}.ipynb",
        )
        result = _nbgrader(course, "generate_assignment", name, "--force")
        if result.returncode != 0:
            raise SystemExit(
                f"generate_assignment {name} failed:\n{result.stdout}{result.stderr}"
            )
        released.append(course.release / name / f"{name}.ipynb")
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


def _forget(course: Course, chapter: str, student: str) -> None:
    """Remove a student's submission of ``chapter`` from the gradebook, if any."""
    from nbgrader.api import Gradebook, MissingEntry

    if not course.gradebook.exists():
        return
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        try:
            gb.remove_submission(chapter, student)
        except MissingEntry:
            pass


def autograde(course: Course, chapter: str, submissions: Path) -> dict[str, str]:
    """Grade every ``submissions/<student>/`` folder; returns a note per student.

    Each student is graded in a separate nbgrader process whose kernel has a memory
    limit, so a crash, a memory bomb or a hang costs that student's score and nothing
    else. Unreadable submissions are recorded with a score of zero and a reason. Each
    student's note is written, atomically, only once their grade is in the gradebook,
    so a record always belongs to a finished grading; students not in ``submissions``
    keep their results.
    """
    course.prepare()
    if not (course.source / chapter / f"{chapter}.ipynb").exists():
        raise SystemExit(
            f"{chapter} is not released in {course.root}: run `release {chapter}` first"
        )
    notes: dict[str, str] = {}
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir()):
        student = folder.name
        notes[student] = _grade_student(course, chapter, student, folder)
        _write_atomic(
            course.record(chapter, student),
            json.dumps({"student": student, "note": notes[student]}) + "\n",
        )
    _nbgrader(course, "generate_feedback", chapter, "--force")
    return notes


def _grade_student(course: Course, chapter: str, student: str, folder: Path) -> str:
    """Grade one student's folder into the gradebook; the note on their submission."""
    notebook, note = _student_notebook(folder, chapter)
    target = course.submitted / student / chapter / f"{chapter}.ipynb"
    # start clean: no earlier submission, grade, feedback or record of this student
    # survives (a run killed from here on leaves the student without a record, and the
    # next run grades them again)
    course.record(chapter, student).unlink(missing_ok=True)
    for old in (course.submitted, course.autograded, course.feedback):
        shutil.rmtree(old / student / chapter, ignore_errors=True)
    _forget(course, chapter, student)
    if notebook is None:
        return note
    try:
        nbformat.validate(nbformat.read(notebook, as_version=4))
    except Exception as exc:  # empty, not JSON, not a notebook
        return f"unreadable notebook ({type(exc).__name__}); scored 0"
    target.parent.mkdir(parents=True)
    submitted = nbformat.read(notebook, as_version=4)
    restored = _restore_checks(
        submitted,
        nbformat.read(course.source / chapter / f"{chapter}.ipynb", as_version=4),
    )
    if restored:
        note = "; ".join(
            filter(None, [note, f"restored {restored} deleted check cell(s)"])
        )
    nbformat.write(submitted, target)
    try:
        result = _nbgrader(
            course,
            "autograde",
            chapter,
            "--student",
            student,
            "--force",
            limit_memory=True,
            timeout=STUDENT_TIMEOUT,
        )
        failure = _failure(result.stdout + result.stderr) if result.returncode else ""
    except subprocess.TimeoutExpired:
        failure = f"grading took over {STUDENT_TIMEOUT} s and was stopped"
    if failure:
        note = "; ".join(filter(None, [note, failure]))
    return note


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


def _notes(course: Course, chapter: str) -> dict[str, str]:
    """Every graded student's note for ``chapter``, from their records."""
    # a course graded before per-student records kept one file per chapter
    legacy = course.grades / f"{chapter}-notes.json"
    notes = json.loads(legacy.read_text()) if legacy.exists() else {}
    for path in sorted((course.grades / chapter).glob("*.json")):
        record = json.loads(path.read_text())
        notes[record["student"]] = record["note"]
    return notes


def export(course: Course, chapter: str) -> Path:
    """One CSV row per student and exercise: score, maximum and the reason for a loss."""
    from nbgrader.api import Gradebook, MissingEntry

    notes = _notes(course, chapter)
    source = nbformat.read(course.source / chapter / f"{chapter}.ipynb", as_version=4)
    checks = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    rows = []
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        for student in sorted(notes):
            graded = course.autograded / student / chapter / f"{chapter}.ipynb"
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
    out = course.grades / f"{chapter}.csv"
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    header = ["student", "assignment", "exercise", "score", "max_score", "reason"]
    writer.writerow([*header, "note"])
    writer.writerows(rows)
    _write_atomic(out, text.getvalue())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--course",
        type=Path,
        default=Path(os.environ.get("COURSE_DIR", HERE)),
        help="the folder the course writes into (default: $COURSE_DIR, else course/)",
    )
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
    course = Course(args.course.resolve())
    if args.command == "release":
        for path in release(course, args.chapters or None):
            print(path)
    elif args.command == "autograde":
        for student, note in autograde(course, args.chapter, args.submissions).items():
            print(f"{student}: {note or 'graded'}")
        print(export(course, args.chapter))
    else:
        print(export(course, args.chapter))


if __name__ == "__main__":
    main()
