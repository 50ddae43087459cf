# Sourced by ./run, ./test and ./bench: installs what is missing, idempotently, and exports the paths the rest
# of the project uses. Heavy native builds (the Enzyme worker) are cached under ~/.cache/jenzyme, keyed by the
# hash of the inputs that decide them, so a fresh clone on a machine that built them once starts in seconds.
set -euo pipefail

JENZYME_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JENZYME_CACHE="${JENZYME_CACHE:-$HOME/.cache/jenzyme}"
APT_PACKAGES=(llvm-19-dev clang-19 libclang-19-dev libpolly-19-dev libzstd-dev zlib1g-dev libxml2-dev
              libffi-dev libedit-dev libncurses-dev cmake maven build-essential fontconfig fonts-dejavu-core)
mkdir -p "$JENZYME_CACHE"

say() { printf '\033[1m[jenzyme]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[jenzyme] error:\033[0m %s\n' "$*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# JDK 25 is not the default `java` on Debian 12 machines: search for it explicitly and refuse to go on without it.
find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
    if [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate" PATH="$candidate/bin:$PATH"
      return
    fi
  done
  die "no JDK >= 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*). Install Temurin 25, e.g. at /usr/lib/jvm/temurin-25-jdk-amd64."
}

install_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The worker links Enzyme (compiled by the diffsl crate's build script) against Debian's LLVM 19: a cold build is
# long, so its target directory lives outside the clone, keyed by what decides that build (the diffsl and llvm-sys
# entries of Cargo.lock, LLVM's and rustc's versions); cargo rebuilds only what changed inside it.
build_worker() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  local crate="$JENZYME_ROOT/enzyme-runtime/worker"
  export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
  local key
  key=$( { grep -A1 -E '^name = "(diffsl|llvm-sys)"' "$crate/Cargo.lock"; /usr/lib/llvm-19/bin/llvm-config --version; rustc --version; } \
         | sha256sum | cut -c1-16)
  # JENZYME_WORKER_TARGET_DIR lets parallel work trees build their own worker (seed it with a copy of the cache).
  export CARGO_TARGET_DIR="${JENZYME_WORKER_TARGET_DIR:-$JENZYME_CACHE/worker-$key}"
  say "building the Enzyme worker (target dir $CARGO_TARGET_DIR; the first build compiles Enzyme and takes a while)"
  cargo build --release --locked --manifest-path "$crate/Cargo.toml" >&2
  export JENZYME_WORKER="$CARGO_TARGET_DIR/release/jenzyme-worker"
}

build_java() {
  say "building the Java modules with Maven"
  mvn -B -q -f "$JENZYME_ROOT/pom.xml" package -DskipTests >&2
}

# A project-local venv; the stamp skips pip when requirements.txt has not changed since the last install.
setup_venv() {
  local venv="$JENZYME_ROOT/.venv" req="$JENZYME_ROOT/requirements.txt" stamp
  stamp="$venv/.requirements-$(hash_of "$req")"
  if [ ! -f "$stamp" ]; then
    say "installing the Python environment into .venv (JupyterLab, nbclient, test tools)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip >&2
    "$venv/bin/pip" install -q -r "$req" >&2
    rm -f "$venv"/.requirements-*
    touch "$stamp"
  fi
  export PATH="$venv/bin:$PATH" JENZYME_VENV="$venv"
}

# The kernelspec goes into the venv (sys.prefix), so the venv's Jupyter finds it and nothing outside changes.
install_kernelspec() {
  local dir="$JENZYME_VENV/share/jupyter/kernels/jenzyme" lib="$JENZYME_ROOT/kernel/target"
  # JVM crash reports (registers, memory maps, environment) go to a directory only the user can read, not 0644
  # into whatever directory the notebook server runs in.
  local crashes="$JENZYME_VENV/var/jenzyme-crashes"
  mkdir -p "$dir" "$crashes" && chmod 700 "$crashes"
  python3 - "$dir/kernel.json" "$JAVA_HOME/bin/java" "$lib/jenzyme-kernel.jar:$lib/lib/*" "$JENZYME_WORKER" "$crashes" <<'PY'
import json, sys
path, java, classpath, worker, crashes = sys.argv[1:]
json.dump({
    "argv": [java, "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
             "-Xss16m",  # magics sample deep recursive methods on kernel threads (StatusCode.MAX_CALL_DEPTH)
             f"-XX:ErrorFile={crashes}/hs_err_pid%p.log", f"-XX:ReplayDataFile={crashes}/replay_pid%p.log",
             "-cp", classpath, "jenzyme.kernel.Launcher", "{connection_file}"],
    "display_name": "Java (JEnzyme)",
    "language": "java",
    "interrupt_mode": "message",
    "env": {"JENZYME_WORKER": worker},
}, open(path, "w"), indent=2)
PY
}

setup_all() {
  find_jdk
  install_apt_packages
  build_worker
  build_java
  setup_venv
  install_kernelspec
}
