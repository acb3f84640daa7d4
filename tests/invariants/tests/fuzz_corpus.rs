//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same invariants the fuzz targets check, so `cargo test` alone catches a
//! regression on any seed or past crash.

use std::fs;
use std::path::Path;

use invariants::{Difference, TARGETS, ppp_difference};

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// Targets whose committed seeds another crate replays: the C ABI's live in
/// `crates/proxy-hdr-capi/tests/fuzz-seeds/`, but a hand-run
/// `cargo fuzz run capi` still writes its finds to `fuzz/corpus/capi`.
const REPLAYED_ELSEWHERE: [&str; 1] = ["capi"];

fn is_known(name: &str) -> bool {
    TARGETS.iter().any(|(t, _)| *t == name) || REPLAYED_ELSEWHERE.contains(&name)
}

/// A folder for a renamed or removed target would silently never run.
#[test]
fn every_corpus_folder_is_a_target() {
    for entry in fs::read_dir(corpus()).expect("fuzz/corpus") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        assert!(is_known(&name), "fuzz/corpus/{name} is not a target");
    }
}

/// A new fuzz target must say where its seeds are replayed.
#[test]
fn every_fuzz_target_is_replayed() {
    let targets = corpus().join("../fuzz_targets");
    for entry in fs::read_dir(&targets).expect("fuzz/fuzz_targets") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_stem().expect("a file name").to_string_lossy();
        assert!(is_known(&name), "fuzz/fuzz_targets/{name}.rs has no replay of its seeds");
    }
}

#[test]
fn every_committed_seed_keeps_its_target_invariants() {
    let corpus = corpus();
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

/// Each deliberate difference from ppp has a committed seed that shows it,
/// so the list stays honest: a difference that no longer happens fails here.
#[test]
fn every_documented_ppp_difference_has_a_seed() {
    let dir = corpus().join("differential");
    let shown: Vec<Difference> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| ppp_difference(&fs::read(entry.expect("an entry").path()).ok()?))
        .collect();
    for difference in Difference::ALL {
        assert!(shown.contains(&difference), "no differential seed shows {difference:?}");
    }
}
