//! JSON written byte for byte the way the server's PyJWT writes it: `json.dumps` with
//! `separators=(",", ":")` and the default `ensure_ascii=True`.
//!
//! Tokens we mint must equal the server's bytes for the same claims, so non-ASCII text is
//! escaped as `\uXXXX` (lowercase hex, surrogate pairs above the BMP) exactly like Python does.

use serde_json::Value;

/// Appends `s` as a JSON string literal.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xf) as usize] as char);
    }
}

/// Appends an integer.
pub(crate) fn write_int(out: &mut String, n: i64) {
    use std::fmt::Write;
    let _ = write!(out, "{n}");
}

/// Appends any JSON value, objects in their stored order.
///
/// Floats are the one place Python's `repr` and Rust's shortest round-trip formatting can
/// differ (`1e+300` against `1e300`); both parse to the same number.
pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(input: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, input);
        out
    }

    #[test]
    fn escapes_like_python() {
        // Expected strings are what CPython's json.dumps prints for the same input.
        assert_eq!(s("plain"), "\"plain\"");
        assert_eq!(s("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(s("\n\r\t\u{8}\u{c}\u{1}"), "\"\\n\\r\\t\\b\\f\\u0001\"");
        assert_eq!(s("é"), "\"\\u00e9\"");
        assert_eq!(s("\u{7f}"), "\"\\u007f\"");
        assert_eq!(s("😀"), "\"\\ud83d\\ude00\"");
        assert_eq!(s("/"), "\"/\"");
    }

    #[test]
    fn values_are_compact_and_ordered() {
        let v: Value =
            serde_json::from_str(r#"{"z":1,"a":[true,null,"x"],"m":{"b":2,"a":1}}"#).unwrap();
        let mut out = String::new();
        write_value(&mut out, &v);
        assert_eq!(out, r#"{"z":1,"a":[true,null,"x"],"m":{"b":2,"a":1}}"#);
    }
}
