"""Help in the notebook through a real Jupyter client: the inspector (Shift+Tab / Contextual Help) and the `name?`
pager show Markdown (no raw Javadoc HTML, @param as a list) for the JDK, the project's classes, generated bindings
and magics, each with an example."""
from __future__ import annotations

from jenzyme_client import ok


def inspect(kernel, code: str, detail: int = 0) -> dict:
    reply = kernel.client.inspect(code, len(code), detail_level=detail, reply=True)["content"]
    assert reply["status"] == "ok" and reply["found"], f"nothing found for {code!r}: {reply}"
    return reply["data"]


def test_shift_tab_on_a_jdk_method_shows_its_javadoc_as_markdown(kernel):
    data = inspect(kernel, "Math.hypot")
    markdown = data["text/markdown"]
    assert markdown.startswith("```java\ndouble Math.hypot(double x, double y)\n```")
    assert "**Parameters**\n\n- `x` — a value\n- `y` — a value" in markdown
    for raw in ("<p>", "<ul>", "@param", "{@code"):
        assert raw not in markdown and raw not in data["text/plain"], raw


def test_project_classes_and_magics_are_documented_with_an_example(kernel):
    plots = inspect(kernel, "Plots")["text/markdown"]
    assert "```java\nPlots.function(x -> Math.tanh(x)" in plots, plots
    gradcheck = inspect(kernel, "jenzyme.magics.gradcheck.GradCheck")["text/markdown"]
    assert "GradCheck.of(x -> rosen(x), x -> rosen_grad(x))" in gradcheck, gradcheck
    magic = inspect(kernel, "%autodiff")["text/markdown"]
    assert magic.startswith("**usage:** `%autodiff reverse|forward|hvp|jacobian|rule <method>"), magic
    assert "Example" in magic


def test_the_pager_shows_the_same_help(kernel):
    run = ok(kernel, "Math.hypot?")
    page = run.reply["content"]["payload"][0]
    assert page["source"] == "page"
    assert "**Parameters**" in page["data"]["text/markdown"]
    assert "Parameters" in page["data"]["text/plain"] and "**" not in page["data"]["text/plain"]


def test_explain_lists_every_unsupported_construct_before_compiling(kernel):
    ok(kernel, "String k = \"2\";\n"
               "double many(double[] p, int n) {\n"
               "    double s = k.length();\n"
               "    String label = \"p\" + n;\n"
               "    for (int i = 0; i < n; i++) s += p[i];\n"
               "    return s + helperSync(p);\n"
               "}\n"
               "double helperSync(double[] p) {\n"
               "    synchronized (p) { return p[0]; }\n"
               "}\n"
               "double cleanSq(double x) { return Math.sin(x) * x; }")
    run = ok(kernel, "%autodiff --explain many")
    markdown = run.results[0]["data"]["text/markdown"]
    assert markdown.startswith("**`many` uses 4 constructs that %autodiff cannot compile** (found before compiling)")
    lines = markdown.split("\n")
    assert any(line.startswith("- `many`, cell [") and line.endswith(", line 3: `double s = k.length();`: reading k of "
                                                                     "type String (compiled code reads notebook "
                                                                     "variables and static fields of type double, "
                                                                     "float, int, long and their arrays; pass other "
                                                                     "values as parameters)")
               for line in lines), markdown
    assert any(", line 4: `String label = \"p\" + n;`: string concatenation (+ on a String)" in line
               for line in lines), markdown
    assert any(line.startswith("- `helperSync`, cell [") and "line 9: `synchronized (p) { return p[0]; }`: "
               "a synchronized block" in line for line in lines), markdown
    # qa7 R6: the closing summary names what compiles today
    assert "records and final classes holding such values" in markdown and "lambdas and method references" in markdown
    # qa6 R14: listed in the order the explainer found them (lines 5, 3, 6), now by line
    ok(kernel, "double manyBad(double x) {\n  double a = x;\n  String s = \"a\" + x;\n  Object o = new Object();\n"
               "  synchronized (o) { a += 1; }\n  a += Math.random();\n  return a;\n}")
    listed = ok(kernel, "%autodiff --explain manyBad").results[0]["data"]["text/markdown"]
    numbers = [int(line.split(", line ")[1].split(":")[0]) for line in listed.split("\n") if line.startswith("- ")]
    assert len(numbers) >= 3 and numbers == sorted(numbers), listed
    clean = ok(kernel, "%autodiff --explain reverse cleanSq").results[0]["data"]["text/markdown"]
    assert clean.startswith("**`cleanSq` and the methods it calls use only what %autodiff compiles**"), clean
    help_text = inspect(kernel, "%autodiff")["text/markdown"]
    assert "`%autodiff --explain f` lists, before compiling" in help_text


def test_generated_bindings_and_records_explain_themselves(kernel):
    ok(kernel, "double sq(double[] p, double s) { return s * p[0] * p[0]; }\n%autodiff reverse sq", timeout=300)
    grad = inspect(kernel, "sq_grad")["text/markdown"]
    assert grad.startswith("```java\nSqGradient sq_grad(double[] p, double s)\n```"), grad
    assert "**Reverse-mode gradient of `sq`**, bound by `%autodiff reverse sq`" in grad
    assert "SqGradient g = sq_grad(p, s);" in grad
    record = inspect(kernel, "SqGradient")["text/markdown"]
    assert "- `double[] dp` — ∂sq/∂p, one entry per element of `p`\n- `double ds` — ∂sq/∂s" in record, record
