//! Replays every seed of every fuzz target (`fuzz/corpus/<target>/`, which also keeps
//! each minimised crash the fuzzer found) through the target's check, so the default
//! `cargo test` covers them without cargo-fuzz.

use std::path::Path;

use verity_checks::TARGETS;

#[test]
fn every_seed_passes_its_targets_check() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for target in &TARGETS {
        let dir = corpus.join(target.name);
        let mut seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("the seeds of `{}` at {}: {e}", target.name, dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        seeds.sort();
        assert!(
            seeds.len() >= 20,
            "`{}` has {} seeds; a few dozen small realistic ones, please",
            target.name,
            seeds.len()
        );
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            let result = std::panic::catch_unwind(|| (target.check)(&data));
            assert!(result.is_ok(), "the seed {} fails the `{}` check", seed.display(), target.name);
        }
    }
}
