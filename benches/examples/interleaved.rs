//! The parse benchmark's ratios measured so that a drifting machine cannot
//! move them: contenders take turns in short batches, round after round,
//! and each keeps its fastest batch. Criterion measures one contender after
//! another, so on a VM whose speed drifts over seconds (this project's
//! varies by ±25%) two neighbours in a table can be measured at different
//! speeds; here every contender sees every phase of the drift.
//!
//! `cargo run --release -p proxy-hdr-bench --example interleaved [ROUNDS]`
//! prints one markdown row per input: the fastest batch of each contender
//! in ns per parse + walk, and proxy-hdr's ratio to the fastest peer. On
//! the TLV inputs it also times proxy-hdr walking SSL as one opaque TLV,
//! as the TLV-walking peers do, and gives that like-for-like ratio too.

use std::hint::black_box;
use std::time::Instant;

use proxy_hdr_bench::{CONTENDERS, Contender, PROXY_HDR_SSL_OPAQUE, check, inputs};

/// Parses per batch: long enough to dwarf the clock reads, short enough
/// that many batches fit in each phase of the drift.
const BATCH: u32 = 2_000;

fn main() {
    let rounds: u32 = std::env::args().nth(1).map_or(60, |n| n.parse().expect("a round count"));
    println!(
        "| input | {} | vs the fastest peer | {} | its ratio to the fastest peer |",
        names().join(" | "),
        PROXY_HDR_SSL_OPAQUE.name
    );
    println!("|---|{}---|---|---|", "---|".repeat(CONTENDERS.len()));
    for input in inputs() {
        // On a header with TLVs, only a peer that walks them is compared.
        let has_tlvs = input.name.contains("tlvs");
        let opaque = has_tlvs.then_some(&PROXY_HDR_SSL_OPAQUE);
        let checked: Vec<(&Contender, bool)> = CONTENDERS
            .iter()
            .chain(opaque)
            .filter_map(|c| check(c, &input).ok().map(|o| (c, o.walks_tlvs)))
            .collect();
        let valid: Vec<&Contender> = checked.iter().map(|(c, _)| *c).collect();
        let compared = |name: &str| {
            !name.starts_with("proxy-hdr")
                && checked.iter().any(|(c, w)| c.name == name && (*w || !has_tlvs))
        };
        let mut best = vec![f64::INFINITY; valid.len()];
        for _ in 0..rounds {
            for (contender, best) in valid.iter().zip(&mut best) {
                let start = Instant::now();
                for _ in 0..BATCH {
                    black_box((contender.run)(black_box(&input.bytes)));
                }
                let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH);
                *best = best.min(ns);
            }
        }
        let ns = |name: &str| valid.iter().position(|c| c.name == name).map(|i| best[i]);
        let cells: Vec<String> =
            names().iter().map(|n| ns(n).map_or("-".into(), |t| format!("{t:.1}"))).collect();
        let ours = ns("proxy-hdr").expect("proxy-hdr parses every input");
        let (peer, fastest) = valid
            .iter()
            .zip(&best)
            .filter(|(c, _)| compared(c.name))
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(c, t)| (c.name, *t))
            .expect("a peer");
        let like_for_like = match ns(PROXY_HDR_SSL_OPAQUE.name) {
            Some(t) => format!("{t:.1} | {:.2}x", fastest / t),
            None => "- | -".into(),
        };
        println!(
            "| {} | {} | {:.2}x ({peer}) | {like_for_like} |",
            input.name,
            cells.join(" | "),
            fastest / ours
        );
    }
}

fn names() -> Vec<&'static str> {
    CONTENDERS.iter().map(|c| c.name).collect()
}
