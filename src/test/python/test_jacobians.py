"""%autodiff jacobian and the vector-Jacobian / Jacobian-vector products of vector functions, through a real
Jupyter client, against analytic Jacobians."""
from __future__ import annotations

import math

import pytest

from jenzyme_client import execute, ok


def rows(kernel, expression: str) -> list[list[float]]:
    run = ok(kernel, f"System.out.println(java.util.Arrays.deepToString({expression}));")
    text = run.stdout.strip()[2:-2]
    return [[float(v) for v in row.split(",")] for row in text.split("], [")]


def numbers(kernel, expression: str) -> list[float]:
    run = ok(kernel, f"System.out.println(java.util.Arrays.toString({expression}));")
    return [float(v) for v in run.stdout.strip().strip("[]").split(",")]


def error_text(kernel, cell: str) -> str:
    run = execute(kernel.client, cell, timeout=120)
    assert run.status == "error", f"{cell}: expected an error, got {run.stdout}"
    return "\n".join(e["evalue"] + "\n".join(e["traceback"]) for e in run.errors)


def assert_close(actual, expected, rel=1e-13):
    assert len(actual) == len(expected), f"{actual} vs {expected}"
    for a, e in zip(actual, expected):
        assert abs(a - e) <= rel * max(1.0, abs(e)), f"{actual} != {expected}"


POLAR = "double[] polar(double[] q) { return new double[] {q[0] * Math.cos(q[1]), q[0] * Math.sin(q[1])}; }"
R, T = 1.5, 0.7
POLAR_J = [[math.cos(T), -R * math.sin(T)], [math.sin(T), R * math.cos(T)]]


@pytest.fixture(scope="module")
def vf(kernel):
    ok(kernel, POLAR)
    return kernel


@pytest.mark.parametrize("options", ["", "--mode forward --width 2", "--mode reverse"])
def test_jacobian_of_a_returned_array_matches_the_analytic_one(vf, options):
    ok(vf, f"%autodiff jacobian polar {options}")
    got = rows(vf, f"polar_jac(new double[] {{{R}, {T}}})")
    for g, e in zip(got, POLAR_J):
        assert_close(g, e)


def test_out_parameter_form_and_the_allocation_free_variant(vf):
    ok(vf, "void lorenz(double[] u, double[] du) { du[0] = 10 * (u[1] - u[0]);"
           " du[1] = u[0] * (28 - u[2]) - u[1]; du[2] = u[0] * u[1] - 8.0 / 3 * u[2]; }")
    ok(vf, "%autodiff jacobian lorenz")
    ok(vf, "double[][] J = new double[3][3]; double[] du = new double[3];"
           " lorenz_jac_into(new double[] {1, 2, 3}, du, J);")
    assert_close(numbers(vf, "du"), [10.0, 1 * 25 - 2.0, 2 - 8.0])
    got = rows(vf, "J")
    for g, e in zip(got, [[-10, 10, 0], [25, -1, -1], [2, 1, -8.0 / 3]]):
        assert_close(g, e)


def test_jacobian_of_a_method_with_a_record_parameter_takes_the_record(vf):
    # QA R4: the stubs named the record's leaves ("double k.a") and JShell refused them
    ok(vf, "record Kin(double a, double b) {}\n"
           "double[] kf(double[] y, Kin k) { return new double[] {k.a() * y[0] * y[1], k.b() * y[1]}; }")
    ok(vf, "%autodiff jacobian kf")
    got = rows(vf, "kf_jac(new double[] {2, 3}, new Kin(0.5, 4))")
    for g, e in zip(got, [[0.5 * 3, 0.5 * 2], [0, 4]]):
        assert_close(g, e)


def test_vjp_and_jvp_of_a_vector_function(vf):
    ok(vf, "%autodiff reverse polar")
    ok(vf, "%autodiff forward polar")
    ybar = [0.3, -2.0]
    vjp = numbers(vf, f"polar_vjp(new double[] {{{R}, {T}}}, new double[] {{{ybar[0]}, {ybar[1]}}}).dq()")
    assert_close(vjp, [sum(ybar[i] * POLAR_J[i][j] for i in range(2)) for j in range(2)])
    jvp = ok(vf, f"var t = polar_jvp(new double[] {{{R}, {T}}}, new double[] {{1, 0.5}});"
                 " System.out.println(java.util.Arrays.toString(t.value()) + java.util.Arrays.toString(t.dvalue()));")
    value, tangent = jvp.stdout.strip()[1:-1].split("][")
    assert_close([float(v) for v in value.split(",")], [R * math.cos(T), R * math.sin(T)])
    assert_close([float(v) for v in tangent.split(",")], [POLAR_J[i][0] + 0.5 * POLAR_J[i][1] for i in range(2)])


def test_bad_jacobian_requests_are_errors_in_the_users_words(vf):
    ok(vf, "double scalar(double[] x) { return x[0]; }")
    assert "expected scalar to return double[] or to fill a double[] parameter" in error_text(
        vf, "%autodiff jacobian scalar")
    assert "expected --mode forward or reverse, got 'sideways'" in error_text(
        vf, "%autodiff jacobian polar --mode sideways")
    assert "polar returned an array of length 2, expected 3" in error_text(
        vf, "polar_jac_into(new double[] {1, 2}, new double[3][2]);")
    assert "expected a Jacobian of 2 rows (one per output) with 2 columns each" in error_text(
        vf, "polar_jac_into(new double[] {1, 2}, new double[2][3]);")
    ok(vf, "double[] polar(double[] q) { return new double[] {q[0], q[1]}; }")
    assert "re-run %autodiff jacobian polar" in error_text(vf, "polar_jac(new double[] {1, 2});")


ERF_RULE = """
double erf_fwd(double x, double dx) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * dx; }
double erf_rev(double x, double dy) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * dy; }
double wrong_rev(double x, double dy) { return 3 * dy; }
double erf_loss(double x) { return org.hipparchus.special.Erf.erf(x) * x; }
double gamma_loss(double x) { return org.hipparchus.special.Gamma.logGamma(x) * x; }
double cube(double x) { return x * x * x; }
double cube_loss(double x) { return cube(x) + x; }
"""


def test_derivative_rules_of_a_cell_method_and_of_a_jvm_method(vf):
    ok(vf, ERF_RULE)
    assert "%autodiff rule org.hipparchus.special.Gamma.logGamma forward=<method> reverse=<method>" in error_text(
        vf, "%autodiff reverse gamma_loss")
    registered = ok(vf, "%autodiff rule org.hipparchus.special.Erf.erf forward=erf_fwd reverse=erf_rev")
    assert "Derivative rule of org.hipparchus.special.Erf.erf(double) registered (forward erf_fwd, reverse " \
           "erf_rev, called in the JVM)" in registered.stdout + str(registered.results) + str(registered.displays)
    ok(vf, "%autodiff reverse erf_loss")
    ok(vf, "%autodiff forward erf_loss")
    x = 0.7
    exact = math.erf(x) + 2 / math.sqrt(math.pi) * math.exp(-x * x) * x
    assert_close(numbers(vf, f"new double[] {{erf_loss_grad({x}).dx(), erf_loss_fwd({x}, 1).dvalue()}}"),
                 [exact, exact], rel=1e-14)
    # A deliberately wrong rule of a cell method changes the gradient: d/dx (cube(x) + x) = 3 * 1 + 1 with it.
    ok(vf, "%autodiff rule cube reverse=wrong_rev")
    ok(vf, "%autodiff reverse cube_loss")
    assert_close(numbers(vf, f"new double[] {{cube_loss_grad({x}).dx()}}"), [4.0])
    assert "%autodiff rule cube gives no derivative" in error_text(vf, "%autodiff rule cube")


def test_batched_forward_mode_equals_single_sweeps(vf):
    ok(vf, "double wsum(double[] x, double a) { double s = 0;"
           " for (int i = 0; i < x.length; i++) s += Math.sin(a * x[i]) * x[i]; return s; }")
    ok(vf, "%autodiff forward wsum --width 2 --name wb")
    ok(vf, "%autodiff forward wsum")
    batched = numbers(vf, "wb_fwd(new double[] {1, 2}, new double[][] {{1, 0}, {0.5, -1}}, 0.3,"
                          " new double[] {0, 2}).dvalue()")
    single = numbers(vf, "new double[] {wsum_fwd(new double[] {1, 2}, new double[] {1, 0}, 0.3, 0).dvalue(),"
                         " wsum_fwd(new double[] {1, 2}, new double[] {0.5, -1}, 0.3, 2).dvalue()}")
    assert_close(batched, single, rel=1e-15)
    assert "--width on %autodiff forward needs a method returning double" in error_text(
        vf, "%autodiff forward polar --width 2")
