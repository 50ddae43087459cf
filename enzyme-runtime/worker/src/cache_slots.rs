//! Drops Enzyme's `!invariant.group` claim from loads and stores of pointers. When a loop whose trip count Enzyme
//! cannot compute (every frontend loop: its interrupt poll and bounds checks are extra exits) sits inside another,
//! Enzyme keeps one cache per outer iteration in a slot of the outer cache and grows it with `realloc` as the inner
//! loop runs. It tags the loads of that slot `!invariant.group`, but the slot is rewritten with each `realloc`'s
//! result, so GVN reused the pointer loaded before the `realloc`: the inner loop's third value went into the freed
//! block. Found with `for (i..steps) for (j < 3) y[j] += h * y[j]`: d/dh was 2e152 (FD 382); an inner loop of 2
//! (one allocation, no `realloc`) was right.
//!
//! Only pointer slots lose the tag. The cached values themselves (doubles, loop limits) are written once, so their
//! claim holds and stays.

use std::ffi::CString;

use llvm_sys::core::*;
use llvm_sys::LLVMTypeKind;

use crate::llvm::{self, Module};

/// Removes `!invariant.group` from every load and store of a pointer in the module; returns how many.
pub fn untag_pointer_slots(module: &Module) -> usize {
    let name = CString::new("invariant.group").unwrap();
    let mut untagged = 0;
    // SAFETY: walks the instruction lists of a live module and only removes metadata.
    unsafe {
        let kind = LLVMGetMDKindIDInContext(LLVMGetModuleContext(module.raw()), name.as_ptr(), 15);
        for f in module.functions().into_iter().filter(|f| !llvm::is_declaration(*f)) {
            let mut block = LLVMGetFirstBasicBlock(f);
            while !block.is_null() {
                let mut inst = LLVMGetFirstInstruction(block);
                while !inst.is_null() {
                    let accessed = if !LLVMIsALoadInst(inst).is_null() {
                        Some(LLVMTypeOf(inst))
                    } else if !LLVMIsAStoreInst(inst).is_null() {
                        Some(LLVMTypeOf(LLVMGetOperand(inst, 0)))
                    } else {
                        None
                    };
                    if accessed.is_some_and(|t| LLVMGetTypeKind(t) == LLVMTypeKind::LLVMPointerTypeKind)
                        && !LLVMGetMetadata(inst, kind).is_null()
                    {
                        LLVMSetMetadata(inst, kind, std::ptr::null_mut());
                        untagged += 1;
                    }
                    inst = LLVMGetNextInstruction(inst);
                }
                block = LLVMGetNextBasicBlock(block);
            }
        }
    }
    untagged
}
