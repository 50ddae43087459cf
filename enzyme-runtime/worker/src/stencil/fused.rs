//! The body of the fused derivative, as LLVM IR text. With trip count `N`, offsets `c` in `[cmin, cmax]` and width
//! `D = cmax - cmin`, element `j` gets `seed * Σ_c ∂term(j - c)/∂a_c` over the terms `0 <= j - c < N` that exist:
//! the main loop runs `i` over `[0, N - D)` adding `term(i)` to the sum (and `∂term(i)/∂p` to each active
//! parameter's adjoint) and storing element `i + cmax`, whose terms `i .. i + D` all exist; the `D` elements before
//! and after it and the last `D` terms are straight-line code, their existing terms known when the IR is written.
//! The main loop polls the interrupt flag every [`CHUNK`] iterations, as the frontend's chunked loops do, and has no
//! other check: the entry test sends every call whose loop would fail a bounds check, or is not longer than the
//! stencil is wide, to Enzyme's derivative.

use std::fmt::Write;

use super::emit::{covered_length, invariant_params};
use super::{Affine, Stencil};

/// Iterations between two interrupt polls of the main loop (ChunkedLoop's chunk is 1024 iterations of a loop
/// that polls; 4096 here is ~10 µs of Rosenbrock, far inside the interrupt bound).
const CHUNK: i64 = 4096;

/// The parts a whole call runs one after the other, and a split call shares between its two threads
/// (PROTOCOL.md, `parts_symbol`; jenzyme.runtime.bind.SplitCall.PARTS): small enough parts that a thread the
/// scheduler preempts holds the other up for one part at most (~40 µs of Rosenbrock at 10^6 elements).
const WHOLE_PARTS: i32 = 16;

/// The trip bound from which a whole call runs [`WHOLE_PARTS`] parts; below it, one. Each part costs a call, its
/// entry test and its vector loop's remainder (sixteen of them made Rosenbrock 10^3's gradient ~1.4x slower), and
/// the runtime splits only arrays of 2^18 elements or more (SplitCall.MIN_ELEMENTS), whose loops run past this bound.
const WHOLE_PARTS_FROM: i64 = 1 << 16;

/// How the pull reaches the shadow.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `g[j] += pull` (the derivative's contract).
    Accumulate,
    /// `g[j] = pull`, every element of the array written (PROTOCOL.md's overwriting wrapper).
    Overwrite,
}

pub(super) struct Writer<'a> {
    pub(super) stencil: &'a Stencil,
    pub(super) prefix: &'a str,
    pub(super) names: &'a [String],
    /// The derivative's return type: the primal (when `primal`), then the adjoint of each of `adjoints`.
    pub(super) ret: &'a str,
    pub(super) store: Store,
    pub(super) fastcc: bool,
    pub(super) out: String,
    /// The active parameters the term reads (`emit::active_params`).
    pub(super) active: Vec<usize>,
    /// Every active parameter, in order: the derivative returns their adjoints.
    pub(super) adjoints: Vec<usize>,
    pub(super) primal: bool,
}

impl Writer<'_> {
    fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str("  ");
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    fn label(&mut self, name: &str) {
        writeln!(self.out, "{name}:").unwrap();
    }

    /// `sext(param) + offset` as an i64 value named `%{name}`.
    fn affine(&mut self, name: &str, value: Affine, types: &str) -> String {
        let param = format!("%arg{}", value.param);
        let wide = if types == "i64" { param } else {
            self.line(format!("%{name}.wide = sext {types} {param} to i64"));
            format!("%{name}.wide")
        };
        self.line(format!("%{name} = add i64 {wide}, {}", value.offset));
        format!("%{name}")
    }

    /// `@{name}` with the derivative's parameters, and `@{name}.parts`, which takes `i32 %part, i32 %parts` after
    /// them and does part `part` of `parts` of the work. `@{name}` runs parts 0, 1, .. of [`WHOLE_PARTS`] (of one
    /// below [`WHOLE_PARTS_FROM`] trips) in a loop
    /// and adds their results in that order, starting from -0.0 (which adds nothing, not even a sign), as a split
    /// call does with the rows its threads filled (jenzyme.runtime.bind.SplitCall): so a call gets the same value,
    /// to the bit, whether it was split or not, and whichever thread ran which part (the reassociation
    /// `--fast-math` allows is then the same for every call, whatever the other threads were doing). A loop, not
    /// the calls unrolled: sixteen inlined copies of the fused loop would each cost O3 and the JIT.
    pub(super) fn function(mut self, name: &str, params: &str, derivative: &str) -> Result<String, String> {
        let ret = self.ret.to_string();
        let fields = if ret == "void" { 0 } else { self.adjoints.len() + self.primal as usize };
        let (s, param_types) = (self.stencil, self.int_types(params));
        writeln!(self.out, "define {ret} @{name}({params}) {{").unwrap();
        self.label("entry");
        let n = self.affine("n", s.trips, &param_types[s.trips.param]);
        self.line(format!("%many = icmp sge i64 {n}, {WHOLE_PARTS_FROM}"));
        self.line(format!("%count = select i1 %many, i32 {WHOLE_PARTS}, i32 1"));
        self.line("br label %part");
        self.label("part");
        self.line("%k = phi i32 [ 0, %entry ], [ %k.next, %part ]");
        for f in 0..fields {
            self.line(format!("%sum{f} = phi double [ -0.0, %entry ], [ %sum{f}.next, %part ]"));
        }
        if ret == "void" {
            self.line(format!("call void @{name}.parts({params}, i32 %k, i32 %count)"));
        } else {
            self.line(format!("%result = call {ret} @{name}.parts({params}, i32 %k, i32 %count)"));
            for f in 0..fields {
                self.line(format!("%result{f} = extractvalue {ret} %result, {f}"));
                self.line(format!("%sum{f}.next = fadd double %sum{f}, %result{f}"));
            }
        }
        self.line("%k.next = add i32 %k, 1");
        self.line("%more = icmp slt i32 %k.next, %count");
        self.line("br i1 %more, label %part, label %done");
        self.label("done");
        if ret == "void" {
            self.line("ret void");
        } else {
            let mut result = "undef".to_string();
            for f in 0..fields {
                self.line(format!("%whole{f} = insertvalue {ret} {result}, double %sum{f}.next, {f}"));
                result = format!("%whole{f}");
            }
            self.line(format!("ret {ret} {result}"));
        }
        self.out.push_str("}\n");
        self.parts(&format!("{name}.parts"), params, derivative)
    }

    /// The body of `function`'s `.parts`. Part `part` runs the main loop over its share `[m·part/parts,
    /// m·(part+1)/parts)` of the main loop's `m` iterations (storing the elements `i + cmax` of those iterations);
    /// the first part also starts the sum at the loop's start value and stores the head elements, the last part
    /// adds the tail terms and stores the tail elements. So the parts write disjoint elements, every element is
    /// written by one part, and the sum of the parts' results is the whole's value and adjoints, reassociated.
    /// A call that fails the entry test runs Enzyme's whole derivative in part 0 and nothing in the others (the
    /// failure reaches the caller through part 0's status).
    fn parts(mut self, name: &str, params: &str, derivative: &str) -> Result<String, String> {
        let s = self.stencil;
        let (cmin, cmax) = (s.offsets[0], *s.offsets.last().unwrap());
        let width = cmax - cmin;
        let param_types = self.int_types(params);
        writeln!(self.out, "define {} @{name}({params}, i32 %part, i32 %parts) {{", self.ret).unwrap();
        self.label("entry");
        let n = self.affine("n", s.trips, &param_types[s.trips.param]);
        self.line(format!("%bad.0 = icmp sle i64 {n}, {width}"));
        for (k, (c, length)) in s.bounds.iter().enumerate() {
            let length = self.affine(&format!("len{k}"), *length, &param_types[length.param]);
            self.line(format!("%last{k} = add i64 {n}, {}", c - 1));
            self.line(format!("%over{k} = icmp sge i64 %last{k}, {length}"));
            self.line(format!("%bad.{} = or i1 %bad.{k}, %over{k}", k + 1));
        }
        self.line("%is.first = icmp eq i32 %part, 0");
        self.line("%part.next = add i32 %part, 1");
        self.line("%is.last = icmp eq i32 %part.next, %parts");
        self.line(format!("br i1 %bad.{}, label %unfused, label %fused", s.bounds.len()));

        self.label("unfused");
        self.line("br i1 %is.first, label %enzyme, label %nothing");
        self.label("nothing");
        let zeros = vec!["0.0".to_string(); self.active.len()];
        self.ret_results("nothing", "0.0", &zeros)?;

        self.label("enzyme");
        if self.store == Store::Overwrite {
            let length = covered_length(s).ok_or("an overwriting derivative needs the whole array covered")?;
            let length = self.affine("zeroed", length, &param_types[length.param]);
            self.line(format!("%positive = icmp sgt i64 {length}, 0"));
            self.line(format!("%count = select i1 %positive, i64 {length}, i64 0"));
            self.line("%bytes = shl i64 %count, 3");
            self.line(format!("call void @llvm.memset.p0.i64(ptr %shadow{}, i8 0, i64 %bytes, i1 false)", s.array));
        }
        let args: Vec<String> = params.split(", ").map(str::to_string).collect();
        if self.ret == "void" {
            self.line(format!("call void @{derivative}({})", args.join(", ")));
            self.line("ret void");
        } else {
            self.line(format!("%enzyme.result = call {} @{derivative}({})", self.ret, args.join(", ")));
            self.line(format!("ret {} %enzyme.result", self.ret));
        }

        self.label("fused");
        self.poll("entry");
        self.line(format!("%m = sub i64 {n}, {width}"));
        self.line("%part.wide = sext i32 %part to i64");
        self.line("%part.next.wide = sext i32 %part.next to i64");
        self.line("%parts.wide = sext i32 %parts to i64");
        self.line("%lo.scaled = mul i64 %m, %part.wide");
        self.line("%lo = sdiv i64 %lo.scaled, %parts.wide");
        self.line("%hi.scaled = mul i64 %m, %part.next.wide");
        self.line("%hi = sdiv i64 %hi.scaled, %parts.wide");
        self.line(format!("%s.start = select i1 %is.first, double 0x{:016X}, double 0.0", s.start.to_bits()));
        self.line("br i1 %is.first, label %head, label %main");

        self.label("head");
        for h in 0..width {
            let j = cmin + h;
            let terms: Vec<(usize, String)> = s.offsets.iter().enumerate().filter(|(_, c)| j - **c >= 0)
                .map(|(k, c)| (k, (j - c).to_string())).collect();
            self.pull(&format!("head{h}"), &terms, &j.to_string());
        }
        self.line("br label %main");

        self.label("main");
        self.line("%nonempty = icmp slt i64 %lo, %hi");
        self.line("br i1 %nonempty, label %chunk, label %main.done");

        self.label("chunk");
        self.line("%first = phi i64 [ %lo, %main ], [ %end, %chunk.done ]");
        self.line("%s.chunk = phi double [ %s.start, %main ], [ %s.next, %chunk.done ]");
        for q in 0..self.active.len() {
            self.line(format!("%adj{q}.chunk = phi double [ 0.0, %main ], [ %adj{q}.next, %chunk.done ]"));
        }
        self.poll("chunk");
        self.line(format!("%end.full = add i64 %first, {CHUNK}"));
        self.line("%end.short = icmp slt i64 %end.full, %hi");
        self.line("%end = select i1 %end.short, i64 %end.full, i64 %hi");
        self.line("br label %body");

        self.label("body");
        self.line("%i = phi i64 [ %first, %chunk ], [ %i.next, %body ]");
        self.line("%s = phi double [ %s.chunk, %chunk ], [ %s.next, %body ]");
        for q in 0..self.active.len() {
            self.line(format!("%adj{q} = phi double [ %adj{q}.chunk, %chunk ], [ %adj{q}.next, %body ]"));
        }
        let t = self.term("here", "%i");
        self.line(format!("%s.next = fadd double %s, {t}"));
        let (running, next) = (self.adjoint_names(""), self.adjoint_names(".next"));
        self.parameter_adjoints("here", "%i", &running, &next);
        let terms: Vec<(usize, String)> = s.offsets.iter().enumerate().map(|(k, c)| {
            self.line(format!("%at{k} = add i64 %i, {}", cmax - c));
            (k, format!("%at{k}"))
        }).collect();
        self.line(format!("%j = add i64 %i, {cmax}"));
        self.pull("main", &terms, "%j");
        self.line("%i.next = add nuw nsw i64 %i, 1");
        self.line("%chunk.end = icmp eq i64 %i.next, %end");
        self.line("br i1 %chunk.end, label %chunk.done, label %body");

        self.label("chunk.done");
        self.line("%more = icmp slt i64 %end, %hi");
        self.line("br i1 %more, label %chunk, label %main.done");

        self.label("main.done");
        self.line("%s.main = phi double [ %s.start, %main ], [ %s.next, %chunk.done ]");
        for q in 0..self.active.len() {
            self.line(format!("%adj{q}.main = phi double [ 0.0, %main ], [ %adj{q}.next, %chunk.done ]"));
        }
        self.line("br i1 %is.last, label %tail, label %done");

        self.label("tail");
        let mut sum = "%s.main".to_string();
        let mut adjoints = self.adjoint_names(".main");
        for h in 0..width {
            self.line(format!("%tail.i{h} = add i64 %m, {h}"));
            let t = self.term(&format!("tail{h}"), &format!("%tail.i{h}"));
            self.line(format!("%tail.s{h} = fadd double {sum}, {t}"));
            sum = format!("%tail.s{h}");
            let next = self.adjoint_names(&format!(".tail{h}"));
            self.parameter_adjoints(&format!("tail{h}"), &format!("%tail.i{h}"), &adjoints, &next);
            adjoints = next;
            // element N + cmin + h: the terms with j - c < N, i.e. c > cmin + h
            self.line(format!("%tail.j{h} = add i64 %n, {}", cmin + h));
            let terms: Vec<(usize, String)> = s.offsets.iter().enumerate().filter(|(_, c)| **c > cmin + h).map(|(k, c)| {
                self.line(format!("%tail.at{h}.{k} = sub i64 %tail.j{h}, {c}"));
                (k, format!("%tail.at{h}.{k}"))
            }).collect();
            self.pull(&format!("tail{h}"), &terms, &format!("%tail.j{h}"));
        }
        self.line("br label %done");

        self.label("done");
        self.line(format!("%s.done = phi double [ %s.main, %main.done ], [ {sum}, %tail ]"));
        let done: Vec<String> = adjoints.iter().enumerate().map(|(q, tail)| {
            self.line(format!("%adj{q}.done = phi double [ %adj{q}.main, %main.done ], [ {tail}, %tail ]"));
            format!("%adj{q}.done")
        }).collect();
        self.ret_results("done", "%s.done", &done)?;
        self.out.push_str("}\n");
        self.declarations(derivative, params);
        Ok(self.out)
    }

    /// `%adj<q><suffix>` for each active parameter.
    fn adjoint_names(&self, suffix: &str) -> Vec<String> {
        (0..self.active.len()).map(|q| format!("%adj{q}{suffix}")).collect()
    }

    /// `next[q] = running[q] + ∂term(at)/∂p` for each active parameter `p`.
    fn parameter_adjoints(&mut self, tag: &str, at: &str, running: &[String], next: &[String]) {
        if self.active.is_empty() {
            return;
        }
        let k = self.stencil.offsets.len();
        let partials = self.partials_type();
        let args = self.loads(&format!("{tag}.p"), at);
        self.line(format!("%dp.{tag} = call {partials} @{}.dterm({args}, double %seed)", self.prefix));
        for (q, (value, sum)) in running.iter().zip(next).enumerate() {
            self.line(format!("%dp.{tag}.{q} = extractvalue {partials} %dp.{tag}, {}", k + q));
            self.line(format!("{sum} = fadd double {value}, %dp.{tag}.{q}"));
        }
    }

    /// `dterm`'s result: the partials of the loaded scalars, then of the active parameters.
    fn partials_type(&self) -> String {
        format!("{{ {} }}", vec!["double"; self.stencil.offsets.len() + self.active.len()].join(", "))
    }

    /// Returns the sum (when the derivative returns the primal) and every active parameter's adjoint: accumulated
    /// for those the term reads, zero for the others.
    fn ret_results(&mut self, tag: &str, sum: &str, adjoints: &[String]) -> Result<(), String> {
        let mut fields: Vec<String> = if self.primal { vec![sum.to_string()] } else { Vec::new() };
        for p in self.adjoints.clone() {
            fields.push(self.active.iter().position(|a| *a == p).map_or("0.0".to_string(), |q| adjoints[q].clone()));
        }
        if fields.is_empty() && self.ret == "void" {
            self.line("ret void");
            return Ok(());
        }
        let expected = format!("{{ {} }}", vec!["double"; fields.len()].join(", "));
        if self.ret != expected {
            return Err(format!("Enzyme's derivative returns {}, expected {expected}", self.ret));
        }
        let mut result = "undef".to_string();
        for (index, field) in fields.iter().enumerate() {
            self.line(format!("%{tag}.result{index} = insertvalue {expected} {result}, double {field}, {index}"));
            result = format!("%{tag}.result{index}");
        }
        self.line(format!("ret {expected} {result}"));
        Ok(())
    }

    /// The integer type of each argument, from the parameter list (`i32 %arg2` -> "i32" at index 2).
    fn int_types(&self, params: &str) -> Vec<String> {
        let mut types = vec![String::new(); self.names.len()];
        for param in params.split(", ") {
            let (ty, name) = param.rsplit_once(' ').unwrap();
            if let Some(i) = name.strip_prefix("%arg").and_then(|i| i.parse::<usize>().ok()) {
                types[i] = ty.to_string();
            }
        }
        types
    }

    /// `term` at index `at`: the loads and the call; returns the value's name.
    fn term(&mut self, tag: &str, at: &str) -> String {
        let args = self.loads(tag, at);
        self.line(format!("%term.{tag} = call double @{}.term({args})", self.prefix));
        format!("%term.{tag}")
    }

    /// Loads `x[at + c]` for every offset and returns the term's argument list (loads, then invariant parameters).
    fn loads(&mut self, tag: &str, at: &str) -> String {
        let s = self.stencil;
        let mut args = Vec::new();
        for (k, c) in s.offsets.iter().enumerate() {
            self.line(format!("%x.{tag}.{k}.at = add i64 {at}, {c}"));
            self.line(format!("%x.{tag}.{k}.p = getelementptr inbounds double, ptr %arg{}, i64 %x.{tag}.{k}.at", s.array));
            self.line(format!("%x.{tag}.{k} = load double, ptr %x.{tag}.{k}.p"));
            args.push(format!("double %x.{tag}.{k}"));
        }
        args.extend(invariant_params(s).iter().map(|p| format!("double %arg{p}")));
        args.join(", ")
    }

    /// Stores the pull of element `j`: the sum over `terms` (offset index, term index) of `dterm`'s partial.
    fn pull(&mut self, tag: &str, terms: &[(usize, String)], j: &str) {
        let partials = self.partials_type();
        let mut pull = "0.0".to_string();
        for (kc, at) in terms {
            let args = self.loads(&format!("{tag}.d{kc}"), at);
            self.line(format!("%d.{tag}.{kc} = call {partials} @{}.dterm({args}, double %seed)", self.prefix));
            self.line(format!("%p.{tag}.{kc} = extractvalue {partials} %d.{tag}.{kc}, {kc}"));
            self.line(format!("%pull.{tag}.{kc} = fadd double {pull}, %p.{tag}.{kc}"));
            pull = format!("%pull.{tag}.{kc}");
        }
        let array = self.stencil.array;
        self.line(format!("%g.{tag} = getelementptr inbounds double, ptr %shadow{array}, i64 {j}"));
        if self.store == Store::Accumulate {
            self.line(format!("%g.{tag}.old = load double, ptr %g.{tag}"));
            self.line(format!("%g.{tag}.new = fadd double %g.{tag}.old, {pull}"));
            self.line(format!("store double %g.{tag}.new, ptr %g.{tag}"));
        } else {
            self.line(format!("store double {pull}, ptr %g.{tag}"));
        }
    }

    /// The frontend's interrupt poll, when the loop had one.
    fn poll(&mut self, tag: &str) {
        let (Some([a, b, c, d]), Some(status)) = (self.stencil.poll, self.stencil.status) else { return };
        self.line(format!("%flag.{tag} = load volatile i32, ptr @{}", crate::reverse_polls::INTERRUPT_FLAG));
        self.line(format!("%raised.{tag} = icmp ne i32 %flag.{tag}, 0"));
        let cc = if self.fastcc { "fastcc " } else { "" };
        self.line(format!("call {cc}void @{}(ptr %arg{status}, i1 %raised.{tag}, i32 {a}, i32 {b}, i32 {c}, i32 {d})",
                          super::FAIL_IF));
    }

    fn declarations(&mut self, derivative: &str, params: &str) {
        let types: Vec<&str> = params.split(", ").map(|p| p.rsplit_once(' ').unwrap().0).collect();
        writeln!(self.out, "declare {} @{derivative}({})", self.ret, types.join(", ")).unwrap();
        let k = self.stencil.offsets.len();
        let doubles = vec!["double"; k + invariant_params(self.stencil).len()].join(", ");
        writeln!(self.out, "declare double @{}.term({doubles})", self.prefix).unwrap();
        writeln!(self.out, "declare {} @{}.dterm({doubles}, double)", self.partials_type(), self.prefix).unwrap();
        if self.stencil.poll.is_some() {
            let cc = if self.fastcc { "fastcc " } else { "" };
            writeln!(self.out, "declare {cc}void @{}(ptr, i1, i32, i32, i32, i32)", super::FAIL_IF).unwrap();
            writeln!(self.out, "@{} = external global i32", crate::reverse_polls::INTERRUPT_FLAG).unwrap();
        }
        if self.store == Store::Overwrite {
            writeln!(self.out, "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)").unwrap();
        }
    }
}
