"""The plain-Java API as a Maven user meets it: the runtime installed into the local repository, then
examples/fit-model built against it and run with a plain `java` command; it fits an exponential decay with
gradients JEnzyme derives from its Java loss and must recover the true parameters."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "fit-model"
TRUE_A, TRUE_K = 2.5, 0.7  # FitDecay.TRUE_A, TRUE_K


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def java_command() -> list[str]:
    """Installs the runtime (and the parent POM) into ~/.m2, packages the example; the command that runs it."""
    installed = run(["mvn", "-B", "-q", "-f", str(ROOT / "pom.xml"), "-pl", "enzyme-runtime", "-am", "install",
                     "-DskipTests"])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    packaged = run(["mvn", "-B", "-q", "-f", str(EXAMPLE / "pom.xml"), "package"])
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr
    classpath = (EXAMPLE / "target" / "classpath.txt").read_text().strip()
    java = str(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    return [java, "--enable-native-access=ALL-UNNAMED", "-cp", f"{EXAMPLE / 'target' / 'classes'}:{classpath}",
            "fit.FitDecay"]


def test_the_example_recovers_the_true_parameters(java_command):
    assert os.path.exists(os.environ.get("JENZYME_WORKER", "")), "run through ./test: it exports JENZYME_WORKER"
    fitted = run(java_command)
    assert fitted.returncode == 0, fitted.stdout + fitted.stderr
    match = re.search(r"fitted a = (\S+) \(true 2\.5\), k = (\S+) \(true 0\.7\) in (\d+) iterations", fitted.stdout)
    assert match, fitted.stdout
    a, k, iterations = float(match[1]), float(match[2]), int(match[3])
    assert abs(a - TRUE_A) < 0.02 and abs(k - TRUE_K) < 0.01, fitted.stdout
    assert iterations < 100_000, "gradient descent stopped at its iteration cap, not at a vanishing gradient"
    assert "OK: recovered the true parameters" in fitted.stdout


def test_without_a_worker_the_program_is_told_how_to_get_one(java_command):
    env = {k: v for k, v in os.environ.items() if k != "JENZYME_WORKER"}
    failed = run(java_command, env=env)
    assert failed.returncode != 0
    assert ("IllegalStateException: JEnzyme needs the Enzyme worker executable (jenzyme-worker) to differentiate, "
            "and neither -Djenzyme.worker nor JENZYME_WORKER is set. Run ./test or ./run once") in failed.stderr, \
        failed.stderr
