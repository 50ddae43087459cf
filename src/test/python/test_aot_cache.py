"""The kernel JVM's AOT cache (scripts/setup.sh build_aot_cache): the installed kernelspec starts the JVM with the
cache trained for its jars, and a cache that does not match the kernel's JVM never breaks it or shows up in its
output."""
from __future__ import annotations

import math
import subprocess

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, require_kernelspec
from jenzyme_client import execute

AOT_CACHE = "-XX:AOTCache="


def kernel_argv() -> list[str]:
    require_kernelspec()
    return KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv


def jvm_options(argv: list[str]) -> list[str]:
    """java and its options: the kernelspec's argv up to the main class."""
    return argv[:argv.index("jenzyme.kernel.Launcher")]


def cache_of(argv: list[str]) -> str:
    caches = [a[len(AOT_CACHE):] for a in argv if a.startswith(AOT_CACHE)]
    assert len(caches) == 1, f"expected one {AOT_CACHE}<file> in the kernelspec (setup.sh trains it), got {argv}"
    return caches[0]


def test_kernelspec_starts_the_jvm_with_a_cache_it_can_use():
    argv = kernel_argv()
    cache = cache_of(argv)
    # AOTMode=on makes the JVM refuse to start unless it maps the cache with exactly the kernel's options and jars.
    java = subprocess.run(jvm_options(argv) + ["-XX:AOTMode=on", "-version"], capture_output=True, text=True)
    assert java.returncode == 0, f"the JVM cannot use {cache}:\n{java.stdout}{java.stderr}"


def test_a_kernel_with_a_mismatched_cache_differentiates_and_prints_nothing_of_it(tmp_path):
    argv = kernel_argv()
    options = jvm_options(argv)
    # A cache of the same JDK and jars, made without the kernel's module options: one the JVM must reject.
    stale = tmp_path / "stale.aot"
    classpath = argv[argv.index("-cp") + 1]
    made = subprocess.run([options[0], f"-XX:AOTCacheOutput={stale}", "-cp", classpath, "-version"],
                          capture_output=True, text=True)
    assert made.returncode == 0 and stale.is_file(), made.stdout + made.stderr
    stale_options = [f"{AOT_CACHE}{stale}" if a.startswith(AOT_CACHE) else a for a in options]
    refused = subprocess.run(stale_options + ["-XX:AOTMode=on", "-version"], capture_output=True, text=True)
    assert refused.returncode != 0, "the stale cache was usable after all: this test would prove nothing"

    manager = KernelManager(kernel_name=KERNEL_NAME)
    manager.kernel_spec.argv = [f"{AOT_CACHE}{stale}" if a.startswith(AOT_CACHE) else a for a in argv]
    output = tmp_path / "kernel-output.txt"
    with open(output, "w") as sink:
        manager.start_kernel(stdout=sink, stderr=subprocess.STDOUT)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        for cell in ("double wobble(double[] p) { return Math.sin(p[0] * p[1]) + p[0] * p[0] * Math.exp(p[1]); }",
                     "%autodiff reverse wobble"):
            run = execute(client, cell, timeout=180)
            assert run.status == "ok", run.errors
        run = execute(client, "double[] at = {0.7, -0.4}, dAt = new double[2];\n"
                              "wobble_grad_set(at, dAt);\n"
                              "java.util.Arrays.toString(dAt)")
        assert run.status == "ok", run.errors
        gradient = [float(x) for x in run.text.strip('"[]').split(",")]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    def wobble(x, y):
        return math.sin(x * y) + x * x * math.exp(y)

    h, (x, y) = 1e-6, (0.7, -0.4)
    central = [(wobble(x + h, y) - wobble(x - h, y)) / (2 * h), (wobble(x, y + h) - wobble(x, y - h)) / (2 * h)]
    for got, expected in zip(gradient, central):
        assert abs(got - expected) < 1e-7 * max(1.0, abs(expected)), (gradient, central)
    printed = output.read_text()
    # The JVM's words when it cannot use a cache: "[error][aot] ...", "Unable to use AOT cache."
    assert "[aot]" not in printed and "AOT cache" not in printed, f"the kernel printed about its cache:\n{printed}"
