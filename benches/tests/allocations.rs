//! proxy-hdr never allocates while parsing; the peers' counts are printed
//! for the benchmark report (`cargo test -p proxy-hdr-bench -- --nocapture`).
#![allow(unsafe_code)] // a counting `GlobalAlloc` cannot be written without it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use proxy_hdr_bench::{CONTENDERS, check, inputs};

/// The system allocator, counting allocations made on the current thread
/// (the test harness's other threads do not disturb the count).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches a
// const-initialised thread-local that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RUNS: usize = 100;

/// Allocations per call of `f`, averaged over `RUNS` calls after one warm-up.
fn allocations_per_call(mut f: impl FnMut()) -> f64 {
    f();
    let before = ALLOCATIONS.with(Cell::get);
    for _ in 0..RUNS {
        f();
    }
    let after = ALLOCATIONS.with(Cell::get);
    (after - before) as f64 / RUNS as f64
}

#[test]
fn proxy_hdr_parses_without_allocating() {
    // The counter sees allocations made here, so the zeros below mean something.
    assert_eq!(allocations_per_call(|| drop(black_box(Box::new(1u8)))), 1.0);
    let inputs = inputs();
    println!("allocations per parse and walk");
    println!(
        "{:<18}{}",
        "input",
        CONTENDERS.iter().map(|c| format!("{:>16}", c.name)).collect::<String>()
    );
    for input in &inputs {
        let mut row = format!("{:<18}", input.name);
        for contender in CONTENDERS {
            let cell = match check(contender, input) {
                Ok(_) => {
                    let run = contender.run;
                    let n = allocations_per_call(|| {
                        black_box(run(black_box(&input.bytes)));
                    });
                    if contender.name == "proxy-hdr" {
                        assert_eq!(n, 0.0, "proxy-hdr allocated on {}", input.name);
                    }
                    format!("{n}")
                }
                Err(e) => {
                    assert_ne!(contender.name, "proxy-hdr", "{}: {e}", input.name);
                    "rejects".to_owned()
                }
            };
            row.push_str(&format!("{cell:>16}"));
        }
        println!("{row}");
    }
    // The bare parse, too, without the consuming walk.
    for input in &inputs {
        let n = allocations_per_call(|| {
            black_box(proxy_hdr::parse(black_box(&input.bytes))).ok();
        });
        assert_eq!(n, 0.0, "proxy_hdr::parse allocated on {}", input.name);
    }
}
