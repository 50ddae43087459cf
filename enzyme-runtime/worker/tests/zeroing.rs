//! Polls in the zeroing of large shadows (zeroing_polls.rs): a `memset` of zero of run-time length, or of a constant
//! over 1 MiB, becomes `jenzyme.zero_polled`, which zeroes exactly the bytes asked for, polling once per MiB; other
//! memsets stay. The interrupt stops the zeroing end to end in FissionInterruptTest.

mod common;

use common::{bitcode_of_ir, Library};
use jenzyme_worker::llvm::Context;
use jenzyme_worker::{reverse_polls, zeroing_polls};

const MIB: usize = 1 << 20;

/// `g(shadow, bytes, small)`: zeroes `bytes` of `shadow` (run-time length), 4096 bytes of `small` and fills them with
/// ones (neither is polled). The unwinder counts its calls instead of unwinding, so a raised flag counts the polls.
fn module(flag_defined: bool) -> String {
    let flag = reverse_polls::INTERRUPT_FLAG;
    let (flag_line, unwinder) = if flag_defined {
        (format!("@{flag} = global i32 0"), "define void @jenzyme.interrupt_unwind() {\n  %p = load i64, ptr @polls\n  \
            %q = add i64 %p, 1\n  store i64 %q, ptr @polls\n  ret void\n}")
    } else {
        (String::new(), "")
    };
    format!(
        r#"{flag_line}
@polls = global i64 0
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
{unwinder}
define void @g(ptr %shadow, i64 %bytes, ptr %small) {{
entry:
  call void @llvm.memset.p0.i64(ptr %shadow, i8 0, i64 %bytes, i1 false)
  call void @llvm.memset.p0.i64(ptr %small, i8 0, i64 4096, i1 false)
  call void @llvm.memset.p0.i64(ptr %small, i8 1, i64 %bytes, i1 false)
  ret void
}}
"#
    )
}

#[test]
fn a_zeroing_of_run_time_length_polls_once_per_mib_and_zeroes_exactly_its_bytes() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&module(true))).unwrap();
    assert_eq!(zeroing_polls::insert(&module), 1, "only the zeroing of run-time length");
    module.verify().unwrap();
    let text = module.to_text();
    assert!(text.contains("call void @jenzyme.zero_polled(ptr %shadow, i64 %bytes)"), "{text}");
    assert!(text.contains("@llvm.memset.p0.i64(ptr %small, i8 0, i64 4096, i1 false)"), "{text}");

    let library = Library::from_bitcode(&module.to_bitcode());
    type G = unsafe extern "C" fn(*mut u8, i64, *mut u8);
    let (g, flag, polls): (G, *mut i32, *mut i64) =
        unsafe { (library.symbol("g"), library.symbol(reverse_polls::INTERRUPT_FLAG), library.symbol("polls")) };
    for bytes in [0, 1, MIB - 1, MIB, MIB + 3, 3 * MIB + MIB / 2] {
        let mut shadow = vec![0xAAu8; bytes + 64];
        let mut small = vec![0u8; 4096.max(bytes)];
        unsafe {
            *flag = 1;
            *polls = 0;
            g(shadow.as_mut_ptr(), bytes as i64, small.as_mut_ptr());
            *flag = 0;
        }
        assert!(shadow[..bytes].iter().all(|b| *b == 0), "{bytes} bytes zeroed");
        assert!(shadow[bytes..].iter().all(|b| *b == 0xAA), "nothing past {bytes} bytes");
        let chunks = bytes.div_ceil(MIB).max(1) as i64; // the first poll comes before the first chunk, empty or not
        assert_eq!(unsafe { *polls }, chunks, "polls for {bytes} bytes");
    }
}

#[test]
fn a_module_without_the_interrupt_flag_keeps_its_memsets() {
    let context = Context::new();
    let module = context.parse_bitcode(&bitcode_of_ir(&module(false))).unwrap();
    assert_eq!(zeroing_polls::insert(&module), 0);
    assert!(!module.to_text().contains("zero_polled"));
}
