"""The training run of the kernel JVM's AOT cache (JDK 25: JEP 483 classes loaded and linked ahead of time, made in
one step as JEP 514 does), called by scripts/setup.sh once the kernelspec is installed: starts the installed "Java
(JEnzyme)" kernel with -XX:AOTCacheOutput=<cache>, runs what a notebook session does through a Jupyter client
(methods defined in JShell, %autodiff in its modes, the bindings called, %gradcheck, %plot, %jit), then shuts the
kernel down so that the JVM writes the cache as it exits. Every cell goes through the kernel's real code paths
(messaging, JShell and javac, lowering, worker client, JIT, binding, display), so the cache holds their classes.

Usage: aot_training.py <cache file>. Needs no network. Exits non-zero if a cell fails or no cache was written.
"""
import sys
from pathlib import Path

from jupyter_client.manager import KernelManager

# Each method is defined and differentiated twice: the first magic compiles its stubs in JShell, the second (after an
# edit) retargets the bound stubs, as a warm magic does; between them every class a session loads is loaded.
EDITS = 2

# No method profiles (JEP 515) in the cache. Measured with ./bench --latency's workload (docs/DERIVATIVES.md): with
# the profiles of a training of 48 magics, or of 6, HotSpot's C2 compiled so much more in a new kernel's first magics
# (C2's CPU 8.0 s against 4.5 s over 25 of them) that their CPU time grew by a half instead of shrinking; the classes
# alone halve the kernel's start and shorten the first magic.
JVM_OPTIONS = ["-XX:+UnlockDiagnosticVMOptions", "-XX:-AOTRecordTraining"]

METHODS = {
    "rosen": """
double rosen(double[] p) {
    double s = 0;
    for (int i = 0; i + 1 < p.length; i++) {
        double u = p[i + 1] - p[i] * p[i], v = 1 - p[i];
        s += WEIGHT * u * u + v * v;
    }
    return s;
}""",
    "decay": """
double decay(double[] q, double[] t, double[] y) {
    double s = 0;
    for (int i = 0; i < t.length; i++) {
        double r = q[0] * Math.exp(-q[1] * t[i]) + q[2] * Math.sin(q[3] * t[i]) - y[i];
        s += Math.abs(r) > 1 ? 2 * Math.abs(r) - 1 : r * r;
    }
    return s / t.length + WEIGHT * 1e-5 * (q[0] * q[0] + q[1] * q[1]);
}""",
    "pendulum": """
double pendulum(double[] p, int steps) {
    double th = p[0], om = p[1], g = p[2], c = p[3];
    double dt = 5.0 / steps, loss = 0;
    for (int i = 0; i < steps; i++) {
        double a1 = -g * Math.sin(th) - c * om;
        double th2 = th + 0.5 * dt * om, om2 = om + 0.5 * dt * a1;
        double a2 = -g * Math.sin(th2) - c * om2;
        th += dt * om2;
        om += dt * a2;
        loss += th * th * WEIGHT;
    }
    return loss / steps;
}""",
}

MAGICS = {
    "rosen": "%autodiff reverse rosen --verbose",
    "decay": "%autodiff reverse decay t=Const y=Const",
    "pendulum": "%autodiff reverse pendulum --verbose",
}

CALLS = """
double[] p = {-1.2, 1, 0.5, -0.3, 0.8}, q = {2, 0.5, 0.3, 1.7}, th = {1.0, 0.0, 9.81, 0.1};
double[] t = new double[40], y = new double[40];
for (int i = 0; i < t.length; i++) { t[i] = 0.1 * i; y[i] = 2 * Math.exp(-0.4 * t[i]); }
double total = rosen_grad(p).value() + decay_grad(q, t, y).value() + pendulum_grad(th, 100).value();
double[] dq = new double[4];
total += decay_grad_set(q, dq, t, y);
total"""

ONCE = [
    "%autodiff forward rosen",
    "rosen_fwd(p, new double[]{1, 0, 0, 0, 0}).dvalue()",
    "%autodiff reverse decay t=Const y=Const --fast-math",
    "decay_grad(q, t, y).value()",
    "%autodiff hvp rosen",
    "rosen_hvp(p, new double[]{1, 0, 0, 0, 0})[0]",
    "%jit pendulum",
    "pendulum_native(th, 100)",
    "%gradcheck rosen at -1.2,1,0.5",
    "%plot rosen --at -1.2,1 --coord 0 --x -2:2",
    "double wave(double x) { return Math.sin(3 * x) * Math.exp(-x * x); }",
    "%plot wave --x -3:3",
]


def run(client, code):
    reply = client.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"AOT training: the cell {code.strip()!r} failed: {reply['content'].get('evalue')}")


def main(cache: Path):
    manager = KernelManager(kernel_name="jenzyme")
    manager.kernel_spec.argv[1:1] = [f"-XX:AOTCacheOutput={cache}", *JVM_OPTIONS]
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=180)
        for k in range(EDITS):
            for name, source in METHODS.items():
                run(client, source.replace("WEIGHT", f"{k + 1}.0"))
                run(client, MAGICS[name])
            run(client, CALLS)
        for code in ONCE:
            run(client, code)
        client.shutdown()
        # The JVM writes the cache as it exits (it assembles it in a child JVM): wait for that, not for the reply.
        manager.provisioner.process.wait(timeout=300)
    finally:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)
    if not cache.is_file():
        raise SystemExit(f"AOT training: the kernel exited without writing {cache}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
