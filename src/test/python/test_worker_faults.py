"""Faults of the Enzyme worker through a real Jupyter client: killed mid-request, garbage on its stdout, hanging past
the timeout. Each must end the cell with an error naming what happened (not a dead kernel), and the next %autodiff
must succeed on a fresh worker process."""
from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import SWITCHABLE_WORKER_TIMEOUT, measured
from jenzyme_client import execute, ok
from kernel_process import alive, children, cpu_seconds, executable, kernel_pid

# Enzyme needs about a second for this one (300 terms), long enough to be killed in the middle of it.
SLOW = ("double slow(double x, double y) { return "
        + " + ".join(f"Math.sin(x * {i + 1}.5 + y) * Math.exp(-x * x * {0.01 * (i + 1):.2f}) / (1 + y * y * {i + 1})"
                     for i in range(300)) + "; }")


@pytest.fixture(scope="module")
def faulty(kernel_with_switchable_worker):
    kernel, worker = kernel_with_switchable_worker
    ok(kernel, SLOW)
    ok(kernel, "double fine(double x) { return x * Math.exp(x); }")
    return kernel, worker


def worker_processes(kernel) -> list[int]:
    return [pid for pid in children(kernel_pid(kernel)) if executable(pid).endswith("jenzyme-worker")]


def request_cpu_seconds(worker: int) -> float:
    """CPU time of the worker and of the process it forked for the request in flight (serve.rs), which does the work
    and dies with it."""
    total = cpu_seconds(worker)
    for child in children(worker):
        try:
            total += cpu_seconds(child)
        except FileNotFoundError:
            pass  # the request's process ended while we looked
    return total


def assert_recovers(kernel, failed_worker: int) -> None:
    """The failed worker is gone, and the next %autodiff runs on a new one and gives the right derivative."""
    deadline = time.monotonic() + 5
    while alive(failed_worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(failed_worker), f"worker {failed_worker} still runs after its failure"
    ok(kernel, "%autodiff reverse fine")
    # d/dx x e^x = (1 + x) e^x
    assert abs(float(ok(kernel, "fine_grad(0.5).dx()").text) - 1.5 * 1.6487212707001282) < 1e-14
    assert failed_worker not in worker_processes(kernel)
    assert ok(kernel, "1 + 1").text == "2"


def test_a_worker_killed_in_the_middle_of_a_request_is_an_error_and_is_restarted(faulty):
    kernel, worker = faulty
    worker.mode = "real"
    ok(kernel, "%autodiff reverse fine")  # a worker is running
    busy_since = {pid: request_cpu_seconds(pid) for pid in worker_processes(kernel)}
    killed = {}

    def kill_once_it_works_on_the_request(msg_id):
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for pid in worker_processes(kernel):
                # 0.1 s of CPU spent since the cell was sent: Enzyme is at work on our request.
                if request_cpu_seconds(pid) - busy_since.get(pid, 0) >= 0.1:
                    os.kill(pid, signal.SIGKILL)
                    killed["pid"], killed["at"] = pid, time.monotonic()
            time.sleep(0.01)

    run = execute(kernel.client, "%autodiff reverse slow", after_send=kill_once_it_works_on_the_request)
    measured(f"worker killed mid-request: error in the cell {(time.monotonic() - killed['at']) * 1000:.0f} ms "
             "after the kill")
    assert run.status == "error", "the kill came after the answer: the request was not in flight"
    assert run.reply["content"]["ename"] == "WorkerException"
    assert "killed by signal 9" in run.reply["content"]["evalue"], run.reply["content"]["evalue"]
    assert_recovers(kernel, killed["pid"])


def test_garbage_from_the_worker_is_a_protocol_error_and_the_worker_is_replaced(faulty):
    kernel, worker = faulty
    worker.switch("garbage", kernel_pid(kernel))
    before = len(worker.requests_received())
    run = execute(kernel.client, "%autodiff reverse fine")
    assert run.status == "error"
    assert run.reply["content"]["ename"] == "WorkerException"
    assert "not a response frame" in run.reply["content"]["evalue"], run.reply["content"]["evalue"]
    garbled = worker.wait_for_request(before)
    measured(f"garbage from the worker: error in the cell after {run.seconds * 1000:.0f} ms")
    worker.mode = "real"
    assert_recovers(kernel, garbled)


def test_a_worker_hanging_past_the_timeout_is_killed_and_the_cell_says_so(faulty):
    kernel, worker = faulty
    worker.switch("hang", kernel_pid(kernel))
    before = len(worker.requests_received())
    run = execute(kernel.client, "%autodiff reverse fine", timeout=60)
    hung = worker.wait_for_request(before)
    measured(f"worker hanging past its {SWITCHABLE_WORKER_TIMEOUT} s timeout: error in the cell after "
             f"{run.seconds:.1f} s")
    assert run.status == "error"
    assert run.reply["content"]["ename"] == "WorkerException"
    assert f"longer than {SWITCHABLE_WORKER_TIMEOUT * 1000} ms" in run.reply["content"]["evalue"]
    assert SWITCHABLE_WORKER_TIMEOUT <= run.seconds < SWITCHABLE_WORKER_TIMEOUT + 3
    worker.mode = "real"
    assert_recovers(kernel, hung)
