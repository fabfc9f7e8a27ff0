//! Typed claims of a verified token, and the strict reading of a payload (contract §3.5).

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

/// Claim names that a token's issuer sets itself and a refresh never copies.
pub(crate) const RESERVED: [&str; 5] = ["token_type", "exp", "iat", "jti", "user_id"];

/// The claims [`Claims`] reads into typed fields, in the order [`Claims::to_json`] lists them;
/// every other claim is an extra one.
pub const REGISTERED_CLAIMS: [&str; 8] = [
    "token_type",
    "exp",
    "iat",
    "nbf",
    "jti",
    "user_id",
    "iss",
    "aud",
];

/// The lengths of the registered names, one bit each (all are shorter than 64 bytes).
const REGISTERED_LENGTHS: u64 = {
    let mut bits = 0;
    let mut i = 0;
    while i < REGISTERED_CLAIMS.len() {
        bits |= 1 << REGISTERED_CLAIMS[i].len();
        i += 1;
    }
    bits
};

/// The two kinds of JWT that Label Studio issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// A short-lived access token, sent as `Authorization: Bearer`.
    Access,
    /// A personal access token (a simplejwt refresh token), exchanged for access tokens.
    Refresh,
}

impl TokenType {
    /// The `token_type` claim value.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }

    /// The type a `token_type` claim names; the one reader of that claim's values.
    pub(crate) fn from_claim(s: &str) -> Option<Self> {
        match s {
            "access" => Some(TokenType::Access),
            "refresh" => Some(TokenType::Refresh),
            _ => None,
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The claims of a token whose signature and every rule of contract §3 have been checked.
///
/// `user_id` is always a string: an integer claim is normalised to its decimal form.
#[derive(Clone)]
pub struct Claims {
    token_type: TokenType,
    exp: i64,
    iat: Option<i64>,
    nbf: Option<i64>,
    /// `jti`, then `user_id`, then (when the token has extra claims) the payload's JSON text:
    /// one allocation, so that verifying a Label Studio access token allocates exactly once.
    text: String,
    // Offsets into `text`; a token is at most 4 KiB.
    jti_len: u32,
    user_id_end: u32,
    /// What most tokens do not have, boxed: the claims travel by value through every result
    /// of verification, and each move of a larger struct was a memcpy (14% of the samples of
    /// Claims::parse went to returning it). Set when verified for `iss`, `aud` and extra
    /// claims read by serde_json; extra claims still in the text (after `user_id` in `text`)
    /// get it only when first read, so that verifying a token with custom claims allocates
    /// once, like one without.
    rare: OnceLock<Box<Rare>>,
}

/// `iss`, `aud` and extra claims, when a token has any of them.
#[derive(Clone)]
struct Rare {
    iss: Option<String>,
    aud: Option<Vec<String>>,
    extra: ExtraClaims,
}

/// The extra claims of verified claims.
#[derive(Clone)]
enum ExtraClaims {
    /// Read as values (none, or read by serde_json).
    Values(Vec<(String, Value)>),
    /// Still in the payload text, built as values on first use. Verification has already
    /// checked that text completely (contract §3.3, §3.5); building a `serde_json::Value` per
    /// claim costs allocations that a service reading only `user_id` never needs.
    InText(OnceLock<Vec<(String, Value)>>),
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.token_type == other.token_type
            && self.exp == other.exp
            && self.iat == other.iat
            && self.nbf == other.nbf
            && self.jti() == other.jti()
            && self.user_id() == other.user_id()
            && self.issuer() == other.issuer()
            && self.audience() == other.audience()
            && self.extra() == other.extra()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("jti", &self.jti())
            .field("user_id", &self.user_id())
            .field("iss", &self.issuer())
            .field("aud", &self.audience())
            .field("extra", &self.extra())
            .finish()
    }
}

impl Claims {
    /// `access` or `refresh`.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// Expiry, seconds since the epoch.
    pub fn exp(&self) -> i64 {
        self.exp
    }
    /// Issue time, seconds since the epoch, when present.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }
    /// Not-before time, when present.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }
    /// The token's unique id (32 lowercase hex characters for tokens Label Studio mints).
    pub fn jti(&self) -> &str {
        &self.text[..self.jti_len as usize]
    }
    /// The user's id as a string.
    pub fn user_id(&self) -> &str {
        &self.text[self.jti_len as usize..self.user_id_end as usize]
    }
    /// `iss`, when present.
    pub fn issuer(&self) -> Option<&str> {
        self.rare.get()?.iss.as_deref()
    }
    /// `aud` as a list (a single string becomes a list of one), when present.
    pub fn audience(&self) -> Option<&[String]> {
        self.rare.get()?.aud.as_deref()
    }
    /// Every other claim, in the token's order.
    pub fn extra(&self) -> &[(String, Value)] {
        let payload = &self.text[self.user_id_end as usize..];
        let rare = match self.rare.get() {
            Some(rare) => rare,
            None if payload.is_empty() => return &[],
            None => self.rare.get_or_init(|| {
                Box::new(Rare {
                    iss: None,
                    aud: None,
                    extra: ExtraClaims::InText(OnceLock::new()),
                })
            }),
        };
        match &rare.extra {
            ExtraClaims::Values(values) => values,
            ExtraClaims::InText(values) => values.get_or_init(|| read_extra(payload)),
        }
    }

    /// Any claim by name as JSON, registered or extra.
    pub fn get(&self, name: &str) -> Option<Value> {
        match name {
            "token_type" => Some(self.token_type.as_str().into()),
            "exp" => Some(self.exp.into()),
            "iat" => self.iat.map(Value::from),
            "nbf" => self.nbf.map(Value::from),
            "jti" => Some(self.jti().into()),
            "user_id" => Some(self.user_id().into()),
            "iss" => self.issuer().map(Value::from),
            "aud" => self.audience().map(|a| Value::from(a.to_vec())),
            _ => self
                .extra()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    }

    /// All claims as one JSON object: registered claims first, then the extra ones in order.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        for name in REGISTERED_CLAIMS {
            if let Some(v) = self.get(name) {
                map.insert(name.to_owned(), v);
            }
        }
        for (k, v) in self.extra() {
            map.insert(k.clone(), v.clone());
        }
        map
    }

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

/// The order in which Label Studio's server writes the registered claims (contract §1); the
/// scanner recognises these names without searching when they come in this order.
const SERVER_ORDER: [&str; 5] = ["token_type", "exp", "iat", "jti", "user_id"];

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
        if jti.is_empty()
            || user_id.is_empty()
            || has_nul(jti.as_bytes())
            || has_nul(user_id.as_bytes())
        {
            return None;
        }
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
struct RawClaims<'de> {
    token_type: Option<ValueKind<'de>>,
    exp: Option<ValueKind<'de>>,
    iat: Option<ValueKind<'de>>,
    nbf: Option<ValueKind<'de>>,
    jti: Option<ValueKind<'de>>,
    user_id: Option<ValueKind<'de>>,
    iss: Option<ValueKind<'de>>,
    aud: Option<Value>,
    extra: Extra<'de>,
}

/// The extra claims of a payload: read into values by serde, or left in the payload's text by
/// the scanner, which has checked them.
#[derive(Debug, PartialEq)]
enum Extra<'de> {
    Values(Vec<(String, Value)>),
    InText(&'de str),
}

/// The extra claims in a payload that verification has accepted.
fn read_extra(payload: &str) -> Vec<(String, Value)> {
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

    /// The `i`th name of [`SERVER_ORDER`].
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
            crate::json::scanner::object(json, from, &SERVER_ORDER, |key, at, index, value| {
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

#[inline(always)]
fn time_claim(name: &'static str, value: Option<ValueKind>) -> Result<Option<i64>> {
    match value {
        None => Ok(None),
        Some(ValueKind::Int(n)) => Ok(Some(n)),
        Some(ValueKind::BigInt) => Err(Error::invalid_claim(name, "is out of range")),
        Some(_) => Err(Error::invalid_claim(
            name,
            "must be an integer number of seconds",
        )),
    }
}

#[inline(always)]
fn string_claim<'de>(
    name: &'static str,
    value: Option<ValueKind<'de>>,
) -> Result<Option<Cow<'de, str>>> {
    match value {
        None => Ok(None),
        Some(ValueKind::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::invalid_claim(name, "must be a string")),
    }
}

/// An offset into a token's text, which is at most 4 KiB (`MAX_TOKEN_LEN`).
fn offset(n: usize) -> u32 {
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

/// Whether `s` has a NUL byte: eight bytes at a time, inline. Identifiers are short, and a
/// call into memchr's dispatch costs more than scanning them.
#[inline(always)]
fn has_nul(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_in = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let mut words = s.chunks_exact(8);
    let found = words.any(|w| zero_in(u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))));
    found || words.remainder().contains(&0)
}

#[cold]
fn audience(value: Option<Value>) -> Result<Option<Vec<String>>> {
    let bad = || Error::invalid_claim("aud", "must be a string or a list of strings");
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s])),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// Whether the claims must name a user. Everything that grants access requires `user_id`
/// (contract §3.5); only revoking a PAT takes one that names nobody (contract §3.9).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Required,
    Optional,
}

impl RawClaims<'_> {
    #[inline(always)]
    fn validate(self, expected: TokenType) -> Result<Claims> {
        self.validate_for(expected, Subject::Required)
    }

    #[inline(always)]
    fn validate_for(self, expected: TokenType, subject: Subject) -> Result<Claims> {
        // Types first, for every claim present: a string `nbf` is an error, never "absent".
        let exp = time_claim("exp", self.exp)?;
        let iat = time_claim("iat", self.iat)?;
        let nbf = time_claim("nbf", self.nbf)?;
        let token_type = string_claim("token_type", self.token_type)?;
        let jti = string_claim("jti", self.jti)?;
        let user_id = match self.user_id {
            None => None,
            Some(ValueKind::Str(s)) => Some(s),
            Some(ValueKind::Int(n)) => Some(Cow::Owned(n.to_string())),
            Some(_) => {
                return Err(Error::invalid_claim(
                    "user_id",
                    "must be a string or an integer",
                ))
            }
        };
        let iss = string_claim("iss", self.iss)?;
        let aud = match self.aud {
            None => None,
            aud => audience(aud)?,
        };

        let exp = exp.ok_or_else(|| Error::missing_claim("exp"))?;
        let token_type = token_type.ok_or_else(|| Error::missing_claim("token_type"))?;
        let jti = jti.ok_or_else(|| Error::missing_claim("jti"))?;
        let unnamed = user_id.is_none() && subject == Subject::Optional;
        let user_id = match user_id {
            Some(user_id) => user_id,
            None if unnamed => Cow::Borrowed(""),
            None => return Err(Error::missing_claim("user_id")),
        };

        if TokenType::from_claim(&token_type) != Some(expected) {
            return Err(Error::with_detail(
                ErrorKind::WrongTokenType,
                match expected {
                    TokenType::Access => "an access token is required; a personal access token must first be exchanged at /api/token/refresh/",
                    TokenType::Refresh => "a personal access token (refresh token) is required",
                },
            ));
        }
        if jti.is_empty() {
            return Err(Error::invalid_claim("jti", "must not be empty"));
        }
        if user_id.is_empty() && !unnamed {
            return Err(Error::invalid_claim("user_id", "must not be empty"));
        }
        // A NUL (`\u0000` in the JSON) would truncate the identifier wherever it becomes a C
        // string: "1\u00002" would read as user "1" (found by fuzz/ c_abi).
        if has_nul(jti.as_bytes()) {
            return Err(Error::invalid_claim("jti", "must not contain NUL"));
        }
        if has_nul(user_id.as_bytes()) {
            return Err(Error::invalid_claim("user_id", "must not contain NUL"));
        }

        let payload = match self.extra {
            Extra::InText(payload) => payload,
            Extra::Values(_) => "",
        };
        let mut text = String::with_capacity(jti.len() + user_id.len() + payload.len());
        text.push_str(&jti);
        text.push_str(&user_id);
        text.push_str(payload);
        let extra = match self.extra {
            Extra::InText(_) => ExtraClaims::InText(OnceLock::new()),
            Extra::Values(values) => ExtraClaims::Values(values),
        };
        // Extra claims in the text are read, and boxed, when first asked for.
        let plain = iss.is_none()
            && aud.is_none()
            && match &extra {
                ExtraClaims::Values(values) => values.is_empty(),
                ExtraClaims::InText(_) => true,
            };
        let rare = OnceLock::new();
        if !plain {
            let _ = rare.set(Box::new(Rare {
                iss: iss.map(Cow::into_owned),
                aud,
                extra,
            }));
        }
        Ok(Claims {
            token_type: expected,
            exp,
            iat,
            nbf,
            text,
            jti_len: offset(jti.len()),
            user_id_end: offset(jti.len() + user_id.len()),
            rare,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Claims> {
        Claims::parse(json.as_bytes(), TokenType::Access)
    }

    const OK: &str = r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"0123456789abcdef0123456789abcdef","user_id":"1"}"#;

    #[test]
    fn reads_a_label_studio_access_token() {
        let c = parse(OK).unwrap();
        assert_eq!(c.token_type(), TokenType::Access);
        assert_eq!(c.exp(), 1_700_000_300);
        assert_eq!(c.iat(), Some(1_700_000_000));
        assert_eq!(c.jti(), "0123456789abcdef0123456789abcdef");
        assert_eq!(c.user_id(), "1");
        assert!(c.extra().is_empty());
    }

    #[test]
    fn integer_user_id_is_normalised() {
        let c = parse(r#"{"token_type":"access","exp":1,"jti":"j","user_id":42}"#).unwrap();
        assert_eq!(c.user_id(), "42");
    }

    #[test]
    fn wrong_types_are_invalid_never_absent() {
        for bad in [
            r#""1""#,
            "1.5",
            "true",
            "null",
            "1e300",
            "[1]",
            "{}",
            "9223372036854775808",
        ] {
            for claim in ["exp", "iat", "nbf"] {
                let json = format!(
                    r#"{{"token_type":"access","exp":1,"jti":"j","user_id":"1","{claim}x":0}}"#
                )
                .replace(&format!("\"{claim}x\":0"), &format!("\"{claim}\":{bad}"))
                .replace(
                    r#""exp":1,"#,
                    if claim == "exp" { "" } else { r#""exp":1,"# },
                );
                let err = parse(&json).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidClaim, "{json}");
            }
        }
    }

    #[test]
    fn required_claims() {
        for (json, code) in [
            (
                r#"{"token_type":"access","jti":"j","user_id":"1"}"#,
                "missing_claim",
            ),
            (r#"{"exp":1,"jti":"j","user_id":"1"}"#, "missing_claim"),
            (
                r#"{"token_type":"access","exp":1,"user_id":"1"}"#,
                "missing_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"j"}"#,
                "missing_claim",
            ),
            (
                r#"{"token_type":"refresh","exp":1,"jti":"j","user_id":"1"}"#,
                "wrong_token_type",
            ),
            (
                r#"{"token_type":"sliding","exp":1,"jti":"j","user_id":"1"}"#,
                "wrong_token_type",
            ),
            (
                r#"{"token_type":1,"exp":1,"jti":"j","user_id":"1"}"#,
                "invalid_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"","user_id":"1"}"#,
                "invalid_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"j","user_id":1.5}"#,
                "invalid_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","aud":[1]}"#,
                "invalid_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1\u00002"}"#,
                "invalid_claim",
            ),
            (
                r#"{"token_type":"access","exp":1,"jti":"j\u0000","user_id":"1"}"#,
                "invalid_claim",
            ),
        ] {
            assert_eq!(parse(json).unwrap_err().code(), code, "{json}");
        }
    }

    #[test]
    fn structure_is_strict() {
        for json in [
            r#"{"token_type":"access","exp":1,"exp":2,"jti":"j","user_id":"1"}"#,
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","x":1,"x":2}"#,
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","aud":"a","aud":"b"}"#,
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1"} "#,
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1"}x"#,
            r#"["token_type"]"#,
            r#""claims""#,
            "",
        ] {
            // Trailing whitespace is valid JSON; everything else here is refused.
            let r = parse(json);
            if json.ends_with("} ") {
                assert!(r.is_ok());
            } else {
                assert_eq!(r.unwrap_err().code(), "malformed_token", "{json}");
            }
        }
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// Whenever the scanner takes a payload, it reads it exactly as serde_json does.
        #[test]
        fn scanner_agrees_with_serde(
            members in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["token_type", "exp", "iat", "nbf", "jti", "user_id", "iss", "aud", "x", "y", "é"]),
                    proptest::prop_oneof![
                        proptest::sample::select(vec!["\"access\"", "\"refresh\"", "\"\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"é\"", "\"\t\""]).prop_map(String::from),
                        proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                        proptest::sample::select(vec![
                            "-0", "01", "1.0", "1e3", "1e400", "true", "null", "[1]", "{}", "99999999999999999999",
                            r#"{"a":[1,{"b":"c"}],"a":2}"#, r#"[1.5,"x\u00e9",false]"#, r#""\ud83d\ude00""#,
                            r#""\ud800""#, "[[[]]]", "[1,]", r#"{"a"}"#,
                        ]).prop_map(String::from),
                    ],
                    proptest::sample::select(vec!["", " ", "\n\t"]),
                ),
                0..9,
            ),
            expected in proptest::sample::select(vec![TokenType::Access, TokenType::Refresh]),
        ) {
            let body: Vec<String> = members.iter().map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}")).collect();
            let json = format!("{{{}}}", body.join(","));
            if let Some(mut raw) = scan(json.as_bytes()) {
                let by_serde = serde_json::from_slice::<RawClaims>(json.as_bytes());
                // Extra claims the scanner leaves in the text are what serde_json reads there.
                let extra = std::mem::replace(&mut raw.extra, Extra::Values(Vec::new()));
                let extra = match extra {
                    Extra::InText(text) => Extra::Values(read_extra(text)),
                    values => values,
                };
                let raw_values = RawClaims { extra, ..raw };
                proptest::prop_assert_eq!(Some(&raw_values), by_serde.as_ref().ok(), "{}", json);
                let raw = scan(json.as_bytes()).unwrap();
                proptest::prop_assert_eq!(raw.validate(expected), Claims::parse_with_serde(json.as_bytes(), expected), "{}", json);
            }
        }
    }

    proptest::proptest! {
        /// The server's form, recognised byte for byte, reads exactly as the general way does;
        /// whatever it does not take (bad values, another kind, a byte more) the general way
        /// reads or refuses.
        #[test]
        fn the_server_form_reads_as_the_general_way(
            kind in proptest::sample::select(vec!["access", "refresh", "sliding"]),
            exp in proptest::sample::select(vec!["1700000300", "0", "-5", "-0", "01", "1.5", "\"1\"", "12345678901234567890"]),
            iat in proptest::sample::select(vec!["1700000000", "7", "1e3", "null"]),
            jti in proptest::sample::select(vec!["\"0123456789abcdef0123456789abcdef\"", "\"\"", "\"a\\u0000b\"", "\"é\"", "\"a\\\"b\"", "5"]),
            user_id in proptest::sample::select(vec!["\"1\"", "42", "\"\"", "\"x\\u0000\"", "0", "-3", "1.0", "true"]),
            tail in proptest::sample::select(vec![
                "}", "} ", "}x", ",\"org\":1}", ",\"exp\":1}", "",
                ",\"org\":{\"a\":[1,\"b\"]},\"n\":null}", ",\"jti\":\"x\"}", ",\"user_id\":\"2\"}",
                ",\"token_type\":\"access\"}", ", \"org\" : 1 }", ",\"nbf\":5}", ",\"iss\":\"x\",\"aud\":[\"y\"]}",
                ",\"org\":1,\"org\":2}", ",}", ",\"org\":1", ",\"o\\u0072g\":1}", ",\"org\":\"\\ud800\"}",
            ]),
            expected in proptest::sample::select(vec![TokenType::Access, TokenType::Refresh]),
        ) {
            let json = format!(r#"{{"token_type":"{kind}","exp":{exp},"iat":{iat},"jti":{jti},"user_id":{user_id}{tail}"#);
            let general = match scan(json.as_bytes()) {
                Some(raw) => raw.validate(expected),
                None => Claims::parse_with_serde(json.as_bytes(), expected),
            };
            if let Some(fast) = server_form(json.as_bytes(), expected) {
                proptest::prop_assert_eq!(Ok(fast), general.clone(), "{}", json);
            }
            proptest::prop_assert_eq!(Claims::parse(json.as_bytes(), expected), general, "{}", json);
        }
    }

    /// The scanner's reading of a payload, when it takes it.
    fn scan(json: &[u8]) -> Option<RawClaims<'_>> {
        let mut raw = RawClaims::new();
        raw.scan(json)?;
        Some(raw)
    }

    /// The server's own payload, read by recognising it.
    fn server_form(json: &[u8], expected: TokenType) -> Option<Claims> {
        let prefix = ServerPrefix::read(json, expected)?;
        (json.get(prefix.end..) == Some(b"}")).then_some(())?;
        prefix.claims(json, expected)
    }

    #[test]
    fn the_scan_goes_on_after_the_server_members() {
        let json = r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"j","user_id":7,"org":{"id":1},"iss":"me","c":"é"}"#;
        let prefix = ServerPrefix::read(json.as_bytes(), TokenType::Access).unwrap();
        let mut after = RawClaims::new();
        after
            .scan_after(json.as_bytes(), &prefix, TokenType::Access)
            .unwrap();
        assert_eq!(after, scan(json.as_bytes()).unwrap());
    }

    #[test]
    fn the_server_form_is_taken() {
        assert!(server_form(OK.as_bytes(), TokenType::Access).is_some());
        assert!(server_form(OK.as_bytes(), TokenType::Refresh).is_none());
    }

    #[test]
    fn the_scanner_takes_nested_extra_claims() {
        let json = r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","org":{"id":1,"tags":["a","b"],"on":true},"f":1.5,"s":"\u00e9"}"#;
        let raw = scan(json.as_bytes()).expect("scanned without serde");
        assert_eq!(raw.extra, Extra::InText(json));
        let c = raw.validate(TokenType::Access).unwrap();
        assert_eq!(
            c,
            Claims::parse_with_serde(json.as_bytes(), TokenType::Access).unwrap()
        );
        assert_eq!(c.get("s").unwrap(), "é");
        assert_eq!(c.extra()[0].1["tags"][1], "b");
    }

    #[test]
    fn nul_is_found_anywhere() {
        for len in 0..40 {
            assert!(!has_nul(&vec![b'a'; len]));
            for at in 0..len {
                let mut s = vec![0xffu8; len];
                s[at] = 0;
                assert!(has_nul(&s), "{len} {at}");
                s[at] = 0x80;
                assert!(!has_nul(&s), "{len} {at}");
            }
        }
    }

    #[test]
    fn extras_keep_their_order() {
        let c = parse(r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","z":1,"a":{"y":2,"b":3},"iss":"ls","aud":["x","y"]}"#).unwrap();
        let names: Vec<_> = c.extra().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["z", "a"]);
        assert_eq!(c.issuer(), Some("ls"));
        assert_eq!(c.audience().unwrap(), ["x", "y"]);
        assert_eq!(c.get("a").unwrap().to_string(), r#"{"y":2,"b":3}"#);
    }
}
