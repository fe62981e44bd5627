#![no_main]
//! See `verity_checks::slug` for the property.

libfuzzer_sys::fuzz_target!(|data: &[u8]| verity_checks::slug::check(data));
