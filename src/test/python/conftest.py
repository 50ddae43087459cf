"""Shared fixtures: a real JEnzyme kernel started from the installed kernelspec `jenzyme`, driven by jupyter_client."""
from __future__ import annotations

import os
import sys

from dataclasses import dataclass

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager, start_new_kernel

sys.path.insert(0, os.path.dirname(__file__))

from fake_worker import SwitchableWorker  # noqa: E402 (needs the path above)

KERNEL_NAME = "jenzyme"
SWITCHABLE_WORKER_TIMEOUT = 4


def require_kernelspec() -> None:
    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.fail(f"kernelspec '{KERNEL_NAME}' is not installed in this Python environment: "
                    "run ./test (or scripts/setup.sh's install_kernelspec) first", pytrace=False)


MEASUREMENTS: list[str] = []


def measured(line: str) -> None:
    """Prints a measured figure and repeats it at the end of pytest's report (passing tests' output is hidden)."""
    print(line)
    MEASUREMENTS.append(line)


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("measured")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


@dataclass
class RunningKernel:
    manager: KernelManager
    client: BlockingKernelClient


@pytest.fixture(scope="module")
def kernel():
    """One kernel per test module (JShell start-up costs a few seconds); tests use distinct names."""
    require_kernelspec()
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    yield RunningKernel(manager, client)
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def start_kernel_with_env(env: dict[str, str]) -> RunningKernel:
    """A kernel from the `jenzyme` kernelspec with `env` added to the spec's environment (which jupyter_client lets
    override the launching process's, so the spec itself is amended, for this manager only)."""
    require_kernelspec()
    manager = KernelManager(kernel_name=KERNEL_NAME)
    manager.kernel_spec.env = {**manager.kernel_spec.env, **env}
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return RunningKernel(manager, client)


@pytest.fixture(scope="module")
def kernel_with_switchable_worker(tmp_path_factory):
    """A kernel whose Enzyme worker is a `SwitchableWorker` (real, hanging or garbled on demand), timeout 4 s."""
    require_kernelspec()
    real = KernelSpecManager().get_kernel_spec(KERNEL_NAME).env["JENZYME_WORKER"]
    worker = SwitchableWorker(tmp_path_factory.mktemp("worker"), real)
    running = start_kernel_with_env({"JENZYME_WORKER": str(worker.executable),
                                     "JENZYME_WORKER_TIMEOUT_SECONDS": str(SWITCHABLE_WORKER_TIMEOUT)})
    yield running, worker
    running.client.stop_channels()
    running.manager.shutdown_kernel(now=True)
