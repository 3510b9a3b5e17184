//! Whole pipeline: files split at 0xFF, parse, replay, rules, every renderer.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pgvet_linter::fuzz::analyze_bytes(data);
});
