//! Runs one contender on one input `N` times, for profilers:
//! `valgrind --tool=callgrind target/release/examples/one v2_local proxy-hdr 1000`.

use std::hint::black_box;

use proxy_hdr_bench::{CONTENDERS, check, inputs};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, contender, n] = args.as_slice() else {
        eprintln!("usage: one INPUT CONTENDER N");
        std::process::exit(2);
    };
    let input = inputs().into_iter().find(|i| i.name == input).expect("an input name");
    let contender = CONTENDERS.iter().find(|c| c.name == contender).expect("a contender name");
    let n: usize = n.parse().expect("a count");
    check(contender, &input).expect("a correct parse");
    for _ in 0..n {
        black_box((contender.run)(black_box(&input.bytes)));
    }
}
