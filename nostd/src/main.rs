//! Links `proxy_hdr::parse` into a `#![no_std]`, `#![no_main]` binary with
//! no global allocator: any `alloc` or `std` in the core's dependency graph
//! fails this build ("no global memory allocator found", "can't find crate
//! for `std`").
#![no_std]
#![no_main]

use core::hint::black_box;

static INPUTS: [&[u8]; 2] = [
    b"PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n",
    b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x7f\x00\x00\x01\x7f\x00\x00\x01\x30\x39\x01\xbb",
];

/// The entry point: parse each input and write it back through the writer
/// (unless `parse-only`), so the whole parser and writer are linked in.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    let mut out = [0u8; 128];
    for input in INPUTS {
        if let Ok(proxy_hdr::Status::Complete { header, len }) = proxy_hdr::parse(black_box(input))
        {
            #[cfg(not(feature = "parse-only"))]
            let written = header.write(&mut out);
            #[cfg(feature = "parse-only")]
            let written = black_box(&mut out).len();
            let _ = black_box((header.source(), len, written, header.tlvs().iter().count()));
        }
    }
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
