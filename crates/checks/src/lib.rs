//! The properties Verity's fuzz targets assert, one module per target, each a function
//! from the fuzzer's bytes that panics when the property fails.
//!
//! The fuzz targets in `fuzz/` are one-line calls into these functions, and this crate's
//! tests replay every seed in `fuzz/corpus/<target>/` through the same functions, so the
//! default `cargo test` checks the seeds (and every crash the fuzzer ever found, kept as
//! a seed) without cargo-fuzz.

pub mod front_matter;
pub mod markdown;
pub mod merge;
pub mod query;
pub mod slug;
pub mod texts;

/// A fuzz target: its name (the folder of its seeds) and its check.
pub struct Target {
    pub name: &'static str,
    pub check: fn(&[u8]),
}

/// Every target, by the name `cargo fuzz run` knows it by.
pub const TARGETS: [Target; 5] = [
    Target { name: "front_matter", check: front_matter::check },
    Target { name: "markdown", check: markdown::check },
    Target { name: "query", check: query::check },
    Target { name: "slug", check: slug::check },
    Target { name: "merge", check: merge::check },
];
