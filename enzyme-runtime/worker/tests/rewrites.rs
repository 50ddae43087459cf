//! The worker's IR rewrites around Enzyme on hand-written shapes: long blocks cut into functions (outline.rs),
//! interrupt polls in reverse-sweep loops (reverse_polls.rs) and the failure check made inlinable
//! (failure_checks.rs). Each result must verify; the numbers of the
//! derivatives through them are checked end to end (test_reliability.py, test_interrupts.py).

mod common;

use common::bitcode_of_ir;
use common::fixtures::FAIL_IF_IR;
use jenzyme_worker::llvm::{Context, PassTuning, TargetMachine};
use jenzyme_worker::{failure_checks, outline, reverse_polls};

/// `double f(double x)`: a running sum of `n` products in one block (2 instructions per term).
fn running_sum(n: usize) -> String {
    let mut ir = String::from("define double @f(double %x) {\nentry:\n  %s0 = fadd double %x, 0.0\n");
    for i in 1..=n {
        ir += &format!("  %t{i} = fmul double %x, {i}.0\n  %s{i} = fadd double %s{}, %t{i}\n", i - 1);
    }
    ir + &format!("  ret double %s{n}\n}}\n")
}

#[test]
fn a_long_block_becomes_calls_of_chunks_and_a_short_one_stays() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&running_sum(500))).unwrap();
    assert_eq!(outline::split_long_blocks(&module), 5, "1001 instructions in 5 chunks of 200 or 201");
    module.verify().unwrap();
    let text = module.to_text();
    assert!(text.contains("define internal double @jenzyme.chunk.0(double"), "{text}");
    let calls = text.lines().filter(|line| line.contains(" call ") && line.contains("@jenzyme.chunk.")).count();
    assert_eq!(calls, 5, "one call per chunk (a value live across a cut comes back in a struct)");

    let short = context.parse_bitcode(&bitcode_of_ir(&running_sum(150))).unwrap();
    assert_eq!(outline::split_long_blocks(&short), 0, "301 instructions: below twice a chunk");
}

/// The module of `ir` after `reverse_polls::insert`, which must add `polls` polls and leave it valid, as text.
fn with_polls(ir: &str, polls: usize) -> String {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(ir)).unwrap();
    assert_eq!(reverse_polls::insert(&module), polls);
    module.verify().unwrap();
    module.to_text()
}

#[test]
fn only_reverse_loops_get_a_poll() {
    let ir = format!(
        r#"@flag = external global i32
@{flag} = external global i32
define void @g(i32 %n) {{
entry:
  br label %for.body
for.body:
  %i = phi i32 [ 0, %entry ], [ %i1, %for.body ]
  %i1 = add i32 %i, 1
  %more = icmp slt i32 %i1, %n
  br i1 %more, label %for.body, label %invertfor.body
invertfor.body:
  %j = phi i32 [ %n, %for.body ], [ %j1, %invertfor.body ]
  %j1 = sub i32 %j, 1
  %again = icmp sgt i32 %j1, 0
  br i1 %again, label %invertfor.body, label %done
done:
  ret void
}}
"#,
        flag = reverse_polls::INTERRUPT_FLAG
    );
    let text = with_polls(&ir, 1);
    let reverse = text.split("invertfor.body:").nth(1).unwrap();
    assert!(reverse.lines().nth(2).unwrap().contains("call void @jenzyme.reverse_poll()"), "{text}");
    let forward = text.split("for.body:").nth(1).unwrap().split("invertfor.body").next().unwrap();
    assert!(!forward.contains("reverse_poll"), "{text}");
    assert!(text.contains("load volatile i32, ptr @jenzyme_interrupt_enzyme_const"), "{text}");
    assert!(text.contains("call void @jenzyme.interrupt_unwind()"), "{text}");
}

/// The reverse of a strip-mined loop: the chunk loop (`invertb9.out`) around the reverse of the unchecked copy's
/// loop (`invertu9.next`, stepped by Enzyme's `incinvertu9.next`). Only the chunk loop polls.
#[test]
fn the_reverse_of_a_chunks_inner_loop_gets_no_poll() {
    let ir = format!(
        r#"@{flag} = external global i32
define void @g(i32 %chunks, i64 %n) {{
entry:
  br label %invertb9.out
invertb9.out:
  %c = phi i32 [ %chunks, %entry ], [ %c1, %invertchunk4 ]
  br label %invertu9.next
invertu9.next:
  %j = phi i64 [ %n, %invertb9.out ], [ %j1, %incinvertu9.next ]
  %last = icmp eq i64 %j, 0
  br i1 %last, label %invertchunk4, label %incinvertu9.next
incinvertu9.next:
  %j1 = add i64 %j, -1
  br label %invertu9.next
invertchunk4:
  %c1 = sub i32 %c, 1
  %again = icmp sgt i32 %c1, 0
  br i1 %again, label %invertb9.out, label %done
done:
  ret void
}}
"#,
        flag = reverse_polls::INTERRUPT_FLAG
    );
    let text = with_polls(&ir, 1);
    let outer = text.split("invertb9.out:").nth(1).unwrap();
    assert!(outer.lines().nth(2).unwrap().contains("call void @jenzyme.reverse_poll()"), "{text}");
    let inner = text.split("invertu9.next:").nth(1).unwrap().split("invertchunk4:").next().unwrap();
    assert!(!inner.contains("reverse_poll"), "{text}");
}

/// `@f` as Enzyme's preprocessing clone leaves it, after the failure check it calls ([`FAIL_IF_IR`]): every call
/// `willreturn mustprogress`; `%t` set is a `throw`, which branches to the fail block's unwinder.
#[test]
fn the_failure_check_becomes_inlinable_its_unwinder_noreturn_and_a_throw_survives_o3() {
    let ir = [FAIL_IF_IR, r#"define double @f(ptr %status, i1 %c, i1 %t, double %x) mustprogress {
entry:
  call void @jenzyme.fail_if(ptr %status, i1 %c) #0
  br i1 %t, label %throw, label %body
throw:
  store i32 10, ptr %status
  call void @jenzyme.fail_unwind(ptr %status) #0
  br label %exit
body:
  %y = fmul double %x, %x
  br label %exit
exit:
  %r = phi double [ 0.0, %throw ], [ %y, %body ]
  ret double %r
}
attributes #0 = { mustprogress willreturn }
"#]
    .concat();
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&ir)).unwrap();
    assert!(failure_checks::inline_after_ad(&module));
    module.verify().unwrap();
    let text = module.to_text();
    let attributes = |name: &str| {
        let line = text.lines().find(|l| l.starts_with("define") && l.contains(name)).unwrap();
        let group = line.split('#').nth(1).unwrap().split(' ').next().unwrap().to_string();
        text.lines().find(|l| l.starts_with(&format!("attributes #{group} "))).unwrap().to_string()
    };
    let check = attributes("@jenzyme.fail_if");
    assert!(check.contains("alwaysinline") && !check.contains("noinline") && !check.contains("memory"), "{text}");
    let unwind = text.lines().find(|l| l.starts_with("declare") && l.contains("@jenzyme.fail_unwind")).unwrap();
    let group = unwind.split('#').nth(1).unwrap();
    assert!(text.lines().any(|l| l.starts_with(&format!("attributes #{group} ")) && l.contains("noreturn")), "{text}");
    // With the clone's `willreturn` left on the calls, O3 deleted the throw as undefined behaviour (an llvm.assume
    // of %t being false took its place) and the check's call to the unwinder.
    module.run_passes("default<O3>", &TargetMachine::host().unwrap(), PassTuning::Full).unwrap();
    let optimised = module.to_text();
    let f = optimised.split("define double @f(").nth(1).unwrap().split("\n}").next().unwrap();
    assert!(f.contains("store i32 10") && f.contains("store i32 1,") && !f.contains("llvm.assume"), "{optimised}");
    assert_eq!(f.matches("call void @jenzyme.fail_unwind").count(), 2, "{optimised}");
}
