"""./run, the README's first command: it must serve JupyterLab on localhost with the JEnzyme kernel selectable."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_jupyterlab_with_the_jenzyme_kernel(tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    env = dict(os.environ, JENZYME_PORT=str(port))
    with open(log, "w") as out:
        process = subprocess.Popen([str(ROOT / "run")], stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 600
        while url is None and time.monotonic() < deadline:
            assert process.poll() is None, f"./run exited early:\n{log.read_text()[-3000:]}"
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", log.read_text())
            url = match and match.group(0)
            time.sleep(1)
        assert url, f"no URL printed:\n{log.read_text()[-3000:]}"
        token = url.split("token=")[1]
        specs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs?token={token}"))
        assert specs["kernelspecs"]["jenzyme"]["spec"]["display_name"] == "Java (JEnzyme)"
        contents = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}"))
        names = {entry["name"] for entry in contents["content"]}
        assert any(name.endswith(".ipynb") for name in names), f"the notebooks folder is served: {names}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
