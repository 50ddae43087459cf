"""End-to-end: stdin, interrupts at rest, restart and shutdown of the `jenzyme` kernel."""
from __future__ import annotations

import time

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, require_kernelspec
from jenzyme_client import execute, reply_to


def test_cell_reads_stdin_through_the_frontend(kernel):
    client = kernel.client
    msg_id = client.execute('String name = new Scanner(System.in).nextLine();\nname.toUpperCase()', allow_stdin=True)
    request = client.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request"
    client.input("ada")
    assert reply_to(client, msg_id)["content"]["status"] == "ok"
    assert execute(client, "name").text == '"ada"'


def test_interrupt_at_rest_does_not_touch_the_next_cell(kernel):
    kernel.manager.interrupt_kernel()
    time.sleep(0.3)
    run = execute(kernel.client, "int afterIdleInterrupt = 3;\nafterIdleInterrupt * 3")
    assert run.status == "ok" and run.text == "9"


def test_restart_gives_a_fresh_session_that_serves(kernel):
    assert execute(kernel.client, "int beforeRestart = 1;").status == "ok"
    kernel.manager.restart_kernel(now=False)
    kernel.client.wait_for_ready(timeout=120)
    gone = execute(kernel.client, "beforeRestart")
    assert gone.status == "error" and gone.reply["content"]["ename"] == "CompilationError"
    assert execute(kernel.client, "1 + 1").text == "2"


def test_shutdown_request_ends_the_kernel_process():
    require_kernelspec()
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        assert execute(client, "2 * 21").text == "42"
        reply = client.shutdown(reply=True, timeout=60)
        assert reply["msg_type"] == "shutdown_reply" and reply["content"]["restart"] is False
        deadline = time.monotonic() + 30
        while manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not manager.is_alive(), "the kernel process did not exit after shutdown_request"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
