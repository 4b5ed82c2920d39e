"""Record the outputs of cells tagged ``nbval-check-output`` in tests/pinned_outputs.json.

Run after changing such a cell on purpose:  .venv/bin/python tools/pin_outputs.py
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
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    pins = {path.name: pinned_outputs(path) for path in chapters}
    out = ROOT / "tests" / "pinned_outputs.json"
    out.write_text(
        json.dumps(pins, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    )
    print(
        f"wrote {out.relative_to(ROOT)}: {sum(map(len, pins.values()))} cells",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
