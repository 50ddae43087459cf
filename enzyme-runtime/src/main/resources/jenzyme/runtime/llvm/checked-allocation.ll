; The allocator of compiled code (see AllocationGuards.java). Every malloc/calloc/realloc/free in a JIT module is
; renamed to the jenzyme.* functions below. Each block carries a 32-byte header {next, prev, size, unused} linking it
; into the list of the innermost guarded call on this thread (its guard record, found through a pthread key), and
; every byte counts against one process-wide budget. When a request fails (budget or malloc), the call's blocks are
; freed and control longjmps back to the guard, which writes the status block and returns: the binding raises
; OutOfMemoryError instead of compiled code (e.g. Enzyme's tape realloc) writing through a null pointer. The polls
; the Enzyme worker adds to reverse-sweep loops unwind the same way (jenzyme.interrupt_unwind, longjmp value 2): the
; backward sweep of an interrupted call stops at once and its tape is freed. Every failure of a reverse-mode module
; unwinds too (jenzyme.fail_unwind), after writing its status: Enzyme then has no failing path to reverse.
;
; Guard record (allocated by the guard in its frame, 16-aligned): [0, 512) jmp_buf (glibc: 200 bytes on x86-64,
; 312 on aarch64), 512 list sentinel {next, prev}, 528 the previous guard of this thread, 536 the failed request in
; bytes, 544 the status block of the guarded call. Placeholders @@...@@ are filled in by AllocationGuards.
;
; A call that fails leaves its blocks to the guard, and a reverse pass interrupted late in its forward sweep leaves a
; tape of GBs: glibc unmaps such a block page by page, 0.1-0.8 s per GiB measured on this project's 2-core VM (qa6
; R5: the kernel gave the thread up after 250 ms). So blocks of at least 16 MiB that a failed call leaves go to a
; process-wide list (@jenzyme.native_deferred, linked through their headers' next field) that a Java thread frees
; (NativeMemory.releaseDeferred, which the binding calls on every failure status); their bytes count against the
; budget until then.

@jenzyme.alloc_key = external global i32
@jenzyme.native_budget = external global i64
@jenzyme.native_in_use = external global i64
@jenzyme.native_deferred = external global ptr

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare ptr @pthread_getspecific(i32)
declare i32 @pthread_setspecific(i32, ptr)
declare void @longjmp(ptr, i32) noreturn
declare void @abort() noreturn
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare { i64, i1 } @llvm.umul.with.overflow.i64(i64, i64)

; Requests above 2^48 bytes fail at once (no machine has that much; it keeps the sums below from overflowing).
define internal i1 @reserve(i64 %n) {
entry:
  %huge = icmp ugt i64 %n, 281474976710656
  br i1 %huge, label %refuse, label %count
count:
  %old = atomicrmw add ptr @jenzyme.native_in_use, i64 %n monotonic
  %new = add i64 %old, %n
  %budget = load i64, ptr @jenzyme.native_budget
  %over = icmp ugt i64 %new, %budget
  br i1 %over, label %undo, label %ok
undo:
  %ignored = atomicrmw sub ptr @jenzyme.native_in_use, i64 %n monotonic
  br label %refuse
refuse:
  ret i1 false
ok:
  ret i1 true
}

define internal void @unreserve(i64 %n) {
  %ignored = atomicrmw sub ptr @jenzyme.native_in_use, i64 %n monotonic
  ret void
}

define internal ptr @current_guard() {
  %key = load i32, ptr @jenzyme.alloc_key
  %guard = call ptr @pthread_getspecific(i32 %key)
  ret ptr %guard
}

; Links header %h into the list of guard %g, or to itself when no guard is active.
define internal void @link(ptr %g, ptr %h) {
entry:
  %hprev = getelementptr i8, ptr %h, i64 8
  %none = icmp eq ptr %g, null
  br i1 %none, label %alone, label %guarded
alone:
  store ptr %h, ptr %h
  store ptr %h, ptr %hprev
  ret void
guarded:
  %sentinel = getelementptr i8, ptr %g, i64 512
  %first = load ptr, ptr %sentinel
  store ptr %first, ptr %h
  store ptr %sentinel, ptr %hprev
  %fprev = getelementptr i8, ptr %first, i64 8
  store ptr %h, ptr %fprev
  store ptr %h, ptr %sentinel
  ret void
}

define internal void @unlink(ptr %h) {
  %next = load ptr, ptr %h
  %hprev = getelementptr i8, ptr %h, i64 8
  %prev = load ptr, ptr %hprev
  store ptr %next, ptr %prev
  %nprev = getelementptr i8, ptr %next, i64 8
  store ptr %prev, ptr %nprev
  ret void
}

; A request of %n bytes cannot be met: unwind to the guard, or return null (plain malloc behaviour) without one.
define internal ptr @fail(i64 %n) {
entry:
  %g = call ptr @current_guard()
  %none = icmp eq ptr %g, null
  br i1 %none, label %plain, label %unwind
plain:
  ret ptr null
unwind:
  %request = getelementptr i8, ptr %g, i64 536
  store i64 %n, ptr %request
  call void @longjmp(ptr %g, i32 1)
  unreachable
}

; The interrupt flag is raised inside a reverse sweep: unwind to this thread's innermost guard. Without a guard
; (a module the JIT did not guard) it returns, and the sweep runs to its end as before.
define void @jenzyme.interrupt_unwind() {
entry:
  %g = call ptr @current_guard()
  %none = icmp eq ptr %g, null
  br i1 %none, label %plain, label %unwind
plain:
  ret void
unwind:
  call void @longjmp(ptr %g, i32 2)
  unreachable
}

; A reverse-mode module failed (an exception or its forward sweep's poll) and wrote %status: unwind to this thread's
; innermost guard, which keeps the code (longjmp value 2, as an interrupt). %status is the guarded call's block unless
; a derivative rule's glue called the failing method with a block of its own: then it is copied over. Modules that
; call this are always guarded (AllocationGuards); without a guard there is nowhere to return to.
define void @jenzyme.fail_unwind(ptr %status) noreturn {
entry:
  %g = call ptr @current_guard()
  %none = icmp eq ptr %g, null
  br i1 %none, label %lost, label %found
lost:
  call void @abort()
  unreachable
found:
  %blockp = getelementptr i8, ptr %g, i64 544
  %block = load ptr, ptr %blockp
  %same = icmp eq ptr %block, %status
  br i1 %same, label %unwind, label %copy
copy:
  call void @llvm.memcpy.p0.p0.i64(ptr %block, ptr %status, i64 @@STATUS_BYTES@@, i1 false)
  br label %unwind
unwind:
  call void @longjmp(ptr %g, i32 2)
  unreachable
}

define ptr @jenzyme.malloc(i64 %n) {
  %p = call ptr @allocate(i64 %n, i1 false)
  ret ptr %p
}

; A block of %n bytes, from calloc when %zeroed, else from malloc.
define internal ptr @allocate(i64 %n, i1 %zeroed) {
entry:
  %ok = call i1 @reserve(i64 %n)
  br i1 %ok, label %allocate, label %failed
allocate:
  %total = add i64 %n, 32
  br i1 %zeroed, label %cleared, label %plain
cleared:
  %hc = call ptr @calloc(i64 1, i64 %total)
  br label %check
plain:
  %hp = call ptr @malloc(i64 %total)
  br label %check
check:
  %h = phi ptr [ %hc, %cleared ], [ %hp, %plain ]
  %null = icmp eq ptr %h, null
  br i1 %null, label %give_back, label %done
give_back:
  call void @unreserve(i64 %n)
  br label %failed
done:
  %size = getelementptr i8, ptr %h, i64 16
  store i64 %n, ptr %size
  %g = call ptr @current_guard()
  call void @link(ptr %g, ptr %h)
  %p = getelementptr i8, ptr %h, i64 32
  ret ptr %p
failed:
  %r = call ptr @fail(i64 %n)
  ret ptr %r
}

; A block of at least 1 MiB is zeroed by libc's calloc, not by a memset of our own: glibc hands out large blocks as fresh
; pages of mmap, zero already, and writes none of them (a memset of 1 GiB took 0.8-2.4 s here, at load 4, and an
; interrupt raised meanwhile waited for it: ZeroedAllocationInterruptTest); it clears only blocks below its mmap
; threshold (at most 32 MiB on 64-bit), within a few ms. The pages are then touched by the compiled loops that write
; them, which poll. Smaller blocks take malloc and memset: glibc's calloc skips its per-thread cache (new double[4]
; in a loop: 32 ns a block by calloc, 24 by malloc and memset; new double[64]: 47 against 25).
define ptr @jenzyme.calloc(i64 %count, i64 %each) {
entry:
  %product = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %count, i64 %each)
  %n = extractvalue { i64, i1 } %product, 0
  %overflow = extractvalue { i64, i1 } %product, 1
  br i1 %overflow, label %failed, label %allocate
allocate:
  %large = icmp uge i64 %n, 1048576
  %p = call ptr @allocate(i64 %n, i1 %large)
  %null = icmp eq ptr %p, null
  %zeroed = or i1 %null, %large
  br i1 %zeroed, label %out, label %zero
zero:
  call void @llvm.memset.p0.i64(ptr %p, i8 0, i64 %n, i1 false)
  br label %out
out:
  ret ptr %p
failed:
  %r = call ptr @fail(i64 -1)
  ret ptr %r
}

define void @jenzyme.free(ptr %p) {
entry:
  %null = icmp eq ptr %p, null
  br i1 %null, label %out, label %release
release:
  %h = getelementptr i8, ptr %p, i64 -32
  call void @unlink(ptr %h)
  %size = getelementptr i8, ptr %h, i64 16
  %n = load i64, ptr %size
  call void @unreserve(i64 %n)
  call void @free(ptr %h)
  br label %out
out:
  ret void
}

; The new size is reserved in full before the old is given back: realloc may copy, needing both for a moment.
define ptr @jenzyme.realloc(ptr %p, i64 %n) {
entry:
  %fresh = icmp eq ptr %p, null
  br i1 %fresh, label %plain, label %resize
plain:
  %q = call ptr @jenzyme.malloc(i64 %n)
  ret ptr %q
resize:
  %ok = call i1 @reserve(i64 %n)
  br i1 %ok, label %grow, label %failed
grow:
  %h = getelementptr i8, ptr %p, i64 -32
  %g = call ptr @current_guard()
  call void @unlink(ptr %h)
  %total = add i64 %n, 32
  %h2 = call ptr @realloc(ptr %h, i64 %total)
  %null = icmp eq ptr %h2, null
  br i1 %null, label %restore, label %done
restore:
  call void @link(ptr %g, ptr %h)
  call void @unreserve(i64 %n)
  br label %failed
done:
  %size = getelementptr i8, ptr %h2, i64 16
  %old = load i64, ptr %size
  call void @unreserve(i64 %old)
  store i64 %n, ptr %size
  call void @link(ptr %g, ptr %h2)
  %r = getelementptr i8, ptr %h2, i64 32
  ret ptr %r
failed:
  %f = call ptr @fail(i64 %n)
  ret ptr %f
}

; Makes guard record %g (of a call with status block %status) this thread's innermost guard.
define void @jenzyme.guard_push(ptr %g, ptr %status) {
  %sentinel = getelementptr i8, ptr %g, i64 512
  store ptr %sentinel, ptr %sentinel
  %sprev = getelementptr i8, ptr %g, i64 520
  store ptr %sentinel, ptr %sprev
  %key = load i32, ptr @jenzyme.alloc_key
  %outer = call ptr @pthread_getspecific(i32 %key)
  %saved = getelementptr i8, ptr %g, i64 528
  store ptr %outer, ptr %saved
  %request = getelementptr i8, ptr %g, i64 536
  store i64 0, ptr %request
  %block = getelementptr i8, ptr %g, i64 544
  store ptr %status, ptr %block
  %ignored = call i32 @pthread_setspecific(i32 %key, ptr %g)
  ret void
}

; Frees what the guarded call left allocated and restores the previous guard. A call that succeeded has freed its
; blocks; one that failed without unwinding may leave its tape (an interrupted forward sweep skips the reverse loop
; and the tape's free with it), so with a failure status its large blocks are deferred as an unwound call's are.
define void @jenzyme.guard_pop(ptr %g) {
entry:
  %blockp = getelementptr i8, ptr %g, i64 544
  %block = load ptr, ptr %blockp
  %none = icmp eq ptr %block, null
  br i1 %none, label %release, label %read
read:
  %code = load i32, ptr %block
  %failed.read = icmp ne i32 %code, 0
  br label %release
release:
  %failed = phi i1 [ false, %entry ], [ %failed.read, %read ]
  call void @release_blocks(ptr %g, i1 %failed)
  call void @restore_guard(ptr %g)
  ret void
}

; Frees the blocks left in guard %g's list; with %defer, those of at least 16 MiB go to @jenzyme.native_deferred.
define internal void @release_blocks(ptr %g, i1 %defer) {
entry:
  %sentinel = getelementptr i8, ptr %g, i64 512
  br label %loop
loop:
  %h = load ptr, ptr %sentinel
  %empty = icmp eq ptr %h, %sentinel
  br i1 %empty, label %done, label %release
release:
  call void @unlink(ptr %h)
  %size = getelementptr i8, ptr %h, i64 16
  %n = load i64, ptr %size
  %big = icmp uge i64 %n, 16777216
  %later = and i1 %defer, %big
  br i1 %later, label %hand_over, label %now
hand_over:
  call void @defer_free(ptr %h)
  br label %loop
now:
  call void @unreserve(i64 %n)
  call void @free(ptr %h)
  br label %loop
done:
  ret void
}

; Pushes block header %h onto @jenzyme.native_deferred (a lock-free stack: the releasing thread takes it whole).
define internal void @defer_free(ptr %h) {
entry:
  %first = load atomic ptr, ptr @jenzyme.native_deferred monotonic, align 8
  br label %try
try:
  %head = phi ptr [ %first, %entry ], [ %seen, %try ]
  store ptr %head, ptr %h
  %pair = cmpxchg ptr @jenzyme.native_deferred, ptr %head, ptr %h release monotonic
  %seen = extractvalue { ptr, i1 } %pair, 0
  %pushed = extractvalue { ptr, i1 } %pair, 1
  br i1 %pushed, label %done, label %try
done:
  ret void
}

define internal void @restore_guard(ptr %g) {
  %key = load i32, ptr @jenzyme.alloc_key
  %saved = getelementptr i8, ptr %g, i64 528
  %outer = load ptr, ptr %saved
  %ignored = call i32 @pthread_setspecific(i32 %key, ptr %outer)
  ret void
}

; After the longjmp with %why (1: an allocation failed, 2: interrupted): pops the guard and records the failure in
; the call's status block. An allocation failure writes [0] the code, [1] the request in MiB (rounded up,
; saturated), [2] the budget in MiB; an interrupt writes INTERRUPTED unless the forward sweep's own poll already
; recorded it (with the line it stopped at).
define void @jenzyme.guard_failed(ptr %g, i32 %why) {
entry:
  call void @release_blocks(ptr %g, i1 true)
  call void @restore_guard(ptr %g)
  %blockp = getelementptr i8, ptr %g, i64 544
  %block = load ptr, ptr %blockp
  %interrupted = icmp eq i32 %why, 2
  br i1 %interrupted, label %interrupt, label %memory
interrupt:
  %code = load i32, ptr %block
  %unset = icmp eq i32 %code, 0
  br i1 %unset, label %record_interrupt, label %done
record_interrupt:
  store i32 @@INTERRUPTED@@, ptr %block
  br label %done
done:
  ret void
memory:
  %requestp = getelementptr i8, ptr %g, i64 536
  %request = load i64, ptr %requestp
  store i32 @@NATIVE_MEMORY@@, ptr %block
  %mib = call i32 @mib(i64 %request)
  %detail = getelementptr i8, ptr %block, i64 4
  store i32 %mib, ptr %detail
  %budget = load i64, ptr @jenzyme.native_budget
  %budget_mib = call i32 @mib(i64 %budget)
  %detail2 = getelementptr i8, ptr %block, i64 8
  store i32 %budget_mib, ptr %detail2
  ret void
}

define internal i32 @mib(i64 %bytes) {
  %up = add i64 %bytes, 1048575
  %wrapped = icmp ult i64 %up, %bytes
  %shifted = lshr i64 %up, 20
  %big = icmp ugt i64 %shifted, 2147483647
  %too = or i1 %wrapped, %big
  %clamped = select i1 %too, i64 2147483647, i64 %shifted
  %r = trunc i64 %clamped to i32
  ret i32 %r
}
