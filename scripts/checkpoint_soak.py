"""Opt-in (`./soak --checkpoint-steps N`): the checkpointed reverse pass of an RK4 loop of Lotka–Volterra at growing
trip counts up to N, through a Jupyter client (`--checkpoint-arrays`: the state in double[] locals). Prints, per trip count, the gradient's time, the native primal's time
and the kernel's peak resident memory; for the smallest count also the plain reverse pass's time and its agreement
with the checkpointed one. The kernel's compiled code may hold 256 MiB of native memory in all (the plain pass's tape
grows by ~64 bytes a step: 10^7 steps would not fit), so a tape that grows with N is an OutOfMemoryError. Exits 1 on
such an error or a non-finite gradient. The resident memory is reported, not judged: it grows to 10^8 steps with the
JVM's heap (docs/CHECKPOINTING.md) and then stays."""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src" / "test" / "python"))

from conftest import start_kernel_with_env  # noqa: E402
from jenzyme_client import ok  # noqa: E402
from kernel_process import kernel_pid, peak_rss_mib  # noqa: E402

LOTKA_VOLTERRA = """
double lv(double[] p, double h, long steps) {
    double x = 1, y = 1;
    for (long i = 0; i < steps; i++) {
        double k1x = p[0] * x - p[1] * x * y, k1y = p[2] * x * y - p[3] * y;
        double x2 = x + h / 2 * k1x, y2 = y + h / 2 * k1y;
        double k2x = p[0] * x2 - p[1] * x2 * y2, k2y = p[2] * x2 * y2 - p[3] * y2;
        double x3 = x + h / 2 * k2x, y3 = y + h / 2 * k2y;
        double k3x = p[0] * x3 - p[1] * x3 * y3, k3y = p[2] * x3 * y3 - p[3] * y3;
        double x4 = x + h * k3x, y4 = y + h * k3y;
        double k4x = p[0] * x4 - p[1] * x4 * y4, k4y = p[2] * x4 * y4 - p[3] * y4;
        x += h / 6 * (k1x + 2 * k2x + 2 * k3x + k4x);
        y += h / 6 * (k1y + 2 * k2y + 2 * k3y + k4y);
    }
    return x;
}
double[] lvP = {1.1, 0.4, 0.1, 0.4};
"""
# The same RK4 with its state and stages in double[] locals (`--checkpoint-arrays`): each stored state holds them.
LOTKA_VOLTERRA_ARRAYS = """
double lv(double[] p, double h, long steps) {
    double[] y = {1, 1}, k1 = new double[2], k2 = new double[2], k3 = new double[2], k4 = new double[2];
    double[] t = new double[2];
    for (long i = 0; i < steps; i++) {
        rhs(p, y, k1);
        for (int j = 0; j < 2; j++) t[j] = y[j] + h / 2 * k1[j];
        rhs(p, t, k2);
        for (int j = 0; j < 2; j++) t[j] = y[j] + h / 2 * k2[j];
        rhs(p, t, k3);
        for (int j = 0; j < 2; j++) t[j] = y[j] + h * k3[j];
        rhs(p, t, k4);
        for (int j = 0; j < 2; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    return y[0];
}
void rhs(double[] p, double[] y, double[] dy) {
    dy[0] = p[0] * y[0] - p[1] * y[0] * y[1];
    dy[1] = p[2] * y[0] * y[1] - p[3] * y[1];
}
double[] lvP = {1.1, 0.4, 0.1, 0.4};
"""
HORIZON = 20.0  # every run integrates t in [0, 20]: h = 20 / steps


NATIVE_BUDGET = "256m"


def timed(kernel, code: str) -> tuple[float, str]:
    started = time.monotonic()
    text = ok(kernel, code, timeout=7200).text.strip('"')
    return time.monotonic() - started, text


def run(max_steps: int, arrays: bool = False) -> int:
    kernel = start_kernel_with_env({"JENZYME_NATIVE_MEMORY": NATIVE_BUDGET})
    try:
        pid = kernel_pid(kernel)
        ok(kernel, LOTKA_VOLTERRA_ARRAYS if arrays else LOTKA_VOLTERRA)
        ok(kernel, "%autodiff reverse lv --checkpoint")
        ok(kernel, "%autodiff reverse lv --name lvPlain")
        ok(kernel, "%jit lv")
        gradient = "var g = lv_grad(lvP, {h}, {n}L); g.value() + \" \" + java.util.Arrays.toString(g.dp())"
        counts = sorted({10 ** 6, 10 ** 7, 10 ** 8, max_steps})
        counts = [n for n in counts if n <= max_steps]
        failures = 0
        first = counts[0]
        seconds, text = timed(kernel, gradient.format(h=HORIZON / first, n=first))
        plain_seconds, plain = timed(kernel, gradient.replace("lv_grad", "lvPlain_grad").format(h=HORIZON / first,
                                                                                               n=first))
        if text != plain:
            print(f"steps {first}: checkpointed {text} differs from plain {plain} (rounding only is expected)")
        print(f"steps {first}: plain reverse pass {plain_seconds:.1f} s, checkpointed {seconds:.1f} s", flush=True)
        peaks = {}
        for n in counts:
            h = HORIZON / n
            primal_seconds, _ = timed(kernel, f"lv_native(lvP, {h}, {n}L)")
            seconds, text = timed(kernel, gradient.format(h=h, n=n))
            peaks[n] = peak_rss_mib(pid)
            values = [float(v) for v in text.replace("[", " ").replace("]", " ").replace(",", " ").split()]
            finite = all(math.isfinite(v) for v in values)
            failures += not finite
            print(f"steps {n}: checkpointed gradient {seconds:.1f} s, native primal {primal_seconds:.1f} s "
                  f"({seconds / max(primal_seconds, 1e-9):.1f}x), kernel peak RSS {peaks[n]:.0f} MiB, "
                  f"load {os.getloadavg()[0]:.1f}; value and dp {text}", flush=True)
        print(f"native memory budget {NATIVE_BUDGET}: every gradient fitted; peak RSS from {counts[0]} to {counts[-1]} "
              f"steps: {peaks[counts[0]]:.0f} -> {peaks[counts[-1]]:.0f} MiB")
        return 1 if failures else 0
    finally:
        kernel.client.stop_channels()
        kernel.manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10 ** 8))
