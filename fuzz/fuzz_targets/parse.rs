//! The SQL front end alone: statement spans must stay inside the text and on char boundaries.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = pgvet_syntax::parse_sql(&text);
    for s in &p.statements {
        assert!(s.span.end <= text.len() && text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
    }
    for e in &p.errors {
        assert!(e.at.end <= text.len() && text.is_char_boundary(e.at.start));
    }
});
