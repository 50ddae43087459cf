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

/// `double g(double a, double b, i32 n)`: the shape of `./bench`'s Transcendental loop. A recurrence
/// `x' = x + h sin(b x + t)` with `t = k h` from the counter, summed through `log1p(x'^2) + sqrt(1 + b^2 t) atan(x')`:
/// the sum's maths depends on the stored `x'` and on the counter, and `t` also feeds the recurrence's `sin`.
const RECURRENCE_SUM: &str = r#"
define double @g(double %a, double %b, i32 %n) {
entry:
  %bb = fmul double %b, %b
  %nonempty = icmp sgt i32 %n, 0
  br i1 %nonempty, label %pre, label %exit
pre:
  br label %loop
loop:
  %k = phi i32 [ 0, %pre ], [ %k.next, %loop ]
  %x = phi double [ %a, %pre ], [ %x.next, %loop ]
  %s = phi double [ 0.0, %pre ], [ %s.next, %loop ]
  %kd = sitofp i32 %k to double
  %t = fmul double %kd, 1.0e-3
  %bx = fmul double %b, %x
  %arg = fadd double %bx, %t
  %sn = call double @llvm.sin.f64(double %arg) #1
  %dx = fmul double %sn, 1.0e-3
  %x.next = fadd double %x, %dx
  %xx = fmul double %x.next, %x.next
  %l = call double @log1p(double %xx) #2
  %bt = fmul double %bb, %t
  %r = fadd double %bt, 1.0
  %q = call double @llvm.sqrt.f64(double %r)
  %at = call double @atan(double %x.next) #3
  %m = fmul double %q, %at
  %v = fadd double %l, %m
  %s.next = fadd double %s, %v
  %k.next = add nuw nsw i32 %k, 1
  %done = icmp eq i32 %k.next, %n
  br i1 %done, label %exit, label %loop
exit:
  %result = phi double [ 0.0, %entry ], [ %s.next, %loop ]
  ret double %result
}
declare double @llvm.sin.f64(double)
declare double @llvm.sqrt.f64(double)
declare double @log1p(double) #0
declare double @atan(double) #0
attributes #0 = { nounwind willreturn memory(none) }
attributes #1 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.sin.f64(_ZGVbN2v_sin)" }
attributes #2 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_log1p(_ZGVbN2v_log1p)" }
attributes #3 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_atan(_ZGVbN2v_atan)" }
"#;

/// The same loop entered straight from the entry's branch, without a block of its own before it.
fn without_preheader(ir: &str) -> String {
    ir.replace("label %pre, label %exit\npre:\n  br label %loop", "label %loop, label %exit").replace("%pre ]", "%entry ]")
}

#[test]
fn a_sum_of_a_recurrence_and_the_counter_is_split_without_a_second_sin_and_keeps_its_bits() {
    split_keeps_bits(RECURRENCE_SUM);
}

#[test]
fn a_loop_entered_straight_from_a_branch_gets_its_own_preheader_for_the_buffer() {
    let ir = without_preheader(RECURRENCE_SUM);
    assert!(!ir.contains("pre:"), "{ir}");
    let text = split_keeps_bits(&ir);
    // The malloc runs only on the way into the loop, not when n <= 0 skips it (it would leak: the free is after the map).
    let own = &text[text.find("fission.preheader:").expect("a preheader")..];
    assert!(own[..own.find("\n\n").unwrap()].contains("call ptr @malloc"), "{text}");
}

fn split_keeps_bits(ir: &str) -> String {
    let original = bitcode_of_ir(ir);
    let context = Context::new();
    let module = context.parse_bitcode(&original).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 1);
    module.verify().unwrap();
    let text = module.to_text();
    let map = &text[text.find("fission.map:").expect("a map loop")..];
    let map = &map[..map.find("fission.done:").unwrap()];
    // The map has the sum's maths, counted by its own counter; the recurrence's sin stays in the loop alone.
    for callee in ["@log1p(", "@atan(", "@llvm.sqrt.f64("] {
        assert_eq!(calls_of(map, callee), 1, "{callee} in the map:\n{text}");
        assert_eq!(calls_of(&text, callee), 1, "{callee} once in all:\n{text}");
    }
    assert!(map.contains("sitofp"), "t from the map's counter:\n{text}");
    assert_eq!(calls_of(&text, "@llvm.sin.f64("), 1, "{text}");

    let unsplit = Library::from_bitcode(&original);
    let split = Library::from_bitcode(&module.to_bitcode());
    type Sum = unsafe extern "C" fn(f64, f64, i32) -> f64;
    let (before, after): (Sum, Sum) = unsafe { (unsplit.symbol("g"), split.symbol("g")) };
    for n in [0, 1, 2, 3, 64, 999, 10_000] {
        for (a, b) in [(0.7, 1.3), (-2.0, 0.5), (3.0, -4.0)] {
            let (want, got) = unsafe { (before(a, b, n), after(a, b, n)) };
            assert_eq!(got.to_bits(), want.to_bits(), "n = {n}, a = {a}, b = {b}: {got} against {want}");
        }
    }
    text
}

/// `double h(double a, double b, double c, i32 n)`: `./bench`'s Transcendental loop as the frontend gives it, the
/// recurrence forced by `cos(a t) exp(-c t)`, which depends on the counter alone.
const COMPOSITE: &str = r#"
define double @h(double %a, double %b, double %c, i32 %n) {
entry:
  %nonempty = icmp sgt i32 %n, 0
  br i1 %nonempty, label %loop, label %exit
loop:
  %k = phi i32 [ 0, %entry ], [ %k.next, %loop ]
  %x = phi double [ %a, %entry ], [ %x.next, %loop ]
  %s = phi double [ 0.0, %entry ], [ %s.next, %loop ]
  %kd = sitofp i32 %k to double
  %t = fmul double %kd, 1.0e-3
  %bx = fmul double %b, %x
  %arg = fadd double %bx, %t
  %sn = call double @llvm.sin.f64(double %arg) SIN
  %th = call double @tanh(double %x) TANH
  %cth = fmul double %c, %th
  %d1 = fsub double %sn, %cth
  %at1 = fmul double %a, %t
  %cs = call double @llvm.cos.f64(double %at1) COS
  %ct = fmul double %c, %t
  %nct = fneg double %ct
  %ex = call double @llvm.exp.f64(double %nct) EXP
  %force = fmul double %cs, %ex
  %d2 = fadd double %d1, %force
  %dx = fmul double %d2, 1.0e-3
  %x.next = fadd double %x, %dx
  %xx = fmul double %x.next, %x.next
  %l = call double @log1p(double %xx) LOG1P
  %bb = fmul double %b, %b
  %bt = fmul double %bb, %t
  %r = fadd double %bt, 1.0
  %q = call double @llvm.sqrt.f64(double %r)
  %atn = call double @atan(double %x.next) ATAN
  %m = fmul double %q, %atn
  %v = fadd double %l, %m
  %s.next = fadd double %s, %v
  %k.next = add nuw nsw i32 %k, 1
  %done = icmp eq i32 %k.next, %n
  br i1 %done, label %exit, label %loop
exit:
  %result = phi double [ 0.0, %entry ], [ %s.next, %loop ]
  ret double %result
}
declare double @llvm.sin.f64(double)
declare double @llvm.cos.f64(double)
declare double @llvm.exp.f64(double)
declare double @llvm.sqrt.f64(double)
declare double @log1p(double) #0
declare double @atan(double) #0
declare double @tanh(double) #0
attributes #0 = { nounwind willreturn memory(none) }
attributes #1 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.sin.f64(_ZGVbN2v_sin)" }
attributes #2 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_log1p(_ZGVbN2v_log1p)" }
attributes #3 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_atan(_ZGVbN2v_atan)" }
attributes #4 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_tanh(_ZGVbN2v_tanh)" }
attributes #5 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.cos.f64(_ZGVbN2v_cos)" }
attributes #6 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.exp.f64(_ZGVbN2v_exp)" }
"#;

fn composite(with_variants: bool) -> String {
    let mut ir = COMPOSITE.to_string();
    for (call, attribute) in [("SIN", "#1"), ("LOG1P", "#2"), ("ATAN", "#3"), ("TANH", "#4"), ("COS", "#5"), ("EXP", "#6")] {
        ir = ir.replace(call, if with_variants { attribute } else { "" });
    }
    ir
}

/// The text of the blocks from `label` to the next block that is not part of the same loop (`until`).
fn blocks<'a>(text: &'a str, label: &str, until: &str) -> &'a str {
    let from = &text[text.find(label).unwrap_or_else(|| panic!("no {label} in\n{text}"))..];
    &from[..from.find(until).unwrap_or_else(|| panic!("no {until} in\n{text}"))]
}

#[test]
fn maths_of_the_counter_alone_is_computed_for_every_iteration_before_the_loop_and_keeps_its_bits() {
    let original = bitcode_of_ir(&composite(true));
    let context = Context::new();
    let module = context.parse_bitcode(&original).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 2, "the forcing precomputed, the sum mapped");
    module.verify().unwrap();
    let text = module.to_text();
    let pre = blocks(&text, "fission.pre:", "\nloop:");
    for callee in ["@llvm.cos.f64(", "@llvm.exp.f64("] {
        assert_eq!(calls_of(pre, callee), 1, "{callee} before the loop:\n{text}");
        assert_eq!(calls_of(&text, callee), 1, "{callee} nowhere else:\n{text}");
    }
    let recurrence = blocks(&text, "\nloop:", "fission.start:");
    assert!(recurrence.contains("load double") && calls_of(recurrence, "@llvm.sin.f64(") == 1, "{text}");
    assert!(blocks(&text, "fission.pre.free:", "\nexit:").contains("call void @free"), "{text}");

    let unsplit = Library::from_bitcode(&original);
    let split = Library::from_bitcode(&module.to_bitcode());
    type Loop = unsafe extern "C" fn(f64, f64, f64, i32) -> f64;
    let (before, after): (Loop, Loop) = unsafe { (unsplit.symbol("h"), split.symbol("h")) };
    for n in [-1, 0, 1, 2, 3, 64, 999, 10_000] {
        for (a, b, c) in [(0.7, 1.3, 0.4), (-2.0, 0.5, 1.5), (3.0, -4.0, 0.0)] {
            let (want, got) = unsafe { (before(a, b, c, n), after(a, b, c, n)) };
            assert_eq!(got.to_bits(), want.to_bits(), "n = {n}, a = {a}, b = {b}, c = {c}: {got} against {want}");
        }
    }
}

#[test]
fn maths_of_the_counter_without_vector_variants_stays_in_its_loop() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&composite(false))).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 0);
    assert!(!module.to_text().contains("fission"));
}

/// `y[k] = x[k] * exp(-k h)`: maths of the counter alone, but nothing carries from one iteration to the next, so the
/// loop vectorises whole, libmvec's exp included; a buffer would only add memory traffic.
const SCALED: &str = r#"
define void @e(ptr %x, ptr %y, i64 %n) {
entry:
  %nonempty = icmp sgt i64 %n, 0
  br i1 %nonempty, label %loop, label %exit
loop:
  %k = phi i64 [ 0, %entry ], [ %k.next, %loop ]
  %kd = sitofp i64 %k to double
  %a = fmul double %kd, -1.0e-3
  %ex = call double @llvm.exp.f64(double %a) #0
  %xp = getelementptr inbounds double, ptr %x, i64 %k
  %xv = load double, ptr %xp
  %p = fmul double %xv, %ex
  %yp = getelementptr inbounds double, ptr %y, i64 %k
  store double %p, ptr %yp
  %k.next = add nuw nsw i64 %k, 1
  %done = icmp eq i64 %k.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}
declare double @llvm.exp.f64(double)
attributes #0 = { "vector-function-abi-variant"="_ZGV_LLVM_N2v_llvm.exp.f64(_ZGVbN2v_exp)" }
"#;

#[test]
fn a_loop_without_a_recurrence_keeps_its_maths_of_the_counter() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(SCALED)).unwrap();
    assert_eq!(loop_fission::distribute_vector_maths(&module), 0);
    assert!(!module.to_text().contains("fission"));
}
