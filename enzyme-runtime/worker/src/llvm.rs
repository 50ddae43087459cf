//! The thin, policy-free layer over LLVM's C API (llvm-sys, Debian's libLLVM-19): contexts, bitcode in and out,
//! verification, the new pass manager and a host target machine. Everything unsafe about plain LLVM lives here;
//! Enzyme's C API lives in `enzyme`, the wrapper's IR building in `wrapper`.

use std::ffi::{c_char, CStr, CString};
use std::marker::PhantomData;
use std::ptr;
use std::sync::Once;

use llvm_sys::analysis::{LLVMVerifierFailureAction, LLVMVerifyModule};
use llvm_sys::bit_reader::LLVMParseBitcodeInContext2;
use llvm_sys::bit_writer::LLVMWriteBitcodeToMemoryBuffer;
use llvm_sys::core::*;
use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMGetErrorMessage};
use llvm_sys::prelude::*;
use llvm_sys::target::{LLVMCopyStringRepOfTargetData, LLVMDisposeTargetData, LLVM_InitializeNativeTarget};
use llvm_sys::target_machine::*;
use llvm_sys::transforms::pass_builder::*;
use llvm_sys::LLVMAttributeFunctionIndex;

use crate::diagnostics;

/// An LLVM context whose diagnostics are recorded (see `diagnostics`) instead of printed and `exit(1)`-ed.
pub struct Context {
    raw: LLVMContextRef,
}

impl Context {
    pub fn new() -> Context {
        // SAFETY: a fresh context; the handler is a plain function that never unwinds.
        unsafe {
            let raw = LLVMContextCreate();
            LLVMContextSetDiagnosticHandler(raw, Some(diagnostics::on_llvm_diagnostic), ptr::null_mut());
            Context { raw }
        }
    }

    pub fn raw(&self) -> LLVMContextRef {
        self.raw
    }

    /// Parses bitcode; LLVM's reason for refusing it arrives through the diagnostic handler.
    pub fn parse_bitcode(&self, bitcode: &[u8]) -> Result<Module<'_>, String> {
        if bitcode.is_empty() {
            return Err("expected LLVM bitcode, got 0 bytes".to_string());
        }
        let mut module = ptr::null_mut();
        // SAFETY: the buffer is copied by LLVM, and LLVMParseBitcodeInContext2 does not take ownership of it.
        let failed = unsafe {
            let name = c"request.bc";
            let buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                bitcode.as_ptr() as *const c_char,
                bitcode.len(),
                name.as_ptr(),
            );
            let failed = LLVMParseBitcodeInContext2(self.raw, buffer, &mut module);
            LLVMDisposeMemoryBuffer(buffer);
            failed != 0
        };
        if failed || module.is_null() {
            let reasons = diagnostics::take().join("\n");
            return Err(format!("not valid LLVM 19 bitcode ({} bytes): {reasons}", bitcode.len()));
        }
        Ok(Module { raw: module, _context: PhantomData })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: every Module borrows the context, so all are disposed by now.
        unsafe { LLVMContextDispose(self.raw) }
    }
}

pub struct Module<'ctx> {
    raw: LLVMModuleRef,
    _context: PhantomData<&'ctx Context>,
}

impl<'ctx> Module<'ctx> {
    pub fn raw(&self) -> LLVMModuleRef {
        self.raw
    }

    /// A copy of the module in the same context, for analyses that must change what they look at.
    pub fn clone_module(&self) -> Module<'ctx> {
        // SAFETY: cloning only reads the module; the copy is owned by the returned value.
        Module { raw: unsafe { LLVMCloneModule(self.raw) }, _context: PhantomData }
    }

    /// Parses textual IR in the module's context and links it in; names the text declares resolve to the
    /// module's external definitions.
    pub fn link_text(&self, text: &str) -> Result<(), String> {
        // SAFETY: the buffer is consumed by the parser; the parsed module is consumed by the linker.
        unsafe {
            let layout = CStr::from_ptr(LLVMGetDataLayoutStr(self.raw)).to_string_lossy();
            let triple = CStr::from_ptr(LLVMGetTarget(self.raw)).to_string_lossy();
            let text = format!("target datalayout = \"{layout}\"\ntarget triple = \"{triple}\"\n{text}");
            let context = LLVMGetModuleContext(self.raw);
            let buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(text.as_ptr() as *const c_char, text.len(),
                                                                   c"generated.ll".as_ptr());
            let mut parsed = ptr::null_mut();
            let mut message = ptr::null_mut();
            if llvm_sys::ir_reader::LLVMParseIRInContext(context, buffer, &mut parsed, &mut message) != 0 {
                return Err(format!("generated IR does not parse: {}\n{text}", take_message(message)));
            }
            // Verified on its own before it joins the module: a generated function that is not valid IR is then
            // refused with the module untouched (the stencil pass falls back to Enzyme's derivative on it).
            let mut problem = ptr::null_mut();
            let broken = LLVMVerifyModule(parsed, LLVMVerifierFailureAction::LLVMReturnStatusAction, &mut problem);
            let problem = take_message(problem);
            if broken != 0 {
                LLVMDisposeModule(parsed);
                return Err(format!("generated IR is invalid: {problem}\n{text}"));
            }
            if llvm_sys::linker::LLVMLinkModules2(self.raw, parsed) != 0 {
                return Err(format!("generated IR does not link: {}", diagnostics::take().join("\n")));
            }
        }
        Ok(())
    }

    pub fn function(&self, name: &str) -> Option<LLVMValueRef> {
        let name = CString::new(name).ok()?;
        // SAFETY: plain lookup in a live module.
        let f = unsafe { LLVMGetNamedFunction(self.raw, name.as_ptr()) };
        (!f.is_null()).then_some(f)
    }

    pub fn functions(&self) -> Vec<LLVMValueRef> {
        let mut all = Vec::new();
        // SAFETY: iteration over a live module's function list, not modified while iterating.
        unsafe {
            let mut f = LLVMGetFirstFunction(self.raw);
            while !f.is_null() {
                all.push(f);
                f = LLVMGetNextFunction(f);
            }
        }
        all
    }

    /// `--fast-math`: allows reassociation and contraction (`reassoc contract`) on every floating-point operation
    /// of the module — the primal the frontend relaxed already, and the derivative Enzyme added — so that O3 can
    /// vectorise reductions and fuse multiply-adds. No other fast-math flag: NaN, infinities and signed zeros keep
    /// their IEEE meaning.
    pub fn allow_reassociation(&self) {
        use llvm_sys::{LLVMFastMathAllowContract, LLVMFastMathAllowReassoc};
        for f in self.functions() {
            // SAFETY: walks the instruction lists of a live module and only changes instruction flags.
            unsafe {
                let mut block = LLVMGetFirstBasicBlock(f);
                while !block.is_null() {
                    let mut inst = LLVMGetFirstInstruction(block);
                    while !inst.is_null() {
                        if LLVMCanValueUseFastMathFlags(inst) != 0 {
                            let flags = LLVMGetFastMathFlags(inst);
                            LLVMSetFastMathFlags(inst, flags | LLVMFastMathAllowReassoc | LLVMFastMathAllowContract);
                        }
                        inst = LLVMGetNextInstruction(inst);
                    }
                    block = LLVMGetNextBasicBlock(block);
                }
            }
        }
    }

    pub fn verify(&self) -> Result<(), String> {
        let mut message = ptr::null_mut();
        // SAFETY: the verifier only reads the module; we own and dispose the message.
        unsafe {
            let broken = LLVMVerifyModule(self.raw, LLVMVerifierFailureAction::LLVMReturnStatusAction, &mut message);
            let text = take_message(message);
            if broken != 0 {
                Err(text)
            } else {
                Ok(())
            }
        }
    }

    pub fn to_bitcode(&self) -> Vec<u8> {
        // SAFETY: LLVM allocates the buffer; we copy it out and dispose it.
        unsafe {
            let buffer = LLVMWriteBitcodeToMemoryBuffer(self.raw);
            let start = LLVMGetBufferStart(buffer) as *const u8;
            let bytes = std::slice::from_raw_parts(start, LLVMGetBufferSize(buffer)).to_vec();
            LLVMDisposeMemoryBuffer(buffer);
            bytes
        }
    }

    pub fn to_text(&self) -> String {
        // SAFETY: printing only reads the module.
        unsafe { take_message(LLVMPrintModuleToString(self.raw)) }
    }

    /// Modules from the Java frontend may carry no target: give them the host's, so the optimiser knows the
    /// data layout it is optimising for. A module that names its target keeps it.
    pub fn default_target_to(&self, machine: &TargetMachine) {
        // SAFETY: reading and setting module-level strings on a live module.
        unsafe {
            if CStr::from_ptr(LLVMGetTarget(self.raw)).to_bytes().is_empty() {
                LLVMSetTarget(self.raw, machine.triple.as_ptr());
                let layout = LLVMCreateTargetDataLayout(machine.raw);
                let text = LLVMCopyStringRepOfTargetData(layout);
                LLVMSetDataLayout(self.raw, text);
                LLVMDisposeMessage(text);
                LLVMDisposeTargetData(layout);
            }
        }
    }

    /// Runs a new-pass-manager pipeline (`opt -passes=...` syntax).
    ///
    /// `NoLoopTransforms` cannot switch the vectorisers off through the pass builder options: parsing an alias
    /// such as `default<O2>` overwrites their loop and SLP vectorisation settings from the level (LLVM 19's
    /// `PassBuilder::parseModulePass`), so the pre-AD O2 vectorised strip-mined loops into
    /// `llvm.vector.reduce.fmaximum`/`fmul`, which Enzyme cannot differentiate. Both vectorisers skip functions
    /// marked `noimplicitfloat`: the functions carry that mark during the run only. Unrolling and interleaving are
    /// not overwritten, so their options do take effect.
    pub fn run_passes(&self, pipeline: &str, machine: &TargetMachine, tuning: PassTuning) -> Result<(), String> {
        let pipeline = CString::new(pipeline).expect("pass pipelines are NUL-free literals");
        let loop_transforms = tuning == PassTuning::Full;
        // Names, not handles: the pipeline deletes the functions it inlined. A function marked by its author stays so.
        let mut marked_by_author = Vec::new();
        if !loop_transforms {
            for f in self.functions().into_iter().filter(|&f| !is_declaration(f)) {
                if has_function_attribute(f, NO_VECTORS) {
                    marked_by_author.push(name_of(f));
                }
                set_function_attribute(f, NO_VECTORS, true);
            }
        }
        // SAFETY: the options object is created and disposed here; the module and machine outlive the call.
        let error = unsafe {
            let options = LLVMCreatePassBuilderOptions();
            LLVMPassBuilderOptionsSetLoopUnrolling(options, loop_transforms as LLVMBool);
            LLVMPassBuilderOptionsSetLoopInterleaving(options, loop_transforms as LLVMBool);
            let error = LLVMRunPasses(self.raw, pipeline.as_ptr(), machine.raw, options);
            LLVMDisposePassBuilderOptions(options);
            error
        };
        if !loop_transforms {
            for f in self.functions().into_iter().filter(|&f| !marked_by_author.contains(&name_of(f))) {
                set_function_attribute(f, NO_VECTORS, false);
            }
        }
        // SAFETY: an error returned by LLVMRunPasses is read and disposed once.
        unsafe {
            if error.is_null() {
                Ok(())
            } else {
                let raw = LLVMGetErrorMessage(error);
                let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
                LLVMDisposeErrorMessage(raw);
                Err(text)
            }
        }
    }
}

impl Drop for Module<'_> {
    fn drop(&mut self) {
        // SAFETY: the module is owned by this value and its context is still alive (lifetime).
        unsafe { LLVMDisposeModule(self.raw) }
    }
}

/// Whether a pipeline may vectorise and unroll loops: not before Enzyme (it would differentiate every unrolled
/// copy and vector shuffle), fully afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassTuning {
    NoLoopTransforms,
    Full,
}

/// A target machine for the host: the derivative runs in the same machine's JIT, so optimise for its CPU.
pub struct TargetMachine {
    raw: LLVMTargetMachineRef,
    triple: CString,
}

impl TargetMachine {
    pub fn host() -> Result<TargetMachine, String> {
        static INIT: Once = Once::new();
        // SAFETY: one-time registration of the native target, then plain C calls with owned strings.
        unsafe {
            INIT.call_once(|| {
                LLVM_InitializeNativeTarget();
            });
            let triple = take_message(LLVMGetDefaultTargetTriple());
            let triple = CString::new(triple).expect("triples are NUL-free");
            let mut target = ptr::null_mut();
            let mut error = ptr::null_mut();
            if LLVMGetTargetFromTriple(triple.as_ptr(), &mut target, &mut error) != 0 {
                return Err(format!("no LLVM target for the host triple {triple:?}: {}", take_message(error)));
            }
            let cpu = LLVMGetHostCPUName();
            let features = LLVMGetHostCPUFeatures();
            let raw = LLVMCreateTargetMachine(
                target,
                triple.as_ptr(),
                cpu,
                features,
                LLVMCodeGenOptLevel::LLVMCodeGenLevelAggressive,
                LLVMRelocMode::LLVMRelocPIC,
                LLVMCodeModel::LLVMCodeModelDefault,
            );
            LLVMDisposeMessage(cpu);
            LLVMDisposeMessage(features);
            Ok(TargetMachine { raw, triple })
        }
    }
}

impl Drop for TargetMachine {
    fn drop(&mut self) {
        // SAFETY: owned by this value.
        unsafe { LLVMDisposeTargetMachine(self.raw) }
    }
}

/// Copies and frees an LLVM-allocated message (null is the empty string).
///
/// # Safety
/// `message` must be null or allocated by LLVM for `LLVMDisposeMessage`.
unsafe fn take_message(message: *mut c_char) -> String {
    if message.is_null() {
        return String::new();
    }
    let text = CStr::from_ptr(message).to_string_lossy().into_owned();
    LLVMDisposeMessage(message);
    text
}

/// The name of an LLVM value (functions are named in any module we accept).
pub fn name_of(value: LLVMValueRef) -> String {
    let mut len = 0;
    // SAFETY: LLVM returns a pointer into the value's own name storage, valid while we copy it.
    unsafe {
        let raw = LLVMGetValueName2(value, &mut len);
        String::from_utf8_lossy(std::slice::from_raw_parts(raw as *const u8, len)).into_owned()
    }
}

/// The name of a basic block.
pub fn block_name(block: LLVMBasicBlockRef) -> String {
    // SAFETY: LLVM returns a pointer into the block's own name storage, valid while we copy it.
    unsafe { CStr::from_ptr(LLVMGetBasicBlockName(block)).to_string_lossy().into_owned() }
}

/// An LLVM type as the worker's documents spell it: `double`, `float`, `i32`, `i64`, `ptr`, `void`, or LLVM's
/// own printout for anything else (which then shows up verbatim in "expected X, got Y" messages).
pub fn type_name(ty: LLVMTypeRef) -> String {
    use llvm_sys::LLVMTypeKind::*;
    // SAFETY: queries on a live type.
    unsafe {
        match LLVMGetTypeKind(ty) {
            LLVMDoubleTypeKind => "double".to_string(),
            LLVMFloatTypeKind => "float".to_string(),
            LLVMPointerTypeKind => "ptr".to_string(),
            LLVMVoidTypeKind => "void".to_string(),
            LLVMIntegerTypeKind => format!("i{}", LLVMGetIntTypeWidth(ty)),
            _ => take_message(LLVMPrintTypeToString(ty)),
        }
    }
}

/// Parameter types and return type of a function value.
pub fn signature(function: LLVMValueRef) -> (Vec<LLVMTypeRef>, LLVMTypeRef) {
    // SAFETY: the function type of a live function; the destination has room for every parameter.
    unsafe {
        let fn_type = LLVMGlobalGetValueType(function);
        let mut params = vec![ptr::null_mut(); LLVMCountParamTypes(fn_type) as usize];
        LLVMGetParamTypes(fn_type, params.as_mut_ptr());
        (params, LLVMGetReturnType(fn_type))
    }
}

pub fn is_declaration(function: LLVMValueRef) -> bool {
    // SAFETY: a query on a live global.
    unsafe { LLVMIsDeclaration(function) != 0 }
}

pub fn has_uses(value: LLVMValueRef) -> bool {
    // SAFETY: a query on a live value.
    unsafe { !LLVMGetFirstUse(value).is_null() }
}

pub fn delete_function(function: LLVMValueRef) {
    // SAFETY: callers delete only functions without uses (checked by `has_uses`).
    unsafe { LLVMDeleteFunction(function) }
}

/// The function attribute that keeps LLVM's loop and SLP vectorisers away from a function.
const NO_VECTORS: &str = "noimplicitfloat";

fn enum_attribute_kind(name: &str) -> u32 {
    // SAFETY: a lookup in LLVM's static attribute table.
    let kind = unsafe { LLVMGetEnumAttributeKindForName(name.as_ptr() as *const c_char, name.len()) };
    assert!(kind != 0, "LLVM 19 knows no attribute '{name}'");
    kind
}

fn has_function_attribute(function: LLVMValueRef, name: &str) -> bool {
    // SAFETY: an attribute lookup on a live function.
    unsafe { !LLVMGetEnumAttributeAtIndex(function, LLVMAttributeFunctionIndex, enum_attribute_kind(name)).is_null() }
}

/// Adds or removes a function-level enum attribute such as `alwaysinline`, `noinline` or `optnone`.
pub fn set_function_attribute(function: LLVMValueRef, name: &str, present: bool) {
    // SAFETY: attribute edits on a live function in its own context.
    unsafe {
        let kind = enum_attribute_kind(name);
        if present {
            let context = LLVMGetTypeContext(LLVMTypeOf(function));
            LLVMAddAttributeAtIndex(function, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(context, kind, 0));
        } else {
            LLVMRemoveEnumAttributeAtIndex(function, LLVMAttributeFunctionIndex, kind);
        }
    }
}

/// Removes a function-level enum attribute (such as `willreturn`) from every call of `function`, not from the
/// function itself.
pub fn remove_call_site_attribute(function: LLVMValueRef, name: &str) {
    let kind = enum_attribute_kind(name);
    // SAFETY: walks a live function's use list; attribute edits do not change it.
    unsafe {
        let mut use_ = LLVMGetFirstUse(function);
        while !use_.is_null() {
            let call = LLVMIsACallInst(LLVMGetUser(use_));
            if !call.is_null() && LLVMGetCalledValue(call) == function {
                LLVMRemoveCallSiteEnumAttribute(call, LLVMAttributeFunctionIndex, kind);
            }
            use_ = LLVMGetNextUse(use_);
        }
    }
}

pub fn make_external(function: LLVMValueRef) {
    // SAFETY: a linkage edit on a live function.
    unsafe { LLVMSetLinkage(function, llvm_sys::LLVMLinkage::LLVMExternalLinkage) }
}

pub fn make_internal(function: LLVMValueRef) {
    // SAFETY: a linkage edit on a live function.
    unsafe { LLVMSetLinkage(function, llvm_sys::LLVMLinkage::LLVMInternalLinkage) }
}
