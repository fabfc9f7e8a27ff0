//! Replays every file of `corpus/<target>/` and `regressions/<target>/` through the target
//! bodies, on the stable toolchain (no libFuzzer): `cargo test --manifest-path fuzz/Cargo.toml`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

fn replay(target: &str) {
    let body = ls_auth_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {target}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = files(&root.join("corpus").join(target));
    let regressions = files(&root.join("regressions").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is empty: run scripts/seed-fuzz-corpus"
    );
    let mut failures = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(failures.is_empty(), "{target} panicked on: {failures:#?}");
    eprintln!(
        "{target}: replayed {} corpus and {} regression files",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn every_target_is_replayed() {
    // A target added to TARGETS without a test below would go unreplayed.
    let tested = [
        "parse_authorization",
        "verify_jws",
        "classify_api_key",
        "authenticate",
        "legacy_key",
        "c_abi",
    ];
    for (name, _) in ls_auth_fuzz::TARGETS {
        assert!(tested.contains(name), "{name} has no replay test");
    }
}

#[test]
fn parse_authorization() {
    replay("parse_authorization");
}

#[test]
fn verify_jws() {
    replay("verify_jws");
}

#[test]
fn classify_api_key() {
    replay("classify_api_key");
}

#[test]
fn authenticate() {
    replay("authenticate");
}

#[test]
fn legacy_key() {
    replay("legacy_key");
}

#[test]
fn c_abi() {
    replay("c_abi");
}
