#![no_main]
//! See `verity_checks::front_matter` for the property.

libfuzzer_sys::fuzz_target!(|data: &[u8]| verity_checks::front_matter::check(data));
