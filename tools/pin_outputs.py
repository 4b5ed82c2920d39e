"""Record the outputs of cells tagged ``nbval-check-output`` in tests/pinned_outputs.json.

Run after changing such a cell on purpose, then review the diff:

    .venv/bin/python tools/pin_outputs.py                           # every chapter
    .venv/bin/python tools/pin_outputs.py 02_solvers_and_stiffness  # only these

The outputs are those of the chapters' execution for the build (``make execute``, which
this runs first for the chapters named): the pins record exactly what the tests check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# run as a script, this folder is on the path: the executor is a sibling module
import execute_chapters

ROOT = Path(__file__).resolve().parents[1]
TAG = "nbval-check-output"


def main() -> None:
    wanted = {name.removesuffix(".ipynb") for name in sys.argv[1:]}
    chapters = [
        p for p in execute_chapters.toc_chapters() if not wanted or p.stem in wanted
    ]
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "execute_chapters.py")]
        + [p.stem for p in chapters],
        check=True,
    )
    out = ROOT / "tests" / "pinned_outputs.json"
    pins = json.loads(out.read_text()) if wanted and out.exists() else {}
    for path in chapters:
        found = execute_chapters.executed(path)
        if found is None:
            raise SystemExit(f"{path.name} did not execute")
        nb, _ = found
        pins[path.name] = {
            cell.id: [
                {k: v for k, v in output.items() if k != "execution_count"}
                for output in cell.outputs
            ]
            for cell in nb.cells
            if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
        }
    names = {p.name for p in execute_chapters.toc_chapters()}
    pins = {name: pins[name] for name in sorted(pins) if name in names}
    out.write_text(
        json.dumps(pins, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )
    print(
        f"wrote {out.relative_to(ROOT)}: {sum(map(len, pins.values()))} cells",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
