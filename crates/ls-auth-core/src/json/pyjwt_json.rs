//! JSON written byte for byte the way the server's PyJWT writes it: `json.dumps` with
//! `separators=(",", ":")` and the default `ensure_ascii=True`.
//!
//! Tokens we mint must equal the server's bytes for the same claims. serde_json's compact
//! output already matches but for two things, which the formatter below overrides: text
//! outside printable ASCII is escaped as `\uXXXX` (surrogate pairs above the BMP), and floats
//! are laid out as Python's `repr` lays them out.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// Appends `value` (a `str`, an integer, a `serde_json::Value`: objects in their stored order)
/// to `out` as PyJWT would write it.
pub(crate) fn write(out: &mut String, value: &(impl Serialize + ?Sized)) {
    let mut bytes = std::mem::take(out).into_bytes();
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, PyJwt);
    // Writing into memory cannot fail, and our values have only string keys.
    value
        .serialize(&mut ser)
        .expect("a JSON value serializes into memory");
    *out = String::from_utf8(bytes).expect("the formatter writes UTF-8");
}

/// serde_json's compact formatter with Python's escapes and float layout.
struct PyJwt;

impl Formatter for PyJwt {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fragments hold no `"`, `\` or control characters (serde_json escapes those, in
        // lowercase hex like Python); what is left to escape is everything beyond `~`.
        let mut start = 0;
        for (i, c) in fragment.char_indices().filter(|&(_, c)| c > '~') {
            w.write_all(&fragment.as_bytes()[start..i])?;
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        let mut shortest = Vec::new();
        CompactFormatter.write_f64(&mut shortest, value)?;
        let mut text = String::new();
        python_float(&mut text, std::str::from_utf8(&shortest).unwrap_or("0.0"));
        w.write_all(text.as_bytes())
    }
}

/// Appends a float the way Python's `repr` writes it, from serde_json's shortest round-trip
/// text (same digits, another layout): scientific notation when the decimal exponent is below
/// -4 or at least 16, with a sign and at least two exponent digits (`1e-05`, `1e+16`); fixed
/// notation otherwise, always with a fractional part (`100.0`, `0.0001`).
fn python_float(out: &mut String, shortest: &str) {
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
    use serde_json::Value;

    fn s(input: &str) -> String {
        let mut out = String::new();
        write(&mut out, input);
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
            write(&mut out, &v);
            assert_eq!(out, python, "{json}");
        }
    }

    #[test]
    fn values_are_compact_and_ordered() {
        let v: Value =
            serde_json::from_str(r#"{"z":1,"a":[true,null,"x"],"m":{"b":2,"a":1}}"#).unwrap();
        let mut out = String::new();
        write(&mut out, &v);
        assert_eq!(out, r#"{"z":1,"a":[true,null,"x"],"m":{"b":2,"a":1}}"#);
    }
}
