//! Enzyme's `extractBLAS(StringRef)`, remembered per name. Enzyme asks it whether a called function is a BLAS
//! routine it has rules for, from type analysis, activity analysis and the adjoint of every call, and answers by
//! building each of its ~1250 candidate names (`cblas_` + `d` + `dot` + `_64_`, ...) as a fresh `std::string` and
//! comparing: ~0.9M instructions per question. A request asks it 44 times for the 14 calls of `./bench --latency`'s
//! 30-line method, 38.5M of the worker's 257M instructions (callgrind), about 13 ms of a warm `%autodiff`.
//!
//! The answer depends on the name alone, so the binary links with `--wrap` (build.rs): Enzyme's calls land here,
//! a name already found not to be BLAS is answered at once, any other goes to Enzyme's own function (a BLAS name
//! every time, so its answer is always Enzyme's). Requests run in forked children, so what is remembered lasts one
//! request, as does every other piece of the worker's state.

use std::cell::RefCell;
use std::collections::HashSet;

/// `std::optional<BlasInfo>` as libstdc++ lays it out: Enzyme's `BlasInfo` (four `std::string`s of 32 bytes and a
/// `bool`, padded to 136 bytes), then the optional's engaged flag. Only the flag is read or written here; the value
/// is Enzyme's to construct, and a disengaged optional holds none.
#[repr(C)]
pub struct OptionalBlasInfo {
    value: [std::mem::MaybeUninit<u8>; 136],
    engaged: bool,
}

extern "C" {
    /// Enzyme's function itself (`--wrap` names it `__real_<symbol>`). Returns its `std::optional` through the
    /// hidden result pointer, as the Itanium C++ ABI passes a class that is not trivially copyable; `StringRef` is
    /// two words in registers.
    #[link_name = "__real__Z11extractBLASN4llvm9StringRefE"]
    fn enzyme_extract_blas(result: *mut OptionalBlasInfo, data: *const u8, len: usize) -> *mut OptionalBlasInfo;
}

thread_local! {
    static NOT_BLAS: RefCell<HashSet<Vec<u8>>> = RefCell::new(HashSet::new());
}

/// What Enzyme calls in place of `extractBLAS` (see the module comment).
///
/// # Safety
/// Called by Enzyme only, with a result slot for a `std::optional<BlasInfo>` and a name of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn __wrap__Z11extractBLASN4llvm9StringRefE(
    result: *mut OptionalBlasInfo,
    data: *const u8,
    len: usize,
) -> *mut OptionalBlasInfo {
    let name = if len == 0 { &[][..] } else { std::slice::from_raw_parts(data, len) };
    if NOT_BLAS.with(|names| names.borrow().contains(name)) {
        (*result).engaged = false;
        return result;
    }
    enzyme_extract_blas(result, data, len);
    if !(*result).engaged {
        NOT_BLAS.with(|names| names.borrow_mut().insert(name.to_vec()));
    }
    result
}
