"""Execute chapters under other seeds and report every assert that fails.

    .venv/bin/python tools/seed_sweep.py [--seeds 1 2 3 4] [--workers N] [CHAPTER ...]

Every seed a chapter or ``nodebook`` sets goes through ``nb.seed(k)`` (``nb.generator``,
``nb.seed_everything`` and the package's seeded functions use it), which adds the offset
``NODEBOOK_SEED``. This tool runs each chapter (default: every chapter of the toc) once per
offset in ``--seeds`` with that variable set, so a claim that holds only for the seed the
page shows is found before a reader's machine finds it.

- jupyter-book's execution cache is neither read nor written (it is keyed by code cells
  only and would hand back the seed-0 run); each offset gets a model cache of its own
  (``_build/seed_sweep/seed<k>/models``), so chapter 5 reads the models chapter 4 trained
  under the same offset.
- Cells run with errors allowed: every failing assert of a chapter is reported, not only
  the first, with its chapter, cell and message.
- Each executed notebook is kept as ``_build/seed_sweep/seed<k>/<chapter>.ipynb``.
- The glued values that moved most from the seed-0 execution (the build's cached one, or a
  run with offset 0 when ``--seeds`` includes 0) are listed per chapter.

The report goes to stdout and to ``_build/seed_sweep/report.md``. Exits non-zero when an
assert failed. This is a tool to run before resolving a claims issue, not part of CI (CI
runs the seed the page shows); seeds 1-4 take about 4x the book's execution time.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import re
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

# run as a script, this folder is on the path: the executor is a sibling module
import execute_chapters as ex
import nbformat

OUT = ex.ROOT / "_build" / "seed_sweep"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ARROW = re.compile(r"\s*-+>\s*\d+\s(.*)")  # IPython's "----> 6 assert ..."
TOP = 6  # glued values listed per chapter


def run_one(path: Path, seed: int) -> dict:
    """Execute ``path`` with ``NODEBOOK_SEED=seed``, errors allowed."""
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ["NODEBOOK_SEED"] = str(seed)
    os.environ["NODEBOOK_CACHE"] = str(OUT / f"seed{seed}" / "models")
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb, cwd=str(path.parent), timeout=ex.TIMEOUT_S, allow_errors=True
    )
    return {"nb": result.nb, "seconds": result.time, "error": result.exc_string}


def failures(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(cell id, 'Error: message')`` for every cell that raised."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out['ename']}: {out['evalue']}".strip().rstrip(":")
                if not out["evalue"]:  # a bare assert: show the line that raised
                    message += f" at `{raised_line(out.get('traceback', []))}`"
                found.append((cell.get("id", "?"), message))
    return found


def raised_line(traceback: list[str]) -> str:
    """The source line IPython marks with an arrow in a traceback, without colours."""
    for frame in traceback:
        for line in ANSI.sub("", frame).splitlines():
            marked = ARROW.match(line)
            if marked:
                return marked.group(1).strip()
    return "?"


def glued(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The numeric values a chapter glues, by name."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            record = out.get("metadata", {}).get("scrapbook", {})
            name, prefix = record.get("name"), record.get("mime_prefix", "")
            text = out.get("data", {}).get(f"{prefix}text/plain")
            if name is None or text is None:
                continue
            try:
                values[name] = float(text)
            except ValueError:
                continue
    return values


def moved(reference: dict[str, float], runs: list[dict[str, float]]) -> list[str]:
    """The glued values whose spread across runs is largest relative to seed 0."""
    rows = []
    for name, ref in reference.items():
        others = [run[name] for run in runs if name in run]
        if not others or not all(map(math.isfinite, [ref, *others])):
            continue
        scale = max(abs(ref), 1e-12)
        spread = max(abs(x - ref) for x in others) / scale
        shown = ", ".join(f"{x:.4g}" for x in others)
        rows.append((spread, f"`{name}` {ref:.4g} at seed 0; {shown}"))
    rows.sort(reverse=True)
    return [text for spread, text in rows[:TOP] if spread > 0]


def run_all(
    jobs: list[tuple[Path, int]], workers: int
) -> Iterator[tuple[Path, int, dict]]:
    """Run the jobs, a chapter after the providers it reads under the same seed."""
    waiting = list(jobs)
    names = {(p.stem, s) for p, s in jobs}
    done: set[tuple[str, int]] = set()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        running: dict[Future[dict], tuple[Path, int]] = {}
        while waiting or running:
            for path, seed in list(waiting):
                needs = {(name, seed) for name in ex.runs_after(path)} & names
                if len(running) < workers and not needs - done:
                    running[pool.submit(run_one, path, seed)] = (path, seed)
                    waiting.remove((path, seed))
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                path, seed = running.pop(future)
                done.add((path.stem, seed))
                yield path, seed, future.result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="names or paths (default: the toc)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if any(s < 0 for s in args.seeds):
        parser.error(f"seed offsets must be non-negative, got {args.seeds}")
    chapters = ex.selected(args.chapters, parser)
    jobs = [(p, s) for s in args.seeds for p in chapters]
    print(f"sweeping {len(chapters)} chapter(s) over seeds {args.seeds}")
    results: dict[str, dict[int, dict]] = {p.stem: {} for p in chapters}
    for path, seed, result in run_all(jobs, max(1, min(args.workers, len(jobs)))):
        n_failed = len(failures(result["nb"]))
        print(
            f"{path.stem} seed +{seed}: {result['seconds']:.0f} s, "
            f"{n_failed} failing cell(s)",
            flush=True,
        )
        results[path.stem][seed] = result
        executed = OUT / f"seed{seed}" / path.name
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(result["nb"], executed)
    lines = [f"# Seed sweep over offsets {args.seeds}", ""]
    total = 0
    for path in chapters:
        lines.append(f"## {path.stem}")
        for seed, result in sorted(results[path.stem].items()):
            for cell, message in failures(result["nb"]):
                total += 1
                lines.append(f"- seed +{seed}, cell `{cell}`: {message}")
        cached = ex.executed(path)
        reference = (
            glued(results[path.stem][0]["nb"])
            if 0 in results[path.stem]
            else glued(cached[0])
            if cached
            else {}
        )
        others = [glued(r["nb"]) for s, r in sorted(results[path.stem].items()) if s]
        if reference and others:
            lines.append("- moved most (seed 0; then each other offset in turn):")
            lines += [f"  - {row}" for row in moved(reference, others)]
        lines.append("")
    lines.append(f"{total} failing cell(s) in all")
    report = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.md").write_text(report + "\n")
    print(report)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
