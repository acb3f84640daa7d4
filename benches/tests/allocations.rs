//! proxy-hdr never allocates while parsing; the peers' counts are printed
//! for the benchmark report (`cargo test -p proxy-hdr-bench -- --nocapture`).

use std::hint::black_box;

use proxy_hdr_bench::{CONTENDERS, check, inputs};

#[global_allocator]
static GLOBAL: conformance::Counting = conformance::Counting;

const RUNS: usize = 100;

/// Allocations per call of `f`, averaged over `RUNS` calls after one warm-up.
fn allocations_per_call(mut f: impl FnMut()) -> f64 {
    f();
    let ((), n) = conformance::allocations(|| (0..RUNS).for_each(|_| f()));
    n as f64 / RUNS as f64
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
        CONTENDERS.iter().map(|c| format!("{:>22}", c.name)).collect::<String>()
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
            row.push_str(&format!("{cell:>22}"));
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
