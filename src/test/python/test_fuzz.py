"""Fuzz: generated magic lines, Java cells and calls of bound derivatives, sent to one kernel, which must survive them
all and answer each with a clear error or a sane result.

No error text may show JShell's wrapper classes, JVM descriptors or the pipeline's names (test_errors.INTERNALS).
Deterministic (seeded). Cells are pipelined (sent ahead, answered in order), so the per-cell timeout counts from
the previous cell's reply. Calls of bound methods are batched, one Java cell per batch, each call in its own
try/catch, compared with the JVM's own method where one exists.
"""
from __future__ import annotations

import queue
import random
import time
from dataclasses import dataclass, field

import pytest

from conftest import measured
from jenzyme_client import execute, ok
from test_errors import INTERNALS

SEED = 20261121
MAGIC_INPUTS = 5000
CALLS_PER_CELL = 60
CALL_INPUTS = 6000
WINDOW = 40
PER_CELL_TIMEOUT_S = 30
LIVENESS_EVERY_WINDOWS = 10

TARGETS = """
double sq(double x) { return x * x; }
double bowl(double x, double y) { return (x - 1) * (x - 1) + 3 * y * y; }
double rosen(double[] p) { double s = 0; for (int i = 0; i + 1 < p.length; i++) { double u = p[i+1] - p[i]*p[i],
    v = 1 - p[i]; s += 100*u*u + v*v; } return s; }
double mixed(double[] p, double x, int n) { double s = x; for (int i = 0; i < n; i++) s += p[i] * p[i] * x; return s; }
float fl(float x) { return 3f * x * x; }
void outs(double[] x, double[] y) { for (int i = 0; i < x.length; i++) y[i] = Math.sin(x[i]); }
double weights(int[] k, double x) { double s = 0; for (int v : k) s += v * x; return s; }
double nest(double x, int k) { return k <= 0 ? x : Math.sin(nest(x, k - 1)); }
double ratio(double x, int d) { return x / d + 10 / d; }
double scratch(double[] p, int n) { double[] t = new double[n]; for (int i = 0; i < n && i < 64; i++)
    t[i] = p[i % p.length] * i; double s = 0; for (int i = 0; i < n && i < 64; i++) s += t[i]; return s; }
double named(String s, double x) { return s.length() * x; }
double over(double x) { return x; }
double over(double x, double y) { return x * y; }
"""
BINDINGS = ["%autodiff reverse sq", "%autodiff reverse bowl", "%autodiff reverse rosen", "%autodiff hvp rosen",
            "%autodiff reverse mixed", "%autodiff forward mixed", "%autodiff reverse fl", "%autodiff reverse outs",
            "%autodiff reverse weights", "%autodiff reverse nest", "%autodiff reverse ratio", "%jit mixed",
            "%jit nest", "%jit ratio", "%jit scratch", "%jit rosen"]
# Records how each fuzzed call ended; `vs` also compares a compiled call with the JVM's own method.
HARNESS = """
java.util.Map<String, Integer> fuzzOutcomes = new java.util.TreeMap<>();
java.util.List<String> fuzzProblems = new java.util.ArrayList<>();
java.util.Set<String> fuzzClearFailures = java.util.Set.of("java.lang.IllegalArgumentException", "java.lang.NullPointerException", "java.lang.ArrayIndexOutOfBoundsException", "java.lang.ArithmeticException", "java.lang.NegativeArraySizeException", "java.lang.StackOverflowError", "java.lang.OutOfMemoryError");
java.util.regex.Pattern fuzzInternals = java.util.regex.Pattern.compile("\\\\$JShell|REPL\\\\.|\\\\bjz_\\\\w+|jenzyme\\\\.");
String fuzzOutcome(java.util.concurrent.Callable<?> call) {
    try { Object value = call.call(); return value == null ? "ok" : "ok:" + value; }
    catch (Throwable t) {
        if (t.getMessage() != null && fuzzInternals.matcher(t.getMessage()).find()) fuzzProblems.add("INTERNALS " + t);
        return t.getClass().getName();
    }
}
long fuzzSlowestNanos = 0;
String fuzzSlowest = "";
String fz(String what, java.util.concurrent.Callable<?> call) {
    long start = System.nanoTime();
    String outcome = fuzzOutcome(call);
    long nanos = System.nanoTime() - start;
    if (nanos > fuzzSlowestNanos) { fuzzSlowestNanos = nanos; fuzzSlowest = what + " " + nanos / 1_000_000 + " ms"; }
    fuzzOutcomes.merge(outcome.startsWith("ok") ? "ok" : outcome, 1, Integer::sum);
    if (!outcome.startsWith("ok") && !fuzzClearFailures.contains(outcome)) fuzzProblems.add("UNCLEAR " + what + ": " + outcome);
    return outcome;
}
boolean fuzzSame(String a, String b) {
    if (a.equals(b)) return true;
    if (!a.startsWith("ok:") || !b.startsWith("ok:")) return false;
    try {
        double x = Double.parseDouble(a.substring(3)), y = Double.parseDouble(b.substring(3));
        return Double.compare(x, y) == 0 || Math.abs(x - y) <= 1e-9 * Math.max(1, Math.max(Math.abs(x), Math.abs(y)));
    } catch (NumberFormatException e) { return false; }
}
// Known difference: compiled code needs every array at the call, even one the JVM's method would not touch.
void vs(String what, boolean nullArray, java.util.concurrent.Callable<?> jvm, java.util.concurrent.Callable<?> compiled) {
    String expected = fuzzOutcome(jvm), got = fz(what, compiled);
    boolean nullRefused = nullArray && got.equals("java.lang.NullPointerException");
    if (!fuzzSame(expected, got) && !nullRefused) fuzzProblems.add("MISMATCH " + what + ": JVM " + expected + ", compiled " + got);
}
"""

# Errors a magic line may end in: usage and input errors, and the pipeline's own refusals, named.
CLEAR_MAGIC_ERRORS = {
    "IllegalArgumentException", "UndefinedMagic", "MagicSyntaxError", "LoweringException", "DifferentiationException",
    "CompilationError", "IncompleteInput", "PlotEvaluationException", "GradCheckException",
}

DOUBLES = ["0", "-0.0", "1", "-1.5", "0.25", "3", "1e-300", "1e300", "Double.NaN", "Double.POSITIVE_INFINITY",
           "Double.NEGATIVE_INFINITY", "Double.MAX_VALUE", "Double.MIN_VALUE"]
INTS = ["0", "1", "2", "-1", "5", "64", "-7", "1000", "Integer.MAX_VALUE", "Integer.MIN_VALUE", "10000000"]
ARRAYS = ["null", "new double[0]", "new double[1]", "new double[]{1, 2}", "new double[]{0.5, -1, 2}",
          "new double[]{Double.NaN, 1, 2}", "new double[]{Double.POSITIVE_INFINITY, 0, 0, 1}", "new double[100]",
          "new double[]{1e308, -1e308, 1e308}"]
INT_ARRAYS = ["null", "new int[0]", "new int[]{1, 2, 3}", "new int[]{Integer.MAX_VALUE, Integer.MIN_VALUE}"]

UNICODE = ["ünïcödé", "λ", "𝔣", "😀", "\u202eevil", "zero\u200bwidth", "a\u0000b", "日本語", "\ufeffbom", "e\u0301", "ǅ"]
NUMBERS = ["0", "-1", "1e308", "1e309", "-1e309", "NaN", "Infinity", "-Infinity", "99999999999999999999999",
           "2147483648", "-2147483649", "0x1p3", "1_000", "3.", ".5", "1e-400", "+7", "--3", "0.0.0"]
JUNK = ["{", "}", "(", ")", "[", "]", "\"", "'", "\\", ";", ",", "=", "==", "--", "---", "-", "%", "%%", "?", "@",
        "#", "\t", "", " ", "::", "->", "/*", "*/", "//", "<", ">", "&&"]
METHODS = ["sq", "bowl", "rosen", "mixed", "fl", "outs", "weights", "nest", "ratio", "scratch", "named", "over",
           "nosuch", "Math", "System", "main", "sq_grad", "rosen_hvp"]
PARAMS = ["x", "y", "p", "n", "k", "d", "s", "z", "out", ""]
ACTIVITIES = ["Const", "Active", "Duplicated", "DuplicatedNoNeed", "dup", "const", "ACTIVE", "Sideways", "",
              "Active=Const"]


@dataclass
class Tally:
    inputs: int = 0
    deaths: int = 0
    hangs: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: list[tuple[float, str]] = field(default_factory=list)

    def count(self, outcome: str, n: int = 1) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, pool):
        return self.rng.choice(pool)

    def token(self) -> str:
        return self.pick([self.pick(UNICODE), self.pick(NUMBERS), self.pick(JUNK), self.pick(METHODS),
                          self.pick(ACTIVITIES), "--" + self.pick(["name", "dump", "x", "y", "at", "points", "frob"])])

    def soup(self, n: int) -> str:
        return " ".join(self.token() for _ in range(n))

    def sometimes(self, good, bad, p_good=0.75):
        return good() if self.rng.random() < p_good else bad()

    def number(self):
        return self.sometimes(lambda: self.pick(["-2", "-1", "0", "0.5", "1", "2", "3"]), lambda: self.pick(NUMBERS))

    def numbers(self, count):
        return ",".join(self.number() for _ in range(count))

    def method(self):
        return self.sometimes(lambda: self.pick(METHODS[:10]), lambda: self.pick(METHODS[10:] + UNICODE + NUMBERS))

    def name_option(self):
        return self.sometimes(lambda: f"--name {self.pick(['g', 'alt', 'f2', 'Renamed'])}",
                              lambda: f"--name {self.pick(['1bad', 'a-b', 'class', 'λ', '', 'x y', 'sq_grad'])}", 0.5)

    def autodiff(self) -> str:
        mode = self.sometimes(lambda: self.pick(["reverse", "forward", "hvp"]),
                              lambda: self.pick(["backwards", "REVERSE", "fwd", ""] + UNICODE))
        parts = ["%autodiff", mode, self.method()]
        for _ in range(self.rng.randrange(3)):
            parts.append(f"{self.pick(PARAMS)}={self.pick(ACTIVITIES)}")
        for _ in range(self.rng.randrange(3)):
            parts.append(self.pick([self.name_option(), "--dump", "--ad-before-opt", "--frob", "--name",
                                    self.token()]))
        return " ".join(parts)

    def jit(self) -> str:
        parts = ["%jit", self.method()]
        for _ in range(self.rng.randrange(3)):
            parts.append(self.pick([self.name_option(), "--dump", self.token()]))
        return " ".join(parts)

    def gradcheck(self) -> str:
        parts = ["%gradcheck", self.method()]
        if self.rng.random() < 0.5:
            parts += ["at", self.numbers(self.rng.choice([1, 2, 3, 3, 4, 0]))]
        options = {"--points": lambda: self.sometimes(lambda: str(self.rng.randint(1, 4)), lambda: self.pick(NUMBERS)),
                   "--dim": lambda: self.sometimes(lambda: str(self.rng.randint(1, 5)), lambda: self.pick(NUMBERS)),
                   "--box": lambda: f"{self.number()}:{self.number()}", "--eps": self.number,
                   "--tol": self.number, "--seed": self.number}
        for option in self.rng.sample(list(options), self.rng.randrange(4)):
            parts += [option, options[option]()]
        return " ".join(parts)

    def plot(self) -> str:
        parts = ["%plot", self.method()]
        options = {"--x": lambda: f"{self.number()}:{self.number()}", "--y": lambda: f"{self.number()}:{self.number()}",
                   "--at": lambda: self.numbers(self.rng.randint(0, 4)), "--coord": self.number,
                   "--title": lambda: self.pick(UNICODE + ["plain", "<b>html</b>", "$x^2$"])}
        for option in self.rng.sample(list(options), self.rng.randrange(4)):
            parts += [option, options[option]()]
        if self.rng.random() < 0.2:
            parts.append("--grad")
        return " ".join(parts)

    def java_cell(self) -> str:
        return self.pick([
            lambda: self.soup(self.rng.randint(1, 12)),
            lambda: "double " + self.pick(["f", "g", "λ", "ok"]) + "(double x) { return " + self.soup(3) + "; }",
            lambda: "{" * self.rng.randint(1, 5) + " int q = 1;",
            lambda: "int q = 1; }" + "}" * self.rng.randint(0, 3),
            lambda: f"{self.pick(METHODS)}({', '.join(self.pick(DOUBLES + ARRAYS) for _ in range(self.rng.randint(0, 3)))})",
            lambda: '"' + self.pick(UNICODE) * self.rng.randint(1, 50) + '"',
            lambda: f"%{self.pick(['classpath', 'nosuchmagic', 'autodiff?', 'jit --help', 'plot?'])} {self.soup(2)}",
            lambda: f"%%{self.pick(['autodiff', 'nosuchcellmagic', 'jit'])} {self.soup(2)}\n{self.soup(4)}",
            lambda: f"{self.soup(2)}\n%{self.pick(['autodiff', 'jit', 'gradcheck', 'plot'])} {self.soup(3)}",
        ])()

    def magic_input(self) -> str:
        return self.pick([self.autodiff, self.autodiff, self.jit, self.gradcheck, self.plot, self.java_cell,
                          lambda: f"%{self.pick(['autodiff', 'jit', 'gradcheck', 'plot'])} {self.soup(self.rng.randint(0, 8))}"])()

    def call(self) -> str:
        d, i, a, ia = (lambda: self.pick(DOUBLES)), (lambda: self.pick(INTS)), (lambda: self.pick(ARRAYS)), \
            (lambda: self.pick(INT_ARRAYS))
        templates = [
            lambda: (f"sq({(x := d())})", f"sq_grad({x}).value()"),
            lambda: (f"bowl({(x := d())}, {(y := d())})", f"bowl_grad({x}, {y}).value()"),
            lambda: (f"rosen({(p := a())})", f"rosen_grad({p}).value()"),
            lambda: (f"mixed({(p := a())}, {(x := d())}, {(n := i())})", f"mixed_native({p}, {x}, {n})"),
            lambda: (f"mixed({(p := a())}, {(x := d())}, {(n := i())})", f"mixed_grad({p}, {x}, {n}).value()"),
            lambda: (f"nest({(x := d())}, {(n := i())})", f"nest_native({x}, {n})"),
            lambda: (f"ratio({(x := d())}, {(n := i())})", f"ratio_native({x}, {n})"),
            lambda: (f"ratio({(x := d())}, {(n := i())})", f"ratio_grad({x}, {n}).value()"),
            lambda: (f"scratch({(p := a())}, {(n := i())})", f"scratch_native({p}, {n})"),
            lambda: (f"rosen({(p := a())})", f"rosen_native({p})"),
            lambda: (None, f"rosen_grad_into({a()}, {a()})"),
            lambda: (None, f"mixed_grad_into({a()}, {a()}, {d()}, {i()}, {a()})"),
            lambda: (None, f"mixed_fwd({a()}, {a()}, {d()}, {d()}, {i()}).dvalue()"),
            lambda: (None, f"rosen_hvp({a()}, {a()})"),
            lambda: (None, f"rosen_hvp_into({a()}, {a()}, {a()})"),
            lambda: (None, f"outs_grad_into({a()}, {a()}, {a()}, {a()})"),
            lambda: (None, f"weights_grad({ia()}, {d()}).dx()"),
            lambda: (None, f"fl_grad((float) {d()}).dx()"),
            lambda: (None, f"nest_grad({d()}, {i()}).dx()"),
        ]
        jvm, compiled = self.pick(templates)()
        if jvm is None:  # a statement lambda: some of these methods are void
            return f'fz("{compiled}", () -> {{ {compiled}; return null; }});'
        return f'vs("{compiled}", {str("null" in compiled).lower()}, () -> {jvm}, () -> {compiled});'


class Fuzzer:
    def __init__(self, kernel):
        self.kernel = kernel
        self.tally = Tally()

    def alive(self) -> bool:
        if not self.kernel.manager.is_alive():
            return False
        return execute(self.kernel.client, "1+1", timeout=PER_CELL_TIMEOUT_S).text == "2"

    def revive(self) -> None:
        self.tally.deaths += 1
        self.kernel.manager.restart_kernel(now=True)  # kills a kernel that no longer answers
        self.kernel.client.wait_for_ready(timeout=120)
        prepare(self.kernel)

    def send(self, cells: list[str], judge) -> None:
        """Pipelines `cells`, a window at a time; `judge(cell, reply_content)` checks each answer."""
        client = self.kernel.client
        for start in range(0, len(cells), WINDOW):
            window = cells[start:start + WINDOW]
            ids = {client.execute(cell, store_history=False): cell for cell in window}
            pending = list(ids)
            last = time.monotonic()
            while pending:
                try:
                    reply = client.get_shell_msg(timeout=PER_CELL_TIMEOUT_S)
                except queue.Empty:
                    hung = ids[pending[0]]
                    if not self.kernel.manager.is_alive() or hung in self.tally.hangs:  # dead, or deaf to interrupts
                        self.revive()
                        break
                    self.tally.hangs.append(hung)
                    self.kernel.manager.interrupt_kernel()
                    continue
                msg_id = reply["parent_header"].get("msg_id")
                if msg_id in pending:
                    pending.remove(msg_id)
                    # Cells run one after another: the time since the previous answer is this cell's.
                    now = time.monotonic()
                    self.tally.seconds.append((now - last, ids[msg_id]))
                    last = now
                    self.tally.inputs += judge(ids[msg_id], reply["content"])
            if (start // WINDOW) % LIVENESS_EVERY_WINDOWS == 0 and not self.alive():
                self.revive()


def prepare(kernel) -> None:
    ok(kernel, TARGETS)
    for line in BINDINGS:
        ok(kernel, line)
    ok(kernel, HARNESS)


@pytest.fixture(scope="module")
def fuzzed(kernel):
    prepare(kernel)
    return Fuzzer(kernel)


def judge_magic(tally: Tally):
    def judge(cell: str, content: dict) -> int:
        if content["status"] == "ok":
            tally.count("ok")
            return 1
        name, value = content.get("ename", ""), content.get("evalue", "")
        tally.count(name)
        text = value + "\n" + "\n".join(content.get("traceback", []))
        internal = INTERNALS.search(text)
        if internal:
            tally.unclear.append(f"{cell!r} -> {name}: shows {internal.group(0)!r}: {text[:300]!r}")
        is_java_cell = not cell.lstrip().startswith("%")
        if not value.strip() or not (is_java_cell or name in CLEAR_MAGIC_ERRORS):
            tally.unclear.append(f"{cell!r} -> {name}: {value[:300]!r}")
        return 1
    return judge


def judge_call_batch(tally: Tally):
    def judge(cell: str, content: dict) -> int:
        if content["status"] != "ok":  # each call catches its own failure: the batch itself must run
            tally.unclear.append(f"call batch failed as a whole: {content.get('ename')}: {content.get('evalue')}")
        return cell.count("\n") - 1
    return judge


def test_fuzzed_inputs_never_kill_or_hang_the_kernel(fuzzed):
    started = time.monotonic()
    generator = Generator(SEED)
    tally = fuzzed.tally
    fuzzed.send([generator.magic_input() for _ in range(MAGIC_INPUTS)], judge_magic(tally))
    magic_seconds = time.monotonic() - started

    prepare(fuzzed.kernel)  # the magic lines may have rebound the targets' names to other shapes
    calls = [generator.call() for _ in range(CALL_INPUTS)]
    # One block per batch: JShell compiles a block once, but each top-level statement as a snippet of its own.
    batches = ["{\n" + "\n".join(calls[i:i + CALLS_PER_CELL]) + "\n}" for i in range(0, len(calls), CALLS_PER_CELL)]
    fuzzed.send(batches, judge_call_batch(tally))
    summary = execute(fuzzed.kernel.client, "System.out.println(fuzzOutcomes + \"; slowest call: \" + fuzzSlowest);"
                      " fuzzProblems.forEach(System.out::println);", timeout=PER_CELL_TIMEOUT_S).stdout.splitlines()
    alive_at_end = fuzzed.alive()
    if not alive_at_end:
        tally.deaths += 1

    measured(f"fuzz: {tally.inputs} inputs, {tally.deaths} kernels died "
             f"({time.monotonic() - started:.0f} s, magic lines and cells {magic_seconds:.0f} s, seed {SEED})")
    measured(f"fuzz outcomes of magic lines and cells: {dict(sorted(tally.outcomes.items(), key=lambda kv: -kv[1]))}")
    if summary:
        measured(f"fuzz outcomes of calls: {summary[0]}")
    by_kind: dict[str, float] = {}
    for seconds, cell in tally.seconds:
        kind = cell.split()[0] if cell.startswith("%") else "{calls}" if cell.startswith("{\n") else "java"
        by_kind[kind] = by_kind.get(kind, 0) + seconds
    measured("fuzz: seconds by kind " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])[:8]))
    slowest = sorted(tally.seconds, reverse=True)[:5]
    measured("fuzz: slowest cells " + "; ".join(f"{seconds:.1f} s {cell[:80]!r}" for seconds, cell in slowest))
    failures = [f"{tally.deaths} kernel deaths" if tally.deaths or not alive_at_end else "",
                f"{len(tally.hangs)} inputs got no answer within {PER_CELL_TIMEOUT_S} s: {tally.hangs[:5]}"
                if tally.hangs else "",
                f"{len(tally.unclear)} unclear errors:\n" + "\n".join(tally.unclear[:25]) if tally.unclear else "",
                f"{len(summary) - 1} calls went wrong:\n" + "\n".join(summary[1:26]) if summary[1:] else ""]
    assert not any(failures), "\n".join(f for f in failures if f)
    assert tally.inputs >= 10_000
