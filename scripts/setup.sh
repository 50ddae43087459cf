# Sourced by ./run, ./test and ./bench: installs what is missing, idempotently, and exports the paths the rest
# of the project uses. Heavy native builds (the Enzyme worker) are cached under ~/.cache/jenzyme, keyed by the
# hash of the inputs that decide them, so a fresh clone on a machine that built them once starts in seconds.
set -euo pipefail

JENZYME_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JENZYME_CACHE="${JENZYME_CACHE:-$HOME/.cache/jenzyme}"
APT_PACKAGES=(llvm-19-dev clang-19 libclang-19-dev libpolly-19-dev libzstd-dev zlib1g-dev libxml2-dev
              libffi-dev libedit-dev libncurses-dev cmake maven build-essential fontconfig fonts-dejavu-core)
mkdir -p "$JENZYME_CACHE"

JENZYME_LOGS="$JENZYME_ROOT/target/setup"
say() { printf '\033[1m[jenzyme]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[jenzyme] error:\033[0m %s\n' "$*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# Runs a setup step with its output in target/setup/<step>.log: silent when it succeeds within a few seconds (a
# cached run prints nothing), otherwise one progress line (elapsed time and what the tool is building now, rewritten
# in place on a terminal, once a minute in a log); on failure the log's tail and the step's name.
quietly() {
  local step=$1 what=$2; shift 2
  local log="$JENZYME_LOGS/$step.log" start=$SECONDS shown=0 line="" partial="" doing="" status
  mkdir -p "$JENZYME_LOGS"; : >"$log"; rm -f "$log.status"
  exec 3< <("$@" 2>&1; echo $? >"$log.status")
  while true; do
    if IFS= read -r -t 1 line <&3; then
      line="$partial$line"; partial=""
      printf '%s\n' "$line" >>"$log"
      # cargo "Compiling x", Maven "[INFO] Building x [2/5]", pip "Collecting x": what is being built now.
      [[ $line =~ ^\ *(\[INFO\]\ )?((Compiling|Building|Collecting|Installing)\ .*)$ ]] && doing=${BASH_REMATCH[2]}
    elif (( $? > 128 )); then
      partial+="$line"          # read timed out: keep a half-written line for the next read
    else
      break
    fi
    local elapsed=$((SECONDS - start))
    (( elapsed >= 5 )) || continue
    local progress; progress="$what: $((elapsed / 60))m$(printf %02d $((elapsed % 60)))s${doing:+, ${doing,}}"
    if [ -t 2 ]; then
      printf '\r\033[K\033[1m[jenzyme]\033[0m %s' "${progress:0:$(( ${COLUMNS:-100} - 12 ))}" >&2; shown=1
    elif (( elapsed / 60 >= shown )); then
      say "$progress"; shown=$((elapsed / 60 + 1))
    fi
  done
  [ -z "$partial" ] || printf '%s\n' "$partial" >>"$log"
  exec 3<&-
  if [ -t 2 ] && (( shown )); then printf '\n' >&2; fi
  status=$(cat "$log.status" 2>/dev/null || echo 1); rm -f "$log.status"
  if [ "$status" -ne 0 ]; then
    tail -n 30 "$log" >&2
    die "$what failed (full log: $log)"
  fi
}

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
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  quietly apt-update "updating the Debian package lists" $sudo apt-get update
  quietly apt-install "installing Debian packages (${missing[*]})" \
    env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
}

# The worker links Enzyme (compiled by the diffsl crate's build script) against Debian's LLVM 19: a cold build is
# long, so its target directory lives outside the clone, keyed by what decides that build (the diffsl and llvm-sys
# entries of Cargo.lock, LLVM's and rustc's versions); cargo rebuilds only what changed inside it.
build_worker() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  local crate="$JENZYME_ROOT/enzyme-runtime/worker"
  export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
  # Only the cmake crate reads this (for diffsl's Enzyme build): see the file for why.
  export HOST_CMAKE_TOOLCHAIN_FILE="$JENZYME_ROOT/scripts/enzyme-static-only.cmake"
  local key
  key=$( { grep -A1 -E '^name = "(diffsl|llvm-sys)"' "$crate/Cargo.lock"; /usr/lib/llvm-19/bin/llvm-config --version; rustc --version; } \
         | sha256sum | cut -c1-16)
  # JENZYME_WORKER_TARGET_DIR lets parallel work trees build their own worker (seed it with a copy of the cache).
  export CARGO_TARGET_DIR="${JENZYME_WORKER_TARGET_DIR:-$JENZYME_CACHE/worker-$key}"
  export JENZYME_WORKER="$CARGO_TARGET_DIR/release/jenzyme-worker"
  local what="building the Enzyme worker"
  # Measured on a 2-core AMD EPYC: a cold build (Enzyme's C++ through the diffsl crate, its static library only) took
  # 28 CPU-minutes, 69 when Enzyme's plugins were built too; its largest file alone takes ~15 min. Later runs ~1 s.
  [ -x "$JENZYME_WORKER" ] || what="building the Enzyme worker once (compiles Enzyme; 15-20 min on 2 cores, cached in $CARGO_TARGET_DIR)"
  quietly worker "$what" cargo build --release --locked --manifest-path "$crate/Cargo.toml"
}

# Maven needs ~20 s even when nothing changed; the stamp (a hash of every pom and main source file, kept in
# kernel/target so `mvn clean` drops it) skips it when the jars the kernelspec uses are already up to date.
build_java() {
  local sources stamp
  sources=$(find "$JENZYME_ROOT" -name target -prune -o -name .venv -prune -o \
                 \( -name pom.xml -o -path '*/src/main/*' \) -type f -print | sort)
  stamp="$JENZYME_ROOT/kernel/target/.sources-$( { echo "$sources"; echo "$sources" | xargs cat; } | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && [ -f "$JENZYME_ROOT/kernel/target/jenzyme-kernel.jar" ] && return
  quietly maven "building the Java modules (Maven)" mvn -B -f "$JENZYME_ROOT/pom.xml" package -DskipTests
  rm -f "$JENZYME_ROOT"/kernel/target/.sources-*
  touch "$stamp"
}

# A project-local venv; the stamp skips pip when requirements.txt has not changed since the last install.
setup_venv() {
  local venv="$JENZYME_ROOT/.venv" req="$JENZYME_ROOT/requirements.txt" stamp
  stamp="$venv/.requirements-$(hash_of "$req")"
  if [ ! -f "$stamp" ]; then
    [ -x "$venv/bin/python" ] || quietly venv "creating .venv" python3 -m venv "$venv"
    quietly pip "installing JupyterLab, nbclient and the test tools into .venv" \
      sh -c '"$1" -m pip install --upgrade pip && "$1" -m pip install -r "$2"' - "$venv/bin/python" "$req"
    rm -f "$venv"/.requirements-*
    touch "$stamp"
  fi
  export PATH="$venv/bin:$PATH" JENZYME_VENV="$venv"
}

# The kernel JVM's AOT cache (JDK 25, JEP 483: the classes a session loads, loaded and linked ahead of time), trained
# by scripts/aot_training.py. Its name carries a hash of what it depends on: the classpath's jars as the JVM checks
# them (path, size, modification time), the JDK, the training and this file (the kernel's JVM options); a cache that
# no longer matches is not used by the JVM (AOTMode=auto), and the next setup trains a new one.
aot_cache_file() {
  local lib="$JENZYME_ROOT/kernel/target" key
  key=$( { stat -c '%n %s %Y' "$lib/jenzyme-kernel.jar" "$lib"/lib/*.jar; "$JAVA_HOME/bin/java" -version 2>&1
           cat "$JENZYME_ROOT/scripts/aot_training.py" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
  echo "$lib/aot/jenzyme-kernel-$key.aot"
}

# The training took 35-40 s on 2 cores busy with other builds (docs/DERIVATIVES.md, "Warm `%autodiff` latency"). A
# failed training leaves the kernel without a cache, as before there was one, and says so.
build_aot_cache() {
  local cache; cache=$(aot_cache_file)
  [ -f "$cache" ] && return
  rm -rf "$(dirname "$cache")"; mkdir -p "$(dirname "$cache")"
  # Trained under a temporary name, so a kernel started meanwhile never sees a half-written cache.
  if (quietly aot-cache "training the kernel JVM's AOT cache (the classes a session loads)" \
        "$JENZYME_VENV/bin/python" "$JENZYME_ROOT/scripts/aot_training.py" "$cache.training"); then
    mv "$cache.training" "$cache"
    install_kernelspec
  else
    say "the kernel starts without an AOT cache (it only makes start-up and the first magics faster)"
  fi
}

# The kernelspec goes into the venv (sys.prefix), so the venv's Jupyter finds it and nothing outside changes.
install_kernelspec() {
  local dir="$JENZYME_VENV/share/jupyter/kernels/jenzyme" lib="$JENZYME_ROOT/kernel/target" aot=()
  local cache; cache=$(aot_cache_file)
  # Only the cache trained for these jars; -Xlog:aot*=off: a cache the JVM cannot use (a jar rebuilt since) is
  # ignored, and its "[error][aot]" lines would only alarm a user reading Jupyter's log.
  [ -f "$cache" ] && aot=("-XX:AOTCache=$cache" "-Xlog:aot*=off")
  # JVM crash reports (registers, memory maps, environment) go to a directory only the user can read, not 0644
  # into whatever directory the notebook server runs in.
  local crashes="$JENZYME_VENV/var/jenzyme-crashes"
  mkdir -p "$dir" "$crashes" && chmod 700 "$crashes"
  # %spark: the jar it adds to the classpath, and the module options Spark's driver needs (from the root pom).
  local spark_jar
  spark_jar=$(ls "$JENZYME_ROOT"/spark/target/jenzyme-spark-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1)
  python3 - "$dir/kernel.json" "$JAVA_HOME/bin/java" "$lib/jenzyme-kernel.jar:$lib/lib/*" "$JENZYME_WORKER" "$crashes" \
    "$spark_jar" "$JENZYME_ROOT/pom.xml" "${aot[@]}" <<'PY'
import json, re, sys
path, java, classpath, worker, crashes, spark_jar, pom, *aot = sys.argv[1:]
spark_args = re.search(r"<spark.jvm.args>(.*?)</spark.jvm.args>", open(pom).read()).group(1).split()
json.dump({
    "argv": [java, "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
             "-Xss16m",  # magics sample deep recursive methods on kernel threads (StatusCode.MAX_CALL_DEPTH)
             # G1 keeps what large inputs made it commit (soak: 568 MiB committed for 98 MiB in use, RSS 315 -> 898
             # MiB in 6 min): give the free part back after each concurrent cycle and, when idle, after a periodic GC.
             "-XX:MaxHeapFreeRatio=40", "-XX:MinHeapFreeRatio=15", "-XX:G1PeriodicGCInterval=30000",
             f"-Djenzyme.spark.jar={spark_jar}", *spark_args,
             f"-XX:ErrorFile={crashes}/hs_err_pid%p.log", f"-XX:ReplayDataFile={crashes}/replay_pid%p.log", *aot,
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
  build_aot_cache
}
