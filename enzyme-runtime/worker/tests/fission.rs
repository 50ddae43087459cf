//! `--fast-math` loop fission (loop_fission.rs) on a hand-written softplus sum, the shape of `./bench`'s LogReg
//! row loop: split into the loop storing `t` and a map loop with one exp and one log1p per element, and the split
//! function returns the unsplit one's bits (same operations, same summation order). Gradients through it are
//! checked against the strict ones in FastMathFissionTest.

mod common;

use common::{bitcode_of_ir, Library};
use jenzyme_worker::llvm::Context;
use jenzyme_worker::loop_fission;

/// `double f(double* x, double* y, long n)`: sum over i of softplus(-y[i] x[i]), with the branch of the overflow-free
/// form; `VARIANTS` stands for the calls' attributes (libmvec's, as jenzyme.runtime.llvm.VectorMaths gives them).
const SOFTPLUS_SUM: &str = r#"
define double @f(ptr %x, ptr %y, i64 %n) {
entry:
  %nonempty = icmp sgt i64 %n, 0
  br i1 %nonempty, label %pre, label %exit
pre:
  br label %loop
loop:
  %i = phi i64 [ 0, %pre ], [ %i.next, %latch ]
  %s = phi double [ 0.0, %pre ], [ %s.next, %latch ]
  %xp = getelementptr inbounds double, ptr %x, i64 %i
  %xv = load double, ptr %xp
  %yp = getelementptr inbounds double, ptr %y, i64 %i
  %yv = load double, ptr %yp
  %ny = fneg double %yv
  %t = fmul double %ny, %xv
  %nonpositive = fcmp ule double %t, 0.0
  br i1 %nonpositive, label %below, label %above
above:
  %m = fneg double %t
  %e1 = call double @llvm.exp.f64(double %m) EXP
  %l1 = call double @log1p(double %e1) LOG1P
  %v1 = fadd double %t, %l1
  br label %latch
below:
  %e2 = call double @llvm.exp.f64(double %t) EXP
  %l2 = call double @log1p(double %e2) LOG1P
  br label %latch
latch:
  %v = phi double [ %v1, %above ], [ %l2, %below ]
  %s.next = fadd double %s, %v
  %i.next = add nuw nsw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  %r = phi double [ 0.0, %entry ], [ %s.next, %latch ]
  ret double %r
}
declare double @llvm.exp.f64(double)
declare double @log1p(double) #0
attributes #0 = { nounwind willreturn memory(none) }
attributes #1 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.exp.f64(_ZGVbN2v_exp)" }
attributes #2 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_log1p(_ZGVbN2v_log1p)" }
"#;

fn softplus_sum(with_variants: bool) -> String {
    let (exp, log1p) = if with_variants { ("#1", "#2") } else { ("", "") };
    SOFTPLUS_SUM.replace("EXP", exp).replace("LOG1P", log1p)
}

fn calls_of(text: &str, callee: &str) -> usize {
    text.lines().filter(|line| line.contains(" call ") && line.contains(callee)).count()
}

#[test]
fn a_row_loop_feeding_vector_maths_is_split_and_keeps_its_bits() {
    let original = bitcode_of_ir(&softplus_sum(true));
    let context = Context::new();
    let module = context.parse_bitcode(&original).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 1);
    module.verify().unwrap();
    let text = module.to_text();
    assert!(text.contains("fission.map:") && text.contains("call ptr @malloc") && text.contains("call void @free"),
            "{text}");
    // The two arms' exp/log1p pairs became one pair of calls of selected arguments.
    assert_eq!(calls_of(&text, "@llvm.exp.f64("), 1, "{text}");
    assert_eq!(calls_of(&text, "@log1p("), 1, "{text}");

    let unsplit = Library::from_bitcode(&original);
    let split = Library::from_bitcode(&module.to_bitcode());
    type Sum = unsafe extern "C" fn(*const f64, *const f64, i64) -> f64;
    let (before, after): (Sum, Sum) = unsafe { (unsplit.symbol("f"), split.symbol("f")) };
    for n in [0usize, 1, 2, 7, 100, 1001] {
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 50.0 - 10.0).collect();
        let y: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 1.0 } else { -1.0 }).collect();
        let (want, got) = unsafe { (before(x.as_ptr(), y.as_ptr(), n as i64), after(x.as_ptr(), y.as_ptr(), n as i64)) };
        assert_eq!(got.to_bits(), want.to_bits(), "n = {n}: {got} against {want}");
        assert!(n == 0 || want > 0.0, "softplus is positive");
    }
}

#[test]
fn maths_without_vector_variants_is_left_in_its_loop() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&softplus_sum(false))).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 0, "nothing would vectorise: no split");
    assert!(!module.to_text().contains("fission"));
}
