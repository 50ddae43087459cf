"""%gradcheck and %plot through a real Jupyter client: parsed tables and decodable PNGs."""
from __future__ import annotations

import base64
import re
import struct

from jenzyme_client import execute, ok


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_gradcheck_table_reports_every_component_and_passes(kernel):
    ok(kernel, "double rosen(double[] p) { double s = 0; for (int i = 0; i + 1 < p.length; i++) {"
               " double u = p[i+1] - p[i]*p[i], v = 1 - p[i]; s += 100*u*u + v*v; } return s; }")
    run = ok(kernel, "%gradcheck rosen at 0.5,-0.3,1.2")
    html = run.results[0]["data"]["text/html"]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    cells = [c for c in cells if c]
    assert len(cells) == 3, cells
    p = [0.5, -0.3, 1.2]
    analytic = [-400 * p[0] * (p[1] - p[0] ** 2) - 2 * (1 - p[0]),
                200 * (p[1] - p[0] ** 2) - 400 * p[1] * (p[2] - p[1] ** 2) - 2 * (1 - p[1]),
                200 * (p[2] - p[1] ** 2)]
    text = run.results[0]["data"]["text/plain"]
    assert text.startswith("gradcheck passed: 1 point × 3 components"), text
    for row in cells:
        plain = [re.sub(r"<[^>]+>", "", cell).strip() for cell in row]
        component, ad = int(plain[1]), float(plain[2])
        assert abs(ad - analytic[component]) < 1e-9 * max(1, abs(analytic[component])), (row, analytic)


def test_gradcheck_catches_a_gradient_that_disagrees(kernel):
    # Finite differences straddling a kink see slope 1/2 where the derivative is 1: the check must say so.
    ok(kernel, "double stepped(double x) { return x > 0 ? x : 0.0 * x; }")
    passed = ok(kernel, "%gradcheck stepped at 0.000001 --eps 0.01").results[0]["data"]["text/plain"]
    assert passed.startswith("gradcheck FAILED"), passed


def test_plot_of_a_function_and_its_derivative_is_a_png(kernel):
    ok(kernel, "double wave(double x) { return Math.sin(3 * x) * Math.exp(-x * x); }")
    run = ok(kernel, "%plot wave --x -3:3")
    png = base64.b64decode(run.results[0]["data"]["image/png"])
    assert png_size(png) == (640, 420)


def test_heat_map_of_a_two_variable_method_is_a_png(kernel):
    ok(kernel, "double bowl(double x, double y) { return (x - 1) * (x - 1) + 3 * y * y; }")
    for line in ("%plot bowl --x -2:3 --y -2:2", "%plot bowl --x -2:3 --y -2:2 --grad"):
        run = ok(kernel, line)
        assert png_size(base64.b64decode(run.results[0]["data"]["image/png"])) == (640, 420)


def test_figures_built_in_cells_render_inline(kernel):
    run = ok(kernel, 'jenzyme.visualization.Plots.convergence("loss", new double[]{1, 0.1, 0.01, 0.001})')
    assert png_size(base64.b64decode(run.results[0]["data"]["image/png"])) == (640, 420)


def test_bad_plot_and_gradcheck_lines_are_errors(kernel):
    for line, message in {
        "%plot wave": "--x a:b is required",
        "%plot wave --x 3:1": "finite a < b",
        "%plot wave --x -1:1 --y 0:1": "needs wave to take 2 double parameters",
        "%gradcheck rosen": "give a point",
        "%gradcheck bowl at 1,2,3": "expected a point with 2 coordinates",
        "%gradcheck bowl at one,two": "expected numbers",
    }.items():
        run = execute(kernel.client, line)
        assert run.status == "error", line
        assert message in run.errors[0]["evalue"], (line, run.errors[0]["evalue"])
    assert ok(kernel, "2 * 21").text == "42"


def test_every_magic_explains_itself_with_a_question_mark(kernel):
    for magic, example in {"%autodiff": "%autodiff reverse loss", "%jit": "%jit loss",
                           "%gradcheck": "%gradcheck rosen at", "%plot": "%plot wave --x -3:3"}.items():
        run = ok(kernel, magic + "?")
        text = run.results[0]["data"]["text/plain"]
        assert text.startswith("usage: " + magic) and example in text, text


def test_plots_and_gradcheck_are_imported_for_cells(kernel):
    run = ok(kernel, "GradCheck.of(p -> p[0] * p[0] * p[1], p -> new double[]{2 * p[0] * p[1], p[0] * p[0]})"
                     ".at(new double[]{1.5, -2}).run().passed()")
    assert run.text == "true"
    run = ok(kernel, "Plots.function(Math::sin, Math::cos, 0, 6.3)")
    assert png_size(base64.b64decode(run.results[0]["data"]["image/png"])) == (640, 420)
