#![no_main]
//! See `verity_checks::markdown` for the property.

libfuzzer_sys::fuzz_target!(|data: &[u8]| verity_checks::markdown::check(data));
