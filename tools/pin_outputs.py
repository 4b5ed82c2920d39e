"""Record the outputs of cells tagged ``nbval-check-output`` in tests/pinned_outputs.json.

Run after changing such a cell on purpose:  .venv/bin/python tools/pin_outputs.py
Name chapters to re-pin only those:  .venv/bin/python tools/pin_outputs.py 02_solvers_and_stiffness
Each chapter is executed in a fresh kernel from its own folder, as nbval does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TAG = "nbval-check-output"


def pinned_outputs(path: Path) -> dict[str, list[dict]]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return {
        cell["id"]: [
            {k: v for k, v in out.items() if k != "execution_count"}
            for out in cell.outputs
        ]
        for cell in nb.cells
        if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
    }


def main() -> None:
    out = ROOT / "tests" / "pinned_outputs.json"
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    wanted = {name.removesuffix(".ipynb") for name in sys.argv[1:]}
    pins = json.loads(out.read_text()) if wanted and out.exists() else {}
    for path in chapters:
        if not wanted or path.stem in wanted:
            pins[path.name] = pinned_outputs(path)
    pins = {
        name: pins[name] for name in sorted(pins) if (ROOT / "chapters" / name).exists()
    }
    out.write_text(
        json.dumps(pins, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )
    print(
        f"wrote {out.relative_to(ROOT)}: {sum(map(len, pins.values()))} cells",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
