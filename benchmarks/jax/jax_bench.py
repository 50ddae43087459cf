"""The JAX side of ./bench: each workload written as idiomatic JAX, compiled with jit(grad(f)) and timed on
request of the Java harness, which drives this process over stdin/stdout so that its samples are taken in the
same rounds as the JVM's.

Protocol: one JSON request per line on stdin, one reply line on stdout, "ok key=value ..." or "error <message>".
  {"cmd": "load", "id", "kind", "file", "out", "params": [{"type": "array", "length", "diff"} |
                                                         {"type": "double", "value", "diff"} |
                                                         {"type": "int", "value"}]}
      reads the arrays (little-endian float64, in parameter order) from "file", compiles, writes the value then
      the flattened gradient (the differentiated parameters in order) to "out", and what jit(value_and_grad(f))
      returned, in the same layout, to "out" + ".value_and_grad"; replies compile_seconds=... (of jit(grad(f)))
      grad_threads=... value_and_grad_threads=... (how many threads XLA splits each one's largest loop over)
  {"cmd": "load_jacobian", "id", "file", "out"}   the Jacobian row: reads u (float64) from "file", compiles
      jit(jacfwd(lorenz96)), writes its Jacobian by rows to "out"; replies compile_seconds=...
  {"cmd": "time", "id", "reps", "fn"}   replies seconds=... for reps calls, each blocked on, of jit(grad(f)) (or
      of the Jacobian) when "fn" is "grad", of jit(value_and_grad(f)) when it is "value_and_grad"
  {"cmd": "reset_peak"} / {"cmd": "peak_rss"}   peak resident set size of this process (VmHWM), in kB
The workloads mirror jenzyme.bench.workloads (same parameter order, same operations where the order of floating
point operations is visible) and benchmarks/c.
"""
import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)  # the Java and C versions compute in double precision

import jax.numpy as jnp  # noqa: E402  (after the x64 switch)
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from xla_threads import fusion_threads  # noqa: E402  (benchmarks/jax, the script's directory, is on sys.path)

ODE_SPAN = 10.0
LOGREG_L2 = 1e-3
COMPOSITE_STEP = 1e-3
LORENZ96_FORCING = 8.0


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def ode_loss(p, obs, steps):
    alpha, beta, delta, gamma, x0, y0 = (p[i] for i in range(6))
    dt = ODE_SPAN / steps

    def rhs(x, y):
        return alpha * x - beta * x * y, delta * x * y - gamma * y

    def rk4_step(carry, observed):
        x, y, loss = carry
        k1x, k1y = rhs(x, y)
        k2x, k2y = rhs(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y)
        k3x, k3y = rhs(x + 0.5 * dt * k2x, y + 0.5 * dt * k2y)
        k4x, k4y = rhs(x + dt * k3x, y + dt * k3y)
        x = x + dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        y = y + dt / 6 * (k1y + 2 * k2y + 2 * k3y + k4y)
        loss = loss + dt * ((x - observed[0]) ** 2 + (y - observed[1]) ** 2)
        return (x, y, loss), None

    (_, _, loss), _ = lax.scan(rk4_step, (x0, y0, jnp.zeros((), p.dtype)), obs.reshape(steps, 2))
    return loss


def logreg(w, X, y, n, d):
    z = X.reshape(n, d) @ w[:d] + w[d]
    return jnp.mean(jnp.logaddexp(0.0, -y * z)) + 0.5 * LOGREG_L2 * jnp.sum(w[:d] ** 2)


def composite(a, b, c, n):
    def body(k, carry):
        x, s = carry
        t = k * COMPOSITE_STEP
        x = x + COMPOSITE_STEP * (jnp.sin(b * x + t) - c * jnp.tanh(x) + jnp.cos(a * t) * jnp.exp(-c * t))
        s = s + (jnp.log1p(x * x) + jnp.sqrt(1 + b * b * t) * jnp.arctan(x))
        return x, s

    _, s = lax.fori_loop(0, n, body, (a, jnp.zeros((), jnp.float64)))
    return s


def lorenz96(u):
    """du/dt = (u[i+1] - u[i-2]) u[i-1] - u[i] + F, indices modulo n (jenzyme.bench.workloads.Lorenz96)."""
    return (jnp.roll(u, -1) - jnp.roll(u, 2)) * jnp.roll(u, 1) - u + LORENZ96_FORCING


KINDS = {"rosenbrock": rosenbrock, "ode_loss": ode_loss, "logreg": logreg, "composite": composite}


class Loaded:
    """One workload compiled: jit(f) and jit(grad(f)) over the floating arguments, the ints baked in."""

    def __init__(self, request):
        f = KINDS[request["kind"]]
        flat = np.fromfile(request["file"], dtype="<f8")
        floating, static, diff = [], {}, []
        offset = 0
        for index, param in enumerate(request["params"]):
            if param["type"] == "int":
                static[index] = int(param["value"])
                continue
            if param["type"] == "array":
                value = jnp.asarray(flat[offset:offset + param["length"]])
                offset += param["length"]
            else:
                value = jnp.asarray(float(param["value"]), dtype=jnp.float64)
            if param["diff"]:
                diff.append(len(floating))
            floating.append((index, value))
        if offset != flat.size:
            raise ValueError(f"expected {offset} doubles in {request['file']}, got {flat.size}")
        order = [index for index, _ in floating]
        count = len(request["params"])

        def with_statics(*values):
            args = [None] * count
            for index, value in zip(order, values):
                args[index] = value
            for index, value in static.items():
                args[index] = value
            return f(*args)

        self.args = tuple(jax.device_put(value) for _, value in floating)
        value_fn = jax.jit(with_statics)
        grad_fn = jax.jit(jax.grad(with_statics, argnums=tuple(diff)))
        # The same work as one call of our gradient, which returns the value too; jax.grad skips the value.
        value_and_grad_fn = jax.jit(jax.value_and_grad(with_statics, argnums=tuple(diff)))
        self.timed = {"grad": grad_fn, "value_and_grad": value_and_grad_fn}
        start = time.perf_counter()
        grads = jax.block_until_ready(grad_fn(*self.args))
        self.compile_seconds = time.perf_counter() - start
        write_value_and_gradient(request["out"], value_fn(*self.args), grads)
        value, grads = jax.block_until_ready(value_and_grad_fn(*self.args))
        write_value_and_gradient(request["out"] + ".value_and_grad", value, grads)
        self.threads = {name: fusion_threads(fn.lower(*self.args).compile().as_text())
                        for name, fn in self.timed.items()}

    def time(self, reps, fn):
        timed, args = self.timed[fn], self.args
        start = time.perf_counter()
        for _ in range(reps):
            jax.block_until_ready(timed(*args))
        return time.perf_counter() - start


def write_value_and_gradient(path, value, grads):
    flat_grad = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in grads])
    np.concatenate([[float(value)], flat_grad]).astype("<f8").tofile(path)


class LoadedJacobian:
    """The Jacobian row: jit(jacfwd(lorenz96)) at the u the harness wrote, timed like a workload's gradient."""

    def __init__(self, request):
        self.args = (jax.device_put(jnp.asarray(np.fromfile(request["file"], dtype="<f8"))),)
        self.timed = {"grad": jax.jit(jax.jacfwd(lorenz96))}
        start = time.perf_counter()
        jacobian = jax.block_until_ready(self.timed["grad"](*self.args))
        self.compile_seconds = time.perf_counter() - start
        np.asarray(jacobian, dtype=np.float64).astype("<f8").tofile(request["out"])

    time = Loaded.time


def peak_rss_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def reset_peak():
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so each workload gets its own peak.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def serve():
    loaded = {}
    for line in sys.stdin:
        try:
            request = json.loads(line)
            command = request["cmd"]
            if command == "load":
                load = loaded[request["id"]] = Loaded(request)
                reply = (f"ok compile_seconds={load.compile_seconds!r} grad_threads={load.threads['grad']} "
                         f"value_and_grad_threads={load.threads['value_and_grad']}")
            elif command == "load_jacobian":
                loaded[request["id"]] = LoadedJacobian(request)
                reply = f"ok compile_seconds={loaded[request['id']].compile_seconds!r}"
            elif command == "time":
                seconds = loaded[request["id"]].time(int(request["reps"]), request["fn"])
                reply = f"ok seconds={seconds!r}"
            elif command == "reset_peak":
                reset_peak()
                reply = "ok"
            elif command == "peak_rss":
                reply = f"ok peak_kb={peak_rss_kb()}"
            else:
                reply = f"error unknown command {command!r}"
        except Exception as e:  # the harness shows the message in the table instead of dying
            reply = "error " + f"{type(e).__name__}: {e}".replace("\n", " ")
        print(reply, flush=True)


if __name__ == "__main__":
    print(f"ok jax={jax.__version__} backend={jax.default_backend()}", flush=True)
    serve()
