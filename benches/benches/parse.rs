//! proxy-hdr against ppp, proxy-header, proxy-protocol and
//! proxy-protocol-codec: one criterion group per input, one function per
//! contender.
//!
//! `cargo bench -p proxy-hdr-bench --bench parse`. Before measuring, every
//! contender is checked once per input (accepted, right header length,
//! right source address, same address/TLV digest as proxy-hdr); one that fails is
//! left out of that group with a note, so no error path is ever timed.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proxy_hdr_bench::{CONTENDERS, check, inputs};

fn parse(c: &mut Criterion) {
    for input in inputs() {
        let mut group = c.benchmark_group(input.name);
        for contender in CONTENDERS {
            match check(contender, &input) {
                Ok(_) => {
                    let run = contender.run;
                    let bytes = input.bytes.as_slice();
                    group.bench_function(contender.name, |b| b.iter(|| run(black_box(bytes))));
                }
                Err(e) if contender.name == "proxy-hdr" => {
                    panic!("proxy-hdr on {}: {e}", input.name)
                }
                Err(e) => eprintln!("note: {} on {}: {e}, left out", contender.name, input.name),
            }
        }
        group.finish();
    }
}

/// The CRC32C alone over the TLV-rich input's header (the part of its
/// parse only proxy-hdr does), with its throughput.
fn crc32c(c: &mut Criterion) {
    let input = inputs().into_iter().find(|i| i.name == "v2_tcp6_tlvs_crc").expect("the input");
    let header = &input.bytes[..input.header_len];
    let mut group = c.benchmark_group("crc32c");
    group.throughput(Throughput::Bytes(header.len() as u64));
    group.bench_function(format!("{}_bytes", header.len()), |b| {
        b.iter(|| proxy_hdr::crc32c::checksum(black_box(header)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    targets = parse, crc32c
}
criterion_main!(benches);
