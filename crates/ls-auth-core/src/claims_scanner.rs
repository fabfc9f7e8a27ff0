//! A byte scanner for the shape nearly every token's claims have: one JSON object whose
//! members are unescaped strings or plain integers. It reads that shape without serde's
//! generic machinery and gives up (`None`) at anything else, so the caller falls back to
//! serde_json, which then has the last word on validity and on every error.

/// A member value the scanner understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// A string with no escapes and no control characters, as valid UTF-8.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = &self.bytes[self.pos..];
        // Escapes and control characters are left to serde_json.
        let end = string_stop(rest).filter(|&i| rest[i] == b'"')?;
        // The whole payload was checked as UTF-8 once, and `"` is ASCII: slicing cannot fail.
        let text = self.text.get(self.pos..self.pos + end)?;
        self.pos += end + 1;
        Some(text)
    }

    /// An integer in JSON's canonical form with at most 18 digits (so it fits `i64`).
    fn integer(&mut self) -> Option<i64> {
        let negative = self.eat(b'-').is_some();
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let digits = &self.bytes[start..self.pos];
        let leading_zero = digits.first() == Some(&b'0') && (digits.len() > 1 || negative);
        if digits.is_empty() || digits.len() > 18 || leading_zero {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
            return None;
        }
        let n = digits
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        Some(if negative { -n } else { n })
    }
}

/// The first byte that ends an unescaped string: `"`, `\\` or a control character.
///
/// Eight bytes at a time with the classic "has a byte below n" word trick: claim strings are
/// short, so a vectorised search's setup would cost more, and a byte loop is three branches a
/// byte. The lowest flagged byte of each test is exact, which is the only one used.
fn string_stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if hits != 0 {
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| offset + i)
}

/// Calls `member` for each member of a flat JSON object, in order. Returns `None` as soon as
/// the text leaves the flat shape or `member` returns `None`.
pub(crate) fn flat_object<'a>(
    json: &'a [u8],
    mut member: impl FnMut(&'a str, Scalar<'a>) -> Option<()>,
) -> Option<()> {
    let text = std::str::from_utf8(json).ok()?;
    let mut s = Scanner {
        text,
        bytes: json,
        pos: 0,
    };
    s.skip_whitespace();
    s.eat(b'{')?;
    s.skip_whitespace();
    if s.eat(b'}').is_none() {
        loop {
            let key = s.string()?;
            s.skip_whitespace();
            s.eat(b':')?;
            s.skip_whitespace();
            let value = match s.bytes.get(s.pos)? {
                b'"' => Scalar::Str(s.string()?),
                b'-' | b'0'..=b'9' => Scalar::Int(s.integer()?),
                _ => return None,
            };
            member(key, value)?;
            s.skip_whitespace();
            if s.eat(b',').is_some() {
                s.skip_whitespace();
                continue;
            }
            s.eat(b'}')?;
            break;
        }
    }
    s.skip_whitespace();
    (s.pos == json.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Option<Vec<(String, Scalar<'_>)>> {
        let mut out = Vec::new();
        flat_object(json.as_bytes(), |k, v| {
            out.push((k.to_owned(), v));
            Some(())
        })?;
        Some(out)
    }

    #[test]
    fn reads_the_flat_shape() {
        let m = members(r#" { "a" : "x" ,"b":-12,"c":0, "d":"é"} "#).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].1, Scalar::Int(-12));
        assert_eq!(m[3].1, Scalar::Str("é"));
        assert_eq!(members("{}").unwrap().len(), 0);
    }

    #[test]
    fn string_stop_finds_the_first_stop_byte() {
        for len in 0..40 {
            for at in 0..=len {
                for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes that must not stop it: high bytes and the neighbours of the stops.
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = [b'a', 0xff, 0x80, b'#', b'!', b'[', b']', b' '][i % 8];
                    }
                    if at < len {
                        bytes[at] = stop;
                        // A later stop must not win.
                        if at + 1 < len {
                            bytes[at + 1] = b'"';
                        }
                    }
                    let expected = bytes
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                    assert_eq!(
                        string_stop(&bytes),
                        expected,
                        "len {len} at {at} stop {stop}"
                    );
                }
            }
        }
    }

    #[test]
    fn gives_up_outside_it() {
        for json in [
            r#"{"a":"x\"y"}"#,
            "{\"a\":\"x\ty\"}",
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":1234567890123456789}"#,
            r#"{"a":true}"#,
            r#"{"a":null}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{}}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"["a"]"#,
            r#"{"a" 1}"#,
            "",
        ] {
            assert!(members(json).is_none(), "{json}");
        }
        assert!(flat_object(b"{\"a\":\"\xff\"}", |_, _| Some(())).is_none());
        assert!(flat_object(br#"{"a":1,"b":2}"#, |k, _| (k == "a").then_some(())).is_none());
    }
}
