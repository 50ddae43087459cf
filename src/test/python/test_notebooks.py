"""Every example notebook, executed top to bottom in a fresh JEnzyme kernel through nbclient, as a reader would."""
from __future__ import annotations

import base64
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, measured, require_kernelspec

NOTEBOOKS = sorted((Path(__file__).resolve().parents[3] / "notebooks").glob("*.ipynb"))


def test_the_examples_are_there():
    assert [n.name for n in NOTEBOOKS] == ["00-tour.ipynb", "01-ode-sensitivities.ipynb", "02-optimisation.ipynb",
                                           "03-inverse-problem.ipynb", "04-spark-bootstrap.ipynb",
                                           "05-parameter-estimation.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_clean_and_its_checks_pass(path):
    require_kernelspec()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.monotonic()
    client.execute()
    seconds = time.monotonic() - start
    # Reported, not asserted: a notebook's run time depends on the machine's load (notebook 01 took 100-105 s at load 15-19
    # against 120 s allowed), and speed targets belong to ./bench; nbclient's per-cell timeout catches a hang.
    measured(f"notebook {path.name}: {seconds:.1f} s")

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [(cell.source[:200], out) for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{path.name}: " + "\n".join(f"{src}\n  -> {out.ename}: {out.evalue}" for src, out in errors)

    pngs = [out["data"]["image/png"] for cell in code_cells for out in cell.outputs
            if out.output_type in ("display_data", "execute_result") and "image/png" in out.get("data", {})]
    assert pngs, f"{path.name} shows no figure"
    for png in pngs:
        assert base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n", "a figure output is not a PNG"

    # Each notebook ends with its assertion cell, whose summary line prints only after every check held.
    final = "".join(out.get("text", "") for out in code_cells[-1].outputs if out.output_type == "stream")
    assert "AssertionError" in code_cells[-1].source and final.strip(), f"{path.name}: final cell printed {final!r}"
