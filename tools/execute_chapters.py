"""Execute the book's chapters once, in parallel, into the cache the build reads.

    .venv/bin/python tools/execute_chapters.py [--workers N] [CHAPTER ...]

``make book`` and ``make test`` run this before ``jupyter-book build``. Each chapter in
the table of contents that has no up-to-date entry in jupyter-book's execution cache
(``_build/.jupyter_cache``) runs top to bottom in a fresh kernel from its own folder,
the way myst-nb runs it, with ``N`` chapters at a time (default: one per core; chapters
pin one torch thread). Results go into that cache, so the build renders them without
executing again, and the tests (``tests/test_chapters.py``) check the same executed
outputs: one execution serves the build and the checks.

The cache is keyed by the notebooks' code cells only, so it cannot see a change to the
``nodebook`` package or to the requirements. This tool keeps a fingerprint of those files
beside the cache and empties the cache when it changes: an edit to ``nodebook`` re-runs
every chapter.

Trained models that one chapter passes to another (chapter 4 to 5) go to
``_build/.nodebook_cache`` unless ``NODEBOOK_CACHE`` says otherwise, so a build never
reads models left behind by an older version of the package. A chapter that names such
a provider in its metadata (``"nodebook": {"runs_after": [...]}``) starts after it.

Exits non-zero, after the others have run, if a chapter raises; prints each chapter's
execution time.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
FINGERPRINT = CACHE / "nodebook.sha256"
MODEL_CACHE = ROOT / "_build" / ".nodebook_cache"
# per cell: the build's own setting
TIMEOUT_S = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"]


def toc_chapters() -> list[Path]:
    """The notebooks listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [
        chapter["file"]
        for part in toc.get("parts", [])
        for chapter in part.get("chapters", [])
    ]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def chapter_name(arg: str, chapters: list[Path]) -> str:
    """The chapter ``arg`` names: a bare name, a file name or a path to it.

    Raises ``ValueError`` naming the chapters when ``arg`` matches none of them.
    """
    stem = Path(arg).name.removesuffix(".ipynb")
    stems = [p.stem for p in chapters]
    if stem not in stems:
        raise ValueError(
            f"no chapter called {arg!r}; the chapters are: " + ", ".join(stems)
        )
    return stem


def selected(args: list[str], parser: argparse.ArgumentParser) -> list[Path]:
    """The toc's chapters that ``args`` name (all when none); an unknown one is a usage
    error of ``parser``."""
    chapters = toc_chapters()
    if not args:
        return chapters
    try:
        wanted = {chapter_name(arg, chapters) for arg in args}
    except ValueError as error:
        parser.error(str(error))
    return [p for p in chapters if p.stem in wanted]


def fingerprint() -> str:
    """A hash of what the chapters run besides their own cells."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in (ROOT / "nodebook").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    for path in [*files, ROOT / "requirements.txt", ROOT / "pyproject.toml"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def executed(path: Path) -> tuple[nbformat.NotebookNode, float] | None:
    """The cached execution of a chapter and its seconds, or ``None`` if there is none."""
    cache = get_cache(str(CACHE))
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        return None
    return cache.get_cache_bundle(record.pk).nb, record.data["execution_seconds"]


def execute(path: Path) -> tuple[dict, float, str | None, str]:
    """Run one notebook in a fresh kernel.

    Returns it executed, the seconds, the error if any, and where the time went: the
    kernel's start and the slowest cells (nbclient's per-cell timestamps, which are
    dropped before the notebook is cached).
    """
    nb = nbformat.read(path, as_version=4)
    start = datetime.now(timezone.utc)
    result = single_nb_execution(
        nb,
        cwd=str(path.parent),
        timeout=TIMEOUT_S,
        allow_errors=False,
        record_timing=True,
    )
    spans = []
    first = None
    for cell in result.nb.cells:
        stamps = cell.metadata.pop("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            begin = datetime.fromisoformat(stamps["iopub.execute_input"])
            end = datetime.fromisoformat(stamps["shell.execute_reply"])
            first = first or begin
            spans.append(((end - begin).total_seconds(), cell.get("id", "?")))
    where = ""
    if first is not None:
        slowest = ", ".join(
            f"{cid} {sec:.1f} s" for sec, cid in sorted(spans)[-3:][::-1]
        )
        where = (
            f"kernel start {(first - start).total_seconds():.1f} s; slowest {slowest}"
        )
    return dict(result.nb), result.time, result.exc_string, where


def runs_after(path: Path) -> set[str]:
    """Chapters whose cache this one reads: ``metadata.nodebook.runs_after``."""
    meta = nbformat.read(path, as_version=4).metadata.get("nodebook", {})
    return set(meta.get("runs_after", []))


def run_in_order(
    todo: list[Path], workers: int
) -> Iterator[tuple[Path, tuple[dict, float, str | None, str]]]:
    """Execute ``todo`` on ``workers`` processes; yield each result as it comes.

    A chapter that reads another's cache (chapter 5 reads chapter 4's models) starts
    after that one has finished when both are to run, so the build uses the models
    instead of training them twice. It would train them itself otherwise: every
    chapter also runs alone.
    """
    waiting = list(todo)
    names = {p.stem for p in todo}
    done: set[str] = set()
    # spawned, not forked: a kernel client in a forked copy of this process stalled
    # for minutes at a time here
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        running: dict[Future[tuple[dict, float, str | None, str]], Path] = {}
        while waiting or running:
            for path in list(waiting):
                if len(running) < workers and not (runs_after(path) & names) - done:
                    running[pool.submit(execute, path)] = path
                    waiting.remove(path)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                path = running.pop(future)
                done.add(path.stem)
                yield path, future.result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "chapters",
        nargs="*",
        help="chapters to run, by name (05_phase_portraits) or path (default: the toc)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("NODEBOOK_CACHE", str(MODEL_CACHE))
    CACHE.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(CACHE))
    current = fingerprint()
    if not FINGERPRINT.exists() or FINGERPRINT.read_text() != current:
        if cache.list_cache_records():
            print("nodebook or the requirements changed: every chapter runs again")
        cache.clear_cache()  # removes the folder: start it afresh
        if os.environ["NODEBOOK_CACHE"] == str(MODEL_CACHE):
            shutil.rmtree(MODEL_CACHE, ignore_errors=True)  # models of the old code
        CACHE.mkdir(parents=True, exist_ok=True)
        cache = get_cache(str(CACHE))
        FINGERPRINT.write_text(current)
    chapters = selected(args.chapters, parser)
    todo = []
    for path in chapters:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    failed = []
    if todo:
        workers = max(1, min(args.workers, len(todo)))
        print(f"executing {len(todo)} chapter(s), {workers} at a time")
        for path, (nb, seconds, error, where) in run_in_order(todo, workers):
            name = path.relative_to(ROOT)
            if error is not None:
                failed.append(name)
                print(f"{name}: FAILED after {seconds:.1f} s ({where})\n{error}")
                continue
            record = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    nbformat.from_dict(nb),
                    record.uri,
                    data={"execution_seconds": seconds},
                ),
                check_validity=False,
                overwrite=True,
            )
            print(f"{name}: {seconds:.1f} s ({where})")
    else:
        print("every chapter is up to date in the execution cache")
    if failed:
        print("chapters that raised: " + ", ".join(map(str, failed)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
