//! Reading a decoded payload into raw claims: the server's exact form recognised byte for byte,
//! the scanner for the shapes it takes, serde for everything else (and every error).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::json::duplicate_keys::{KeySet, SeenKeys};
use crate::json::scanner::Scalar;
use crate::json::value_kind::{Key, ValueKind};

use super::validate::{check_id, Subject};
use super::*;

impl Claims {
    /// Reads a decoded payload strictly: a JSON object with no duplicate keys and no trailing
    /// bytes, every registered claim of the right JSON type, the required ones present and
    /// `token_type` equal to `expected`. Times are checked by the caller, who has the clock.
    pub(crate) fn parse(json: &[u8], expected: TokenType) -> Result<Claims> {
        let prefix = ServerPrefix::read(json, expected);
        if let Some(prefix) = &prefix {
            if json.get(prefix.end..) == Some(b"}") {
                if let Some(claims) = prefix.claims(json, expected) {
                    return Ok(claims);
                }
            }
        }
        Self::parse_scanning(json, expected, prefix)
    }

    /// Everything but the server's own payload. Out of line, so that its frame (the raw
    /// claims, the scanner's index and key table) is not set up for the server's payload.
    #[inline(never)]
    fn parse_scanning(
        json: &[u8],
        expected: TokenType,
        prefix: Option<ServerPrefix>,
    ) -> Result<Claims> {
        // Read in place: moving the raw claims (about 300 bytes) in and out of the scan was
        // a third of the fixed cost of a payload with custom claims.
        let mut raw = RawClaims::new();
        let scanned = match prefix {
            // The server's members, then custom claims: read on from there, not again.
            Some(prefix) if json.get(prefix.end) == Some(&b',') => {
                raw.scan_after(json, &prefix, expected)
            }
            _ => raw.scan(json),
        };
        match scanned {
            Some(()) => raw.validate(expected),
            None => Self::parse_with_serde(json, expected),
        }
    }

    /// The general path, for payloads the scanner gives up on; it also makes every error.
    fn parse_with_serde(json: &[u8], expected: TokenType) -> Result<Claims> {
        Self::parse_with_serde_for(json, expected, Subject::Required)
    }

    fn parse_with_serde_for(json: &[u8], expected: TokenType, subject: Subject) -> Result<Claims> {
        let raw: RawClaims = serde_json::from_slice(json).map_err(|_| {
            Error::with_detail(
                ErrorKind::MalformedToken,
                "token payload is not a JSON object with unique keys",
            )
        })?;
        raw.validate_for(expected, subject)
    }

    /// [`Claims::parse`] of a refresh token for revocation only, where `user_id` may be absent
    /// (then [`Claims::user_id`] is empty). Such claims must never authorise anything: the one
    /// caller, [`Verifier::verify_revocable`](crate::Verifier::verify_revocable), keeps only the
    /// `jti`, the expiry and the user named, if any. Not a hot path: always the general parser.
    pub(crate) fn parse_revocable(json: &[u8]) -> Result<Claims> {
        Self::parse_with_serde_for(json, TokenType::Refresh, Subject::Optional)
    }
}

/// The registered members exactly as Label Studio's server writes them for a token type, at
/// the start of a payload (contract §1): `{"token_type":…,"exp":N,"iat":N,"jti":"…","user_id":…`,
/// compact, in that order, with plain strings and integers. Recognising that text byte for
/// byte is the same check as reading it member by member, without the work: no name is
/// searched for, no member dispatched, no intermediate struct built.
struct ServerPrefix {
    exp: i64,
    iat: i64,
    /// The content of the `jti` string.
    jti: Range<usize>,
    /// The content of a string `user_id`, or an integer one.
    user_id: std::result::Result<Range<usize>, i64>,
    /// Where the `user_id` value ends: at `}` for the server's own payload, at `,` when custom
    /// claims follow.
    end: usize,
}

impl ServerPrefix {
    #[inline]
    fn read(json: &[u8], expected: TokenType) -> Option<Self> {
        let b = json;
        let prefix: &[u8] = match expected {
            TokenType::Access => br#"{"token_type":"access","exp":"#,
            TokenType::Refresh => br#"{"token_type":"refresh","exp":"#,
        };
        let mut pos = prefix.len();
        if b.get(..pos)? != prefix {
            return None;
        }
        let (exp, end) = plain_int(b, pos)?;
        pos = literal_at(b, end, br#","iat":"#)?;
        let (iat, end) = plain_int(b, pos)?;
        pos = literal_at(b, end, br#","jti":""#)?;
        let jti = pos..plain_str_end(b, pos)?;
        pos = literal_at(b, jti.end + 1, br#","user_id":"#)?;
        let (user_id, end) = if b.get(pos) == Some(&b'"') {
            let end = plain_str_end(b, pos + 1)?;
            (Ok(pos + 1..end), end + 1)
        } else {
            let (n, end) = plain_int(b, pos)?;
            (Err(n), end)
        };
        Some(ServerPrefix {
            exp,
            iat,
            jti,
            user_id,
            end,
        })
    }

    /// The claims of a payload that is this prefix and `}`, when they are valid. Anything
    /// else is `None` and goes the general way, which alone makes errors.
    #[inline]
    fn claims(&self, json: &[u8], expected: TokenType) -> Option<Claims> {
        let text = crate::json::scanner::utf8(json)?;
        let jti = text.get(self.jti.clone())?;
        let user_id = match &self.user_id {
            Ok(range) => Cow::Borrowed(text.get(range.clone())?),
            Err(n) => Cow::Owned(n.to_string()),
        };
        // Refused identifiers go the general way, which makes the error.
        check_id("jti", jti).ok()?;
        check_id("user_id", &user_id).ok()?;
        let mut ids = String::with_capacity(jti.len() + user_id.len());
        ids.push_str(jti);
        ids.push_str(&user_id);
        Some(Claims {
            token_type: expected,
            exp: self.exp,
            iat: Some(self.iat),
            nbf: None,
            text: ids,
            jti_len: offset(jti.len()),
            user_id_end: offset(jti.len() + user_id.len()),
            rare: OnceLock::new(),
        })
    }
}

/// A payload as read, before its types are checked. Values borrow from the decoded bytes.
#[derive(Debug, PartialEq)]
pub(super) struct RawClaims<'de> {
    pub(super) token_type: Option<ValueKind<'de>>,
    pub(super) exp: Option<ValueKind<'de>>,
    pub(super) iat: Option<ValueKind<'de>>,
    pub(super) nbf: Option<ValueKind<'de>>,
    pub(super) jti: Option<ValueKind<'de>>,
    pub(super) user_id: Option<ValueKind<'de>>,
    pub(super) iss: Option<ValueKind<'de>>,
    pub(super) aud: Option<Value>,
    pub(super) extra: Extra<'de>,
}

/// The extra claims of a payload: read into values by serde, or left in the payload's text by
/// the scanner, which has checked them.
#[derive(Debug, PartialEq)]
pub(super) enum Extra<'de> {
    Values(Vec<(String, Value)>),
    InText(&'de str),
}

/// The extra claims in a payload that verification has accepted.
pub(super) fn read_extra(payload: &str) -> Vec<(String, Value)> {
    match serde_json::from_str::<RawClaims>(payload) {
        Ok(RawClaims {
            extra: Extra::Values(extra),
            ..
        }) => extra,
        // Unreachable: the scanner accepts only what serde_json reads (json/scanner.rs).
        _ => Vec::new(),
    }
}

/// Where a member of the payload goes.
enum Member<'r, 'de> {
    Registered(&'r mut Option<ValueKind<'de>>),
    Audience,
    Extra,
}

impl<'de> RawClaims<'de> {
    fn new() -> Self {
        RawClaims {
            token_type: None,
            exp: None,
            iat: None,
            nbf: None,
            jti: None,
            user_id: None,
            iss: None,
            aud: None,
            extra: Extra::Values(Vec::new()),
        }
    }

    /// The `i`th name of [`ISSUER_CLAIMS`].
    fn registered(&mut self, i: usize) -> Member<'_, 'de> {
        Member::Registered(match i {
            0 => &mut self.token_type,
            1 => &mut self.exp,
            2 => &mut self.iat,
            3 => &mut self.jti,
            _ => &mut self.user_id,
        })
    }

    #[inline(always)]
    fn member(&mut self, key: &[u8]) -> Member<'_, 'de> {
        // A name of no registered name's length is a custom claim without looking at its
        // bytes (most custom claims, in a payload with many).
        if key.len() >= 64 || REGISTERED_LENGTHS >> key.len() & 1 == 0 {
            return Member::Extra;
        }
        // Dispatch on the first bytes so each key is compared with one name at most, not
        // tried against every name in turn (a hot spot when verifying).
        Member::Registered(match (key.first(), key.get(1)) {
            (Some(b't'), _) if key == b"token_type" => &mut self.token_type,
            (Some(b'e'), _) if key == b"exp" => &mut self.exp,
            (Some(b'i'), Some(b'a')) if key == b"iat" => &mut self.iat,
            (Some(b'i'), Some(b's')) if key == b"iss" => &mut self.iss,
            (Some(b'n'), _) if key == b"nbf" => &mut self.nbf,
            (Some(b'j'), _) if key == b"jti" => &mut self.jti,
            (Some(b'u'), _) if key == b"user_id" => &mut self.user_id,
            (Some(b'a'), _) if key == b"aud" => return Member::Audience,
            _ => return Member::Extra,
        })
    }

    /// The fast path; `None` sends the payload to serde_json, including any duplicate key and
    /// any registered claim that is not a plain string or integer, so that errors and unusual
    /// values are read in one place.
    fn scan(&mut self, json: &'de [u8]) -> Option<()> {
        self.scan_members(json, None).map(|_| ())
    }

    /// [`RawClaims::scan`] for a payload that starts with the server's members: those are
    /// taken as read, and the scan goes on after them.
    fn scan_after(
        &mut self,
        json: &'de [u8],
        prefix: &ServerPrefix,
        expected: TokenType,
    ) -> Option<()> {
        self.token_type = Some(ValueKind::Str(Cow::Borrowed(expected.as_str())));
        self.exp = Some(ValueKind::Int(prefix.exp));
        self.iat = Some(ValueKind::Int(prefix.iat));
        // Placeholders until the text is known to be UTF-8; present, so that a repeated
        // `jti` or `user_id` is a duplicate.
        self.jti = Some(ValueKind::Null);
        self.user_id = Some(ValueKind::Null);
        let text = self.scan_members(json, Some(prefix.end + 1))?;
        self.jti = Some(ValueKind::Str(Cow::Borrowed(text.get(prefix.jti.clone())?)));
        self.user_id = Some(match &prefix.user_id {
            Ok(range) => ValueKind::Str(Cow::Borrowed(text.get(range.clone())?)),
            Err(n) => ValueKind::Int(*n),
        });
        Some(())
    }

    /// Reads the members of `json` into `self`: all of them, or (`from`) those after the
    /// comma before `from`. Returns the payload as text.
    #[inline(always)]
    fn scan_members(&mut self, json: &'de [u8], from: Option<usize>) -> Option<&'de str> {
        let raw = self;
        // Most tokens have no extra claims: track their names only once one appears.
        let mut seen_extra: Option<KeySet> = None;
        let text =
            crate::json::scanner::object(json, from, &ISSUER_CLAIMS, |key, at, index, value| {
                let member = match index {
                    Some(i) => raw.registered(i),
                    None => raw.member(key),
                };
                match member {
                    Member::Registered(slot) => {
                        if slot.is_some() {
                            return None;
                        }
                        *slot = Some(match value {
                            // Registered strings are few and short: UTF-8 again costs little,
                            // and it was checked with the whole payload.
                            Scalar::Str(s) => {
                                ValueKind::Str(Cow::Borrowed(std::str::from_utf8(s).ok()?))
                            }
                            Scalar::Int(n) => ValueKind::Int(n),
                            Scalar::Other(_) => return None,
                        });
                    }
                    Member::Audience => {
                        if raw.aud.is_some() {
                            return None;
                        }
                        raw.aud = Some(match value {
                            Scalar::Str(s) => Value::from(std::str::from_utf8(s).ok()?),
                            Scalar::Int(n) => Value::from(n),
                            Scalar::Other(text) => serde_json::from_slice(text).ok()?,
                        });
                    }
                    Member::Extra => {
                        if !seen_extra
                            .get_or_insert_with(|| KeySet::new(json))
                            .insert(at, key)
                        {
                            return None;
                        }
                    }
                }
                Some(())
            })?;
        if seen_extra.is_some() {
            // The scanner has checked the whole text as UTF-8.
            raw.extra = Extra::InText(text);
        }
        Some(text)
    }
}

impl<'de> de::Deserialize<'de> for RawClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawClaims::new();
        let mut seen_extra = SeenKeys::new();
        let mut extra = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match raw.member(key.as_bytes()) {
                Member::Registered(slot) => {
                    if slot.is_some() {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    *slot = Some(map.next_value()?);
                }
                Member::Audience => {
                    if raw.aud.is_some() {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    raw.aud = Some(map.next_value()?);
                }
                Member::Extra => {
                    if !seen_extra.insert(key.clone()) {
                        return Err(de::Error::custom("duplicate key"));
                    }
                    let value: Value = map.next_value()?;
                    extra.push((key.into_owned(), value));
                }
            }
        }
        raw.extra = Extra::Values(extra);
        Ok(raw)
    }
}

/// An offset into a token's text, which is at most 4 KiB (`MAX_TOKEN_LEN`).
pub(super) fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `lit` at `pos`: the position after it.
#[inline(always)]
fn literal_at(b: &[u8], pos: usize, lit: &[u8]) -> Option<usize> {
    let end = pos + lit.len();
    (b.get(pos..end)? == lit).then_some(end)
}

/// An integer in canonical form with at most 18 digits at `pos` (as the scanner reads one),
/// and the position after it.
#[inline(always)]
fn plain_int(b: &[u8], pos: usize) -> Option<(i64, usize)> {
    match crate::json::scanner::number_at(b, pos)? {
        (end, Some(n)) => Some((n, end)),
        _ => None,
    }
}

/// The position of the closing quote of a string whose content starts at `pos` and has no
/// escapes.
#[inline(always)]
fn plain_str_end(b: &[u8], pos: usize) -> Option<usize> {
    match crate::json::scanner::string_end_at(b, pos)? {
        (end, false) => Some(end),
        _ => None,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
