//! Typed claims of a verified token (contract §3.5): the type, the claim names, and the two
//! halves of reading a payload, in their own files: [`read`] (the server's exact form, the
//! scanner, serde) and [`validate`] (types, required claims, token type, identifiers).

mod read;
use read::read_extra;
mod validate;
pub(crate) use validate::check_id;

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

// The claim names, all in this one place: every other list of names derives from these.

/// The claims an issuer writes itself, in the order Label Studio's server writes them (contract
/// §1): minting refuses them as extra claims, and the scanner recognises them in this order
/// without searching.
pub(crate) const ISSUER_CLAIMS: [&str; 5] = ["token_type", "exp", "iat", "jti", "user_id"];

/// The claim naming the PAT an access token was minted from: its `jti`, a string (contract
/// §3.11). Set only by an issuer whose policy has
/// [`access_names_pat`](crate::TokenPolicy::access_names_pat); read by
/// [`PendingPrincipal::lookup_pat_jti`](crate::PendingPrincipal::lookup_pat_jti).
pub const PAT_JTI_CLAIM: &str = "pat_jti";

/// What a refresh or a rotation never copies from the PAT: the new token's own `token_type`,
/// `exp`, `iat` and `jti` (the issuer writes them anew) and `pat_jti` (only the issuer names a
/// parent). `user_id` is copied.
pub(crate) const NOT_COPIED: [&str; 5] = [
    ISSUER_CLAIMS[0],
    ISSUER_CLAIMS[1],
    ISSUER_CLAIMS[2],
    ISSUER_CLAIMS[3],
    PAT_JTI_CLAIM,
];

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
}
