//! The stable C ABI around Enzyme's derivative. Enzyme's own signature depends on the activities (shadows
//! interleaved, a seed appended, adjoints returned as a struct), and struct returns are awkward through Java's FFM.
//! So every derivative is reached through a `void` wrapper whose parameters are the primal arguments, each
//! followed by its shadow/tangent, then `ptr out`; results are stored to `out` in 8-byte slots. PROTOCOL.md lists
//! the exact signatures; `Layout` plans them. The Java frontend plans the same wrapper from the same request
//! (`jenzyme.runtime.ad.WrapperLayout`) and refuses an answer that differs; tests/data/layouts.txt holds the cases
//! both planners are tested on. Enzyme's function is made internal and
//! `alwaysinline`, so after O3 the wrapper is the derivative.

use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::{LLVMLinkage, LLVMTypeKind};

use crate::enzyme::returns_primal;
use crate::llvm::{self, Module};
use crate::spec::{Activity, DiffRequest, Mode};

/// Bytes per output slot: every result type we store (double, float, i32, i64, ptr) fits in 8.
pub const SLOT_BYTES: u64 = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// The primal value of argument `i`, as the original function takes it.
    Arg(usize),
    /// The shadow of pointer argument `i` (width > 1: a pointer to `width` shadow pointers, in either mode).
    Shadow(usize),
    /// The tangent of floating scalar argument `i` in forward mode (width > 1: a pointer to `width` values).
    Tangent(usize),
    /// Where the results go.
    Out,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The primal return value.
    Primal,
    /// Reverse mode: d(return)/d(argument `i`) for an active scalar argument.
    Adjoint(usize),
    /// Forward mode: lane `l` of the return value's tangent.
    DReturn(u32),
}

/// The wrapper's symbol, its parameters with their LLVM types, and the meaning and type of each output slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub symbol: String,
    pub params: Vec<(Param, String)>,
    pub slots: Vec<(Slot, String)>,
    /// The original function's parameter and return types.
    pub primal_params: Vec<String>,
    pub primal_return: String,
}

/// `<fn>__jenzyme_reverse`, `<fn>__jenzyme_forward`, or `<fn>__jenzyme_<mode>_x<width>` in vector mode.
pub fn default_symbol(function: &str, mode: Mode) -> String {
    match mode {
        Mode::Reverse { width: 1 } => format!("{function}__jenzyme_reverse"),
        Mode::Reverse { width } => format!("{function}__jenzyme_reverse_x{width}"),
        Mode::Forward { width: 1 } => format!("{function}__jenzyme_forward"),
        Mode::Forward { width } => format!("{function}__jenzyme_forward_x{width}"),
    }
}

impl Layout {
    /// `param_types` and `return_type` are the original function's, spelled as `llvm::type_name` spells them.
    pub fn plan(request: &DiffRequest, param_types: &[String], return_type: &str) -> Layout {
        let width = request.mode.width();
        let mut params = Vec::new();
        let mut slots = Vec::new();
        for (i, (arg, ty)) in request.args.iter().zip(param_types).enumerate() {
            params.push((Param::Arg(i), ty.clone()));
            if arg.activity.has_shadow() {
                let shadow_type = if width > 1 { "ptr".to_string() } else { ty.clone() };
                let role = if arg.ty.is_pointer() { Param::Shadow(i) } else { Param::Tangent(i) };
                params.push((role, shadow_type));
            }
        }
        params.push((Param::Out, "ptr".to_string()));
        if returns_primal(request, return_type == "void") {
            slots.push((Slot::Primal, return_type.to_string()));
        }
        match request.mode {
            Mode::Reverse { .. } => {
                for (i, (arg, ty)) in request.args.iter().zip(param_types).enumerate() {
                    if arg.activity == Activity::Active {
                        slots.push((Slot::Adjoint(i), ty.clone()));
                    }
                }
            }
            Mode::Forward { width } if request.ret.has_shadow() => {
                slots.extend((0..width).map(|lane| (Slot::DReturn(lane), return_type.to_string())));
            }
            Mode::Forward { .. } => {}
        }
        let symbol = request.options.wrapper_name.clone().unwrap_or_else(|| default_symbol(&request.function, request.mode));
        Layout {
            symbol,
            params,
            slots,
            primal_params: param_types.to_vec(),
            primal_return: return_type.to_string(),
        }
    }

    /// `arg0:ptr,arg1:double,arg2:ptr,shadow2:ptr,...,out:ptr` (see PROTOCOL.md).
    pub fn params_token(&self) -> String {
        let tokens: Vec<String> = self
            .params
            .iter()
            .map(|(param, ty)| match param {
                Param::Arg(i) => format!("arg{i}:{ty}"),
                Param::Shadow(i) => format!("shadow{i}:{ty}"),
                Param::Tangent(i) => format!("tangent{i}:{ty}"),
                Param::Out => format!("out:{ty}"),
            })
            .collect();
        tokens.join(",")
    }

    /// `primal:double,adjoint1:double` or `primal:double,dreturn0:double,...` (empty when nothing is stored).
    pub fn slots_token(&self) -> String {
        let tokens: Vec<String> = self
            .slots
            .iter()
            .map(|(slot, ty)| match slot {
                Slot::Primal => format!("primal:{ty}"),
                Slot::Adjoint(i) => format!("adjoint{i}:{ty}"),
                Slot::DReturn(lane) => format!("dreturn{lane}:{ty}"),
            })
            .collect();
        tokens.join(",")
    }
}


/// Emits the wrapper described by `layout` around Enzyme's `derivative`.
pub fn emit(module: &Module, request: &DiffRequest, layout: &Layout, derivative: LLVMValueRef) -> Result<(), String> {
    emit_with(module, request, layout, derivative, false)
}

/// The parts form of a wrapper (PROTOCOL.md, `parts_symbol`): `layout`'s parameters then `i32 part, i32 parts`,
/// passed on after the seed to `derivative`, which takes them there (a fused stencil derivative's `.parts`). The
/// derivative is left to the inliner: the whole wrapper calls it too (twice), and forcing it inline put three
/// copies of the fused loop in the module (measured: `_set` 640 lines of IR, `_set_parts` 378, against 366 for
/// `.add.parts` left alone), each one more for O3 and the JIT to compile.
pub fn emit_parts(module: &Module, request: &DiffRequest, layout: &Layout, derivative: LLVMValueRef)
                  -> Result<(), String> {
    emit_with(module, request, layout, derivative, true)
}

fn emit_with(module: &Module, request: &DiffRequest, layout: &Layout, derivative: LLVMValueRef, parts: bool)
             -> Result<(), String> {
    if module.function(&layout.symbol).is_some() {
        return Err(format!("the module already defines '{}', the wrapper's symbol", layout.symbol));
    }
    let symbol = CString::new(layout.symbol.as_str()).map_err(|_| "symbol names cannot contain NUL".to_string())?;
    // SAFETY: IR construction in the module's own context with a builder disposed before returning; every value
    // used was created here or belongs to the module.
    unsafe {
        let context = LLVMGetModuleContext(module.raw());
        let builder = LLVMCreateBuilderInContext(context);
        let mut param_types: Vec<LLVMTypeRef> = layout.params.iter().map(|(_, ty)| scalar_type(context, ty)).collect();
        if parts {
            param_types.extend([LLVMInt32TypeInContext(context); 2]);
        }
        let wrapper_type =
            LLVMFunctionType(LLVMVoidTypeInContext(context), param_types.as_mut_ptr(), param_types.len() as u32, 0);
        let wrapper = LLVMAddFunction(module.raw(), symbol.as_ptr(), wrapper_type);
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, wrapper, c"entry".as_ptr()));
        let out = LLVMGetParam(wrapper, layout.params.len() as u32 - 1);
        let mut scratch = Vec::new();
        let result = call_derivative(builder, context, wrapper, request, layout, derivative, parts, &mut scratch)
            .and_then(|call| store_results(builder, context, call, out, layout));
        let free = c_library_function(module.raw(), context, "free", LLVMVoidTypeInContext(context), 1);
        for buffer in scratch {
            let mut arg = [buffer];
            LLVMBuildCall2(builder, free.1, free.0, arg.as_mut_ptr(), 1, c"".as_ptr());
        }
        LLVMBuildRetVoid(builder);
        LLVMDisposeBuilder(builder);
        if let Err(problem) = result {
            LLVMDeleteFunction(wrapper);
            return Err(problem);
        }
    }
    if !parts {
        make_inlinable(derivative);
    }
    Ok(())
}

/// Builds Enzyme's argument list from the wrapper's parameters and calls the derivative. The shadows the wrapper
/// allocates for scratch arguments are added to `scratch`, for the caller to free after the call. With `parts`,
/// the wrapper's two parameters after `layout`'s are passed last.
#[allow(clippy::too_many_arguments)]
unsafe fn call_derivative(
    builder: LLVMBuilderRef,
    context: LLVMContextRef,
    wrapper: LLVMValueRef,
    request: &DiffRequest,
    layout: &Layout,
    derivative: LLVMValueRef,
    parts: bool,
    scratch: &mut Vec<LLVMValueRef>,
) -> Result<LLVMValueRef, String> {
    let width = request.mode.width();
    let mut args = Vec::new();
    for (index, (param, _)) in layout.params.iter().enumerate() {
        let value = LLVMGetParam(wrapper, index as u32);
        match param {
            Param::Out => {}
            Param::Shadow(i) | Param::Tangent(i) if width > 1 => {
                let lane_type = scalar_type(context, &layout.primal_params[*i]);
                args.push(gather_lanes(builder, value, lane_type, width));
            }
            Param::Arg(i) if request.args[*i].activity == Activity::Scratch => {
                args.push(value);
                // check_activities made the next argument its length, the next wrapper parameter (no shadow between)
                let length = LLVMGetParam(wrapper, index as u32 + 1);
                args.push(scratch_shadow(builder, context, wrapper, request, *i, length, width, scratch));
            }
            Param::Arg(_) | Param::Shadow(_) | Param::Tangent(_) => args.push(value),
        }
    }
    if request.mode == Mode::REVERSE && request.ret == Activity::Active {
        // The seed of the return's adjoint: the wrapper computes a gradient, d(return)/d(return) = 1.
        args.push(LLVMConstReal(scalar_type(context, &layout.primal_return), 1.0));
    }
    if parts {
        let first = layout.params.len() as u32;
        args.extend([LLVMGetParam(wrapper, first), LLVMGetParam(wrapper, first + 1)]);
    }
    let (expected, _) = llvm::signature(derivative);
    let want: Vec<String> = expected.iter().map(|t| llvm::type_name(*t)).collect();
    let got: Vec<String> = args.iter().map(|a| llvm::type_name(LLVMTypeOf(*a))).collect();
    if got != want {
        return Err(format!(
            "expected Enzyme's derivative '{}' to take ({}), got ({})",
            llvm::name_of(derivative),
            want.join(", "),
            got.join(", ")
        ));
    }
    let fn_type = LLVMGlobalGetValueType(derivative);
    Ok(LLVMBuildCall2(builder, fn_type, derivative, args.as_mut_ptr(), args.len() as u32, c"".as_ptr()))
}

/// The zeroed shadow (per lane in vector forward mode, as `[width x ptr]`) of scratch argument `i`, `length` elements:
/// `calloc`, which the JIT's checked allocator counts and frees with the call's other blocks if the call unwinds.
#[allow(clippy::too_many_arguments)]
unsafe fn scratch_shadow(
    builder: LLVMBuilderRef,
    context: LLVMContextRef,
    wrapper: LLVMValueRef,
    request: &DiffRequest,
    i: usize,
    length: LLVMValueRef,
    width: u32,
    scratch: &mut Vec<LLVMValueRef>,
) -> LLVMValueRef {
    let i64_type = LLVMInt64TypeInContext(context);
    let ptr = LLVMPointerTypeInContext(context, 0);
    let (calloc, calloc_type) = c_library_function(LLVMGetGlobalParent(wrapper), context, "calloc", ptr, 2);
    let element_bytes = match request.args[i].ty {
        crate::spec::ArgType::PointerTo(crate::spec::Scalar::Float) => 4,
        _ => 8,
    };
    let count = LLVMBuildZExt(builder, length, i64_type, c"".as_ptr());
    let mut lanes = Vec::new();
    for _ in 0..width {
        let mut args = [count, LLVMConstInt(i64_type, element_bytes, 0)];
        let buffer = LLVMBuildCall2(builder, calloc_type, calloc, args.as_mut_ptr(), 2, c"".as_ptr());
        scratch.push(buffer);
        lanes.push(buffer);
    }
    if width == 1 {
        return lanes[0];
    }
    let mut vector = LLVMGetPoison(LLVMArrayType2(ptr, width as u64));
    for (lane, buffer) in lanes.into_iter().enumerate() {
        vector = LLVMBuildInsertValue(builder, vector, buffer, lane as u32, c"".as_ptr());
    }
    vector
}

/// `free(ptr)` or `calloc(i64, i64)` of the C library (told apart by `params`), declared in `module` unless it is
/// already: (function, function type).
unsafe fn c_library_function(module: LLVMModuleRef, context: LLVMContextRef, name: &str, ret: LLVMTypeRef, params: u32)
    -> (LLVMValueRef, LLVMTypeRef) {
    let mut types: Vec<LLVMTypeRef> = if params == 1 {
        vec![LLVMPointerTypeInContext(context, 0)]
    } else {
        vec![LLVMInt64TypeInContext(context); params as usize]
    };
    let fn_type = LLVMFunctionType(ret, types.as_mut_ptr(), params, 0);
    let c_name = CString::new(name).expect("a C library name");
    let existing = LLVMGetNamedFunction(module, c_name.as_ptr());
    let function = if existing.is_null() { LLVMAddFunction(module, c_name.as_ptr(), fn_type) } else { existing };
    (function, fn_type)
}

/// Vector forward mode takes `[width x T]` per shadow: load the lanes from the pointer the caller passed.
unsafe fn gather_lanes(builder: LLVMBuilderRef, lanes: LLVMValueRef, lane_type: LLVMTypeRef, width: u32) -> LLVMValueRef {
    let context = LLVMGetTypeContext(lane_type);
    let mut vector = LLVMGetPoison(LLVMArrayType2(lane_type, width as u64));
    for lane in 0..width {
        let mut index = [LLVMConstInt(LLVMInt64TypeInContext(context), lane as u64, 0)];
        let address = LLVMBuildGEP2(builder, lane_type, lanes, index.as_mut_ptr(), 1, c"".as_ptr());
        let value = LLVMBuildLoad2(builder, lane_type, address, c"".as_ptr());
        vector = LLVMBuildInsertValue(builder, vector, value, lane, c"".as_ptr());
    }
    vector
}

/// Flattens Enzyme's result (a scalar, or nested structs/arrays of scalars) and stores leaf `k` to `out + 8k`,
/// after checking the leaves against the planned slots.
unsafe fn store_results(
    builder: LLVMBuilderRef,
    context: LLVMContextRef,
    result: LLVMValueRef,
    out: LLVMValueRef,
    layout: &Layout,
) -> Result<(), String> {
    let mut leaves = Vec::new();
    flatten(builder, result, &mut leaves);
    let got: Vec<String> = leaves.iter().map(|v| llvm::type_name(LLVMTypeOf(*v))).collect();
    let want: Vec<String> = layout.slots.iter().map(|(_, ty)| ty.clone()).collect();
    if got != want {
        return Err(format!(
            "expected Enzyme's derivative to return ({}) for slots [{}], got ({}) from type {}",
            want.join(", "),
            layout.slots_token(),
            got.join(", "),
            llvm::type_name(LLVMTypeOf(result))
        ));
    }
    let byte = LLVMInt8TypeInContext(context);
    for (k, leaf) in leaves.into_iter().enumerate() {
        let mut offset = [LLVMConstInt(LLVMInt64TypeInContext(context), k as u64 * SLOT_BYTES, 0)];
        let address = LLVMBuildGEP2(builder, byte, out, offset.as_mut_ptr(), 1, c"".as_ptr());
        LLVMBuildStore(builder, leaf, address);
    }
    Ok(())
}

unsafe fn flatten(builder: LLVMBuilderRef, value: LLVMValueRef, leaves: &mut Vec<LLVMValueRef>) {
    let ty = LLVMTypeOf(value);
    let count = match LLVMGetTypeKind(ty) {
        LLVMTypeKind::LLVMVoidTypeKind => return,
        LLVMTypeKind::LLVMStructTypeKind => LLVMCountStructElementTypes(ty),
        LLVMTypeKind::LLVMArrayTypeKind => LLVMGetArrayLength2(ty) as u32,
        _ => {
            leaves.push(value);
            return;
        }
    };
    for index in 0..count {
        flatten(builder, LLVMBuildExtractValue(builder, value, index, c"".as_ptr()), leaves);
    }
}

/// Enzyme's function exists only to be inlined into the wrapper; internal linkage lets O3 drop it afterwards.
fn make_inlinable(derivative: LLVMValueRef) {
    // SAFETY: linkage edit on a live function.
    unsafe { LLVMSetLinkage(derivative, LLVMLinkage::LLVMInternalLinkage) };
    llvm::set_function_attribute(derivative, "noinline", false);
    llvm::set_function_attribute(derivative, "optnone", false);
    llvm::set_function_attribute(derivative, "alwaysinline", true);
}

/// The LLVM type for a token from `llvm::type_name` (only the types a wrapper parameter or slot can have).
unsafe fn scalar_type(context: LLVMContextRef, token: &str) -> LLVMTypeRef {
    match token {
        "double" => LLVMDoubleTypeInContext(context),
        "float" => LLVMFloatTypeInContext(context),
        "ptr" => LLVMPointerTypeInContext(context, 0),
        "i32" => LLVMInt32TypeInContext(context),
        "i64" => LLVMInt64TypeInContext(context),
        "i8" => LLVMInt8TypeInContext(context),
        other => panic!("no wrapper type for '{other}': the signature check admits only these"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ArgSpec, Options};

    fn plan(mode: Mode, args: &str, ret: Activity, params: &[&str], ret_type: &str) -> Layout {
        let request = DiffRequest {
            function: "f".into(),
            mode,
            args: ArgSpec::parse_list(args).unwrap(),
            ret,
            options: Options::default(),
        };
        let params: Vec<String> = params.iter().map(|s| s.to_string()).collect();
        Layout::plan(&request, &params, ret_type)
    }

    #[test]
    fn reverse_layout_of_the_java_calling_convention() {
        let layout = plan(
            Mode::REVERSE,
            "const:i32*,active:double,dup:double*,const:i32,const:i32",
            Activity::Active,
            &["ptr", "double", "ptr", "i32", "i32"],
            "double",
        );
        assert_eq!(layout.symbol, "f__jenzyme_reverse");
        assert_eq!(layout.params_token(), "arg0:ptr,arg1:double,arg2:ptr,shadow2:ptr,arg3:i32,arg4:i32,out:ptr");
        assert_eq!(layout.slots_token(), "primal:double,adjoint1:double");
    }

    #[test]
    fn forward_layouts_scalar_and_vector() {
        let scalar = plan(
            Mode::Forward { width: 1 },
            "dup:double,dup:double*,const:i32",
            Activity::Duplicated,
            &["double", "ptr", "i32"],
            "double",
        );
        assert_eq!(scalar.symbol, "f__jenzyme_forward");
        assert_eq!(scalar.params_token(), "arg0:double,tangent0:double,arg1:ptr,shadow1:ptr,arg2:i32,out:ptr");
        assert_eq!(scalar.slots_token(), "primal:double,dreturn0:double");

        let vector = plan(Mode::Forward { width: 3 }, "dup:double,const:double", Activity::DuplicatedNoNeed, &["double", "double"], "double");
        assert_eq!(vector.symbol, "f__jenzyme_forward_x3");
        assert_eq!(vector.params_token(), "arg0:double,tangent0:ptr,arg1:double,out:ptr");
        assert_eq!(vector.slots_token(), "dreturn0:double,dreturn1:double,dreturn2:double");
    }

    /// The cases Java's `WrapperLayout` is held to as well (tests/data/layouts.txt): the two planners agree.
    #[test]
    fn plans_the_layouts_shared_with_the_java_frontend() {
        let cases = include_str!("../tests/data/layouts.txt");
        let mut checked = 0;
        for line in cases.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let f: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(f.len(), 9, "expected 9 fields in '{line}'");
            let request = DiffRequest {
                function: "f".into(),
                mode: Mode::parse(f[0], f[1].parse().unwrap()).unwrap(),
                args: ArgSpec::parse_list(f[2]).unwrap(),
                ret: Activity::parse(f[3]).unwrap(),
                options: Options { primal_return: f[4] == "true", ..Options::default() },
            };
            assert!(request.check_activities().is_ok(), "{line}");
            let types: Vec<String> = f[5].split(',').map(str::to_string).collect();
            let layout = Layout::plan(&request, &types, f[6]);
            assert_eq!(layout.params_token(), f[7], "{line}");
            assert_eq!(layout.slots_token(), f[8], "{line}");
            checked += 1;
        }
        assert!(checked >= 8, "expected the shared cases, read {checked}");
    }

    #[test]
    fn void_functions_store_only_adjoints() {
        let layout = plan(Mode::REVERSE, "dup:double*,active:float", Activity::Const, &["ptr", "float"], "void");
        assert_eq!(layout.params_token(), "arg0:ptr,shadow0:ptr,arg1:float,out:ptr");
        assert_eq!(layout.slots_token(), "adjoint1:float");
    }
}
