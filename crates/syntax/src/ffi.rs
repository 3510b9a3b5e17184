//! Direct call into libpg_query (linked by the `pg_query` crate) so that parse errors keep their
//! cursor position, which the `pg_query` Rust wrapper drops.
use std::ffi::{c_char, c_int, CStr, CString};

use prost::Message;

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_protobuf_opts(input: *const c_char, options: c_int) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// A parse failure: the server's message and the byte offset (into the parsed text) it points at.
#[derive(Debug, Clone)]
pub struct RawParseError {
    pub message: String,
    pub offset: Option<usize>,
    /// The PostgreSQL source file that raised it (`scan.l`, `gram.y`, `pl_gram.y`, ...).
    pub source: Option<String>,
}

/// Parses `text` with the real PostgreSQL grammar. `options` is a `pg_query::ParserOptions` value.
///
/// libpg_query sizes its stack-depth limit to the calling thread's stack, so a deeply nested
/// statement that fails on a small thread stack is parsed again on a thread with a large one.
pub fn parse(text: &str, options: i32) -> Result<pg_query::protobuf::ParseResult, RawParseError> {
    match parse_here(text, options) {
        Err(e) if e.message.contains("nested too deeply") || e.message.contains("stack depth limit") => std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn_scoped(s, || parse_here(text, options))
                .map_err(|_| e.clone())
                .and_then(|h| h.join().unwrap_or(Err(e)))
        }),
        r => r,
    }
}

fn parse_here(text: &str, options: i32) -> Result<pg_query::protobuf::ParseResult, RawParseError> {
    let Ok(input) = CString::new(text) else {
        let pos = text.find('\0');
        return Err(RawParseError { message: "the text contains a NUL byte".into(), offset: pos, source: None });
    };
    // SAFETY: libpg_query takes a NUL-terminated string and returns a result we free exactly once.
    let result = unsafe { pg_query_parse_protobuf_opts(input.as_ptr(), options) };
    let out = if !result.error.is_null() {
        // SAFETY: a non-null error points at a valid PgQueryError until the result is freed.
        let (message, cursor, source) = unsafe {
            let e = &*result.error;
            (CStr::from_ptr(e.message).to_string_lossy().into_owned(), e.cursorpos, c_str(e.filename))
        };
        Err(RawParseError { message, offset: char_pos_to_byte(text, cursor), source })
    } else {
        // SAFETY: data/len describe the protobuf buffer owned by `result`.
        let bytes = unsafe { std::slice::from_raw_parts(result.parse_tree.data as *const u8, result.parse_tree.len) };
        decode(bytes)
    };
    // SAFETY: freed once; nothing borrowed from it outlives this point.
    unsafe { pg_query_free_protobuf_parse_result(result) };
    out
}

/// Decodes a parse tree. Decoding recurses once per level of the tree with large frames, and a
/// valid statement can nest deeply (a long `a || b || ...`), so a tree that may be deep is
/// decoded on a stack of its own.
fn decode(bytes: &[u8]) -> Result<pg_query::protobuf::ParseResult, RawParseError> {
    let run = || {
        pg_query::protobuf::ParseResult::decode(bytes).map_err(|e| RawParseError {
            message: format!("internal decode error: {e}"),
            offset: None,
            source: None,
        })
    };
    // Each level of nesting takes at least a few bytes of the encoding.
    if bytes.len() < 1024 {
        run()
    } else {
        stacker::grow(bytes.len().saturating_mul(8 << 10).clamp(16 << 20, 1 << 30), run)
    }
}

fn c_str(p: *const c_char) -> Option<String> {
    // SAFETY: libpg_query's error strings are NUL-terminated or null.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// PostgreSQL's cursor position is 1-based and counts characters, not bytes.
fn char_pos_to_byte(text: &str, cursor: c_int) -> Option<usize> {
    if cursor <= 0 {
        return None;
    }
    let n = (cursor - 1) as usize;
    Some(text.char_indices().nth(n).map(|(b, _)| b).unwrap_or(text.len()))
}

#[repr(C)]
struct PgQueryPlpgsqlParseResult {
    plpgsql_funcs: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
    fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
}

/// libpg_query's PL/pgSQL parse of a CREATE FUNCTION statement, as JSON text. libpg_query prints
/// the datums it does not describe (a trigger function's TG_* variables) as `{}}`, which is not
/// JSON (and makes the `pg_query` crate's own wrapper fail on every trigger function); those are
/// repaired to `{}`.
pub fn parse_plpgsql_json(text: &str) -> Result<String, String> {
    parse_plpgsql(text).map_err(|e| e.message)
}

/// Like [`parse_plpgsql_json`], with the error's byte offset into `text` when the parser gives
/// one.
pub fn parse_plpgsql(text: &str) -> Result<String, RawParseError> {
    let raw = parse_plpgsql_raw(text)?;
    Ok(raw.replace(",{}}", ",{}").replace("[{}}", "[{}"))
}

fn parse_plpgsql_raw(text: &str) -> Result<String, RawParseError> {
    let c = CString::new(text).map_err(|_| RawParseError {
        message: "the function contains a NUL byte".to_string(),
        offset: text.find('\0'),
        source: None,
    })?;
    // SAFETY: `c` outlives the call; the result is freed exactly once below.
    unsafe {
        let r = pg_query_parse_plpgsql(c.as_ptr());
        let out = if !r.error.is_null() {
            let e = &*r.error;
            Err(RawParseError {
                message: CStr::from_ptr(e.message).to_string_lossy().into_owned(),
                offset: char_pos_to_byte(text, e.cursorpos),
                source: c_str(e.filename),
            })
        } else if r.plpgsql_funcs.is_null() {
            Err(RawParseError { message: "no result".to_string(), offset: None, source: None })
        } else {
            Ok(CStr::from_ptr(r.plpgsql_funcs).to_string_lossy().into_owned())
        };
        pg_query_free_plpgsql_parse_result(r);
        out
    }
}
