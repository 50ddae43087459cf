//! `--fast-math` after Enzyme: the calls Enzyme adds (a reverse sweep's recomputed `exp`, its own copies of the
//! primal's calls) lack the call-site `vector-function-abi-variant` attribute that jenzyme.runtime.llvm.VectorMaths
//! gave the primal's calls, so O3 kept them scalar (LogReg's reverse map loop called glibc's exp once per row). Each
//! call of a function that has the attribute at one of its call sites gets the same attribute.

use std::collections::HashMap;

use llvm_sys::core::*;
use llvm_sys::prelude::*;
use llvm_sys::LLVMAttributeFunctionIndex;

use crate::llvm::{self, Module};
use crate::loop_fission::VECTOR_VARIANTS;

/// Copies the attribute to every call of the same callee that lacks it; returns how many calls got it.
pub fn spread(module: &Module) -> usize {
    let calls: Vec<LLVMValueRef> = module
        .functions()
        .into_iter()
        .filter(|f| !llvm::is_declaration(*f))
        .flat_map(|f| calls_in(f))
        .collect();
    let mut by_callee: HashMap<LLVMValueRef, LLVMAttributeRef> = HashMap::new();
    for call in &calls {
        let attribute = variants_of(*call);
        if !attribute.is_null() {
            // SAFETY: a live call instruction.
            by_callee.insert(unsafe { LLVMGetCalledValue(*call) }, attribute);
        }
    }
    let mut given = 0;
    for call in calls {
        // SAFETY: attributes live in the module's context, which every call shares.
        unsafe {
            if let Some(attribute) = by_callee.get(&LLVMGetCalledValue(call)) {
                if variants_of(call).is_null() {
                    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, *attribute);
                    given += 1;
                }
            }
        }
    }
    given
}

fn variants_of(call: LLVMValueRef) -> LLVMAttributeRef {
    // SAFETY: attribute lookup on a live call instruction.
    unsafe {
        LLVMGetCallSiteStringAttribute(call, LLVMAttributeFunctionIndex, VECTOR_VARIANTS.as_ptr().cast(),
                                       VECTOR_VARIANTS.len() as u32)
    }
}

fn calls_in(function: LLVMValueRef) -> Vec<LLVMValueRef> {
    let mut calls = Vec::new();
    // SAFETY: read-only walk over a live function's instructions.
    unsafe {
        let mut block = LLVMGetFirstBasicBlock(function);
        while !block.is_null() {
            let mut inst = LLVMGetFirstInstruction(block);
            while !inst.is_null() {
                if !LLVMIsACallInst(inst).is_null() {
                    calls.push(inst);
                }
                inst = LLVMGetNextInstruction(inst);
            }
            block = LLVMGetNextBasicBlock(block);
        }
    }
    calls
}
