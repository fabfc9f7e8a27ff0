//! A strict, allocation-free reader of a claims payload: one JSON object, read member by member
//! in one pass without serde's generic machinery. Strings and small integers are handed over as
//! they are; any other value (objects, arrays, floats, literals, escaped strings) is checked
//! against the JSON grammar exactly as serde_json would accept it and handed over as its text,
//! so that a custom claim costs a scan of its bytes and nothing more.
//!
//! It gives up (`None`) on anything it does not take: an escaped key, a value serde_json would
//! refuse, text after the object, or the caller's own refusal. The caller then falls back to
//! serde_json, which has the last word on validity and on every error. The contract is
//! one-sided: whatever the scanner accepts, serde_json accepts and reads the same (tested here
//! and in claims.rs).
//!
//! Speed: strings end where the stop index ([`super::stop_index`]) says. The
//! common compact form (`{"k":v,"k":v}`) takes no detour through the whitespace rules:
//! whitespace is looked for only where a byte did not match what compact JSON has there.

use super::stop_index::{
    index_words, string_stop, word_at, Indexed, LARGE_INDEX_WORDS, ONES, SMALL_INDEX_WORDS,
};

/// A member value as the scanner hands it over. Texts are the payload's bytes, which the
/// scanner has checked as UTF-8: handing them over as `&str` cost a call to `str::get` per
/// string, and most (every custom claim's) are never read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar<'a> {
    /// A string's content, without escapes.
    Str(&'a [u8]),
    /// An integer in canonical form with at most 18 digits (so it fits `i64`).
    Int(i64),
    /// Any other valid JSON value, as its text.
    Other(&'a [u8]),
}

/// serde_json's recursion limit: it refuses a 128th level of nested arrays and objects,
/// counting the payload object itself.
const MAX_DEPTH: usize = 127;

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first position at or after `pos` that is not JSON whitespace.
#[inline]
fn skip_whitespace(b: &[u8], mut pos: usize) -> usize {
    while b.get(pos).copied().is_some_and(is_whitespace) {
        pos += 1;
    }
    pos
}

impl Indexed<'_, '_> {
    /// The string whose content starts at `pos` (after its opening quote): the position of
    /// its closing quote, and whether it has escapes.
    #[inline(always)]
    fn string_end(&self, mut pos: usize) -> Option<(usize, bool)> {
        let mut escaped = false;
        loop {
            pos = self.stop(pos)?;
            match *self.b.get(pos)? {
                b'"' => return Some((pos, escaped)),
                b'\\' => {
                    escaped = true;
                    pos = escape(self.b, pos)?;
                }
                _ => return None, // a control character
            }
        }
    }

    /// `"key":` inside a nested object at `pos`, returning the position after the colon.
    /// Nested keys may repeat: serde_json keeps the last, and the duplicate-key rule is about
    /// the payload's own members (contract §3.3).
    #[inline(always)]
    fn nested_key(&self, mut pos: usize) -> Option<usize> {
        if self.b.get(pos) != Some(&b'"') {
            pos = skip_whitespace(self.b, pos);
            if self.b.get(pos) != Some(&b'"') {
                return None;
            }
        }
        self.nested_key_at_quote(pos)
    }

    /// [`Indexed::nested_key`] for a key whose opening quote is at `pos`.
    #[inline(always)]
    fn nested_key_at_quote(&self, pos: usize) -> Option<usize> {
        let b = self.b;
        let (end, _) = self.string_end(pos + 1)?;
        let mut pos = end + 1;
        if b.get(pos) != Some(&b':') {
            pos = skip_whitespace(b, pos);
            if b.get(pos) != Some(&b':') {
                return None;
            }
        }
        Some(pos + 1)
    }
}

/// The string whose content starts at `pos` (after its opening quote), without an index: the
/// position of its closing quote, and whether it has escapes. The same loop as
/// [`Indexed::string_end`] on purpose: one generic over the stop search measured about 4%
/// slower per claim byte (`scripts/bench`), in the indexed walk that most claims go through.
#[inline(always)]
fn string_end(b: &[u8], mut pos: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        pos = string_stop(b, pos)?;
        match b[pos] {
            b'"' => return Some((pos, escaped)),
            b'\\' => {
                escaped = true;
                pos = escape(b, pos)?;
            }
            _ => return None, // a control character
        }
    }
}

/// One escape at `pos` (its backslash), as serde_json reads it into a Rust string: the eight
/// one-letter escapes, and `\uXXXX` where a surrogate must be a leading one immediately
/// followed by an escaped trailing one. Returns the position after it.
#[cold]
fn escape(b: &[u8], pos: usize) -> Option<usize> {
    match *b.get(pos + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(pos + 2),
        b'u' => {
            let unit = hex4(b, pos + 2)?;
            if (0xDC00..=0xDFFF).contains(&unit) {
                return None;
            }
            if !(0xD800..=0xDBFF).contains(&unit) {
                return Some(pos + 6);
            }
            if b.get(pos + 6..pos + 8) != Some(b"\\u") {
                return None;
            }
            let trail = hex4(b, pos + 8)?;
            (0xDC00..=0xDFFF).contains(&trail).then_some(pos + 12)
        }
        _ => None,
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)?
        .iter()
        .try_fold(0, |n, &d| Some(n << 4 | char::from(d).to_digit(16)?))
}

/// How many ASCII digits start at `pos`, eight at a time: a byte is a digit when, after
/// `^ 0x30`, its high nibble is 0 and its low nibble plus 6 stays below 16; neither test
/// carries into the next byte, so every byte's answer is exact.
#[inline]
fn digit_run(b: &[u8], pos: usize) -> usize {
    const HIGH_NIBBLES: u64 = u64::from_ne_bytes([0xf0; 8]);
    const LOW_NIBBLES: u64 = u64::from_ne_bytes([0x0f; 8]);
    let mut at = pos;
    loop {
        // Past the end reads as '/', which is no digit.
        let w = word_at(b, at, b'/') ^ (ONES * 0x30);
        let not_digit = (w & HIGH_NIBBLES) | (((w & LOW_NIBBLES) + ONES * 6) & (ONES * 0x10));
        if not_digit != 0 {
            return at + (not_digit.trailing_zeros() / 8) as usize - pos;
        }
        at += 8;
    }
}

/// A number at `pos`: the position after it, and its value when it is an integer in canonical
/// form with at most 18 digits. Any other number serde_json reads (a fraction, an exponent, a
/// long integer, `-0`) has no value here; one whose value overflows an f64 is refused, as
/// serde_json refuses it.
#[inline]
fn number(b: &[u8], pos: usize) -> Option<(usize, Option<i64>)> {
    let negative = b.get(pos) == Some(&b'-');
    let int_start = pos + usize::from(negative);
    // The integer part digit by digit: timestamps have ten digits, too few for the eight-at-
    // a-time conversion to pay for its setup.
    let mut end = int_start;
    let mut n: u64 = 0;
    while let Some(&c) = b.get(end) {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        end += 1;
    }
    let int_len = end - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut integer = true;
    if b.get(end) == Some(&b'.') {
        let frac = digit_run(b, end + 1);
        if frac == 0 {
            return None;
        }
        integer = false;
        end += 1 + frac;
    }
    if let Some(b'e' | b'E') = b.get(end) {
        end += 1;
        if let Some(b'+' | b'-') = b.get(end) {
            end += 1;
        }
        let exp = digit_run(b, end);
        if exp == 0 {
            return None;
        }
        integer = false;
        end += exp;
    }
    if integer && int_len <= 18 {
        // At most 18 digits: below 10^18 < i64::MAX, no wrap above.
        let n = n as i64;
        // serde_json reads `-0` as the float -0.0.
        return Some((
            end,
            (n != 0 || !negative).then_some(if negative { -n } else { n }),
        ));
    }
    // Rounding is correct in serde_json and in Rust's parser, so they agree on where an f64
    // overflows; an integer below 10^308 never does.
    if !(integer && int_len <= 308) {
        overflows_f64(b.get(pos..end)?).then_some(())?;
    }
    Some((end, None))
}

/// Whether a JSON number's text reads as a finite f64 (false: serde_json refuses it).
#[cold]
fn overflows_f64(number: &[u8]) -> bool {
    std::str::from_utf8(number)
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .is_some_and(f64::is_finite)
}

/// The string whose content starts at `pos`: the position of its closing quote and whether
/// it has escapes (for the claims reader's fast path, which has no index).
#[inline(always)]
pub(crate) fn string_end_at(b: &[u8], pos: usize) -> Option<(usize, bool)> {
    string_end(b, pos)
}

/// A number at `pos` as [`number`] reads it, for a text known to be UTF-8 JSON (for the claims
/// reader's fast path): only integers of at most 18 digits have a value.
#[inline(always)]
pub(crate) fn number_at(b: &[u8], pos: usize) -> Option<(usize, Option<i64>)> {
    number(b, pos)
}

/// `word` at `pos`, for the literals `true`, `false` and `null`.
#[inline]
fn literal(b: &[u8], pos: usize, word: &[u8]) -> Option<usize> {
    let end = pos + word.len();
    (b.get(pos..end) == Some(word)).then_some(end)
}

/// An array or object at `pos` (its opening bracket), nested at most `MAX_DEPTH - depth`
/// levels. Returns the position after it.
///
/// One loop over values, containers kept as one bit per open level (1: object) instead of
/// recursion, so that hostile nesting costs no stack. Whitespace is looked for only in the
/// arm that meets it.
#[inline(always)]
fn compound(t: &Indexed<'_, '_>, mut pos: usize, depth: usize) -> Option<usize> {
    let b = t.b;
    let room = MAX_DEPTH.checked_sub(depth)?;
    // The kind of each enclosing level (1: object) in memory, touched only when a container
    // opens or closes; the innermost's kind in a register, since every comma asks for it.
    let mut enclosing = [0u8; MAX_DEPTH];
    let mut levels = 0;
    let mut in_object = false;
    loop {
        // At the start of a value, `levels` deep (0: the container at `pos` itself). One
        // match, one jump table: an if-chain tested the likely kinds one by one.
        match *b.get(pos)? {
            b'"' => pos = t.string_end(pos + 1)?.0 + 1,
            c @ b'0'..=b'9' => {
                // A short integer, the usual nested number, digit by digit and without its
                // value; a fraction or an exponent the long way.
                let mut end = pos + 1;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                pos = match b.get(end) {
                    Some(b'.' | b'e' | b'E') => number(b, pos)?.0,
                    _ if c == b'0' && end > pos + 1 => return None,
                    _ if end - pos > 308 => number(b, pos)?.0,
                    _ => end,
                };
            }
            b'-' => pos = number(b, pos)?.0,
            c @ (b'{' | b'[') => {
                if levels >= room {
                    return None;
                }
                *enclosing.get_mut(levels)? = u8::from(in_object);
                levels += 1;
                in_object = c == b'{';
                pos += 1;
                let close = c + 2; // `}` and `]` follow their opening bracket by two
                let mut next = *b.get(pos)?;
                if next <= b' ' {
                    pos = skip_whitespace(b, pos);
                    next = *b.get(pos)?;
                }
                if next != close {
                    if in_object {
                        pos = t.nested_key(pos)?;
                    }
                    continue;
                }
                pos += 1;
                levels -= 1;
                if levels == 0 {
                    return Some(pos);
                }
                in_object = enclosing[levels] == 1;
            }
            b't' => pos = literal(b, pos, b"true")?,
            b'f' => pos = literal(b, pos, b"false")?,
            b'n' => pos = literal(b, pos, b"null")?,
            b' ' | b'\t' | b'\n' | b'\r' => {
                pos = skip_whitespace(b, pos);
                continue;
            }
            _ => return None,
        }
        // After a value: a comma, or the end of the innermost container (and maybe more).
        loop {
            let c = *b.get(pos)?;
            if c == b',' {
                pos += 1;
                if in_object {
                    pos = t.nested_key(pos)?;
                }
                break;
            }
            if c == if in_object { b'}' } else { b']' } {
                pos += 1;
                levels -= 1;
                if levels == 0 {
                    return Some(pos);
                }
                in_object = enclosing[levels] == 1;
            } else if is_whitespace(c) {
                pos = skip_whitespace(b, pos);
            } else {
                return None;
            }
        }
    }
}

/// A member value at `pos`, and the position after it. Always inlined: returned through
/// memory, the result was written in parts and read back whole, a stalled load per member.
#[inline(always)]
fn value<'a>(t: &Indexed<'a, '_>, mut pos: usize) -> Option<(Scalar<'a>, usize)> {
    let b = t.b;
    if b.get(pos).is_some_and(|&c| c <= b' ') {
        pos = skip_whitespace(b, pos);
    }
    let end = match *b.get(pos)? {
        b'"' => {
            let (end, escaped) = t.string_end(pos + 1)?;
            // The payload is valid UTF-8 and `"` is ASCII: these slices are on boundaries.
            let value = if escaped {
                Scalar::Other(b.get(pos..end + 1)?)
            } else {
                Scalar::Str(b.get(pos + 1..end)?)
            };
            return Some((value, end + 1));
        }
        b'-' | b'0'..=b'9' => {
            let (end, n) = number(b, pos)?;
            let value = match n {
                Some(n) => Scalar::Int(n),
                None => Scalar::Other(b.get(pos..end)?),
            };
            return Some((value, end));
        }
        // The payload object itself is the first level.
        b'{' | b'[' => compound(t, pos, 1)?,
        b't' => literal(b, pos, b"true")?,
        b'f' => literal(b, pos, b"false")?,
        b'n' => literal(b, pos, b"null")?,
        _ => return None,
    };
    Some((Scalar::Other(b.get(pos..end)?), end))
}

/// Whether `b` holds `name` at `at`. Names of 4 to 16 bytes are compared as two overlapping
/// words each side, not by a call to memcmp (the length is not known at compile time).
#[inline(always)]
fn short_eq(b: &[u8], at: usize, name: &[u8]) -> bool {
    let Some(here) = b.get(at..at + name.len()) else {
        return false;
    };
    let n = name.len();
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
    match n {
        8..=16 => word(here, 0) == word(name, 0) && word(here, n - 8) == word(name, n - 8),
        4..=7 => half(here, 0) == half(name, 0) && half(here, n - 4) == half(name, n - 4),
        _ => here == name,
    }
}

/// Calls `member` for each member of a JSON object, in order, and returns the object's text.
/// Returns `None` as soon as the text is not one JSON object the scanner takes, or `member`
/// returns `None`.
///
/// `member` is given each name, the position of its first byte in `json`, and its value.
/// `usual` lists member names in the order a writer usually puts them: while the members
/// come in that order, compact, each name is recognised by one comparison with the next one
/// expected instead of a search for its closing quote, and `member` is told its index.
///
/// With `from`, the caller has read the object up to a comma between members, just before
/// `from`, and the members after it are read (without `usual`).
#[inline]
pub(crate) fn object<'a>(
    json: &'a [u8],
    from: Option<usize>,
    usual: &[&str],
    mut member: impl FnMut(&'a [u8], usize, Option<usize>, Scalar<'a>) -> Option<()>,
) -> Option<&'a str> {
    let text = utf8(json)?;
    let b = json;
    let words = index_words(b.len());
    let mut small = [0u64; SMALL_INDEX_WORDS];
    let mut large;
    let stops = if words <= SMALL_INDEX_WORDS {
        &mut small[..words]
    } else {
        large = [0u64; LARGE_INDEX_WORDS];
        large.get_mut(..words)?
    };
    let t = Indexed::new(b, stops);
    let mut pos;
    let mut next_usual = 0;
    if let Some(from) = from {
        pos = skip_whitespace(b, from);
        next_usual = usize::MAX;
    } else {
        pos = skip_whitespace(b, 0);
        if b.get(pos) != Some(&b'{') {
            return None;
        }
        pos = skip_whitespace(b, pos + 1);
    }
    if from.is_none() && b.get(pos) == Some(&b'}') {
        pos += 1;
    } else {
        loop {
            // Whitespace is looked for only where compact JSON has none and a byte did not
            // match: here, after the colon (in `value`) and after the value.
            if b.get(pos) != Some(&b'"') {
                pos = skip_whitespace(b, pos);
                if b.get(pos) != Some(&b'"') {
                    return None;
                }
            }
            let key_at = pos + 1;
            // The name the writer usually puts here, followed by `":`?
            let usual_key = usual.get(next_usual).filter(|name| {
                let end = pos + 1 + name.len();
                short_eq(b, pos + 1, name.as_bytes()) && b.get(end..end + 2) == Some(b"\":")
            });
            let (key, index) = if let Some(&name) = usual_key {
                let key = b.get(pos + 1..pos + 1 + name.len())?;
                pos += name.len() + 3;
                next_usual += 1;
                (key, Some(next_usual - 1))
            } else {
                next_usual = usize::MAX;
                // A member name: a string without escapes (an escaped one is left to
                // serde_json, which compares names after unescaping them).
                let (end, escaped) = t.string_end(pos + 1)?;
                if escaped {
                    return None;
                }
                let key = b.get(pos + 1..end)?;
                pos = end + 1;
                // Compact JSON has the colon right there and the value right after it.
                if b.get(pos) != Some(&b':') {
                    pos = skip_whitespace(b, pos);
                    if b.get(pos) != Some(&b':') {
                        return None;
                    }
                }
                pos += 1;
                (key, None)
            };
            let (v, end) = value(&t, pos)?;
            member(key, key_at, index, v)?;
            pos = end;
            match *b.get(pos)? {
                b',' => pos += 1,
                b'}' => {
                    pos += 1;
                    break;
                }
                c if is_whitespace(c) => {
                    pos = skip_whitespace(b, pos);
                    match b.get(pos) {
                        Some(b',') => pos += 1,
                        Some(b'}') => {
                            pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
    (skip_whitespace(b, pos) == b.len()).then_some(text)
}

/// `bytes` as UTF-8 text. simdutf8 checks 32 or 64 bytes per step with whatever vector unit
/// the CPU has (its own runtime dispatch); std's check goes a word at a time, and was 6% of a
/// verification with a hundred custom claims.
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A member value as text, for the tests.
    #[derive(Debug, PartialEq)]
    enum V {
        Str(String),
        Int(i64),
        Other(String),
    }

    fn text(b: &[u8]) -> String {
        String::from_utf8(b.to_vec()).unwrap()
    }

    fn members(json: &str) -> Option<Vec<(String, V)>> {
        let mut out = Vec::new();
        object(json.as_bytes(), None, &["a", "b"], |k, at, i, v| {
            assert_eq!(&json.as_bytes()[at..at + k.len()], k);
            assert_eq!(i.map(|i| ["a", "b"][i].as_bytes()), i.map(|_| k));
            let v = match v {
                Scalar::Str(s) => V::Str(text(s)),
                Scalar::Int(n) => V::Int(n),
                Scalar::Other(s) => V::Other(text(s)),
            };
            out.push((text(k), v));
            Some(())
        })?;
        Some(out)
    }

    #[test]
    fn reads_members() {
        let json = r#" { "a" : "x" ,"b":-12,"c":0, "d":"é", "e":[1,{"f":null}], "g":"\n"} "#;
        let m = members(json).unwrap();
        assert_eq!(m.len(), 6);
        assert_eq!(m[0].1, V::Str("x".into()));
        assert_eq!(m[1].1, V::Int(-12));
        assert_eq!(m[3].1, V::Str("é".into()));
        assert_eq!(m[4].1, V::Other(r#"[1,{"f":null}]"#.into()));
        assert_eq!(m[5].1, V::Other(r#""\n""#.into()));
        assert_eq!(members("{}").unwrap().len(), 0);
        for (json, value) in [
            ("1.5", "1.5"),
            ("-0", "-0"),
            ("1e3", "1e3"),
            ("1234567890123456789", "1234567890123456789"),
            ("true", "true"),
            ("{ }", "{ }"),
            ("[ [ ] , { \"a\" : [ ] } ]", "[ [ ] , { \"a\" : [ ] } ]"),
            (r#""\ud83d\ude00""#, r#""\ud83d\ude00""#),
        ] {
            let text = format!("{{\"v\":{json}}}");
            let m = members(&text).unwrap();
            assert_eq!(m[0].1, V::Other(value.into()), "{json}");
        }
    }

    #[test]
    fn short_names_compare_exactly() {
        let names: Vec<String> = (0..20)
            .map(|n| "abcdefghijklmnopqrst"[..n].to_owned())
            .collect();
        for name in &names {
            for other in &names {
                for offset in 0..3 {
                    let text = format!("{}{other}!", &"xyz"[..offset]);
                    let same = other.starts_with(name.as_str());
                    assert_eq!(short_eq(text.as_bytes(), offset, name.as_bytes()), same);
                }
            }
            let mut changed = name.clone().into_bytes();
            for i in 0..changed.len() {
                changed[i] ^= 1;
                assert!(!short_eq(&changed, 0, name.as_bytes()), "{name} {i}");
                changed[i] ^= 1;
            }
        }
    }

    #[test]
    fn integers_of_every_length() {
        for len in 1..=18 {
            let digits: String = (0..len).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
            let expected: i64 = digits.parse().unwrap();
            let json = format!(r#"{{"n":{digits},"m":-{digits}}}"#);
            let m = members(&json).unwrap();
            assert_eq!(m[0].1, V::Int(expected), "{digits}");
            assert_eq!(m[1].1, V::Int(-expected), "{digits}");
        }
        let m = members(r#"{"n":0,"m":1700000300}"#).unwrap();
        assert_eq!(m[0].1, V::Int(0));
        assert_eq!(m[1].1, V::Int(1_700_000_300));
    }

    #[test]
    fn digit_run_is_exact_for_every_byte() {
        for byte in 0..=255u8 {
            for at in 0..10 {
                let mut bytes = b"1234567890123".to_vec();
                bytes[at] = byte;
                let run = if byte.is_ascii_digit() { 13 } else { at };
                assert_eq!(digit_run(&bytes, 0), run, "byte {byte:#04x} at {at}");
            }
        }
    }

    #[test]
    fn gives_up_outside_json() {
        for json in [
            r#"{"a":01}"#,
            r#"{"a":-01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e+}"#,
            r#"{"a":+1}"#,
            r#"{"a":1e309}"#,
            r#"{"a":-1e309}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":{"b":1,}}"#,
            r#"{"a":{1:1}}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            "{\"a\":\"x\ty\"}",
            r#"{"a":"x"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"{"a\u0062":1}"#,
            r#"["a"]"#,
            r#"{"a" 1}"#,
            r#"{"a":NaN}"#,
            "{",
            "",
        ] {
            assert!(members(json).is_none(), "{json}");
        }
        // 1e308 fits an f64, 1e309 does not.
        assert!(members(&format!("{{\"a\":1{}}}", "0".repeat(308))).is_some());
        assert!(members(&format!("{{\"a\":1{}}}", "0".repeat(309))).is_none());
        assert!(object(b"{\"a\":\"\xff\"}", None, &[], |_, _, _, _| Some(())).is_none());
        assert!(
            object(br#"{"a":1,"b":2}"#, None, &[], |k, _, _, _| (k == b"a")
                .then_some(()))
            .is_none()
        );
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        for levels in 120..=130 {
            let json = format!("{{\"a\":{}{}}}", "[".repeat(levels), "]".repeat(levels));
            let serde_ok = serde_json::from_str::<serde_json::Value>(&json).is_ok();
            assert_eq!(members(&json).is_some(), serde_ok, "{levels} levels");
            let json = format!(
                "{{\"a\":{}1{}}}",
                "{\"b\":".repeat(levels),
                "}".repeat(levels)
            );
            let serde_ok = serde_json::from_str::<serde_json::Value>(&json).is_ok();
            assert_eq!(members(&json).is_some(), serde_ok, "{levels} object levels");
        }
    }

    /// Bits of JSON text, valid and not, to build values from.
    fn piece() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\n",
            "\"k\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud800\"",
            "\"\\ud800x\"",
            "\"\\udc00\"",
            "\"\\q\"",
            "\"\t\"",
            "\"é\"",
            "\"0123456789abcdef\"",
            "0",
            "-0",
            "01",
            "1",
            "-12",
            "123456789012345678",
            "1234567890123456789",
            "1.5",
            "1.",
            ".5",
            "1e5",
            "1E+5",
            "1e-400",
            "1e400",
            "-1e400",
            "2e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "12345678901234567890",
            "true",
            "false",
            "null",
            "nul",
            "NaN",
            "x",
        ])
    }

    proptest! {
        /// Whatever the scanner takes, serde_json takes too, and the other way round for any
        /// object of unique plain keys; values handed over as text are what serde_json reads.
        #[test]
        fn agrees_with_serde_json(pieces in proptest::collection::vec(piece(), 1..12)) {
            let value = pieces.concat();
            let json = format!("{{\"a\":{value},\"b\":0}}");
            let serde: Option<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_str(&json).ok();
            let ours = members(&json);
            prop_assert_eq!(ours.is_some(), serde.is_some(), "{}", json);
            if let (Some(ours), Some(serde)) = (ours, serde) {
                let read = match &ours[0].1 {
                    V::Str(s) => serde_json::Value::from(s.as_str()),
                    V::Int(n) => serde_json::Value::from(*n),
                    V::Other(text) => serde_json::from_str(text).unwrap(),
                };
                prop_assert_eq!(&read, &serde["a"], "{}", json);
            }
        }
    }
}
