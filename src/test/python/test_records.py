"""Records as values through a real Jupyter client: record parameters, gradient and tangent records, records
created in a loop, and the refusals of what records cannot do in compiled code."""
from __future__ import annotations

import math

import pytest

from jenzyme_client import execute, ok

CELLS = """
record Vec(double x, double y) {
    Vec plus(Vec o) { return new Vec(x + o.x, y + o.y); }
    Vec times(double c) { return new Vec(c * x, c * y); }
    double norm2() { return x * x + y * y; }
}
record Body(Vec pos, Vec vel, double mass) {}
record Weights(double scale, double[] w, int order) {}

double kinetic(Body b) { return 0.5 * b.mass() * b.vel().norm2(); }

double orbitEnergy(Body b0, double dt, int steps) {
    Body b = b0;
    for (int i = 0; i < steps; i++) {
        double r = Math.sqrt(b.pos().norm2());
        Vec acc = b.pos().times(-1 / (r * r * r));
        Vec vel = b.vel().plus(acc.times(dt));
        b = new Body(b.pos().plus(vel.times(dt)), vel, b.mass());
    }
    return 0.5 * b.mass() * b.vel().norm2() - b.mass() / Math.sqrt(b.pos().norm2());
}

double poly(Weights p, double x) {
    double s = 0;
    for (int i = 0; i < p.order(); i++) s += p.w()[i] * Math.pow(x, i);
    return p.scale() * s;
}
"""

BODY = "new Body(new Vec(1.0, 0.1), new Vec(-0.05, 0.9), 2.0)"


@pytest.fixture(scope="module")
def rec(kernel):
    ok(kernel, CELLS)
    return kernel


def error_text(run) -> str:
    return "\n".join(e["ename"] + ": " + e["evalue"] + "\n" + "\n".join(e["traceback"]) for e in run.errors)


def value(kernel, expression: str) -> float:
    return float(ok(kernel, f"System.out.println({expression});").stdout.strip())


def jvm_energy(kernel, body: str) -> float:
    return value(kernel, f"orbitEnergy({body}, 0.01, 200)")


def test_gradient_of_a_record_parameter_is_a_record_of_partials(rec):
    summary = ok(rec, "%autodiff reverse kinetic")
    assert "KineticGradient kinetic_grad(Body b)" in summary.text
    ok(rec, f"var g = kinetic_grad({BODY});")
    # 0.5 m |v|^2: d/dv = m v, d/dm = |v|^2 / 2, d/dpos = 0
    assert value(rec, "g.db().vel().x()") == pytest.approx(2.0 * -0.05, rel=1e-14)
    assert value(rec, "g.db().vel().y()") == pytest.approx(2.0 * 0.9, rel=1e-14)
    assert value(rec, "g.db().mass()") == pytest.approx(0.5 * (0.05 ** 2 + 0.81), rel=1e-14)
    assert value(rec, "g.db().pos().x()") == 0.0
    assert value(rec, "g.value()") == pytest.approx(0.5 * 2.0 * (0.05 ** 2 + 0.81), rel=1e-14)


def test_a_validating_constructor_refusing_a_partial_is_reported_as_such(rec):
    # QA R7: the gradient record of partials goes through Rate's constructor, which refuses d/dk < 0
    ok(rec, "record Rate(double k) { public Rate { if (k <= 0) throw new IllegalArgumentException(\"rate must be"
            " positive\"); } }\ndouble decay(Rate r) { return Math.exp(-r.k()); }")
    ok(rec, "%autodiff reverse decay")
    refused = error_text(execute(rec.client, "decay_grad(new Rate(0.5));"))
    assert "building the gradient of r, a Rate of its partials (dr.k = -0.6065306597126334)" in refused
    assert "rate must be positive" in refused
    ok(rec, "double[] dk = new double[1]; decay_grad_into(new Rate(0.5), dk);")
    assert value(rec, "dk[0]") == pytest.approx(-math.exp(-0.5), rel=1e-14)


def test_records_created_in_a_loop_reverse_and_forward_against_central_differences(rec):
    ok(rec, "%autodiff reverse orbitEnergy")
    ok(rec, "%autodiff forward orbitEnergy")
    ok(rec, f"var g = orbitEnergy_grad({BODY}, 0.01, 200);")
    assert value(rec, "g.value()") == jvm_energy(rec, BODY)  # native primal equals the JVM's here
    h = 1e-6
    components = {"pos().x()": (0, 0), "pos().y()": (0, 1), "vel().x()": (1, 0), "vel().y()": (1, 1)}
    for accessor, (vector, axis) in components.items():
        coords = [[1.0, 0.1], [-0.05, 0.9]]
        up = [list(c) for c in coords]
        down = [list(c) for c in coords]
        up[vector][axis] += h
        down[vector][axis] -= h
        body = lambda c: f"new Body(new Vec({c[0][0]!r}, {c[0][1]!r}), new Vec({c[1][0]!r}, {c[1][1]!r}), 2.0)"
        fd = (jvm_energy(rec, body(up)) - jvm_energy(rec, body(down))) / (2 * h)
        assert value(rec, f"g.db0().{accessor}") == pytest.approx(fd, rel=1e-6, abs=1e-8), accessor
        # forward mode: the tangent record selects the same direction
        tangent = f"new Body(new Vec({1.0 if (vector, axis) == (0, 0) else 0.0}, {1.0 if (vector, axis) == (0, 1) else 0.0}), " \
                  f"new Vec({1.0 if (vector, axis) == (1, 0) else 0.0}, {1.0 if (vector, axis) == (1, 1) else 0.0}), 0.0)"
        assert value(rec, f"orbitEnergy_fwd({BODY}, {tangent}, 0.01, 0.0, 200).dvalue()") == pytest.approx(
            value(rec, f"g.db0().{accessor}"), rel=1e-10, abs=1e-12), accessor


def test_array_components_receive_shadows_and_overrides_name_components(rec):
    ok(rec, "%autodiff reverse poly p.scale=Const")
    ok(rec, "var w = new double[]{1, 2, 3, 4}; var g = poly_grad(new Weights(1.5, w, 3), 0.5);")
    assert [value(rec, f"g.dp().w()[{i}]") for i in range(4)] == [1.5, 0.75, 0.375, 0.0]
    assert value(rec, "g.dp().scale()") == 0.0  # Const: no partial
    assert value(rec, "g.dx()") == pytest.approx(1.5 * (2 + 2 * 3 * 0.5), rel=1e-14)
    unknown = execute(rec.client, "%autodiff reverse poly p.nope=Const")
    assert "got 'p.nope' (a record parameter r is named r, or r.x for its component x)" in error_text(unknown)


def test_identity_operations_on_records_are_refused_in_the_users_words(rec):
    ok(rec, "boolean same(Vec a, Vec b) {\n    return a.equals(b);\n}")
    refused = execute(rec.client, "%jit same")
    assert "equals() on the record Vec" in error_text(refused)
    assert "a.equals(b)" in error_text(refused)  # the cell line, quoted
    # a record of doubles comes back from compiled code; one holding an array cannot
    ok(rec, "Vec twice(Vec a) { return a.times(2); }")
    ok(rec, "%jit twice")
    assert value(rec, "twice_native(new Vec(1.5, -0.25)).y()") == -0.5
    ok(rec, "Weights kept(Weights p) { return p; }")
    assert "returning the record Weights from the method you compile, which holds more than doubles" in error_text(
        execute(rec.client, "%jit kept"))


def test_objects_of_final_classes_are_values_inside_compiled_code(rec):
    ok(rec, """
final class Spring {
    final double k, rest;
    Spring(double k, double rest) { this.k = k; this.rest = rest; }
    double energy(double x) { return 0.5 * k * (x - rest) * (x - rest); }
}
double chain(double x, double k) {
    double e = 0;
    for (int i = 0; i < 3; i++) e += new Spring(k * (i + 1), 0.1 * i).energy(x);
    return e;
}
final class Tally {
    double sum;
}
double tally(double x) {
    Tally t = new Tally();
    t.sum = x;
    return t.sum;
}
""")
    ok(rec, "%autodiff reverse chain")
    ok(rec, "var g = chain_grad(0.7, 2.0);")
    assert value(rec, "g.value()") == value(rec, "chain(0.7, 2.0)")
    dx = sum(2.0 * (i + 1) * (0.7 - 0.1 * i) for i in range(3))
    dk = sum(0.5 * (i + 1) * (0.7 - 0.1 * i) ** 2 for i in range(3))
    assert value(rec, "g.dx()") == pytest.approx(dx, rel=1e-14)
    assert value(rec, "g.dk()") == pytest.approx(dk, rel=1e-14)
    # An object created in compiled code may have its fields written (objects from the JVM: the test below).
    ok(rec, "%jit tally")
    assert value(rec, "tally_native(0.7)") == 0.7
    # An object as a parameter: its fields are read at the call; its gradient is a Spring of partials.
    ok(rec, "double stretched(Spring s, double x) { return s.energy(x); }")
    ok(rec, "%autodiff reverse stretched")
    ok(rec, "%autodiff forward stretched")
    ok(rec, "var gs = stretched_grad(new Spring(2.0, 0.1), 0.7);")
    assert value(rec, "gs.value()") == value(rec, "stretched(new Spring(2.0, 0.1), 0.7)")
    assert value(rec, "gs.ds().k") == pytest.approx(0.5 * 0.6 ** 2, rel=1e-14)
    assert value(rec, "gs.ds().rest") == pytest.approx(-2.0 * 0.6, rel=1e-14)
    assert value(rec, "gs.dx()") == pytest.approx(2.0 * 0.6, rel=1e-14)
    assert value(rec, "stretched_fwd(new Spring(2.0, 0.1), new Spring(1.0, 0.0), 0.7, 0.0).dvalue()") == \
        pytest.approx(0.5 * 0.6 ** 2, rel=1e-14)


METER = """
final class Meter {
    double sum;
    int count;
    final double scale;
    Meter(double sum, int count, double scale) { this.sum = sum; this.count = count; this.scale = scale; }
    double add(double x) {
        sum += scale * x * x;
        count++;
        if (sum > 100) throw new IllegalArgumentException("meter overflow");
        return sum / count;
    }
}
double bump(Meter m, double x) {
    m.add(x);
    m.add(2 * x);
    return m.sum * x;
}
Meter meter = new Meter(0.2, 0, 2.0);
"""

# The JVM's bump and bump_native on two equal Meters for 40 inputs (some throwing): how many results, exceptions or
# fields after the call differ.
COMPARE = """
int differ = 0;
var random = new java.util.Random(5);
for (int i = 0; i < 40; i++) {
    double x = random.nextDouble(-5, 5), s0 = random.nextDouble(-1, 1), sc = random.nextDouble(0.5, 2);
    int n = random.nextInt(0, 4);
    Meter a = new Meter(s0, n, sc), b = new Meter(s0, n, sc);
    String ra, rb;
    try { ra = "" + bump(a, x); } catch (IllegalArgumentException e) { ra = e.getMessage(); }
    try { rb = "" + bump_native(b, x); } catch (IllegalArgumentException e) { rb = e.getMessage(); }
    if (!ra.equals(rb) || a.sum != b.sum || a.count != b.count) differ++;
}
System.out.println(differ);
"""


def test_fields_written_in_objects_from_the_jvm_are_copied_back(rec):
    ok(rec, METER)
    ok(rec, "%jit bump")
    assert ok(rec, COMPARE).stdout.strip() == "0"
    thrown = error_text(execute(rec.client, "var big = new Meter(0.5, 1, 1.5); bump_native(big, 10);"))
    assert "meter overflow" in thrown
    assert value(rec, "big.sum") == 0.5 + 1.5 * 100 and value(rec, "big.count") == 2
    # reverse: the gradient is a Meter of partials w.r.t. the fields at entry; the object is updated as by bump
    ok(rec, "%autodiff reverse bump")
    ok(rec, "var m = new Meter(0.5, 1, 1.5); var g = bump_grad(m, 0.7);")
    ok(rec, "var onJvm = new Meter(0.5, 1, 1.5); double valueOnJvm = bump(onJvm, 0.7);")
    assert value(rec, "g.value()") == value(rec, "valueOnJvm")
    assert value(rec, "m.sum") == value(rec, "onJvm.sum") and value(rec, "m.count") == 3
    assert value(rec, "g.dm().sum") == pytest.approx(0.7, rel=1e-14)
    assert value(rec, "g.dm().scale") == pytest.approx(5 * 0.7 ** 3, rel=1e-13)
    assert value(rec, "g.dx()") == pytest.approx(0.5 + 15 * 1.5 * 0.7 ** 2, rel=1e-13)
    # the receiver of an instance method, read at each call and copied back
    ok(rec, "%jit meter.add")
    assert value(rec, "add_native(0.3)") == pytest.approx((0.2 + 2.0 * 0.09) / 1, rel=1e-15)
    assert value(rec, "meter.sum") == value(rec, "0.2 + 2.0 * 0.3 * 0.3") and value(rec, "meter.count") == 1
    ok(rec, "%autodiff reverse meter.add --name meter_add")
    ok(rec, "var ga = meter_add_grad(0.5);")
    assert value(rec, "meter.count") == 2
    assert value(rec, "ga.dmeter().sum") == pytest.approx(1 / 2, rel=1e-15)
    assert value(rec, "ga.dmeter().scale") == pytest.approx(0.25 / 2, rel=1e-15)
    assert value(rec, "ga.dx()") == pytest.approx(2 * 2.0 * 0.5 / 2, rel=1e-15)
    # forward: the object is updated as by bump, its tangent object receives the tangent of sum at exit
    # (s + 5 c x^2) x: d = x ts + 5 x^3 tc + (s + 15 c x^2) tx; sum's tangent ts + 5 x^2 tc + 10 c x tx
    ok(rec, "%autodiff forward bump")
    ok(rec, "var mf = new Meter(0.5, 1, 1.5); var tmf = new Meter(0.3, 9, -0.2); var t = bump_fwd(mf, tmf, 0.7, 0.4);")
    ok(rec, "var onJvm2 = new Meter(0.5, 1, 1.5); double valueOnJvm2 = bump(onJvm2, 0.7);")
    assert value(rec, "t.value()") == value(rec, "valueOnJvm2")
    assert value(rec, "mf.sum") == value(rec, "onJvm2.sum") and value(rec, "mf.count") == 3
    assert value(rec, "t.dvalue()") == pytest.approx(0.7 * 0.3 - 5 * 0.7 ** 3 * 0.2 + (0.5 + 15 * 1.5 * 0.49) * 0.4,
                                                     rel=1e-14)
    assert value(rec, "tmf.sum") == pytest.approx(0.3 - 5 * 0.49 * 0.2 + 10 * 1.5 * 0.7 * 0.4, rel=1e-14)
    assert value(rec, "tmf.count") == 9 and value(rec, "tmf.scale") == -0.2


LOTKA_VOLTERRA = """
@FunctionalInterface
interface Rhs { void eval(double t, double[] y, double[] p, double[] dy); }

void lotkaVolterra(double t, double[] y, double[] p, double[] dy) {
    dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
    dy[1] = p[3] * y[0] * y[1] - p[2] * y[1];
}

void solveInto(Rhs f, double[] y, double[] p, double t1) {
    int n = y.length, steps = 50;
    double h = t1 / steps;
    double[] k = new double[n], tmp = new double[n];
    for (int s = 0; s < steps; s++) {
        f.eval(s * h, y, p, k);
        for (int i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k[i];
        f.eval(s * h + 0.5 * h, tmp, p, k);
        for (int i = 0; i < n; i++) y[i] += h * k[i];
    }
}

double[] solve(Rhs f, double[] y0, double[] p, double t1) {
    double[] y = y0.clone();
    solveInto(f, y, p, t1);
    return y;
}

double total(Rhs f, double[] y0, double[] p, double t1) {
    double[] y = y0.clone();
    solveInto(f, y, p, t1);
    return Arrays.stream(y).sum();
}
"""


def test_lambda_parameters_compile_per_target_at_the_call_and_streams_as_loops(rec):
    ok(rec, "import java.util.Arrays;")
    ok(rec, LOTKA_VOLTERRA)
    ok(rec, "%autodiff reverse total")
    ok(rec, "%autodiff forward solve y0=Const")
    ok(rec, "double[] y0 = {1.0, 0.5}, p = {1.1, 0.4, 0.9, 0.3}; double c = 0.2;")
    ok(rec, "Rhs byReference = (t, y, q, dy) -> lotkaVolterra(t, y, q, dy);\n"
            "Rhs damped = (t, y, q, dy) -> { dy[0] = y[1]; dy[1] = -q[0] * y[0] - c * y[1]; };")
    h = 1e-6
    for rhs in ("byReference", "damped"):
        assert value(rec, f"total_grad({rhs}, y0, p, 2.0).value()") == value(rec, f"total({rhs}, y0, p, 2.0)")
        for k in (0, 3):
            pu = [1.1, 0.4, 0.9, 0.3]
            pd = list(pu)
            pu[k] += h
            pd[k] -= h
            fd = (value(rec, f"total({rhs}, y0, new double[]{{{', '.join(map(repr, pu))}}}, 2.0)")
                  - value(rec, f"total({rhs}, y0, new double[]{{{', '.join(map(repr, pd))}}}, 2.0)")) / (2 * h)
            assert value(rec, f"total_grad({rhs}, y0, p, 2.0).dp()[{k}]") == pytest.approx(fd, rel=1e-6, abs=1e-9)
        # forward mode through the vector function: the JVP along p's first direction equals the FD column
        ok(rec, f"var jvp = solve_jvp({rhs}, y0, p, new double[]{{1, 0, 0, 0}}, 2.0, 0.0);")
        pu = [1.1 + h, 0.4, 0.9, 0.3]
        pd = [1.1 - h, 0.4, 0.9, 0.3]
        for i in range(2):
            fd = (value(rec, f"solve({rhs}, y0, new double[]{{{', '.join(map(repr, pu))}}}, 2.0)[{i}]")
                  - value(rec, f"solve({rhs}, y0, new double[]{{{', '.join(map(repr, pd))}}}, 2.0)[{i}]")) / (2 * h)
            assert value(rec, f"jvp.dvalue()[{i}]") == pytest.approx(fd, rel=1e-6, abs=1e-9)
    refused = error_text(execute(rec.client, "total_grad(null, y0, p, 1.0);"))
    assert "null as the lambda f" in refused
    # QA R5: the binding keeps the written type arguments, so a lambda argument compiles
    ok(rec, "double pen(java.util.function.ToDoubleFunction<double[]> f, double[] x) { return f.applyAsDouble(x); }")
    ok(rec, "%autodiff reverse pen")
    assert value(rec, "pen_grad(v -> v[0] * v[0], new double[] {3}).dx()[0]") == pytest.approx(6.0, rel=1e-14)
    refused = error_text(execute(rec.client, "total_grad(byReference, y0, null, 1.0);"))
    assert "p is null" in refused and "<parameter" not in refused


STATE_CELLS = """
record OdeState(double t, double[] y) {}
double[][] rot(double th) { return new double[][] {{Math.cos(th), -Math.sin(th)}, {Math.sin(th), Math.cos(th)}}; }
OdeState turn(OdeState s, double w, double h) {
    double[][] r = rot(w * h);
    double[] y = new double[2];
    for (int i = 0; i < 2; i++) y[i] = (r[i][0] * s.y()[0] + r[i][1] * s.y()[1]) * (1 - 0.1 * h);
    return new OdeState(s.t() + h, y);
}
double spiral(double[] y0, double w, int n) {
    OdeState s = new OdeState(0, y0);
    for (int i = 0; i < n; i++) s = turn(s, w, 0.05);
    return s.y()[0] + 2 * s.y()[1] + s.t();
}
"""


def test_a_step_returning_a_state_record_with_a_new_array_and_a_rotation_literal(rec):
    # s = turn(s, w, h) in a loop: turn creates the state's array and a rotation-matrix literal (qa7 R2)
    ok(rec, STATE_CELLS)
    ok(rec, "%jit spiral")
    ok(rec, "%autodiff reverse spiral")
    ok(rec, "%autodiff forward spiral")
    ok(rec, "double[] y0 = {1.0, 0.5};")
    # within the documented ulp bound of Math.cos/sin against the JVM's
    assert value(rec, "spiral_native(y0, 0.7, 40)") == pytest.approx(
        value(rec, "spiral(new double[] {1.0, 0.5}, 0.7, 40)"), rel=1e-14)
    assert value(rec, "y0[0] + 10 * y0[1]") == 6.0  # the state starts on y0's array: y0 keeps its values
    ok(rec, "var sg = spiral_grad(y0, 0.7, 40);")
    fd_w = value(rec, "(spiral(new double[] {1.0, 0.5}, 0.7 + 1e-6, 40)"
                      " - spiral(new double[] {1.0, 0.5}, 0.7 - 1e-6, 40)) / 2e-6")
    fd_y1 = value(rec, "(spiral(new double[] {1.0, 0.5 + 1e-6}, 0.7, 40)"
                       " - spiral(new double[] {1.0, 0.5 - 1e-6}, 0.7, 40)) / 2e-6")
    assert value(rec, "sg.dw()") == pytest.approx(fd_w, rel=1e-6, abs=1e-8)
    assert value(rec, "sg.dy0()[1]") == pytest.approx(fd_y1, rel=1e-6, abs=1e-8)
    tangent = value(rec, "spiral_fwd(y0, new double[] {0, 0}, 0.7, 1.0, 40).dvalue()")
    assert tangent == pytest.approx(value(rec, "sg.dw()"), rel=1e-12)
