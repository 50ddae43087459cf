"""The Jupyter community's protocol conformance suite (jupyter_kernel_test), with real settings for Java cells.

Not run: IopubWelcomeTests (an iopub_welcome message belongs to protocol 5.4 XPUB sockets; jjava-jupyter speaks 5.3).
"""
from __future__ import annotations

import jupyter_kernel_test

from conftest import KERNEL_NAME, require_kernelspec


class JEnzymeKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "java"
    file_extension = ".jshell"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("something went wrong");'

    completion_samples = [
        {"text": "Math.ab", "matches": ["abs(", "absExact("]},
        {"text": "Integer.MAX_V", "matches": ["MAX_VALUE"]},
        {"text": "%cla", "matches": ["%classpath"]},
    ]
    complete_code_samples = ["1 + 1", "int x = 3;", "double f(double x) { return x; }", "%classpath /tmp", ""]
    incomplete_code_samples = ["double f(double x) {", "for (int i = 0; i < 3; i++)", "int[] a = {1, 2"]
    invalid_code_samples = ['String s = "unterminated', "class A {}}"]

    code_page_something = "Math.abs?"
    code_generate_error = 'throw new IllegalStateException("boom");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + 1', "result": '"a1"'},
        {"code": "new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB)", "mime": "image/png"},
    ]
    code_display_data = [
        {"code": "display(new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB));", "mime": "image/png"},
        {"code": 'display(html("<i>x</i>"));', "mime": "text/html"},
        {"code": 'display(markdown("*x*"));', "mime": "text/markdown"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math.abs"
    code_clear_output = 'System.out.println("soon gone");\nclearOutput(false);'

    @classmethod
    def setUpClass(cls) -> None:
        require_kernelspec()
        super().setUpClass()
