//! Parsing and writing never allocate: every vector input is parsed whole and
//! at every prefix length, and every header is written into a stack buffer,
//! with a counting global allocator watching.
#![allow(unsafe_code)] // a counting `GlobalAlloc` cannot be written without it

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use proxy_hdr::Status;

/// Allocations made by threads that have `WATCHED` set.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Only the measuring thread counts, so the test harness's own threads
    // cannot disturb the count. Const-initialised: reading it never allocates.
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if WATCHED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The system allocator, counting allocations.
struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; counting touches an
// atomic and a const-initialised thread-local, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
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

/// Room for the longest v2 header (16 + 65535 bytes).
const OUT_LEN: usize = 16 + 65_535;

#[test]
fn parsing_and_writing_do_not_allocate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let files = conformance::vector_files(&dir).expect("read tests/vectors");
    let inputs: Vec<Vec<u8>> = files
        .iter()
        .map(|f| conformance::Vector::load(f).map(|v| v.input).expect("a valid vector"))
        .collect();
    assert!(inputs.len() >= 150, "only {} vectors", inputs.len());
    let mut out = [0u8; OUT_LEN];

    WATCHED.with(|w| w.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut headers = 0usize;
    for input in &inputs {
        for k in 0..=input.len() {
            let _ = std::hint::black_box(proxy_hdr::parse(&input[..k]));
        }
        if let Ok(Status::Complete { header, .. }) = proxy_hdr::parse(input) {
            let written = header.write(&mut out);
            let _ = std::hint::black_box(written);
            headers += 1;
        }
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    WATCHED.with(|w| w.set(false));

    assert!(headers > 0, "no vector holds a header");
    assert_eq!(after - before, 0, "parse or write allocated over {} inputs", inputs.len());
}
