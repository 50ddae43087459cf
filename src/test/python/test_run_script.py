"""./run, the README's first command: it serves JupyterLab on localhost with the JEnzyme kernel selectable and ends
by printing the one URL that works; set-up steps stay silent unless they fail or are slow."""
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
URL = re.compile(r"^\s*(http://127\.0\.0\.1:(\d+)/lab\?token=(\w+))$")
NOISE = ("takes a while", "sun.misc.Unsafe", "WARNING", "[W ", "[I ")


def test_run_prints_the_url_jupyter_bound_when_the_port_is_taken(tmp_path):
    log = tmp_path / "run.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with open(log, "w") as out:
            process = subprocess.Popen([str(ROOT / "run")], stdout=out, stderr=subprocess.STDOUT,
                                       env=dict(os.environ, JENZYME_PORT=str(port)), start_new_session=True)
        try:
            lines = wait_for_url(process, log)
            url, bound, token = URL.match(lines[-1]).groups()
            assert int(bound) != port, f"Jupyter cannot have bound the taken port {port}: {lines}"
            for line in lines:
                assert not any(noise in line for noise in NOISE), f"noise in ./run's output: {lines}"
            # A cached set-up prints nothing but progress of slow steps; then one line saying what runs, then the URL.
            assert all(re.search(r": \d+m\d\ds", line) for line in lines[:-2]), lines
            assert "Ctrl-C" in lines[-2], lines

            page = urllib.request.urlopen(url)
            assert page.status == 200 and "/login" not in page.url, "the printed URL opens JupyterLab, not a login page"
            base = url.split("/lab?")[0]
            specs = json.load(urllib.request.urlopen(f"{base}/api/kernelspecs?token={token}"))
            assert specs["kernelspecs"]["jenzyme"]["spec"]["display_name"] == "Java (JEnzyme)"
            contents = json.load(urllib.request.urlopen(f"{base}/api/contents?token={token}"))
            names = {entry["name"] for entry in contents["content"]}
            assert any(name.endswith(".ipynb") for name in names), f"the notebooks folder is served: {names}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    assert not server_still_listening(int(bound)), "SIGTERM to ./run stops JupyterLab"


def wait_for_url(process: subprocess.Popen, log: Path) -> list[str]:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        lines = [re.sub(r"\x1b\[[0-9;]*[mK]", "", line) for line in log.read_text().splitlines()]
        if lines and URL.match(lines[-1]):
            return lines
        assert process.poll() is None, f"./run exited early:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no URL printed:\n{log.read_text()[-3000:]}")


def server_still_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def quietly(tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    """Runs setup.sh's `quietly` helper on a stand-in step; stderr is not a terminal here (one line a minute)."""
    return subprocess.run(["bash", "-c", f'source "{ROOT}/scripts/setup.sh"; JENZYME_LOGS="{tmp_path}"; {script}'],
                          capture_output=True, text=True, timeout=60)


def test_a_quick_setup_step_prints_nothing_and_keeps_its_output_in_a_log(tmp_path):
    run = quietly(tmp_path, 'quietly step "a quick step" echo "   Compiling quick v1"; echo after')
    assert run.returncode == 0 and run.stdout == "after\n" and run.stderr == ""
    assert (tmp_path / "step.log").read_text() == "   Compiling quick v1\n"


def test_a_slow_setup_step_shows_elapsed_time_and_what_it_builds(tmp_path):
    run = quietly(tmp_path, 'quietly step "building the worker" '
                            'bash -c \'echo "   Compiling diffsl v0.5.3"; sleep 7; echo "   Compiling last v1"\'')
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r".*\[jenzyme\].* building the worker: 0m0[5-7]s, compiling diffsl v0\.5\.3\n", run.stderr), \
        run.stderr


def test_a_failing_setup_step_shows_the_log_tail_and_stops_the_setup(tmp_path):
    run = quietly(tmp_path, 'quietly step "building the worker" bash -c "echo error: linker failed; exit 3"; echo after')
    assert run.returncode == 1 and "after" not in run.stdout
    assert "error: linker failed" in run.stderr
    assert f"building the worker failed (full log: {tmp_path}/step.log)" in run.stderr
