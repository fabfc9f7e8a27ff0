//! Compact JWS for HMAC (RFC 7515): splitting, strict base64url, the header, the MAC, signing.
//!
//! The order of work is the defence: size cap, structure, header, then the MAC in constant
//! time, and only then the claims (contract §3.1–3.4). Decoding happens into stack buffers, so a
//! token refused before the MAC check costs no allocation.

use std::fmt;
use std::mem::MaybeUninit;

use base64_simd::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{Error, ErrorKind, Result};
use crate::json::duplicate_keys::SeenKeys;
use crate::json::value_kind::{Key, ValueKind};
use crate::keys::{Algorithm, Keyring, SigningKey};

/// The largest token accepted, checked before any decoding (contract §3.1).
pub const MAX_TOKEN_LEN: usize = 4096;

/// Length of unpadded base64 text for `n` bytes: four characters per three bytes, rounded up.
const fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Most bytes that `n` characters of base64 can decode to.
const fn decoded_len(n: usize) -> usize {
    n / 4 * 3 + (n % 4).saturating_sub(1)
}

/// Room for any base64url segment of a token under the cap.
const MAX_DECODED_LEN: usize = decoded_len(MAX_TOKEN_LEN);

/// The longest MAC any allowed algorithm makes: HS512's 64 bytes.
const MAX_TAG_LEN: usize = ring::digest::SHA512_OUTPUT_LEN;

/// The longest signature segment that can match a key (86 characters); a longer one is refused
/// as a wrong signature without being decoded.
const MAX_SIGNATURE_LEN: usize = base64_len(MAX_TAG_LEN);

/// Decoded size of the segments of a typical token: its payload is decoded on the stack into
/// this much, a larger one into a buffer for the cap.
const SMALL_DECODED_LEN: usize = 512;

/// The three segments of a compact JWS, borrowed from the token. Bytes, not text: a token
/// that verifies is ASCII, and one read from a header need not be checked as UTF-8 first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Compact<'t> {
    pub(crate) header: &'t [u8],
    pub(crate) payload: &'t [u8],
    pub(crate) signature: &'t [u8],
    /// `header.payload`, the bytes the MAC covers and the server's truncated form.
    pub(crate) signing_input: &'t [u8],
}

fn malformed(detail: &'static str) -> Error {
    Error::with_detail(ErrorKind::MalformedToken, detail)
}

fn wrong_segment_count() -> Error {
    malformed("token must have exactly three segments")
}

/// Checks the size cap, then splits at the first and the last dot (a vectorised search from
/// each end, over the short header and signature only). A dot in the middle segment is left to
/// its caller: verification's alphabet check of the payload refuses it anyway.
fn split_outer(token: &[u8]) -> Result<Compact<'_>> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::new(ErrorKind::TokenTooLarge));
    }
    let (Some(first), Some(last)) = (memchr::memchr(b'.', token), memchr::memrchr(b'.', token))
    else {
        return Err(wrong_segment_count());
    };
    if first == last {
        return Err(wrong_segment_count());
    }
    Ok(Compact {
        header: &token[..first],
        payload: &token[first + 1..last],
        signature: &token[last + 1..],
        signing_input: &token[..last],
    })
}

/// Checks the size cap and splits a token into exactly three segments.
pub(crate) fn split(token: &[u8]) -> Result<Compact<'_>> {
    let parts = split_outer(token)?;
    if splits_further(parts.payload) {
        return Err(wrong_segment_count());
    }
    Ok(parts)
}

/// Whether `segment` holds a dot, so that it is really more than one segment: with
/// [`split_outer`], the segment-count rule (contract §3.2) for the full and the listing form.
fn splits_further(payload: &[u8]) -> bool {
    memchr::memchr(b'.', payload).is_some()
}

/// Decodes one segment into `buf`: base64url alphabet, no padding, no non-zero trailing bits.
fn decode_into<'b>(segment: &[u8], buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let bad = || malformed("token segment is not canonical unpadded base64url");
    let out = URL_SAFE_NO_PAD
        .decode(segment, base64_simd::Out::from_uninit_slice(buf))
        .map_err(|_| bad())?;
    Ok(out)
}

/// contract §3.2 without decoding: only the URL-safe alphabet, no padding, a length that base64
/// can have and zero spare bits in the last character. For the payload before the MAC (a
/// vectorised pass, no decode), and for a signature too long to match any key, which is
/// refused, but as malformed first when it is not base64url.
fn check_canonical(segment: &[u8]) -> Result<()> {
    URL_SAFE_NO_PAD
        .check(segment)
        .map_err(|_| malformed("token segment is not canonical unpadded base64url"))
}

/// Runs `f` on the decoded bytes of a segment, decoded on the stack into a buffer that is
/// never zeroed (the decoder writes every byte it returns).
pub(crate) fn with_decoded<T>(segment: &[u8], f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
    if decoded_len(segment.len()) <= SMALL_DECODED_LEN {
        let mut buf = [MaybeUninit::uninit(); SMALL_DECODED_LEN];
        f(decode_into(segment, &mut buf)?)
    } else {
        let mut buf = [MaybeUninit::uninit(); MAX_DECODED_LEN];
        f(decode_into(segment, &mut buf)?)
    }
}

/// What the header says, once. Only `alg`, `kid` and `typ` are read; `jwk`, `jku`, `x5u` and
/// any other member are ignored by design, so a token can never choose its own key: `kid` only
/// selects among the keyring's keys (contract §3.10).
#[derive(Debug, PartialEq, Eq)]
enum HeaderAlg {
    Missing,
    Known(Algorithm),
    Unknown,
}

/// What the header's `kid` names in the keyring, resolved while the header is parsed, so the
/// name itself is never copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyId {
    /// No `kid` member.
    Missing,
    /// The index of the first key with that `kid`.
    Found(usize),
    /// A `kid` no key has.
    Unknown,
}

struct RawHeader {
    alg: HeaderAlg,
    kid: KeyId,
    bad: Option<&'static str>,
}

struct HeaderSeed<'k>(&'k Keyring);

impl<'de> de::DeserializeSeed<'de> for HeaderSeed<'_> {
    type Value = RawHeader;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_> {
    type Value = RawHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = RawHeader {
            alg: HeaderAlg::Missing,
            kid: KeyId::Missing,
            bad: None,
        };
        let mut seen = SeenKeys::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom("duplicate key"));
            }
            match &*key {
                "alg" => {
                    header.alg = match map.next_value::<ValueKind>()? {
                        ValueKind::Str(s) => {
                            Algorithm::from_name(&s).map_or(HeaderAlg::Unknown, HeaderAlg::Known)
                        }
                        _ => {
                            header.bad.get_or_insert("header `alg` must be a string");
                            HeaderAlg::Unknown
                        }
                    };
                }
                "kid" => {
                    header.kid = match map.next_value::<ValueKind>()? {
                        ValueKind::Str(s) => {
                            self.0.index_of_kid(&s).map_or(KeyId::Unknown, KeyId::Found)
                        }
                        _ => {
                            header.bad.get_or_insert("header `kid` must be a string");
                            KeyId::Unknown
                        }
                    };
                }
                "typ" => {
                    if !matches!(map.next_value::<ValueKind>()?, ValueKind::Str(s) if s == "JWT") {
                        header.bad.get_or_insert("header `typ` must be \"JWT\"");
                    }
                }
                "crit" => {
                    map.next_value::<IgnoredAny>()?;
                    header.bad.get_or_insert(
                        "header `crit` is not supported: no extension is understood",
                    );
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(header)
    }
}

/// Reads the header and returns the algorithm it names, if the keyring allows it, and what its
/// `kid` names.
fn header_algorithm(segment: &[u8], keyring: &Keyring) -> Result<(Algorithm, KeyId)> {
    // The server writes one of three exact headers; their decoded content is known to pass
    // every header rule, so recognising the text is the same check without the work.
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        if segment == hmac_header(alg).as_bytes() && keyring.allows(alg) {
            return Ok((alg, KeyId::Missing));
        }
    }
    let header: RawHeader = with_decoded(segment, |bytes| {
        // JSON text is UTF-8 (RFC 8259 §8.1). serde_json does not check the strings of members
        // it skips, so check the whole header first: an ignored member must not smuggle bytes
        // that every other JOSE library refuses (found by fuzz/ verify_jws).
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| {
                let mut de = serde_json::Deserializer::from_str(text);
                let header = de::DeserializeSeed::deserialize(HeaderSeed(keyring), &mut de).ok()?;
                de.end().ok()?;
                Some(header)
            })
            .ok_or_else(|| malformed("token header is not a JSON object with unique keys"))
    })?;
    if let Some(why) = header.bad {
        return Err(malformed(why));
    }
    match header.alg {
        HeaderAlg::Known(alg) if keyring.allows(alg) => Ok((alg, header.kid)),
        HeaderAlg::Missing => Err(Error::with_detail(
            ErrorKind::UnsupportedAlgorithm,
            "token header has no `alg`",
        )),
        _ => Err(Error::new(ErrorKind::UnsupportedAlgorithm)),
    }
}

/// Checks the signature with the key the header selects (contract §3.10): the key its `kid`
/// names, which must be for the header's algorithm, or, without a `kid` or with one no key
/// has, every key without a `kid` for that algorithm (HMAC secrets: Label Studio's tokens name
/// no key). Ed25519 keys always have a `kid`, so an `EdDSA` token must name its key.
fn check_signature(
    keyring: &Keyring,
    alg: Algorithm,
    kid: KeyId,
    signed: &[u8],
    signature: &[u8],
) -> Result<Option<usize>> {
    let keys = keyring.keys();
    let mut named = None;
    let verified = match kid {
        KeyId::Found(i) => {
            named = Some(i);
            let key = &keys[i];
            if key.algorithm() != alg {
                return Err(Error::with_detail(
                    ErrorKind::UnsupportedAlgorithm,
                    "token algorithm is not the algorithm of the key its `kid` names",
                ));
            }
            key.verify(signed, signature)
        }
        KeyId::Missing | KeyId::Unknown => {
            let mut unnamed = keys
                .iter()
                .filter(|k| k.kid().is_none() && k.algorithm() == alg)
                .peekable();
            if unnamed.peek().is_none() {
                return Err(if kid == KeyId::Missing {
                    Error::with_detail(
                        ErrorKind::UnknownKeyId,
                        "token header has no `kid`, and every key for its algorithm has one",
                    )
                } else {
                    Error::new(ErrorKind::UnknownKeyId)
                });
            }
            unnamed.any(|k| k.verify(signed, signature))
        }
    };
    if verified {
        Ok(named)
    } else {
        Err(Error::new(ErrorKind::InvalidSignature))
    }
}

/// Checks structure, header and signature; on success runs `then` on the parts, the index of
/// the key the token's `kid` named (the one that verified it; `None` for a token verified by
/// an unnamed HMAC key) and the decoded payload, which may be trusted and parsed.
///
/// Before the signature the payload is only checked (a vectorised pass, no decode), so a
/// refused token costs no decode of attacker-chosen bytes; it is decoded, into a stack buffer,
/// once the signature has passed.
pub(crate) fn verify<'t, T>(
    token: &'t [u8],
    keyring: &Keyring,
    then: impl FnOnce(Compact<'t>, Option<usize>, &[u8]) -> Result<T>,
) -> Result<T> {
    let parts = split_outer(token)?;
    // Structure of all three segments first (contract §3.2 before §3.3 and §3.4): a damaged token
    // is malformed whatever its header says and whatever its signature. The payload is
    // checked (a dot in it is a fourth segment), the signature as it is decoded, the header as
    // it is recognised or decoded.
    check_canonical(parts.payload).map_err(|e| {
        if splits_further(parts.payload) {
            wrong_segment_count()
        } else {
            e
        }
    })?;
    let mut tag = [MaybeUninit::uninit(); MAX_TAG_LEN];
    let signature = if parts.signature.len() <= MAX_SIGNATURE_LEN {
        Some(decode_into(parts.signature, &mut tag)?)
    } else {
        check_canonical(parts.signature)?;
        None
    };
    let (alg, kid) = header_algorithm(parts.header, keyring)?;
    // HS512's tag and Ed25519's signature are the longest (64 bytes); a longer signature cannot
    // match any key.
    let Some(signature) = signature else {
        return Err(Error::new(ErrorKind::InvalidSignature));
    };
    let named = check_signature(keyring, alg, kid, parts.signing_input, signature)?;
    with_decoded(parts.payload, |payload| then(parts, named, payload))
}

/// The base64url header Label Studio's server writes for each HMAC algorithm:
/// `{"alg":…,"typ":"JWT"}`.
fn hmac_header(alg: Algorithm) -> &'static str {
    match alg {
        // {"alg":"HS256","typ":"JWT"}
        Algorithm::HS256 => "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        // {"alg":"HS384","typ":"JWT"}
        Algorithm::HS384 => "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9",
        // {"alg":"HS512","typ":"JWT"}
        Algorithm::HS512 => "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9",
        Algorithm::EdDSA => unreachable!("EdDSA headers carry a `kid`"),
    }
}

/// Signs serialized claims into a compact JWS: HMAC under the server's exact header, Ed25519
/// under `{"alg":"EdDSA","kid":…,"typ":"JWT"}` (PyJWT's sorted order). `invalid_argument` for a
/// key that cannot sign.
pub(crate) fn sign(key: &SigningKey, claims_json: &str) -> Result<String> {
    let mut out = String::with_capacity(
        MAX_HEADER_HINT + 1 + base64_len(claims_json.len()) + 1 + MAX_SIGNATURE_LEN,
    );
    match key.kid() {
        Some(kid) if key.algorithm() == Algorithm::EdDSA => {
            let mut header = String::from("{\"alg\":\"EdDSA\",\"kid\":");
            crate::json::pyjwt_json::write(&mut header, kid);
            header.push_str(",\"typ\":\"JWT\"}");
            URL_SAFE_NO_PAD.encode_append(header.as_bytes(), &mut out);
        }
        _ => out.push_str(hmac_header(key.algorithm())),
    }
    out.push('.');
    URL_SAFE_NO_PAD.encode_append(claims_json, &mut out);
    let tag = key.sign(out.as_bytes())?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_append(tag.as_ref(), &mut out);
    Ok(out)
}

/// Room for a header with a short `kid`, so a typical token is written without regrowing.
const MAX_HEADER_HINT: usize = 64;

/// A token read without any key: for display and for client-side classification only.
/// Nothing in it is authenticated.
#[derive(Debug, Clone, PartialEq)]
pub struct UnverifiedToken {
    /// The JOSE header.
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The claims, in the token's order.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// True for the server's listing form `header.payload`, which has no signature.
    pub truncated: bool,
}

/// Decodes a compact JWS, or its truncated `header.payload` form, without checking anything
/// but its shape. Never use the result to authorise anything.
///
/// ```
/// let t = ls_auth_core::jws::decode_unverified(
///     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9").unwrap();
/// assert!(t.truncated);
/// assert_eq!(t.claims["exp"], 1);
/// ```
pub fn decode_unverified(token: &str) -> Result<UnverifiedToken> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::new(ErrorKind::TokenTooLarge));
    }
    let (parts, truncated) = split_allowing_listing_form(token.as_bytes())?;
    if !truncated {
        with_decoded(parts.signature, |_| Ok(()))?;
    }
    let (header, payload) = (parts.header, parts.payload);
    let object = |segment: &[u8]| {
        with_decoded(segment, |bytes| {
            serde_json::from_slice(bytes)
                .map_err(|_| malformed("token segment is not a JSON object"))
        })
    };
    Ok(UnverifiedToken {
        header: object(header)?,
        claims: object(payload)?,
        truncated,
    })
}

/// The segments of a token, or of its listing form `header.payload` (then the signature is
/// empty and the flag says so): the one place the two-segment form is recognised.
fn split_allowing_listing_form(token: &[u8]) -> Result<(Compact<'_>, bool)> {
    match split(token) {
        Ok(parts) => Ok((parts, false)),
        Err(e) if e.kind() != ErrorKind::MalformedToken => Err(e),
        Err(_) => match memchr::memchr(b'.', token) {
            Some(dot) if !splits_further(&token[dot + 1..]) => Ok((
                Compact {
                    header: &token[..dot],
                    payload: &token[dot + 1..],
                    signature: &[],
                    signing_input: token,
                },
                true,
            )),
            _ => Err(malformed(
                "token must have three segments (or two when truncated)",
            )),
        },
    }
}

/// The server's listing form of a token, `header.payload`, which authenticates nothing but
/// is accepted for blacklisting. A token already in that form is its own listing form, so a
/// host holding either kind of text gets the one it stores.
///
/// ```
/// use ls_auth_core::jws::truncate;
/// let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9.c2ln";
/// let listed = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9";
/// assert_eq!(truncate(t).unwrap(), listed);
/// assert_eq!(truncate(listed).unwrap(), listed);
/// assert!(truncate("not-a-token").is_err());
/// ```
pub fn truncate(token: &str) -> Result<&str> {
    // The signing input ends before a dot, on a character boundary.
    split_allowing_listing_form(token.as_bytes())
        .map(|(parts, _)| &token[..parts.signing_input.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use proptest::prelude::*;

    proptest! {
        /// The SIMD decoder refuses exactly what the `base64` crate's strict URL_SAFE_NO_PAD
        /// refuses, and decodes the rest to the same bytes; the check without decoding
        /// refuses exactly the same texts.
        #[test]
        fn decoding_agrees_with_the_base64_crate(
            text in proptest::collection::vec(proptest::sample::select(b"AQgw_-Zz09+/= \n.\xffEIMU".to_vec()), 0..70),
            bytes in proptest::collection::vec(any::<u8>(), 0..70),
        ) {
            let text = String::from_utf8_lossy(&text).into_owned();
            let mut buf = [MaybeUninit::uninit(); 128];
            let ours = decode_into(text.as_bytes(), &mut buf).ok().map(<[u8]>::to_vec);
            prop_assert_eq!(check_canonical(text.as_bytes()).is_ok(), ours.is_some(), "{:?}", text);
            prop_assert_eq!(ours, URL_SAFE_NO_PAD.decode(&text).ok(), "{:?}", text);
            let encoded = URL_SAFE_NO_PAD.encode(&bytes);
            let mut buf = [MaybeUninit::uninit(); 128];
            prop_assert_eq!(decode_into(encoded.as_bytes(), &mut buf).ok().map(<[u8]>::to_vec), Some(bytes));
        }
    }

    fn keyring() -> Keyring {
        Keyring::hs256("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let tag = keyring().signing_key().sign(input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn lengths_follow_from_the_encoding() {
        for n in 0..200 {
            let text = URL_SAFE_NO_PAD.encode(vec![0u8; n]);
            assert_eq!(base64_len(n), text.len());
            assert_eq!(decoded_len(text.len()), n);
        }
        assert_eq!(MAX_SIGNATURE_LEN, 86);
        assert_eq!(MAX_DECODED_LEN, 3072);
    }

    #[test]
    fn encoded_headers_match_their_json() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let json = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.name());
            assert_eq!(hmac_header(alg), b64(&json));
        }
    }

    #[test]
    fn split_counts_dots() {
        assert!(split(b"a.b.c").is_ok());
        for bad in ["", "a", "a.b", "a.b.c.d", "....", "a.b.c."] {
            assert_eq!(
                split(bad.as_bytes()).unwrap_err().code(),
                "malformed_token",
                "{bad}"
            );
        }
        let huge = ".".repeat(1_000_000);
        assert_eq!(
            split(huge.as_bytes()).unwrap_err().code(),
            "token_too_large"
        );
    }

    /// Verification that keeps the parts.
    fn verify<'t>(token: &'t str, keyring: &Keyring) -> Result<Compact<'t>> {
        super::verify(token.as_bytes(), keyring, |parts, _, _| Ok(parts))
    }

    #[test]
    fn sign_then_verify() {
        let t = sign(keyring().signing_key(), r#"{"exp":1}"#).unwrap();
        let parts = verify(&t, &keyring()).unwrap();
        assert_eq!(parts.payload, b64(r#"{"exp":1}"#).as_bytes());
        // The payload is handed over decoded, small or large.
        for claims in [
            r#"{"exp":1}"#.to_owned(),
            format!(r#"{{"x":"{}"}}"#, "y".repeat(2000)),
        ] {
            let t = sign(keyring().signing_key(), &claims).unwrap();
            let json =
                super::verify(t.as_bytes(), &keyring(), |_, _, json| Ok(json.to_vec())).unwrap();
            assert_eq!(json, claims.as_bytes());
        }
    }

    #[test]
    fn headers_are_checked() {
        let p = r#"{"exp":1}"#;
        let cases = [
            (r#"{"alg":"none","typ":"JWT"}"#, "unsupported_algorithm"),
            (r#"{"alg":"hs256"}"#, "unsupported_algorithm"),
            (r#"{"alg":"HS512"}"#, "unsupported_algorithm"),
            (r#"{"typ":"JWT"}"#, "unsupported_algorithm"),
            (r#"{"alg":256}"#, "malformed_token"),
            (r#"{"alg":"HS256","typ":"jwt+x"}"#, "malformed_token"),
            (r#"{"alg":"HS256","crit":["exp"]}"#, "malformed_token"),
            (r#"{"alg":"HS256","crit":[]}"#, "malformed_token"),
            (r#"{"alg":"HS256","alg":"HS256"}"#, "malformed_token"),
            (r#"{"alg":"HS256","kid":1,"kid":2}"#, "malformed_token"),
            (r#"["HS256"]"#, "malformed_token"),
            (r#"{"alg":"HS256"}x"#, "malformed_token"),
        ];
        for (h, code) in cases {
            assert_eq!(
                verify(&token(h, p), &keyring()).unwrap_err().code(),
                code,
                "{h}"
            );
        }
        // Invalid UTF-8 is not JSON, even in a member that is otherwise ignored.
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(b"{\"alg\":\"HS256\",\"kid\":\"\xff\"}"),
            b64(p)
        );
        let tag = keyring().signing_key().sign(input.as_bytes()).unwrap();
        let t = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        assert_eq!(
            verify(&t, &keyring()).unwrap_err().code(),
            "malformed_token"
        );
        // Unknown members, key-selection members included, are ignored.
        let h = r#"{"alg":"HS256","kid":"../../etc/passwd","jku":"https://evil","jwk":{"k":"x"}}"#;
        assert!(verify(&token(h, p), &keyring()).is_ok());
    }

    #[test]
    fn base64_is_strict() {
        let good = sign(keyring().signing_key(), r#"{"exp":1}"#).unwrap();
        let (input, sig) = good.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&format!("{input}.{sig}="), &keyring())
                .unwrap_err()
                .code(),
            "malformed_token"
        );
        assert_eq!(
            verify(
                &format!("{input}.{}", sig.replace('-', "+").replace('_', "/") + "+"),
                &keyring()
            )
            .unwrap_err()
            .code(),
            "malformed_token"
        );
        // Flip the unused low bits of the last character: same bytes, non-canonical text.
        let last = sig.chars().last().unwrap();
        let idx = base64_alphabet().find(last).unwrap();
        let twin = base64_alphabet().chars().nth(idx ^ 1).unwrap();
        let tweaked = format!("{input}.{}{twin}", &sig[..sig.len() - 1]);
        assert_eq!(
            verify(&tweaked, &keyring()).unwrap_err().code(),
            "malformed_token"
        );
    }

    fn base64_alphabet() -> &'static str {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    }

    #[test]
    fn fallback_keys_verify_but_do_not_sign() {
        let old = Keyring::hs256("old-secret-old-secret-old-secret!").unwrap();
        let t = sign(old.signing_key(), r#"{"exp":1}"#).unwrap();
        assert_eq!(
            verify(&t, &keyring()).unwrap_err().code(),
            "invalid_signature"
        );
        let rotated = keyring().with_fallback(old.signing_key().clone());
        assert!(verify(&t, &rotated).is_ok());
        assert_eq!(
            sign(rotated.signing_key(), "{}").unwrap(),
            sign(keyring().signing_key(), "{}").unwrap()
        );
    }

    #[test]
    fn unverified_and_truncated() {
        let t = sign(keyring().signing_key(), r#"{"exp":1,"a":"b"}"#).unwrap();
        let short = truncate(&t).unwrap();
        assert_eq!(short.matches('.').count(), 1);
        let u = decode_unverified(short).unwrap();
        assert!(u.truncated);
        assert_eq!(u.claims["a"], "b");
        assert!(!decode_unverified(&t).unwrap().truncated);
        assert!(decode_unverified("abc").is_err());
    }
}
