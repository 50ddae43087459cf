//! The fused derivative of a recognised [`Stencil`], written as LLVM IR text and linked into the module: `term` as
//! a function of its loaded scalars and invariant parameters, Enzyme's gradient of it (`dterm`, all loaded
//! scalars active), and a function with Enzyme's derivative's signature that runs Enzyme's derivative on the
//! failing and short paths and otherwise one pass over the array. With trip count `N`, offsets `c` in
//! `[cmin, cmax]` and width `D = cmax - cmin`, element `j` gets `seed * Σ_c ∂term(j - c)/∂a_c` over the terms
//! `0 <= j - c < N` that exist: the main loop runs `i` over `[0, N - D)` adding `term(i)` to the sum and storing
//! element `i + cmax`, whose terms `i .. i + D` all exist; the `D` elements before and after it and the last `D`
//! terms are straight-line code, their existing terms known when the IR is written. The main loop polls the
//! interrupt flag every [`CHUNK`] iterations, as the frontend's chunked loops do, and has no other check: the
//! entry test sends every call whose loop would fail a bounds check to Enzyme's derivative, which fails it.

use std::fmt::Write;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMLinkage;

use super::{Affine, Node, Stencil};
use crate::enzyme;
use crate::llvm::{self, Module};
use crate::spec::{Activity, ArgSpec, ArgType, DiffRequest, Mode, Options, Scalar};

/// Iterations between two interrupt polls of the main loop (ChunkedLoop's chunk is 1024 iterations of a loop
/// that polls; 4096 here is ~10 µs of Rosenbrock, far inside the interrupt bound).
const CHUNK: i64 = 4096;

/// How the pull reaches the shadow.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `g[j] += pull` (the derivative's contract).
    Accumulate,
    /// `g[j] = pull`, every element of the array written (PROTOCOL.md's overwriting wrapper).
    Overwrite,
}

/// The length of the array when the stencil writes each of its elements: then an overwriting derivative exists.
pub fn covered_length(stencil: &Stencil) -> Option<Affine> {
    let (cmin, cmax) = (stencil.offsets[0], *stencil.offsets.last()?);
    let last = Affine { param: stencil.trips.param, offset: stencil.trips.offset + cmax };
    (cmin == 0 && stencil.bounds.iter().any(|(_, length)| *length == last)).then_some(last)
}

/// Links `term` and `dterm` for `function` into the module and returns the prefix of their names.
pub fn term_functions(module: &Module, stencil: &Stencil, function: &str) -> Result<String, String> {
    let prefix = format!("{function}.stencil");
    let params = invariant_params(stencil);
    let mut text = String::new();
    let signature: Vec<String> = (0..stencil.offsets.len()).map(|k| format!("double %a{k}"))
        .chain(params.iter().map(|p| format!("double %p{p}"))).collect();
    writeln!(text, "define double @{prefix}.term({}) {{", signature.join(", ")).unwrap();
    let mut declarations = Vec::new();
    let name = |index: usize, nodes: &[Node]| match &nodes[index] {
        Node::Load(k) => format!("%a{k}"),
        Node::Param(p) => format!("%p{p}"),
        Node::Constant(v) => format!("0x{:016X}", v.to_bits()),
        _ => format!("%v{index}"),
    };
    for (index, node) in stencil.nodes.iter().enumerate() {
        let line = match node {
            Node::Load(_) | Node::Param(_) | Node::Constant(_) => continue,
            Node::Unary { op, operand } => format!("{op} double {}", name(*operand, &stencil.nodes)),
            Node::Binary { op, lhs, rhs } => {
                format!("{op} double {}, {}", name(*lhs, &stencil.nodes), name(*rhs, &stencil.nodes))
            }
            Node::Call { callee, args } => {
                let types = vec!["double"; args.len()].join(", ");
                declarations.push(format!("declare double @{callee}({types})"));
                let args: Vec<String> = args.iter().map(|a| format!("double {}", name(*a, &stencil.nodes))).collect();
                format!("call double @{callee}({})", args.join(", "))
            }
        };
        writeln!(text, "  %v{index} = {line}").unwrap();
    }
    writeln!(text, "  ret double {}\n}}", name(stencil.nodes.len() - 1, &stencil.nodes)).unwrap();
    declarations.dedup();
    for declaration in declarations.iter().filter(|d| !module_defines(module, d)) {
        writeln!(text, "{declaration}").unwrap();
    }
    module.link_text(&text)?;
    let term = module.function(&format!("{prefix}.term")).ok_or("the linked term function is missing")?;
    let mut args: Vec<ArgSpec> = (0..stencil.offsets.len())
        .map(|_| ArgSpec { activity: Activity::Active, ty: ArgType::Value(Scalar::Double) }).collect();
    args.extend(params.iter().map(|_| ArgSpec { activity: Activity::Const, ty: ArgType::Value(Scalar::Double) }));
    let request = DiffRequest { function: format!("{prefix}.term"), mode: Mode::Reverse, args, ret: Activity::Active,
                                options: Options { primal_return: false, tape_math: false, ..Options::default() } };
    // SAFETY: the context is the module's; the derivative is renamed while the module is alive.
    unsafe {
        let dterm = enzyme::differentiate(LLVMGetModuleContext(module.raw()), term, &request)?.function;
        let dname = format!("{prefix}.dterm");
        LLVMSetValueName2(dterm, dname.as_ptr().cast(), dname.len());
        for f in [term, dterm] {
            LLVMSetLinkage(f, LLVMLinkage::LLVMInternalLinkage);
            llvm::set_function_attribute(f, "alwaysinline", true);
        }
    }
    Ok(prefix)
}

/// Whether the module already has the function a `declare` line names (a second declaration would not parse).
fn module_defines(module: &Module, declaration: &str) -> bool {
    let name = declaration.split('@').nth(1).and_then(|rest| rest.split('(').next()).unwrap_or_default();
    module.function(name).is_some_and(|f| !llvm::is_declaration(f))
}

/// The invariant double parameters the term reads, in parameter order.
fn invariant_params(stencil: &Stencil) -> Vec<usize> {
    let mut params: Vec<usize> = stencil.nodes.iter().filter_map(|n| match n { Node::Param(p) => Some(*p), _ => None }).collect();
    params.sort();
    params.dedup();
    params
}

/// Writes `<prefix>.add` or `<prefix>.set` beside Enzyme's `derivative` (same signature) and returns it.
pub fn fused_function(module: &Module, stencil: &Stencil, request: &DiffRequest, prefix: &str,
                      derivative: LLVMValueRef, store: Store) -> Result<LLVMValueRef, String> {
    let fail_if = module.function(super::FAIL_IF);
    // SAFETY: type and linkage queries on live functions; linkage is restored after linking.
    unsafe {
        let function_type = LLVMGlobalGetValueType(derivative);
        let count = LLVMCountParamTypes(function_type) as usize;
        let mut types = vec![std::ptr::null_mut(); count];
        LLVMGetParamTypes(function_type, types.as_mut_ptr());
        let names = parameter_names(request);
        if names.len() != count {
            return Err(format!("Enzyme's derivative takes {count} parameters, expected {}", names.len()));
        }
        let params: Vec<String> = types.iter().zip(&names).map(|(t, n)| format!("{} {n}", llvm::type_name(*t))).collect();
        let ret = llvm::type_name(LLVMGetReturnType(function_type));
        let fail_if_cc = fail_if.map_or(0, |f| LLVMGetFunctionCallConv(f));
        let name = format!("{prefix}.{}", if store == Store::Accumulate { "add" } else { "set" });
        let text = Writer { stencil, prefix, names: &names, ret: &ret, store, out: String::new(),
                            fastcc: fail_if_cc == llvm_sys::LLVMCallConv::LLVMFastCallConv as u32 }
            .function(&name, &params.join(", "), &llvm::name_of(derivative))?;
        // The linker resolves the text's declarations only against external definitions.
        let term_functions = [module.function(&format!("{prefix}.term")), module.function(&format!("{prefix}.dterm"))];
        let linked: Vec<LLVMValueRef> =
            [Some(derivative), fail_if].into_iter().chain(term_functions).flatten().collect();
        let linkages: Vec<LLVMLinkage> = linked.iter().map(|f| LLVMGetLinkage(*f)).collect();
        for f in &linked {
            LLVMSetLinkage(*f, LLVMLinkage::LLVMExternalLinkage);
        }
        let result = module.link_text(&text);
        for (f, linkage) in linked.iter().zip(linkages) {
            LLVMSetLinkage(*f, linkage);
        }
        result?;
        let fused = module.function(&name).ok_or("the linked fused derivative is missing")?;
        LLVMSetLinkage(fused, LLVMLinkage::LLVMInternalLinkage);
        Ok(fused)
    }
}

/// `%arg<i>` per argument, `%shadow<i>` after a duplicated one, `%seed` last: Enzyme's parameter order.
fn parameter_names(request: &DiffRequest) -> Vec<String> {
    let mut names = Vec::new();
    for (i, arg) in request.args.iter().enumerate() {
        names.push(format!("%arg{i}"));
        if arg.activity == Activity::Duplicated {
            names.push(format!("%shadow{i}"));
        }
    }
    names.push("%seed".to_string());
    names
}

struct Writer<'a> {
    stencil: &'a Stencil,
    prefix: &'a str,
    names: &'a [String],
    ret: &'a str,
    store: Store,
    fastcc: bool,
    out: String,
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

    fn function(mut self, name: &str, params: &str, derivative: &str) -> Result<String, String> {
        let s = self.stencil;
        let (cmin, cmax) = (s.offsets[0], *s.offsets.last().unwrap());
        let width = cmax - cmin;
        let param_types = self.int_types(params);
        writeln!(self.out, "define {} @{name}({params}) {{", self.ret).unwrap();
        self.label("entry");
        let n = self.affine("n", s.trips, &param_types[s.trips.param]);
        self.line(format!("%bad.0 = icmp sle i64 {n}, {width}"));
        for (k, (c, length)) in s.bounds.iter().enumerate() {
            let length = self.affine(&format!("len{k}"), *length, &param_types[length.param]);
            self.line(format!("%last{k} = add i64 {n}, {}", c - 1));
            self.line(format!("%over{k} = icmp sge i64 %last{k}, {length}"));
            self.line(format!("%bad.{} = or i1 %bad.{k}, %over{k}", k + 1));
        }
        self.line(format!("br i1 %bad.{}, label %enzyme, label %fused", s.bounds.len()));

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
        for h in 0..width {
            let j = cmin + h;
            let terms: Vec<(usize, String)> = s.offsets.iter().enumerate().filter(|(_, c)| j - **c >= 0)
                .map(|(k, c)| (k, (j - c).to_string())).collect();
            self.pull(&format!("head{h}"), &terms, &j.to_string());
        }
        self.line(format!("%m = sub i64 {n}, {width}"));
        self.line("br label %chunk");

        self.label("chunk");
        self.line(format!("%first = phi i64 [ 0, %fused ], [ %end, %chunk.done ]"));
        self.line(format!("%s.chunk = phi double [ 0x{:016X}, %fused ], [ %s.next, %chunk.done ]", s.start.to_bits()));
        self.poll("chunk");
        self.line(format!("%end.full = add i64 %first, {CHUNK}"));
        self.line("%end.short = icmp slt i64 %end.full, %m");
        self.line("%end = select i1 %end.short, i64 %end.full, i64 %m");
        self.line("br label %body");

        self.label("body");
        self.line("%i = phi i64 [ %first, %chunk ], [ %i.next, %body ]");
        self.line("%s = phi double [ %s.chunk, %chunk ], [ %s.next, %body ]");
        let t = self.term("here", "%i");
        self.line(format!("%s.next = fadd double %s, {t}"));
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
        self.line("%more = icmp slt i64 %end, %m");
        self.line("br i1 %more, label %chunk, label %tail");

        self.label("tail");
        let mut sum = "%s.next".to_string();
        for h in 0..width {
            self.line(format!("%tail.i{h} = add i64 %m, {h}"));
            let t = self.term(&format!("tail{h}"), &format!("%tail.i{h}"));
            self.line(format!("%tail.s{h} = fadd double {sum}, {t}"));
            sum = format!("%tail.s{h}");
            // element N + cmin + h: the terms with j - c < N, i.e. c > cmin + h
            self.line(format!("%tail.j{h} = add i64 %n, {}", cmin + h));
            let terms: Vec<(usize, String)> = s.offsets.iter().enumerate().filter(|(_, c)| **c > cmin + h).map(|(k, c)| {
                self.line(format!("%tail.at{h}.{k} = sub i64 %tail.j{h}, {c}"));
                (k, format!("%tail.at{h}.{k}"))
            }).collect();
            self.pull(&format!("tail{h}"), &terms, &format!("%tail.j{h}"));
        }
        match self.ret {
            "void" => self.line("ret void"),
            "{ double }" => {
                self.line(format!("%result = insertvalue {{ double }} undef, double {sum}, 0"));
                self.line("ret { double } %result");
            }
            other => return Err(format!("Enzyme's derivative returns {other}, expected void or {{ double }}")),
        }
        self.out.push_str("}\n");
        self.declarations(derivative, params);
        Ok(self.out)
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
        let k = self.stencil.offsets.len();
        let partials = format!("{{ {} }}", vec!["double"; k].join(", "));
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
        writeln!(self.out, "declare {{ {} }} @{}.dterm({doubles}, double)", vec!["double"; k].join(", "), self.prefix).unwrap();
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
