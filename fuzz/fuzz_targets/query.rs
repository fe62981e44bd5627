#![no_main]
//! See `verity_checks::query` for the property.

libfuzzer_sys::fuzz_target!(|data: &[u8]| verity_checks::query::check(data));
