//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same invariants the fuzz targets check, so `cargo test` alone catches a
//! regression on any seed or past crash.

use std::fs;
use std::path::Path;

use conformance::fuzz::TARGETS;

#[test]
fn every_committed_seed_keeps_its_target_invariants() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (target, check) in TARGETS {
        let dir = corpus.join(target);
        let mut seeds: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for seed in seeds {
            let data = fs::read(&seed).expect("a seed file");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: seed {} broke an invariant", seed.display());
        }
    }
}
