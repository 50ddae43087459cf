//! The fused derivative of a recognised [`Stencil`], written as LLVM IR text and linked into the module: `term` as
//! a function of its loaded scalars and invariant parameters, Enzyme's gradient of it (`dterm`: the loaded
//! scalars and the active parameters active), and a function with Enzyme's derivative's signature (`fused.rs`
//! writes its body).

use std::fmt::Write;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMLinkage;

use super::fused::{Store, Writer};
use super::{Affine, Node, Stencil};
use crate::enzyme;
use crate::llvm::{self, Module};
use crate::spec::{Activity, ArgSpec, ArgType, DiffRequest, Mode, Options, Scalar};

/// The length of the array when the stencil writes each of its elements: then an overwriting derivative exists.
pub fn covered_length(stencil: &Stencil) -> Option<Affine> {
    let (cmin, cmax) = (stencil.offsets[0], *stencil.offsets.last()?);
    let last = Affine { param: stencil.trips.param, offset: stencil.trips.offset + cmax };
    (cmin == 0 && stencil.bounds.iter().any(|(_, length)| *length == last)).then_some(last)
}

/// Links `term` and `dterm` for `function` into the module and returns the prefix of their names.
pub fn term_functions(module: &Module, stencil: &Stencil, request: &DiffRequest) -> Result<String, String> {
    let prefix = format!("{}.stencil", request.function);
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
    args.extend(params.iter().map(|p| ArgSpec { activity: request.args[*p].activity, ty: ArgType::Value(Scalar::Double) }));
    let request = DiffRequest { function: format!("{prefix}.term"), mode: Mode::REVERSE, args, ret: Activity::Active,
                                options: Options { primal_return: false, tape_math: false, ..Options::default() } };
    // SAFETY: the context is the module's; the derivative is renamed while the module is alive.
    unsafe {
        let dterm = match enzyme::differentiate(LLVMGetModuleContext(module.raw()), term, &request) {
            Ok(derivative) => derivative.function,
            Err(problem) => {
                LLVMSetLinkage(term, LLVMLinkage::LLVMInternalLinkage); // unused: O3 deletes it
                return Err(problem);
            }
        };
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
pub(super) fn invariant_params(stencil: &Stencil) -> Vec<usize> {
    let mut params: Vec<usize> = stencil.nodes.iter().filter_map(|n| match n { Node::Param(p) => Some(*p), _ => None }).collect();
    params.sort();
    params.dedup();
    params
}

/// The invariant parameters the term reads that are active: `dterm` returns their partials after the loads'.
pub(super) fn active_params(stencil: &Stencil, request: &DiffRequest) -> Vec<usize> {
    invariant_params(stencil).into_iter().filter(|p| request.args[*p].activity == Activity::Active).collect()
}

/// A fused derivative: the whole of it (Enzyme's derivative's signature) and its `.parts` form (`fused.rs`).
#[derive(Clone, Copy)]
pub struct Fused {
    pub whole: LLVMValueRef,
    pub parts: LLVMValueRef,
}

/// Set (to anything) in tests only: the fused derivative's IR text is made invalid, to reach the fallback to
/// Enzyme's derivative (stencil.rs, `fuse`) that no recognised stencil otherwise reaches.
pub const BREAK_FOR_TESTS: &str = "JENZYME_WORKER_TEST_BREAK_STENCIL";

/// Writes `<prefix>.add` or `<prefix>.set` (and its `.parts`) beside Enzyme's `derivative` and returns them.
pub fn fused_function(module: &Module, stencil: &Stencil, request: &DiffRequest, prefix: &str,
                      derivative: LLVMValueRef, store: Store) -> Result<Fused, String> {
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
        let mut text = Writer {
            stencil, prefix, names: &names, ret: &ret, store, out: String::new(),
            fastcc: fail_if_cc == llvm_sys::LLVMCallConv::LLVMFastCallConv as u32,
            active: active_params(stencil, request),
            adjoints: request.args.iter().enumerate().filter(|(_, a)| a.activity == Activity::Active).map(|(i, _)| i).collect(),
            primal: crate::enzyme::returns_primal(request, false),
        }
        .function(&name, &params.join(", "), &llvm::name_of(derivative))?;
        if std::env::var_os(BREAK_FOR_TESTS).is_some() {
            text.push_str("this line is not IR\n");
        }
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
        let whole = module.function(&name).ok_or("the linked fused derivative is missing")?;
        let parts = module.function(&format!("{name}.parts")).ok_or("the linked fused derivative's parts are missing")?;
        for f in [whole, parts] {
            LLVMSetLinkage(f, LLVMLinkage::LLVMInternalLinkage);
        }
        Ok(Fused { whole, parts })
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
