"""A stand-in for the jenzyme-worker executable whose behaviour a test switches between requests.

The kernel starts a fresh worker after every fault (and when the last one is gone), so each start reads the current
mode; `switch` ends the running worker so that the next request meets the new mode:
`real` runs the real worker in its place (exec, same pid), `hang` takes the request and never answers, `garbage`
answers with bytes that are not a response frame and stays alive. Every stand-in records its pid and writes a
marker once it holds a request, so a test knows the kernel is waiting on it.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import kernel_process

SCRIPT = '''#!{python}
import os, sys, time
mode = open({mode!r}).read().strip()
if mode == "real":
    os.execv({real!r}, [{real!r}])
sys.stdin.buffer.read(12)  # the frame's magic and lengths: a request has arrived
with open({received!r}, "a") as marker:
    marker.write(str(os.getpid()) + "\\n")
if mode == "garbage":
    sys.stdout.buffer.write(b"Assertion failed: this is not a JZW1 frame\\n" * 64)
    sys.stdout.buffer.flush()
time.sleep(3600)
'''


class SwitchableWorker:
    def __init__(self, directory: Path, real_worker: str):
        self.executable = directory / "fake-jenzyme-worker"
        self._mode = directory / "mode"
        self._received = directory / "received"
        self.mode = "real"
        self.executable.write_text(SCRIPT.format(python=sys.executable, mode=str(self._mode), real=real_worker,
                                                 received=str(self._received)))
        self.executable.chmod(0o755)

    @property
    def mode(self) -> str:
        return self._mode.read_text()

    @mode.setter
    def mode(self, mode: str) -> None:
        assert mode in ("real", "hang", "garbage"), mode
        self._mode.write_text(mode)

    def switch(self, mode: str, kernel_pid: int) -> None:
        """Sets the mode and kills the kernel's current worker, which would otherwise serve the next request."""
        self.mode = mode
        for pid in kernel_process.children(kernel_pid):
            os.kill(pid, signal.SIGKILL)
            while kernel_process.alive(pid):
                time.sleep(0.01)

    def requests_received(self) -> list[int]:
        """Pids of the stand-ins that have taken a request so far."""
        return [int(line) for line in self._received.read_text().split()] if self._received.exists() else []

    def wait_for_request(self, count_before: int, timeout: float = 60) -> int:
        """Waits until a stand-in takes request number `count_before + 1`; returns its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.requests_received()
            if len(pids) > count_before:
                return pids[count_before]
            time.sleep(0.005)
        raise AssertionError(f"no stand-in worker took a request within {timeout} s")

