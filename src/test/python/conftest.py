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

KERNEL_NAME = "jenzyme"


def require_kernelspec() -> None:
    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.fail(f"kernelspec '{KERNEL_NAME}' is not installed in this Python environment: "
                    "run ./test (or scripts/setup.sh's install_kernelspec) first", pytrace=False)


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
