//! Application code: a migration and a TypeScript file (split at the first 0xFF), extraction,
//! code rules, renderers.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pgvet_linter::fuzz::analyze_source_bytes(data);
});
