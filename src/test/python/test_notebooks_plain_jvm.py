"""The example notebooks' science on a plain JDK 25, without the kernel or the native toolchain: every magic is
replaced by a finite-difference stand-in with the binding signatures of docs/MAGICS.md (plain_jvm/stand_ins.py), then
all code cells run in one JShell and every assertion cell must pass. With the visualization module compiled
(mvn compile), figure cells run too and must render to PNG.

This catches a broken notebook (a typo, an optimiser that no longer converges, a tolerance that no longer holds)
without the native pipeline; the notebooks' run through the real kernel is a separate test."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from plain_jvm.stand_ins import notebook_as_cells

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUNNER = Path(__file__).parent / "plain_jvm" / "NotebookCellRunner.java"
M2 = Path.home() / ".m2" / "repository"


def java_25() -> Path:
    candidates = [Path(os.environ["JAVA_HOME"])] if "JAVA_HOME" in os.environ else []
    candidates += sorted(Path("/usr/lib/jvm").glob("*25*"))
    for home in candidates:
        release = home / "release"
        if release.exists() and re.search(r'JAVA_VERSION="(2[5-9]|[3-9]\d)', release.read_text()):
            return home / "bin" / "java"
    pytest.skip("no JDK >= 25 found (JAVA_HOME or /usr/lib/jvm)")


def pom_property(name: str) -> str:
    match = re.search(rf"<{name}>([^<]+)</{name}>", (ROOT / "pom.xml").read_text())
    assert match, f"expected <{name}> in the parent pom.xml"
    return match[1]


def hipparchus_jars() -> list[Path]:
    version = pom_property("hipparchus.version")
    jars = [M2 / "org" / "hipparchus" / f"hipparchus-{m}" / version / f"hipparchus-{m}-{version}.jar"
            for m in ("core", "ode", "optim")]
    missing = [str(j) for j in jars if not j.exists()]
    if missing:
        pytest.skip(f"Hipparchus jars not in ~/.m2 yet (run the Maven build first): {missing}")
    return jars


def visualization_classpath() -> list[Path]:
    """The compiled visualization module and its libraries, or nothing when it has not been built."""
    classes = ROOT / "visualization" / "target" / "classes"
    libraries = [sorted((M2 / "org" / "knowm" / "xchart" / "xchart").glob("*/xchart-*.jar")),
                 sorted((M2 / "de" / "erichseifert" / "vectorgraphics2d" / "VectorGraphics2D").glob("*/*.jar"))]
    if not (classes / "jenzyme" / "visualization" / "Plots.class").exists() or not all(libraries):
        return []
    return [classes] + [found[-1] for found in libraries]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_on_the_plain_jvm_with_finite_difference_stand_ins(notebook, tmp_path):
    java = java_25()
    plots = visualization_classpath()
    cells = tmp_path / "cells.jsh"
    cells.write_text(notebook_as_cells(notebook, with_plots=bool(plots)), encoding="utf-8")
    classpath = os.pathsep.join(str(p) for p in hipparchus_jars() + plots)
    run = subprocess.run([str(java), "-cp", classpath, str(RUNNER), str(cells), str(tmp_path / "figures")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and "ALL CELLS OK" in run.stdout, (
        f"{notebook.name} failed on the plain JVM:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    if plots:
        figures = sum(1 for line in run.stdout.splitlines() if line.startswith("@@ figure of cell"))
        assert figures == notebook_figure_cells(notebook), f"expected every figure cell of {notebook.name} to render"


def notebook_figure_cells(notebook: Path) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code" and "Plots." in "".join(c["source"]))


def test_stand_ins_follow_the_binding_contract(tmp_path):
    """The stand-ins themselves, on a function with known derivatives: if they drifted from MAGICS.md, the
    notebook test above would prove nothing about the notebooks' use of the bindings."""
    java = java_25()
    notebook = {"cells": [
        {"cell_type": "code", "source": [
            "double f(double[] p, double x, int n) { return n * p[0] * p[0] * p[1] + Math.sin(x) * p[1]; }\n",
            "double q(double[] p) { return p[0] * p[0] * p[1] + p[1] * p[1] * p[1]; }"]},
        {"cell_type": "code", "source": ["%autodiff reverse f"]},
        {"cell_type": "code", "source": ["%autodiff forward f"]},
        {"cell_type": "code", "source": ["%autodiff hvp q"]},
        {"cell_type": "code", "source": ["%jit f"]},
        {"cell_type": "code", "source": ["""
double[] p = {1.5, -2};
var g = f_grad(p, 0.3, 3);
double[] dp = {1, 1}, dActive = new double[1];
double value = f_grad_into(p, dp, 0.3, 3, dActive);
var t = f_fwd(p, new double[] {1, 0}, 0.3, 2, 3);
double[] hv = q_hvp(p, new double[] {1, 1});
boolean close(double a, double b) { return Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(b)); }
double expectValue = 3 * 2.25 * -2 + Math.sin(0.3) * -2;
if (!(close(g.value(), expectValue) && close(g.dp()[0], 3 * 2 * 1.5 * -2) && close(g.dp()[1], 3 * 2.25 + Math.sin(0.3))
      && close(g.dx(), Math.cos(0.3) * -2))) throw new AssertionError("f_grad " + g);
if (!(close(value, expectValue) && close(dp[0], 1 - 18) && close(dp[1], 1 + 6.75 + Math.sin(0.3))
      && close(dActive[0], Math.cos(0.3) * -2))) throw new AssertionError("f_grad_into must accumulate");
if (!(close(t.dvalue(), -18 + 2 * Math.cos(0.3) * -2))) throw new AssertionError("f_fwd " + t);
// q's Hessian at (1.5, -2): [[2 p1, 2 p0], [2 p0, 6 p1]] = [[-4, 3], [3, -12]]
if (!(Math.abs(hv[0] + 1) < 1e-5 && Math.abs(hv[1] + 9) < 1e-5)) throw new AssertionError("q_hvp " + java.util.Arrays.toString(hv));
if (!(f_native(p, 0.3, 3) == f(p, 0.3, 3))) throw new AssertionError("f_native");
"""]},
    ]}
    path = tmp_path / "contract.ipynb"
    path.write_text(json.dumps(notebook))
    cells = tmp_path / "cells.jsh"
    cells.write_text(notebook_as_cells(path, with_plots=False))
    run = subprocess.run([str(java), str(RUNNER), str(cells), str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0 and "ALL CELLS OK" in run.stdout, f"{run.stdout}\n{run.stderr}"
