"""Resources: redefining a cell method and differentiating it again, hundreds of times, must not grow the kernel's
memory without bound (each %autodiff replaces the previous derivative's JIT code, which must be released)."""
from __future__ import annotations

import os
import queue
import time

from conftest import measured
from jenzyme_client import execute, ok
from kernel_process import executable_mappings_kib, kernel_pid, rss_mib

# 300 rounds take ~3.5 min of ./test (1000 took 11 min, half the run); the soak or JENZYME_RESOURCE_ROUNDS=1000 runs more.
ROUNDS = int(os.environ.get("JENZYME_RESOURCE_ROUNDS", "300"))
WARM_UP = 50
WINDOW = 25
# Per round JShell keeps the new snippets for good (the notebook's history: f, its stub methods, record and holder
# class, and the kernel's store of their original class files): measured ~125 KiB of live heap per round, bounded
# below. The JVM commits heap in large steps at any time and glibc keeps freed malloc arenas, so RSS is held only to
# a loose bound; the sharp check on JIT code is the size of the executable anonymous mappings, where ORC puts every
# module's code: released modules give their pages back, so it stays flat (measured +0 KiB over 100 rounds), while
# one unreleased module a round adds at least a 4 KiB page each (measured +240 KiB over 60 rounds with release
# disabled, which RSS did not show).
MAX_RSS_GROWTH_MIB = 500 + 1.0 * ROUNDS
MAX_EXECUTABLE_GROWTH_KIB = 256
MAX_HEAP_PER_ROUND_KIB = 200


def round_cell(i: int) -> str:
    """Redefines f, differentiates it and checks the derivative at 2: f_i(x) = (i + 1) x^2 + i, f_i'(2) = 4 (i + 1)."""
    return (f"double f(double x) {{ return {i + 1} * x * x + {i}; }}\n"
            "%autodiff reverse f\n"
            f"if (f_grad(2.0).dx() != {4.0 * (i + 1)}) throw new AssertionError(\"round {i}: \" + f_grad(2.0));")


def run_rounds(kernel, rounds: range) -> None:
    """Pipelines the rounds (the kernel still runs them one after another) and checks that every one succeeded."""
    client = kernel.client
    for start in range(rounds.start, rounds.stop, WINDOW):
        ids = {client.execute(round_cell(i), store_history=False): i for i in range(start, min(start + WINDOW, rounds.stop))}
        while ids:
            try:
                reply = client.get_shell_msg(timeout=120)
            except queue.Empty:
                raise AssertionError(f"no answer to round {min(ids.values())} within 120 s") from None
            i = ids.pop(reply["parent_header"].get("msg_id"), None)
            if i is not None:
                content = reply["content"]
                assert content["status"] == "ok", f"round {i}: {content.get('ename')}: {content.get('evalue')}"


def committed_heap_mib(kernel) -> float:
    return float(ok(kernel, "Runtime.getRuntime().totalMemory() >> 20").text)


def heap_mib(kernel) -> float:
    run = ok(kernel, "System.gc(); (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20")
    return float(run.text)


def test_hundreds_of_redefinitions_and_derivatives_do_not_grow_memory_without_bound(kernel):
    pid = kernel_pid(kernel)
    run_rounds(kernel, range(WARM_UP))  # the JIT, the worker and JShell's first compilations settle in
    start, rss_start, heap_start = time.monotonic(), rss_mib(pid), heap_mib(kernel)
    executable_start = executable_mappings_kib(pid)
    half = WARM_UP + ROUNDS // 2
    run_rounds(kernel, range(WARM_UP, half))
    rss_half, heap_half, committed_half = rss_mib(pid), heap_mib(kernel), committed_heap_mib(kernel)
    run_rounds(kernel, range(half, WARM_UP + ROUNDS))
    rss_end, heap_end, committed_end = rss_mib(pid), heap_mib(kernel), committed_heap_mib(kernel)
    executable_grown = executable_mappings_kib(pid) - executable_start
    seconds = time.monotonic() - start

    measured(f"resources: {ROUNDS} redefinitions + %autodiff in {seconds:.0f} s ({seconds / ROUNDS * 1000:.0f} ms each); "
             f"kernel RSS {rss_start:.0f} -> {rss_half:.0f} -> {rss_end:.0f} MiB "
             f"(committed heap {committed_half:.0f} -> {committed_end:.0f} MiB over the second half), "
             f"Java heap after GC {heap_start:.0f} -> {heap_half:.0f} -> {heap_end:.0f} MiB, "
             f"executable mappings {executable_grown:+d} KiB")
    assert executable_grown <= MAX_EXECUTABLE_GROWTH_KIB, f"JIT code grew {executable_grown} KiB over {ROUNDS} rounds"
    # RSS mixes heap the JVM chose to commit and malloc arenas glibc keeps (measured +550 to +825 MiB over 1000
    # rounds, +325 over 200); bindings that were never released cost ~2.2 MiB a round, which this bound catches.
    grown = rss_end - rss_start
    assert grown <= MAX_RSS_GROWTH_MIB, f"RSS grew {grown:.0f} MiB over {ROUNDS} rounds (limit {MAX_RSS_GROWTH_MIB})"
    heap_per_round_kib = (heap_end - heap_start) * 1024 / ROUNDS
    assert heap_per_round_kib <= MAX_HEAP_PER_ROUND_KIB, f"live heap grew {heap_per_round_kib:.0f} KiB per round"
    last = WARM_UP + ROUNDS - 1
    assert execute(kernel.client, "f_grad(1.0).value()").text == f"{2.0 * last + 1}"  # f(1) = (i + 1) + i
