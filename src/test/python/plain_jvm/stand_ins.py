"""Test support for the example notebooks, outside the kernel: turns a notebook into one file of JShell cells for
NotebookCellRunner.java, replacing each magic by plain Java with the signatures docs/MAGICS.md promises.

  %autodiff reverse f  ->  record FGradient + f_grad and f_grad_into by central finite differences
  %autodiff forward f  ->  record FTangent + f_fwd (a central difference along the tangents)
  %autodiff hvp f      ->  f_hvp (a four-point second difference)
  %jit f               ->  f_native calling f
  %gradcheck, %plot    ->  a printed note (they only display)

So the notebooks' science — the integrators, the optimisers, the fits, the assertion cells — runs on any JDK 25,
without the native toolchain, and the magics' contract is exercised from the notebooks' side. The finite-difference
stand-ins are accurate to about 1e-9 relative on the notebooks' functions, which the assertion tolerances allow
for; the real bindings are exact to rounding.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

_TYPES = "double|float|void|int|long|boolean"
_LOCAL_SUFFIX = "__"  # stand-in locals end with it, so they never shadow the method's parameter names


def method_signature(java_source: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    """The return type and (type, name) parameters of the last definition of method `name` in the cells so far."""
    pattern = rf"(?m)^\s*(?:static\s+)?({_TYPES})\s+{re.escape(name)}\s*\(([^)]*)\)\s*\{{"
    definitions = re.findall(pattern, java_source)
    if not definitions:
        raise ValueError(f"expected a cell method named '{name}' before the magic, found none")
    returns, parameter_list = definitions[-1]
    parameters = []
    for declaration in (p.strip() for p in parameter_list.split(",") if p.strip()):
        type_, parameter = declaration.rsplit(None, 1)
        parameters.append((type_.replace(" ", ""), parameter))
    return returns, parameters


def activity(type_: str, name: str, overrides: dict[str, str]) -> str:
    """MAGICS.md's defaults: double/float Active, double[]/float[] Duplicated, everything else Const."""
    if name in overrides:
        return overrides[name]
    if type_ in ("double", "float"):
        return "Active"
    if type_ in ("double[]", "float[]"):
        return "Duplicated"
    return "Const"


def _call(name: str, parameters, replaced: dict[str, str] | None = None) -> str:
    replaced = replaced or {}
    return f"{name}(" + ", ".join(replaced.get(p, p) for _, p in parameters) + ")"


def _capitalised(name: str) -> str:
    return name[0].upper() + name[1:]


def reverse(name: str, returns: str, parameters, overrides) -> str:
    if returns != "double":
        raise ValueError(f"the stand-in for %autodiff reverse handles double-returning methods; {name} returns {returns}")
    active = [(t, p, activity(t, p, overrides)) for t, p in parameters]
    differentiated = [(t, p) for t, p, a in active if a != "Const"]
    record = _capitalised(name) + "Gradient"
    signature = ", ".join(f"{t} {p}" for t, p in parameters)
    lines = [f"record {record}(double value{''.join(f', {t} d{p}' for t, p in differentiated)}) {{}}",
             f"{record} {name}_grad({signature}) {{",
             f"    double value__ = {_call(name, parameters)};"]
    for t, p in differentiated:
        if t.endswith("[]"):
            lines += [f"    double[] d{p}__ = new double[{p}.length];",
                      f"    for (int i__ = 0; i__ < {p}.length; i__++) {{",
                      f"        double s__ = {p}[i__], h__ = 1e-6 * Math.max(1.0, Math.abs(s__));",
                      f"        {p}[i__] = s__ + h__; double up__ = {_call(name, parameters)};",
                      f"        {p}[i__] = s__ - h__; double down__ = {_call(name, parameters)};",
                      f"        {p}[i__] = s__; d{p}__[i__] = (up__ - down__) / (2 * h__);",
                      "    }"]
        else:
            up = _call(name, parameters, {p: f"{p} + h__"})
            down = _call(name, parameters, {p: f"{p} - h__"})
            lines += [f"    double d{p}__;",
                      f"    {{ double h__ = 1e-6 * Math.max(1.0, Math.abs({p})); d{p}__ = ({up} - {down}) / (2 * h__); }}"]
    lines += [f"    return new {record}(value__{''.join(f', d{p}__' for _, p in differentiated)});", "}"]

    into_parameters, actives = [], []
    for t, p, a in active:
        into_parameters.append(f"{t} {p}")
        if a in ("Duplicated", "DuplicatedNoNeed"):
            into_parameters.append(f"{t} d{p}")
        elif a == "Active":
            actives.append(p)
    if actives:
        into_parameters.append("double[] dActive")
    lines += [f"double {name}_grad_into({', '.join(into_parameters)}) {{",
              f"    var g__ = {name}_grad({', '.join(p for _, p in parameters)});"]
    for t, p, a in active:
        if a in ("Duplicated", "DuplicatedNoNeed"):
            lines += [f"    if (d{p}.length < {p}.length) throw new IllegalArgumentException("
                      f"\"expected d{p} at least as long as {p} (\" + {p}.length + \"), got \" + d{p}.length);",
                      f"    for (int i__ = 0; i__ < {p}.length; i__++) d{p}[i__] += g__.d{p}()[i__];"]
    lines += [f"    dActive[{k}] = g__.d{p}();" for k, p in enumerate(actives)]
    lines += ["    return g__.value();", "}"]
    return "\n".join(lines)


def forward(name: str, returns: str, parameters, overrides) -> str:
    if returns != "double":
        raise ValueError(f"the stand-in for %autodiff forward handles double-returning methods; {name} returns {returns}")
    record = _capitalised(name) + "Tangent"
    signature, plus, minus, setup = [], {}, {}, []
    for t, p in parameters:
        signature.append(f"{t} {p}")
        if activity(t, p, overrides) == "Const":
            continue
        signature.append(f"{t} t{p}")
        if t.endswith("[]"):
            setup.append(f"    double[] {p}Up__ = {p}.clone(), {p}Down__ = {p}.clone();")
            setup.append(f"    for (int i__ = 0; i__ < {p}.length; i__++) "
                         f"{{ {p}Up__[i__] += h__ * t{p}[i__]; {p}Down__[i__] -= h__ * t{p}[i__]; }}")
            plus[p], minus[p] = f"{p}Up__", f"{p}Down__"
        else:
            plus[p], minus[p] = f"{p} + h__ * t{p}", f"{p} - h__ * t{p}"
    return "\n".join([f"record {record}(double value, double dvalue) {{}}",
                      f"{record} {name}_fwd({', '.join(signature)}) {{",
                      "    double h__ = 1e-6;", *setup,
                      f"    return new {record}({_call(name, parameters)}, "
                      f"({_call(name, parameters, plus)} - {_call(name, parameters, minus)}) / (2 * h__));",
                      "}"])


def hessian_vector(name: str, returns: str, parameters, overrides) -> str:
    if returns != "double" or [t for t, _ in parameters] != ["double[]"]:
        raise ValueError(f"%autodiff hvp is for double f(double[] p); {name} is not")
    (_, p), = parameters
    # Hv_i = ∂²f/∂p_i∂s along p + s·v, by the four-point second difference of f at p ± h·e_i ± h·v.
    return "\n".join([
        f"double[] {name}_hvp(double[] {p}, double[] v) {{",
        f"    double h__ = 1e-4; double[] hv__ = new double[{p}.length], w__ = new double[{p}.length];",
        f"    for (int i__ = 0; i__ < {p}.length; i__++) {{",
        "        double[] corners__ = new double[4]; int k__ = 0;",
        "        for (int si__ = 1; si__ >= -1; si__ -= 2) for (int sv__ = 1; sv__ >= -1; sv__ -= 2) {",
        f"            for (int j__ = 0; j__ < {p}.length; j__++) w__[j__] = {p}[j__] + sv__ * h__ * v[j__];",
        f"            w__[i__] += si__ * h__; corners__[k__++] = {name}(w__);",
        "        }",
        "        hv__[i__] = (corners__[0] - corners__[1] - corners__[2] + corners__[3]) / (4 * h__ * h__);",
        "    }",
        "    return hv__;",
        "}"])


def native_twin(name: str, returns: str, parameters, overrides) -> str:
    signature = ", ".join(f"{t} {p}" for t, p in parameters)
    body = ("" if returns == "void" else "return ") + _call(name, parameters) + ";"
    return f"{returns} {name}_native({signature}) {{ {body} }}"


def magic_as_java(line: str, java_so_far: str) -> str:
    words = line.split()
    if words[0] in ("%gradcheck", "%plot"):
        return f'System.out.println("[plain JVM] {line.strip()}: display only, skipped");'
    if words[0] == "%jit":
        return native_twin(words[1], *method_signature(java_so_far, words[1]), {})
    if words[0] == "%autodiff":
        mode, name = words[1], words[2]
        overrides = dict(w.split("=", 1) for w in words[3:] if "=" in w and not w.startswith("--"))
        make = {"reverse": reverse, "forward": forward, "hvp": hessian_vector}.get(mode)
        if make is None:
            raise ValueError(f"expected %autodiff reverse, forward or hvp, got {line.strip()}")
        return make(name, *method_signature(java_so_far, name), overrides)
    raise ValueError(f"no stand-in for the magic {line.strip()}")


def notebook_as_cells(notebook: Path, with_plots: bool) -> str:
    """The notebook's code cells for NotebookCellRunner, labelled by cell index. Without the visualization classes
    on the class path, cells that build figures are skipped and the Plots import is dropped."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    java_so_far, out = "", []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        if text.lstrip().startswith("%"):
            magics = [line for line in text.splitlines() if line.strip()]
            java = "\n".join(magic_as_java(line, java_so_far) for line in magics)
            out.append(f"//@@CELL {index} [{magics[0].strip()}]\n{java}\n")
            continue
        java_so_far += "\n" + text
        if not with_plots:
            if "Plots." in text:
                out.append(f'//@@CELL {index} [figure]\nSystem.out.println("[plain JVM] figure skipped");\n')
                continue
            text = "\n".join(line for line in text.split("\n") if not line.startswith("import jenzyme.visualization"))
        out.append(f"//@@CELL {index}\n{text}\n")
    return "".join(out)
