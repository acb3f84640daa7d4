//! Runs the driver (or the bare parse) on one input `N` times, for profilers:
//! `valgrind --tool=callgrind target/release/examples/driver_one v2_tcp4 driver 1000`
//! against the same with `parse`; the difference per run is the driver's cost.

use std::hint::black_box;

use proxy_hdr_bench::inputs;
use proxy_hdr_io::{Config, read_header};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, what, n] = args.as_slice() else {
        eprintln!("usage: driver_one INPUT driver|parse N");
        std::process::exit(2);
    };
    let input = inputs().into_iter().find(|i| i.name == input).expect("an input name");
    let n: usize = n.parse().expect("a count");
    let config = Config::new().with_header_timeout(None);
    let mut buf = [0u8; 512];
    for _ in 0..n {
        if what == "driver" {
            let mut stream = black_box(input.bytes.as_slice());
            let accepted = read_header(&mut stream, None, &mut buf, &config).expect("a header");
            black_box(accepted.header_len);
        } else {
            black_box(proxy_hdr::parse(black_box(&input.bytes)).expect("a header"));
        }
    }
}
