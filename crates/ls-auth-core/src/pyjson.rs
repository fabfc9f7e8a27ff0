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
pub(crate) fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) if n.is_f64() => write_float(out, &n.to_string()),
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

/// Appends a float the way Python's `repr` writes it, from serde_json's shortest round-trip
/// text (same digits, another layout): scientific notation when the decimal exponent is below
/// -4 or at least 16, with a sign and at least two exponent digits (`1e-05`, `1e+16`); fixed
/// notation otherwise, always with a fractional part (`100.0`, `0.0001`).
fn write_float(out: &mut String, shortest: &str) {
    let (negative, text) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = 0.DIGITS × 10^point
    let all: String = int.chars().chain(frac.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if negative {
        out.push('-');
    }
    if digits.is_empty() {
        out.push_str("0.0");
        return;
    }
    let point = int.len() as i32 + exp - leading as i32;
    let n = digits.len() as i32;
    if !(-4 < point && point <= 16) {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = point - 1;
        out.push_str(if e < 0 { "e-" } else { "e+" });
        out.push_str(&format!("{:02}", e.abs()));
    } else if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else if point >= n {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (point - n) as usize));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
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
    fn floats_are_written_like_python_repr() {
        // Expected strings are CPython's repr() of the same doubles.
        for (json, python) in [
            ("0.1", "0.1"),
            ("-0.0", "-0.0"),
            ("0.0", "0.0"),
            ("100.0", "100.0"),
            ("1.5e20", "-1.5e+20"),
            ("1e300", "1e+300"),
            ("1e-7", "1e-07"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("0.000015000000000000002", "1.5000000000000002e-05"),
            ("1e16", "1e+16"),
            ("9999999999999998.0", "9999999999999998.0"),
            ("123.456", "123.456"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ] {
            let v: Value = serde_json::from_str(json).unwrap();
            let v = if python.starts_with('-') && !json.starts_with('-') {
                Value::from(-v.as_f64().unwrap())
            } else {
                v
            };
            let mut out = String::new();
            write_value(&mut out, &v);
            assert_eq!(out, python, "{json}");
        }
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
