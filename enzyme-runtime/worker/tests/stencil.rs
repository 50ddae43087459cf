//! The fused pull loop of `--fast-math` reverse stencil sums (stencil.rs): Rosenbrock and a squared three-point
//! Laplacian with a const scalar, as C, their fused gradients against the strict request's Enzyme gradient (the
//! pass applies only under `--fast-math`) on every element and against central differences of the primal on
//! chosen elements, n from 0 to 10^5; the overwriting wrapper writes what the accumulating one adds to zero; and
//! shapes the pass must leave to Enzyme.

mod common;

use common::*;

const ROSENBROCK: &str = r#"
double f(const double *x, long n) {
    double s = 0;
    for (long i = 0; i + 1 < n; i++) {
        double u = x[i + 1] - x[i] * x[i];
        double v = 1 - x[i];
        s += 100 * u * u + v * v;
    }
    return s;
}
"#;

/// Offsets -1, 0, 1 from a loop starting at 1, a const scalar, a division.
const LAPLACIAN: &str = r#"
double f(const double *x, double a, long n) {
    double s = 0;
    for (long i = 1; i + 1 < n; i++) {
        double d = x[i - 1] - 2 * x[i] + x[i + 1];
        s += a * d * d + x[i] / (1 + x[i] * x[i]);
    }
    return s;
}
"#;

/// Rosenbrock with the Java frontend's bounds checks (`jenzyme.fail_if(status, failed, 1, index, length, line)`),
/// whose length tells the worker that the stencil reaches every element: it gets the overwriting wrapper.
const CHECKED_ROSENBROCK: &str = r#"
void check(int *status, _Bool failed, int kind, int index, int length, int line) __asm__("jenzyme.fail_if");
__attribute__((noinline)) void check(int *status, _Bool failed, int kind, int index, int length, int line) {
    if (failed) { status[0] = kind; status[1] = index; status[2] = length; status[4] = line; }
}
double f(int *status, const double *x, int len) {
    double s = 0;
    for (int i = 0; i + 1 < len; i++) {
        check(status, (unsigned) (i + 1) >= (unsigned) len, 1, i + 1, len, 3);
        check(status, (unsigned) i >= (unsigned) len, 1, i, len, 3);
        double u = x[i + 1] - x[i] * x[i];
        double v = 1 - x[i];
        s += 100 * u * u + v * v;
    }
    return s;
}
"#;

/// The Laplacian with an active scalar and the frontend's bounds checks, reaching every element: its overwriting
/// wrapper has a parts form whose parts sum the adjoint of `a`.
const CHECKED_LAPLACIAN: &str = r#"
void check(int *status, _Bool failed, int kind, int index, int length, int line) __asm__("jenzyme.fail_if");
__attribute__((noinline)) void check(int *status, _Bool failed, int kind, int index, int length, int line) {
    if (failed) { status[0] = kind; status[1] = index; status[2] = length; status[4] = line; }
}
double f(int *status, const double *x, double a, int len) {
    double s = 0;
    for (int i = 1; i + 1 < len; i++) {
        check(status, (unsigned) (i + 1) >= (unsigned) len, 1, i + 1, len, 3);
        check(status, (unsigned) (i - 1) >= (unsigned) len, 1, i - 1, len, 3);
        check(status, (unsigned) i >= (unsigned) len, 1, i, len, 3);
        double d = x[i - 1] - 2 * x[i] + x[i + 1];
        s += a * d * d + x[i] / (1 + x[i] * x[i]);
    }
    return s;
}
"#;

type CheckedLaplacianGradient = unsafe extern "C" fn(*mut i32, *const f64, *mut f64, f64, i32, *mut f64);
type CheckedLaplacianParts = unsafe extern "C" fn(*mut i32, *const f64, *mut f64, f64, i32, *mut f64, i32, i32);
type CheckedParts = unsafe extern "C" fn(*mut i32, *const f64, *mut f64, i32, *mut f64, i32, i32);
type LaplacianActiveGradient = unsafe extern "C" fn(*const f64, *mut f64, f64, i64, *mut f64);
type CheckedGradient = unsafe extern "C" fn(*mut i32, *const f64, *mut f64, i32, *mut f64);
type Rosenbrock = unsafe extern "C" fn(*const f64, i64) -> f64;
type RosenbrockGradient = unsafe extern "C" fn(*const f64, *mut f64, i64, *mut f64);
type Laplacian = unsafe extern "C" fn(*const f64, f64, i64) -> f64;
type LaplacianGradient = unsafe extern "C" fn(*const f64, *mut f64, f64, i64, *mut f64);

const SIZES: [i64; 9] = [0, 1, 2, 3, 63, 64, 65, 4097, 100_000];

struct Compiled {
    library: Library,
    ir: String,
    overwrite_symbol: Option<String>,
    parts_symbol: Option<String>,
}

fn compile(worker: &mut Worker, source: &str, args: &str, fast_math: bool, overwrite: bool) -> Compiled {
    compile_with(worker, source, args, fast_math, overwrite, true)
}

fn compile_with(worker: &mut Worker, source: &str, args: &str, fast_math: bool, overwrite: bool, primal: bool) -> Compiled {
    let response = worker.differentiate(
        &bitcode_of(source, "-O1"),
        &[
            ("primal", if primal { "true" } else { "false" }),
            ("function", "f"),
            ("mode", "reverse"),
            ("args", args),
            ("return", "active"),
            ("fast_math", if fast_math { "true" } else { "false" }),
            ("overwrite", if overwrite { "true" } else { "false" }),
            ("keep_function", "true"),
            ("dump_ir", "true"),
        ],
    );
    assert_ok(&response);
    let ir = String::from_utf8_lossy(response.section("ir_after_enzyme").unwrap()).into_owned();
    Compiled {
        library: Library::from_bitcode(response.section("bitcode").unwrap()),
        ir,
        overwrite_symbol: response.get("overwrite_symbol").map(str::to_string),
        parts_symbol: response.get("parts_symbol").map(str::to_string),
    }
}

/// Deterministic values in [-2, 2) (an LCG: the tests need no random crate).
fn inputs(n: i64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n).map(|_| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0
    }).collect()
}

/// The elements whose central difference is checked: the edges, where the stencil is cut, and a few inside.
fn probes(n: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..n.min(4)).chain(n.saturating_sub(4)..n).chain([n / 2, n / 3]).filter(|j| *j < n).collect();
    at.sort();
    at.dedup();
    at
}

/// `value` and gradient against the strict ones (every element) and central differences of `primal` (probes);
/// `primal` takes its length from the slice.
fn check(fast: (f64, &[f64]), strict: (f64, &[f64]), x: &[f64], primal: &dyn Fn(&[f64]) -> f64, what: &str) {
    let n = x.len();
    let magnitude: f64 = strict.1.iter().map(|g| g.abs()).sum::<f64>() + strict.0.abs();
    assert!((fast.0 - strict.0).abs() <= (n as f64 + 16.0) * f64::EPSILON * magnitude.max(1.0),
            "{what}: value {} against strict {}", fast.0, strict.0);
    for j in 0..n {
        assert!((fast.1[j] - strict.1[j]).abs() <= 1e-12 * strict.1[j].abs().max(1.0),
                "{what}: g[{j}] = {} against strict {}", fast.1[j], strict.1[j]);
    }
    for j in probes(n) {
        // The primal of a window holding every term that reads x[j]: the whole sum's value (10^6 at n = 10^5)
        // would drown the difference in rounding.
        let (lo, hi) = (j.saturating_sub(4), (j + 5).min(n));
        let fd = central_difference(|v| {
            let mut window = x[lo..hi].to_vec();
            window[j - lo] = v;
            primal(&window)
        }, x[j]);
        assert!((fast.1[j] - fd).abs() <= 1e-5 * fd.abs().max(1.0), "{what}: g[{j}] = {} against central {fd}", fast.1[j]);
    }
}

#[test]
fn rosenbrock_fused_gradient_agrees_with_enzyme_and_central_differences() {
    let mut worker = Worker::start();
    let args = "dup:double*,const:i64";
    let fast = compile(&mut worker, ROSENBROCK, args, true, false);
    let strict = compile(&mut worker, ROSENBROCK, args, false, false);
    assert!(fast.ir.contains("f.stencil.add"), "the fast gradient is fused: {}", fast.ir);
    assert!(!strict.ir.contains("stencil"), "strict gradients are Enzyme's");
    // SAFETY: the symbols' C signatures are as declared (PROTOCOL.md's wrapper for these activities).
    let (primal, fast_grad, strict_grad): (Rosenbrock, RosenbrockGradient, RosenbrockGradient) = unsafe {
        (strict.library.symbol("f"), fast.library.symbol("f__jenzyme_reverse"), strict.library.symbol("f__jenzyme_reverse"))
    };
    for n in SIZES {
        let x = inputs(n, n as u64 + 1);
        // The shadow starts nonzero: the accumulating wrapper adds to it.
        let start: Vec<f64> = inputs(n, 99);
        let (mut g_fast, mut g_strict) = (start.clone(), start.clone());
        let (mut out_fast, mut out_strict) = ([0.0], [0.0]);
        // SAFETY: x and the shadows hold n doubles.
        unsafe {
            fast_grad(x.as_ptr(), g_fast.as_mut_ptr(), n, out_fast.as_mut_ptr());
            strict_grad(x.as_ptr(), g_strict.as_mut_ptr(), n, out_strict.as_mut_ptr());
        }
        let added: Vec<f64> = g_fast.iter().zip(&start).map(|(g, s)| g - s).collect();
        let added_strict: Vec<f64> = g_strict.iter().zip(&start).map(|(g, s)| g - s).collect();
        let value = |v: &[f64]| unsafe { primal(v.as_ptr(), v.len() as i64) };
        check((out_fast[0], &added), (out_strict[0], &added_strict), &x, &value, &format!("rosenbrock n={n}"));
    }
}

#[test]
fn laplacian_with_a_const_scalar_fused_gradient_agrees_with_enzyme_and_central_differences() {
    let mut worker = Worker::start();
    let args = "dup:double*,const:double,const:i64";
    let fast = compile(&mut worker, LAPLACIAN, args, true, false);
    let strict = compile(&mut worker, LAPLACIAN, args, false, false);
    assert!(fast.ir.contains("f.stencil.add"), "the fast gradient is fused: {}", fast.ir);
    // SAFETY: as above.
    let (primal, fast_grad, strict_grad): (Laplacian, LaplacianGradient, LaplacianGradient) = unsafe {
        (strict.library.symbol("f"), fast.library.symbol("f__jenzyme_reverse"), strict.library.symbol("f__jenzyme_reverse"))
    };
    for n in SIZES {
        let x = inputs(n, 7 * n as u64 + 3);
        let a = 0.75;
        let (mut g_fast, mut g_strict) = (vec![0.0; n as usize], vec![0.0; n as usize]);
        let (mut out_fast, mut out_strict) = ([0.0], [0.0]);
        // SAFETY: x and the shadows hold n doubles.
        unsafe {
            fast_grad(x.as_ptr(), g_fast.as_mut_ptr(), a, n, out_fast.as_mut_ptr());
            strict_grad(x.as_ptr(), g_strict.as_mut_ptr(), a, n, out_strict.as_mut_ptr());
        }
        let value = |v: &[f64]| unsafe { primal(v.as_ptr(), a, v.len() as i64) };
        check((out_fast[0], &g_fast), (out_strict[0], &g_strict), &x, &value, &format!("laplacian n={n}"));
    }
}

#[test]
fn an_active_scalar_gets_its_adjoint_summed_in_the_same_pass() {
    let mut worker = Worker::start();
    let args = "dup:double*,active:double,const:i64";
    let fast = compile(&mut worker, LAPLACIAN, args, true, false);
    let strict = compile(&mut worker, LAPLACIAN, args, false, false);
    assert!(fast.ir.contains("f.stencil.add"), "the fast gradient is fused: {}", fast.ir);
    // SAFETY: (x, dx, a, n, out) with out = [primal, adjoint of a], PROTOCOL.md.
    let (primal, fast_grad, strict_grad): (Laplacian, LaplacianActiveGradient, LaplacianActiveGradient) = unsafe {
        (strict.library.symbol("f"), fast.library.symbol("f__jenzyme_reverse"), strict.library.symbol("f__jenzyme_reverse"))
    };
    for n in SIZES {
        let x = inputs(n, 11 * n as u64 + 2);
        let a = -1.25;
        let (mut g_fast, mut g_strict) = (vec![0.0; n as usize], vec![0.0; n as usize]);
        let (mut out_fast, mut out_strict) = ([0.0; 2], [0.0; 2]);
        // SAFETY: x and the shadows hold n doubles, out two.
        unsafe {
            fast_grad(x.as_ptr(), g_fast.as_mut_ptr(), a, n, out_fast.as_mut_ptr());
            strict_grad(x.as_ptr(), g_strict.as_mut_ptr(), a, n, out_strict.as_mut_ptr());
        }
        let value = |v: &[f64]| unsafe { primal(v.as_ptr(), a, v.len() as i64) };
        check((out_fast[0], &g_fast), (out_strict[0], &g_strict), &x, &value, &format!("laplacian, a active, n={n}"));
        // The adjoint of a is the sum of the squared differences: the same sum, reassociated.
        let scale: f64 = (1..(n as usize).saturating_sub(1)).map(|i| (x[i - 1] - 2.0 * x[i] + x[i + 1]).powi(2)).sum();
        assert!((out_fast[1] - out_strict[1]).abs() <= (n as f64 + 16.0) * f64::EPSILON * scale.max(1.0),
                "n={n}: adjoint of a {} against strict {}", out_fast[1], out_strict[1]);
        let central = central_difference(|b| unsafe { primal(x.as_ptr(), b, n) }, a);
        assert!((out_fast[1] - central).abs() <= 1e-6 * central.abs().max(1.0), "n={n}: adjoint of a {} against central {central}", out_fast[1]);
    }
}

#[test]
fn without_the_primal_the_fused_gradient_stores_only_the_gradient() {
    let mut worker = Worker::start();
    let args = "dup:double*,const:i64";
    let fast = compile_with(&mut worker, ROSENBROCK, args, true, false, false);
    let strict = compile(&mut worker, ROSENBROCK, args, false, false);
    assert!(fast.ir.contains("define internal void @f.stencil.add"), "{}", fast.ir);
    // SAFETY: as above; without the primal the wrapper stores no slot and `out` may be null.
    let (fast_grad, strict_grad): (RosenbrockGradient, RosenbrockGradient) =
        unsafe { (fast.library.symbol("f__jenzyme_reverse"), strict.library.symbol("f__jenzyme_reverse")) };
    let n = 4097;
    let x = inputs(n, 5);
    let (mut g_fast, mut g_strict) = (vec![0.0; n as usize], vec![0.0; n as usize]);
    let mut out = [0.0];
    // SAFETY: x and the shadows hold n doubles.
    unsafe {
        fast_grad(x.as_ptr(), g_fast.as_mut_ptr(), n, std::ptr::null_mut());
        strict_grad(x.as_ptr(), g_strict.as_mut_ptr(), n, out.as_mut_ptr());
    }
    for j in 0..n as usize {
        assert!((g_fast[j] - g_strict[j]).abs() <= 1e-12 * g_strict[j].abs().max(1.0), "g[{j}]");
    }
}

#[test]
fn the_overwriting_wrapper_writes_what_the_accumulating_one_adds_to_zeros() {
    let mut worker = Worker::start();
    let compiled = compile(&mut worker, CHECKED_ROSENBROCK, "const:i32*,dup:double*,const:i32", true, true);
    assert_eq!(compiled.overwrite_symbol.as_deref(), Some("f__jenzyme_reverse_set"), "{}", compiled.ir);
    // SAFETY: both wrappers take (status, x, dx, len, out), PROTOCOL.md.
    let (added, written): (CheckedGradient, CheckedGradient) =
        unsafe { (compiled.library.symbol("f__jenzyme_reverse"), compiled.library.symbol("f__jenzyme_reverse_set")) };
    for n in SIZES {
        let x = inputs(n, 3 * n as u64 + 1);
        let (mut g_added, mut g_written) = (vec![0.0; n as usize], vec![f64::NAN; n as usize]);
        let (mut out_added, mut out_written) = ([0.0], [0.0]);
        let mut status = [0i32; 6];
        // SAFETY: x and the shadows hold n doubles, the status block 24 bytes.
        unsafe {
            added(status.as_mut_ptr(), x.as_ptr(), g_added.as_mut_ptr(), n as i32, out_added.as_mut_ptr());
            written(status.as_mut_ptr(), x.as_ptr(), g_written.as_mut_ptr(), n as i32, out_written.as_mut_ptr());
        }
        assert_eq!(status, [0; 6], "n={n}: no check failed");
        assert!((out_added[0] - out_written[0]).abs() <= 1e-12 * out_added[0].abs().max(1.0), "n={n} value");
        for j in 0..n as usize {
            assert!((g_added[j] - g_written[j]).abs() <= 1e-12 * g_added[j].abs().max(1.0),
                    "n={n} g[{j}]: written {} against added {}", g_written[j], g_added[j]);
        }
    }
}

#[test]
fn shapes_that_are_not_stencil_sums_keep_enzymes_gradient() {
    let cases = [
        ("the sum is scaled before it is returned", ROSENBROCK.replace("return s;", "return 2 * s;"), "dup:double*,const:i64"),
        ("the loop writes the array", ROSENBROCK.replace("const double *x", "double *x").replace("s += 100", "x[i] = v; s += 100"),
         "dup:double*,const:i64"),
        ("an offset that is a parameter", ROSENBROCK.replace("long n)", "long n, long k)").replace("x[i + 1]", "x[i + k]"),
         "dup:double*,const:i64,const:i64"),
        ("the sum feeds the term", ROSENBROCK.replace("v * v;", "v * v * s;"), "dup:double*,const:i64"),
    ];
    let mut worker = Worker::start();
    for (what, source, args) in cases {
        let compiled = compile(&mut worker, &source, args, true, true);
        assert!(!compiled.ir.contains("stencil"), "{what}: expected Enzyme's gradient, got the fused one");
        assert_eq!(compiled.overwrite_symbol, None, "{what}: no overwriting wrapper without the pass");
    }
}

/// Sizes for the parts: the edges of the pass (n <= the stencil's width runs Enzyme's derivative in part 0), trips
/// that leave some parts empty, odd splits, chunk edges, and large arrays.
const PART_SIZES: [i64; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 4097, 8193, 65_539, 100_000, 100_003];

/// The parts the whole wrapper runs in turn and a split call shares between its threads (PROTOCOL.md, `parts_symbol`).
const WHOLE_PARTS: i32 = 16;

/// Runs `parts` parts one after the other: each on a NaN-filled shadow (it must write only elements no other part
/// writes), then all into one shadow, which must be the whole wrapper's gradient; the parts' slots summed must be
/// its slots (the value and active adjoints, reassociated).
/// The parts the whole wrapper runs for an array of `len` elements: 16 from a trip bound of 2^16 (fused.rs's
/// WHOLE_PARTS_FROM). The bound is `len - 1` for Rosenbrock and `len - 2` for the Laplacian (counted from i = 1);
/// PART_SIZES keep clear of the lengths between.
fn whole_parts(len: i64) -> i32 {
    if len - 2 >= 1 << 16 { WHOLE_PARTS } else { 1 }
}

fn check_parts(n: i64, parts: i32, whole: &dyn Fn(&mut [f64], &mut [f64]), part: &dyn Fn(&mut [f64], &mut [f64], i32, i32),
               slots: usize, what: &str) {
    let len = n as usize;
    let mut g_whole = vec![f64::NAN; len];
    let mut out_whole = vec![0.0; slots];
    whole(&mut g_whole, &mut out_whole);
    let mut g_parts = vec![f64::NAN; len];
    let mut out_parts = vec![-0.0; slots];
    let mut writer = vec![None; len];
    for k in 0..parts {
        let mut g_alone = vec![f64::NAN; len];
        let mut out = vec![f64::NAN; slots];
        part(&mut g_alone, &mut out, k, parts);
        for j in (0..len).filter(|j| !g_alone[*j].is_nan()) {
            assert_eq!(writer[j], None, "{what} n={n} parts={parts}: g[{j}] written by part {k} and part {:?}", writer[j]);
            writer[j] = Some(k);
        }
        part(&mut g_parts, &mut out, k, parts);
        for (total, value) in out_parts.iter_mut().zip(&out) {
            *total += value;
        }
    }
    if parts == whole_parts(n) {
        // The whole wrapper runs these parts one after the other: a split call's sums, in part order, are its sums
        // to the bit.
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out_parts), bits(&out_whole), "{what} n={n}: {parts} parts summed against the whole");
    }
    let magnitude: f64 = g_whole.iter().map(|g| g.abs()).sum::<f64>() + out_whole.iter().map(|v| v.abs()).sum::<f64>();
    for (slot, (sum, expected)) in out_parts.iter().zip(&out_whole).enumerate() {
        assert!((sum - expected).abs() <= (n as f64 + 16.0) * f64::EPSILON * magnitude.max(1.0),
                "{what} n={n} parts={parts}: slot {slot} summed {sum} against whole {expected}");
    }
    for j in 0..len {
        assert!((g_parts[j] - g_whole[j]).abs() <= 1e-12 * g_whole[j].abs().max(1.0),
                "{what} n={n} parts={parts}: g[{j}] = {} from the parts against {} whole", g_parts[j], g_whole[j]);
    }
}

#[test]
fn the_parts_of_the_overwriting_wrapper_write_disjoint_elements_and_sum_to_the_whole() {
    let mut worker = Worker::start();
    let compiled = compile(&mut worker, CHECKED_ROSENBROCK, "const:i32*,dup:double*,const:i32", true, true);
    assert_eq!(compiled.parts_symbol.as_deref(), Some("f__jenzyme_reverse_set_parts"), "{}", compiled.ir);
    // SAFETY: (status, x, dx, len, out[, part, parts]), PROTOCOL.md.
    let (whole, parts): (CheckedGradient, CheckedParts) = unsafe {
        (compiled.library.symbol("f__jenzyme_reverse_set"), compiled.library.symbol("f__jenzyme_reverse_set_parts"))
    };
    for n in PART_SIZES {
        let x = inputs(n, 5 * n as u64 + 2);
        let mut status = [0i32; 6];
        // One writable pointer for both closures (the compiled code writes the status block through it).
        let status_at = status.as_mut_ptr();
        for count in [1, 2, 3, 5, WHOLE_PARTS, 32] {
            // SAFETY: x and the shadows hold n doubles, out one slot, the status block 24 bytes.
            check_parts(n, count,
                        &|g, out| unsafe { whole(status_at, x.as_ptr(), g.as_mut_ptr(), n as i32, out.as_mut_ptr()) },
                        &|g, out, k, of| unsafe {
                            parts(status_at, x.as_ptr(), g.as_mut_ptr(), n as i32, out.as_mut_ptr(), k, of)
                        }, 1, "rosenbrock");
        }
        assert_eq!(status, [0; 6], "n={n}: no check failed");
    }
}

#[test]
fn the_parts_sum_an_active_scalars_adjoint_and_agree_with_central_differences() {
    let mut worker = Worker::start();
    let args = "const:i32*,dup:double*,active:double,const:i32";
    let compiled = compile(&mut worker, CHECKED_LAPLACIAN, args, true, true);
    let strict = compile(&mut worker, CHECKED_LAPLACIAN, args, false, false);
    assert_eq!(compiled.parts_symbol.as_deref(), Some("f__jenzyme_reverse_set_parts"), "{}", compiled.ir);
    // SAFETY: (status, x, dx, a, len, out[, part, parts]) with out = [primal, adjoint of a], PROTOCOL.md.
    let (whole, parts, strict_grad): (CheckedLaplacianGradient, CheckedLaplacianParts, CheckedLaplacianGradient) = unsafe {
        (compiled.library.symbol("f__jenzyme_reverse_set"), compiled.library.symbol("f__jenzyme_reverse_set_parts"),
         strict.library.symbol("f__jenzyme_reverse"))
    };
    let a = 0.625;
    for n in PART_SIZES {
        let x = inputs(n, 13 * n as u64 + 4);
        let mut status_block = [0i32; 6];
        let status = status_block.as_mut_ptr();
        for count in [1, 2, 3, 7, WHOLE_PARTS] {
            // SAFETY: as above, out two slots.
            check_parts(n, count, &|g, out| unsafe { whole(status, x.as_ptr(), g.as_mut_ptr(), a, n as i32, out.as_mut_ptr()) },
                        &|g, out, k, of| unsafe { parts(status, x.as_ptr(), g.as_mut_ptr(), a, n as i32, out.as_mut_ptr(), k, of) },
                        2, "laplacian");
        }
        // The whole's parts against the strict gradient (every element) and central differences (the value, a's
        // adjoint).
        let (mut g, mut out) = (vec![f64::NAN; n as usize], [0.0; 2]);
        for k in 0..WHOLE_PARTS {
            let mut partial = [0.0; 2];
            // SAFETY: as above.
            unsafe { parts(status, x.as_ptr(), g.as_mut_ptr(), a, n as i32, partial.as_mut_ptr(), k, WHOLE_PARTS) };
            out[0] += partial[0];
            out[1] += partial[1];
        }
        let (mut g_strict, mut out_strict) = (vec![0.0; n as usize], [0.0; 2]);
        // SAFETY: as above.
        unsafe { strict_grad(status, x.as_ptr(), g_strict.as_mut_ptr(), a, n as i32, out_strict.as_mut_ptr()) };
        let primal = |v: &[f64], b: f64| {
            let s: f64 = (1..v.len().saturating_sub(1)).map(|i| {
                let d = v[i - 1] - 2.0 * v[i] + v[i + 1];
                b * d * d + v[i] / (1.0 + v[i] * v[i])
            }).sum();
            s
        };
        check((out[0], &g), (out_strict[0], &g_strict), &x, &|v| primal(v, a), &format!("laplacian parts n={n}"));
        let central = central_difference(|b| primal(&x, b), a);
        assert!((out[1] - central).abs() <= 1e-6 * central.abs().max(1.0), "n={n}: adjoint of a {} against central {central}", out[1]);
        assert_eq!(status_block, [0; 6], "n={n}: no check failed");
    }
}

#[test]
fn a_fused_derivative_that_does_not_build_leaves_enzymes_gradient() {
    let args = "const:i32*,dup:double*,const:i32";
    let mut broken = Worker::start_with(&[("JENZYME_WORKER_TEST_BREAK_STENCIL", "1")]);
    let fallback = compile(&mut broken, CHECKED_ROSENBROCK, args, true, true);
    assert!(!fallback.ir.contains("stencil.add") && !fallback.ir.contains("stencil.set"), "{}", fallback.ir);
    assert_eq!((fallback.overwrite_symbol, fallback.parts_symbol), (None, None), "no overwriting wrapper without the pass");
    let mut worker = Worker::start();
    let strict = compile(&mut worker, CHECKED_ROSENBROCK, args, false, false);
    // SAFETY: (status, x, dx, len, out), PROTOCOL.md.
    let (fast_grad, strict_grad): (CheckedGradient, CheckedGradient) =
        unsafe { (fallback.library.symbol("f__jenzyme_reverse"), strict.library.symbol("f__jenzyme_reverse")) };
    for n in [0, 2, 65, 4097] {
        let x = inputs(n, 17 * n as u64 + 1);
        let (mut g_fast, mut g_strict) = (vec![0.0; n as usize], vec![0.0; n as usize]);
        let (mut out_fast, mut out_strict) = ([0.0], [0.0]);
        let mut status = [0i32; 6];
        // SAFETY: as above.
        unsafe {
            fast_grad(status.as_mut_ptr(), x.as_ptr(), g_fast.as_mut_ptr(), n as i32, out_fast.as_mut_ptr());
            strict_grad(status.as_mut_ptr(), x.as_ptr(), g_strict.as_mut_ptr(), n as i32, out_strict.as_mut_ptr());
        }
        assert_eq!(status, [0; 6]);
        let magnitude = out_strict[0].abs().max(1.0);
        assert!((out_fast[0] - out_strict[0]).abs() <= (n as f64 + 16.0) * f64::EPSILON * magnitude, "n={n} value");
        for j in 0..n as usize {
            assert!((g_fast[j] - g_strict[j]).abs() <= 1e-12 * g_strict[j].abs().max(1.0), "n={n} g[{j}]");
        }
    }
}
