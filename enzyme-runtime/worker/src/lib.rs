//! JEnzyme's Enzyme worker: LLVM 19 bitcode in, the module with a differentiated, optimised function and a
//! stable C-ABI wrapper out (or a structured error). See PROTOCOL.md for the wire format and the wrapper ABI.
//! Stage neighbours: the Java frontend produces the bitcode; `jenzyme.runtime.worker.WorkerClient` drives this
//! process; the JIT loads what it returns.

pub mod blas_names;
pub mod cache_slots;
pub mod cfg;
pub mod cli;
pub mod diagnostics;
pub mod enzyme;
pub mod failure_checks;
pub mod frame;
pub mod heap_prefault;
pub mod kept_results;
pub mod llvm;
pub mod loop_fission;
pub mod outline;
pub mod pipeline;
pub mod protocol;
pub mod reverse_polls;
pub mod serve;
pub mod spec;
pub mod stencil;
pub mod vector_variants;
pub mod wrapper;
pub mod zeroing_polls;
