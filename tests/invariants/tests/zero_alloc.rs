//! Parsing and writing never allocate: every vector input is parsed whole and
//! at every prefix length, and every header is written into a stack buffer,
//! with a counting global allocator watching.

use proxy_hdr::Status;

#[global_allocator]
static GLOBAL: conformance::Counting = conformance::Counting;

/// Room for the longest v2 header (16 + 65535 bytes).
const OUT_LEN: usize = 16 + 65_535;

#[test]
fn parsing_and_writing_do_not_allocate() {
    let inputs: Vec<Vec<u8>> =
        conformance::committed_vectors().into_iter().map(|v| v.input).collect();
    assert!(inputs.len() >= 150, "only {} vectors", inputs.len());
    let mut out = [0u8; OUT_LEN];

    let (headers, allocated) = conformance::allocations(|| {
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
        headers
    });
    assert!(headers > 0, "no vector holds a header");
    assert_eq!(allocated, 0, "parse or write allocated over {} inputs", inputs.len());
}
