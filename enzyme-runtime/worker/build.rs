//! Links the worker binary with Enzyme's `extractBLAS` routed through `blas_names` (see there why).

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--wrap=_Z11extractBLASN4llvm9StringRefE");
    println!("cargo:rerun-if-changed=build.rs");
}
