"""End-to-end: Java cells through a real Jupyter client against the installed `jenzyme` kernelspec."""
from __future__ import annotations

import base64
import os
import shutil
import struct
import subprocess
import time

import pytest
from jupyter_client.session import Session

from conftest import measured
from jenzyme_client import execute, interrupt_after_start, ok, reply_to


def test_expression_value_is_the_execute_result(kernel):
    assert ok(kernel, "1+1").text == "2"
    assert ok(kernel, '"jen" + "zyme"').text == '"jenzyme"'
    assert ok(kernel, "new double[] {1.5, 2}").text == "double[2] { 1.5, 2.0 }"


def test_silent_execution_publishes_nothing_and_keeps_the_count(kernel):
    client = kernel.client
    before = ok(kernel, "1").reply["content"]["execution_count"]
    msg_id = client.execute("int silentlyDefined = 5;\nsilentlyDefined", silent=True)
    assert reply_to(client, msg_id)["content"]["status"] == "ok"
    kinds = []
    while not kinds or kinds[-1] != "idle":
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id:
            kinds.append(msg["content"]["execution_state"] if msg["msg_type"] == "status" else msg["msg_type"])
    assert kinds == ["busy", "idle"]
    after = ok(kernel, "silentlyDefined")
    assert after.text == "5"
    assert after.reply["content"]["execution_count"] == before + 1


def test_stack_overflow_is_an_error_not_a_dead_kernel(kernel):
    run = execute(kernel.client, "int down(int n) { return down(n + 1) + 1; }\ndown(0)")
    assert run.reply["content"]["ename"] == "java.lang.StackOverflowError"
    assert ok(kernel, "2 + 2").text == "4"


def test_declarations_and_statements_have_no_result(kernel):
    run = ok(kernel, "int declaredOnly = 3;\ndeclaredOnly++;")
    assert run.results == []


def test_method_defined_in_one_cell_is_called_in_the_next(kernel):
    assert ok(kernel, "double square(double x) { return x * x; }").results == []
    assert ok(kernel, "square(3)").text == "9.0"


def test_redefinition_reaches_existing_callers(kernel):
    ok(kernel, "double f(double t) { return t * t; }")
    ok(kernel, "double loss(double t) { return f(t) + 1; }")
    assert ok(kernel, "loss(2)").text == "5.0"
    ok(kernel, "double f(double t) { return t * t * t; }")
    assert ok(kernel, "loss(2)").text == "9.0"


def test_multi_snippet_cell_with_imports_and_classes(kernel):
    run = ok(kernel, "import java.util.concurrent.atomic.AtomicInteger;\n"
                     "class Counter { AtomicInteger n = new AtomicInteger(); int tick() { return n.incrementAndGet(); } }\n"
                     "Counter c = new Counter();\nc.tick();\nc.tick()")
    assert run.text == "2"


def test_compile_error_gives_the_compiler_message_and_the_kernel_still_answers(kernel):
    run = execute(kernel.client, "int fine = 1;\nint broken = notDeclaredAnywhere + 1;")
    assert run.status == "error"
    reply = run.reply["content"]
    assert reply["ename"] == "CompilationError"
    assert "cannot find symbol" in reply["evalue"]
    assert "notDeclaredAnywhere" in reply["evalue"]
    assert len(run.errors) == 1
    assert run.errors[0]["traceback"][0].startswith("Compilation error, line 2, column 14: cannot find symbol")
    assert ok(kernel, "fine + 41").text == "42"


def test_runtime_exception_names_the_exception_and_the_frame(kernel):
    ok(kernel, "int pick(int[] xs, int i) {\n    return xs[i];\n}")
    run = execute(kernel.client, "pick(new int[2], 5)")
    assert run.status == "error"
    error = run.errors[0]
    assert error["ename"] == "java.lang.ArrayIndexOutOfBoundsException"
    assert error["evalue"] == "Index 5 out of bounds for length 2"
    frame = next(i for i, line in enumerate(error["traceback"]) if line.strip().startswith("pick(int[], int), cell ["))
    assert error["traceback"][frame].endswith(", line 2:"), error
    assert error["traceback"][frame + 1].strip() == "----> 2     return xs[i];", error
    assert ok(kernel, "pick(new int[] {7, 8}, 1)").text == "8"


def test_stdout_and_stderr_are_streamed(kernel):
    run = ok(kernel, 'for (int i = 0; i < 3; i++) System.out.println("line " + i);\nSystem.err.print("warned");')
    assert run.stdout == "line 0\nline 1\nline 2\n"
    assert run.stderr == "warned"


def png_size(data: str) -> tuple[int, int]:
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", raw[16:24])


def test_displayed_image_arrives_as_png(kernel):
    run = ok(kernel, "var img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);\n"
                     "img.setRGB(3, 4, 0xff0000);\ndisplay(img);")
    assert len(run.displays) == 1
    assert png_size(run.displays[0]["data"]["image/png"]) == (40, 30)


def test_image_as_the_cell_value_is_a_png_result(kernel):
    run = ok(kernel, "new BufferedImage(7, 5, BufferedImage.TYPE_INT_ARGB)")
    assert png_size(run.results[0]["data"]["image/png"]) == (7, 5)


def test_html_and_markdown_render(kernel):
    assert ok(kernel, 'html("<b>bold</b>")').results[0]["data"]["text/html"] == "<b>bold</b>"
    run = ok(kernel, 'display(markdown("# Title"));')
    assert run.displays[0]["data"]["text/markdown"] == "# Title"


@pytest.mark.parametrize("cell", [
    'long spins = 0;\nwhile (true) { if (spins++ == 0) System.out.println("started"); }',
    'while (true) {\n  System.out.println("started");\n'
    '  try { Thread.sleep(100_000); } catch (InterruptedException e) { }\n}',
    'double burn(double x) {\n  System.out.println("started");\n  while (x == x) { x = Math.sin(x) + 1; }\n'
    '  return x;\n}\nburn(0.5)',
])
def test_interrupt_stops_an_endless_java_loop_within_half_a_second(kernel, cell):
    # "started" is printed by the looping snippet itself, so the interrupt lands inside the loop.
    ok(kernel, "int keptAcrossInterrupt = 11;")
    sent, interrupt = interrupt_after_start(kernel, "started")
    run = execute(kernel.client, cell, after_send=interrupt)
    latency = time.monotonic() - sent["at"]
    measured(f"interrupt latency {latency * 1000:.0f} ms: Java loop {cell.splitlines()[-1]!r}")
    assert run.status == "error"
    assert run.reply["content"]["ename"] == "Interrupted"
    assert "abandoned" not in run.reply["content"]["evalue"], "woven snippet code must stop by itself"
    assert latency < 0.5, f"interrupt took {latency:.3f} s"
    assert ok(kernel, "keptAcrossInterrupt * 2").text == "22"


def compile_fixture(kernel, tmp_path, class_name: str, source: str):
    """Compiles a Java class with the kernel's own JDK into a class directory for %classpath."""
    javac = shutil.which("javac", path=os.path.dirname(kernel.manager.kernel_spec.argv[0]))
    path = tmp_path / "src" / (class_name.replace(".", "/") + ".java")
    path.parent.mkdir(parents=True)
    path.write_text(source)
    subprocess.run([javac, "-d", str(tmp_path / "classes"), str(path)], check=True)
    return tmp_path / "classes"


def test_interrupt_abandons_library_code_that_ignores_it_within_half_a_second(kernel, tmp_path):
    # Jar classes are not woven with stop checks and this loop ignores Thread.interrupt: the kernel must give up on
    # the thread and answer anyway.
    classes = compile_fixture(kernel, tmp_path, "fixture.Spinner", """
        package fixture;
        public class Spinner {
            public static volatile boolean release;
            public static long spin() { long n = 0; while (!release) { n++; } return n; }
        }""")
    ok(kernel, f"%classpath {classes}")
    sent, interrupt = interrupt_after_start(kernel, "started")
    run = execute(kernel.client, '{ System.out.println("started"); fixture.Spinner.spin(); }', after_send=interrupt)
    latency = time.monotonic() - sent["at"]
    measured(f"interrupt latency {latency * 1000:.0f} ms: uncooperative library code (thread abandoned)")
    assert run.reply["content"]["ename"] == "Interrupted"
    assert "abandoned" in run.reply["content"]["evalue"]
    assert latency < 0.5, f"interrupt took {latency:.3f} s"
    ok(kernel, "fixture.Spinner.release = true;")


def test_completion_offers_jdk_and_user_names(kernel):
    ok(kernel, "double myLongVariableName = 1;")
    reply = kernel.client.complete("Math.ab", 7, reply=True)["content"]
    assert "abs(" in reply["matches"]
    assert (reply["cursor_start"], reply["cursor_end"]) == (5, 7)
    reply = kernel.client.complete("int x = 1;\nmyLongVar", 20, reply=True)["content"]
    assert reply["matches"] == ["myLongVariableName"]
    reply = kernel.client.complete("%class", 6, reply=True)["content"]
    assert reply["matches"] == ["%classpath"]


def test_completions_queued_behind_a_long_cell_do_not_hold_up_the_next_cell(kernel):
    # Issue 15: completions sent during a long cell waited in the shell socket and were each answered with a JShell
    # analysis after it (30 during a 3 s cell held the next cell up 6.8 s at load 20). Stale ones now get no matches;
    # the last one, with nothing waiting behind it, is answered.
    cell = kernel.client.execute("Thread.sleep(2000);")
    time.sleep(0.3)
    asked = [kernel.client.complete("Math.ab", 7) for _ in range(20)]
    replies = {}
    while len(replies) < len(asked) + 1:
        reply = kernel.client.get_shell_msg(timeout=60)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]
    assert replies[cell]["status"] == "ok"
    assert [replies[a]["matches"] for a in asked[:-1]] == [[]] * (len(asked) - 1)
    assert "abs(" in replies[asked[-1]]["matches"]
    started = time.monotonic()
    ok(kernel, "1 + 1")
    measured(f"a cell after 20 completions queued behind a 2 s cell: {(time.monotonic() - started) * 1000:.0f} ms")
    assert "abs(" in kernel.client.complete("Math.ab", 7, reply=True)["content"]["matches"], "fresh ones answer"


def test_is_complete(kernel):
    def status(code):
        return reply_to(kernel.client, kernel.client.is_complete(code))["content"]

    assert status("1 + 1")["status"] == "complete"
    incomplete = status("double f(double x) {")
    assert incomplete == {"status": "incomplete", "indent": "    "}
    assert status('String s = "unterminated')["status"] == "invalid"
    assert status("%classpath foo.jar")["status"] == "complete"


def test_inspection_and_help_paging(kernel):
    reply = kernel.client.inspect("Math.abs", 8, reply=True)["content"]
    assert reply["found"]
    assert "double Math.abs(double a)" in reply["data"]["text/plain"]
    run = ok(kernel, "Math.abs?")
    page = run.reply["content"]["payload"][0]
    assert page["source"] == "page"
    assert "double Math.abs(double a)" in page["data"]["text/plain"]


def test_classpath_magic_makes_a_compiled_class_importable(kernel, tmp_path):
    compile_fixture(kernel, tmp_path, "fixture.Greeter",
                    "package fixture; public class Greeter { public static String hi(String n) { return \"hi \" + n; } }")
    run = execute(kernel.client, f"%classpath {tmp_path / 'missing'}/*.jar")
    assert run.status == "error" and "no file or directory matches" in run.reply["content"]["evalue"]
    assert ok(kernel, f"%classpath {tmp_path / 'classes'}\nfixture.Greeter.hi(\"jupyter\")").text == '"hi jupyter"'


def test_cell_cannot_exit_the_kernel(kernel):
    run = execute(kernel.client, "System.exit(1);")
    assert run.reply["content"]["ename"] == "java.lang.UnsupportedOperationException"
    assert ok(kernel, "3 * 3").text == "9"


def test_unknown_magic_is_an_error_listing_the_known_ones(kernel):
    run = execute(kernel.client, "%nosuchmagic 1 2")
    assert run.status == "error"
    assert run.reply["content"]["ename"] == "UndefinedMagic"
    assert "%classpath" in run.errors[0]["traceback"][0]


def test_message_with_a_bad_signature_is_dropped_and_the_shell_keeps_serving(kernel):
    forged = Session(key=b"not-the-kernel-key", username=kernel.client.session.username)
    forged.send(kernel.client.shell_channel.socket, forged.msg("execute_request", content={
        "code": "System.out.println(\"forged\")", "silent": False, "store_history": True,
        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}))
    time.sleep(0.5)
    run = ok(kernel, "40 + 2")
    assert run.text == "42"
    assert "forged" not in run.stdout
    reply = kernel.client.kernel_info(reply=True)
    assert reply["content"]["language_info"]["name"] == "java"
