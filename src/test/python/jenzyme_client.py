"""Runs a cell on a jupyter_client kernel client and sorts what comes back on IOPub."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CellRun:
    reply: dict[str, Any]
    stdout: str = ""
    stderr: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    displays: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every output in arrival order
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def text(self) -> str:
        """The text/plain of the single execute_result."""
        assert len(self.results) == 1, f"expected one execute_result, got {self.results} (errors: {self.errors})"
        return self.results[0]["data"]["text/plain"]


def execute(client, code: str, timeout: float = 60, after_send=None) -> CellRun:
    """Executes `code`, calls `after_send(msg_id)` if given (e.g. to interrupt), and collects outputs until idle."""
    start = time.monotonic()
    msg_id = client.execute(code)
    if after_send is not None:
        after_send(msg_id)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    run = CellRun(reply=reply)
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind in ("stream", "execute_result", "display_data", "error"):
            run.outputs.append((kind, content))
        if kind == "stream":
            if content["name"] == "stdout":
                run.stdout += content["text"]
            else:
                run.stderr += content["text"]
        elif kind == "execute_result":
            run.results.append(content)
        elif kind == "display_data":
            run.displays.append(content)
        elif kind == "error":
            run.errors.append(content)
    run.seconds = time.monotonic() - start
    return run


def reply_to(client, msg_id: str, timeout: float = 60) -> dict[str, Any]:
    """The shell reply to request `msg_id` (for requests whose client method has no `reply=True`)."""
    while True:
        reply = client.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def ok(kernel, code: str, timeout: float = 180) -> CellRun:
    """Runs `code` on a conftest `RunningKernel` and asserts the cell succeeded."""
    run = execute(kernel.client, code, timeout=timeout)
    assert run.status == "ok", f"cell failed: {code}\n{run.errors}"
    return run


def interrupt_after_start(kernel, started_marker: str, settle: float = 0.0):
    """For `execute(..., after_send=...)`: waits for the cell to print `started_marker`, then `settle` seconds more
    (so the interrupt lands in what the cell does next), interrupts, and records the interrupt's send time."""
    sent = {}

    def interrupt_when_running(msg_id):
        while True:
            msg = kernel.client.get_iopub_msg(timeout=60)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                    and started_marker in msg["content"]["text"]):
                break
        time.sleep(settle)
        sent["at"] = time.monotonic()
        kernel.manager.interrupt_kernel()

    return sent, interrupt_when_running
