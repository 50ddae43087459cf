"""%maven through a real Jupyter client: real artifacts from Maven Central into ~/.m2/repository, usable by later
cells (and, offline, by a later kernel); unknown coordinates, conflicts and no network are explained."""
from __future__ import annotations

import math
import socket

from conftest import start_kernel_with_env
from jenzyme_client import execute, ok

COMMONS_MATH = "org.apache.commons:commons-math3:3.6.1"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_artifact_from_maven_central_is_usable_in_the_next_cell(kernel):
    run = ok(kernel, f"%maven {COMMONS_MATH}", timeout=300)
    shown = run.text
    assert shown.startswith("added to the classpath (from Maven Central, cached in "), shown
    assert COMMONS_MATH in shown
    mean = ok(kernel, "new org.apache.commons.math3.stat.descriptive.DescriptiveStatistics("
                      "new double[] {1, 2, 3, 4}).getStandardDeviation()")
    assert abs(float(mean.text) - 1.2909944487358056) < 1e-15  # sample standard deviation of 1..4: sqrt(5/3)
    again = ok(kernel, f"%maven {COMMONS_MATH}")
    assert again.text == f"already on the classpath: {COMMONS_MATH}"


def test_dependencies_come_along_and_the_kernels_own_versions_are_kept(kernel):
    run = ok(kernel, "%maven org.apache.commons:commons-csv:1.14.1", timeout=300)
    shown = run.text
    assert "org.apache.commons:commons-csv:1.14.1\n    with commons-io:commons-io:" in shown, shown
    # commons-codec comes with the kernel (Maven Resolver uses it): the kernel's version stays, no second jar.
    assert "kept the versions already loaded in this kernel: commons-codec:commons-codec:1.23.0" in shown, shown
    parsed = ok(kernel, 'org.apache.commons.csv.CSVFormat.DEFAULT.parse(new java.io.StringReader("t,y\\n0,1.5\\n"))'
                        '.getRecords().get(1).get(1)')
    assert parsed.text == '"1.5"'


def test_unknown_coordinates_and_conflicts_are_explained(kernel):
    missing = execute(kernel.client, "%maven org.apache.commons:commons-math:3.6.1", timeout=300)  # it is math3
    assert missing.status == "error"
    assert missing.reply["content"]["evalue"] == (
        "org.apache.commons:commons-math:3.6.1 was not found in Maven Central "
        "(https://repo.maven.apache.org/maven2/): check the group, artifact and version, e.g. on "
        "https://central.sonatype.com")
    bundled = execute(kernel.client, "%maven org.hipparchus:hipparchus-core:3.1")
    assert bundled.reply["content"]["evalue"].startswith(
        "org.hipparchus:hipparchus-core 4.0.2 comes with the kernel and a running JVM cannot load a second version")
    malformed = execute(kernel.client, "%maven commons-math3")
    assert "expected group:artifact:version such as" in malformed.reply["content"]["evalue"]
    assert ok(kernel, "1 + 1").text == "2", "the kernel keeps serving"


def test_a_later_kernel_without_network_uses_the_local_repository(kernel):
    ok(kernel, f"%maven {COMMONS_MATH}", timeout=300)  # cached in ~/.m2/repository by now
    offline = start_kernel_with_env({"JENZYME_MAVEN_CENTRAL": f"http://127.0.0.1:{closed_port()}/maven2/"})
    try:
        ok(offline, f"%maven {COMMONS_MATH}")
        assert ok(offline, "org.apache.commons.math3.util.ArithmeticUtils.gcd(12, 18)").text == "6"
        unreachable = execute(offline.client, "%maven org.apache.commons:commons-lang3:3.0.9999")
        assert unreachable.status == "error"
        message = unreachable.reply["content"]["evalue"]
        assert message.startswith("cannot reach Maven Central (http://127.0.0.1:"), message
        assert "Connection refused. org.apache.commons:commons-lang3:3.0.9999 is not in the local repository" in message
    finally:
        offline.client.stop_channels()
        offline.manager.shutdown_kernel(now=True)


def test_compiled_code_finds_static_methods_of_an_added_library(kernel):
    ok(kernel, f"%maven {COMMONS_MATH}", timeout=300)
    ok(kernel, "double kink(double x) { return x * x + org.apache.commons.math3.util.FastMath.floor(x); }\n"
               "%autodiff reverse kink")
    value = ok(kernel, "var g = kink_grad(2.5); g.value() + \" \" + g.dx()").text
    assert value == '"8.25 5.0"', value  # 2.5² + floor(2.5) = 8.25; d/dx = 2x + 0 = 5


def test_a_library_method_that_does_not_compile_is_refused_at_the_users_call_with_the_rule_to_write(kernel):
    # qa6 R8: commons-math3's Erf.erf was refused inside FastMath.abs, at a line of the library's source, with no way
    # on; the refusal now quotes the cell's call and names the rule that lets compiled code call erf back in the JVM.
    ok(kernel, f"%maven {COMMONS_MATH}", timeout=300)
    ok(kernel, "import org.apache.commons.math3.special.Erf;\n"
               "double cm(double x) {\n    double y = 2 * x;\n    return Erf.erf(y) * x;\n}")
    run = execute(kernel.client, "%autodiff reverse cm")
    assert run.status == "error"
    evalue = run.reply["content"]["evalue"]
    assert "calling org.apache.commons.math3.special.Erf.erf(double), which cannot be compiled (" in evalue, evalue
    assert "%autodiff rule org.apache.commons.math3.special.Erf.erf forward=<method> reverse=<method>" in evalue, evalue
    assert any("return Erf.erf(y) * x;" in line for line in run.reply["content"]["traceback"]), run.reply["content"]

    ok(kernel, "double erfDerivative(double x) { return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x); }\n"
               "double erfFwd(double x, double dx) { return erfDerivative(x) * dx; }\n"
               "double erfRev(double x, double dy) { return erfDerivative(x) * dy; }")
    ok(kernel, "%autodiff rule org.apache.commons.math3.special.Erf.erf forward=erfFwd reverse=erfRev")
    ok(kernel, "%autodiff reverse cm")
    for x in (-0.7, 0.3, 1.1):
        dx = float(ok(kernel, f"cm_grad({x}).dx()").text)
        expected = math.erf(2 * x) + x * 4 / math.sqrt(math.pi) * math.exp(-4 * x * x)  # d/dx erf(2x) x
        assert abs(dx - expected) < 1e-12, (x, dx, expected)
