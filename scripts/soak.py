"""Soak test of one kernel (opt-in: ./soak [--minutes 30]; not part of ./test; `--checkpoint-steps N` runs
scripts/checkpoint_soak.py instead: checkpointed gradients of an RK4 loop up to N steps, with time and memory). For the given time it mixes what
issue 15 found fragile: threads calling a binding while it is re-derived, redefinitions, new imports, interrupts of
long compiled loops, large inputs and native memory exhaustion. Every result is checked; at the end it prints the
figures (cells, refusals, interrupt latencies, memory) and exits 1 if the kernel died or any answer was wrong."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src" / "test" / "python"))

from conftest import start_kernel_with_env  # noqa: E402
from jenzyme_client import execute, interrupt_after_start  # noqa: E402
from kernel_process import alive, kernel_pid, rss_mib  # noqa: E402

SETUP = """
double wave(double[] p) { double s = 0; for (int i = 0; i < p.length; i++) s += Math.sin(p[i]) * p[i]; return s; }
%autodiff reverse wave
double spin(double x, long n) { for (long i = 0; i != n; i++) x = x * 0.5 + 1; return x; }
%jit spin
double decay(double k, int steps) {
    double y = 1;
    for (int i = 0; i < steps; i++) y -= 1e-7 * k * y;
    return y;
}
%autodiff reverse decay
double[] small = new double[1000];
java.util.Arrays.fill(small, 0.5);
// In system properties, not notebook variables: JShell re-declares top-level variables that a new star import
// touches, and their values become null (found by this soak).
System.getProperties().put("soak.calls", new java.util.concurrent.atomic.AtomicLong());
System.getProperties().put("soak.refused", new java.util.concurrent.atomic.AtomicLong());
System.getProperties().put("soak.wrong", new java.util.concurrent.atomic.AtomicReference<Throwable>());
System.getProperties().put("soak.stop", new java.util.concurrent.atomic.AtomicBoolean());
final var calls = (java.util.concurrent.atomic.AtomicLong) System.getProperties().get("soak.calls");
final var refused = (java.util.concurrent.atomic.AtomicLong) System.getProperties().get("soak.refused");
@SuppressWarnings("unchecked") final var wrong = (java.util.concurrent.atomic.AtomicReference<Throwable>) System.getProperties().get("soak.wrong");
final var stop = (java.util.concurrent.atomic.AtomicBoolean) System.getProperties().get("soak.stop");
final double expected = 1000 * Math.sin(0.5) * 0.5;
Runnable caller = () -> {
    while (!stop.get()) {
        try {
            var g = wave_grad(small);
            if (Math.abs(g.value() - expected) > 1e-9 * expected) wrong.compareAndSet(null, new AssertionError("" + g.value()));
            calls.incrementAndGet();
        } catch (jenzyme.runtime.error.BindingException e) {
            refused.incrementAndGet();
        } catch (jenzyme.runtime.bind.CompiledCodeInterruptedException e) {
            // The kernel's interrupt stops compiled code on every thread too (one flag): a call inside it then.
        } catch (Error e) {
            // The kernel's interrupt stops user code on every thread (woven checks throw CellInterruptedError).
            if (!e.getClass().getSimpleName().equals("CellInterruptedError")) wrong.compareAndSet(null, e);
        } catch (Throwable t) {
            wrong.compareAndSet(null, t);
        }
    }
};
for (int t = 0; t < 3; t++) { Thread th = new Thread(caller); th.setDaemon(true); th.start(); }
"""

IMPORTS = ["java.io.*", "java.nio.file.*", "java.util.concurrent.*", "java.util.function.*", "java.time.*"]


def print_heap_histogram(pid: int, rows: int = 12) -> None:
    """What the heap retains after the soak: the largest classes of `jcmd GC.class_histogram` (it runs a full GC)."""
    jcmd = Path(os.readlink(f"/proc/{pid}/exe")).with_name("jcmd")
    listing = subprocess.run([str(jcmd), str(pid), "GC.class_histogram"], capture_output=True, text=True,
                             timeout=120).stdout.splitlines()
    start = next((i for i, line in enumerate(listing) if line.lstrip().startswith("num")), None)
    if start is None:
        print("soak: no heap histogram:", " ".join(listing)[:200])
        return
    print("soak: heap histogram after a full GC (instances, bytes, class):")
    for line in listing[start + 2:start + 2 + rows] + listing[-1:]:
        print("soak:  ", line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--checkpoint-steps", type=int)
    parser.add_argument("--checkpoint-arrays", action="store_true", help="with --checkpoint-steps: RK4 state in arrays")
    args = parser.parse_args()
    if args.checkpoint_steps:
        import checkpoint_soak
        return checkpoint_soak.run(args.checkpoint_steps, args.checkpoint_arrays)
    rng = random.Random(args.seed)
    kernel = start_kernel_with_env({"JENZYME_NATIVE_MEMORY": "512m"})
    pid = kernel_pid(kernel)
    counts: dict[str, int] = {}
    problems: list[str] = []
    interrupts: list[float] = []

    def cell(code: str, expect_ok: bool = True, timeout: float = 300):
        run = execute(kernel.client, code, timeout=timeout)
        if expect_ok and run.status != "ok":
            problems.append(f"{code[:60]!r}: {run.errors}")
        return run

    try:
        cell(SETUP)
        rss_start = rss_mib(pid)
        deadline = time.monotonic() + args.minutes * 60
        round_no = 0
        while time.monotonic() < deadline and alive(pid):
            round_no += 1
            action = rng.choice(["rederive", "redefine", "import", "interrupt", "large", "oom"])
            counts[action] = counts.get(action, 0) + 1
            if action == "rederive":
                cell("%autodiff reverse wave")
            elif action == "redefine":
                k = rng.randint(2, 9)
                cell(f"double poly(double x) {{ return {k} * x * x; }}\n%autodiff reverse poly\n"
                     f"if (poly_grad(1.5).dx() != {3.0 * k}) throw new AssertionError(\"poly\");")
            elif action == "import":
                cell(f"import {rng.choice(IMPORTS)};\nif (wave_grad(new double[]{{1}}).dp()[0] != "
                     f"Math.cos(1) * 1 + Math.sin(1)) throw new AssertionError(\"after import\");")
            elif action == "interrupt":
                sent, interrupt = interrupt_after_start(kernel, "started", settle=0.2)
                run = execute(kernel.client, 'System.out.println("started");\nspin_native(0, -1)', after_send=interrupt)
                interrupts.append(time.monotonic() - sent["at"])
                if run.status != "error":
                    problems.append(f"interrupt round {round_no}: {run.reply['content']}")
            elif action == "large":
                n = rng.choice([100_000, 1_000_000, 4_000_000])
                cell(f"double[] big = new double[{n}]; java.util.Arrays.fill(big, 0.25);\n"
                     f"var gb = wave_grad(big);\n"
                     f"if (Math.abs(gb.dp()[{n - 1}] - (Math.cos(0.25) * 0.25 + Math.sin(0.25))) > 1e-15) "
                     "throw new AssertionError(\"large\");\nbig = null; gb = null;")
            else:
                run = cell("decay_grad(1.0, 100_000_000)", expect_ok=False)
                if run.status != "error" or run.errors[0]["ename"] != "java.lang.OutOfMemoryError":
                    problems.append(f"oom round {round_no}: {run.status} {run.errors}")
        final = execute(kernel.client, 'var p = System.getProperties(); '
                        '((java.util.concurrent.atomic.AtomicBoolean) p.get("soak.stop")).set(true); Thread.sleep(200); '
                        'p.get("soak.calls") + " " + p.get("soak.refused") + " " + '
                        'jenzyme.runtime.jit.NativeMemory.inUse() + " " + '
                        '((java.util.concurrent.atomic.AtomicReference<?>) p.get("soak.wrong")).get()')
        if final.status != "ok" or not final.results:
            raise RuntimeError(f"the final check failed: {final.status} {final.errors}")
        calls, refused, in_use, wrong = final.results[0]["data"]["text/plain"].strip('"').split(" ", 3)  # wrong: text
        if wrong != "null":
            problems.append(f"a calling thread saw: {wrong}")
        print(f"soak: {args.minutes:g} min, {round_no} rounds {counts}")
        print(f"soak: calling threads: {calls} correct calls, {refused} refused as released; native memory held "
              f"after: {in_use} B")
        if interrupts:
            print(f"soak: interrupt latency median {statistics.median(interrupts) * 1000:.0f} ms, "
                  f"max {max(interrupts) * 1000:.0f} ms over {len(interrupts)}")
        rss_end = rss_mib(pid)
        time.sleep(40)  # idle: the kernel's periodic GC (G1PeriodicGCInterval, scripts/setup.sh) may give memory back
        idle = execute(kernel.client, 'var rt = Runtime.getRuntime(); (rt.totalMemory() >> 20) + " " '
                       '+ ((rt.totalMemory() - rt.freeMemory()) >> 20)')
        idle_committed, idle_used = idle.results[0]["data"]["text/plain"].strip('"').split(" ")
        print(f"soak: after 40 s idle: kernel RSS {rss_mib(pid):.0f} MiB, Java heap committed {idle_committed} MiB, "
              f"used {idle_used} MiB")
        # What holds the memory: the JVM heap's committed size (G1 grows it under the large inputs and keeps it)
        # against what is in use; a full GC then gives back what was only committed.
        heap = execute(kernel.client, 'var rt = Runtime.getRuntime(); String before = (rt.totalMemory() >> 20) + " " '
                       '+ ((rt.totalMemory() - rt.freeMemory()) >> 20); System.gc(); Thread.sleep(500); '
                       'before + " " + (rt.totalMemory() >> 20) + " " + ((rt.totalMemory() - rt.freeMemory()) >> 20)')
        committed, used, committed_gc, used_gc = heap.results[0]["data"]["text/plain"].strip('"').split(" ")
        print(f"soak: kernel RSS {rss_start:.0f} MiB → {rss_end:.0f} MiB, alive: {alive(pid)}; Java heap committed "
              f"{committed} MiB, used {used} MiB; after System.gc(): heap committed {committed_gc} MiB, used "
              f"{used_gc} MiB, RSS {rss_mib(pid):.0f} MiB")
        print_heap_histogram(pid)
    except Exception as error:  # noqa: BLE001 (report whatever ended the soak)
        problems.append(f"soak aborted: {error!r}")
        print(f"soak: {counts} rounds so far, interrupts {[round(i * 1000) for i in interrupts]} ms")
    finally:
        kernel.client.stop_channels()
        kernel.manager.shutdown_kernel(now=True)
    for problem in problems:
        print("soak problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
