#![no_main]
//! See `verity_checks::merge` for the property.

libfuzzer_sys::fuzz_target!(|data: &[u8]| verity_checks::merge::check(data));
