//! Minting: PATs for a user, access tokens from a PAT, rotation of a PAT.

use serde_json::{Map, Value};

use crate::claims::{check_id, Claims, TokenType, ISSUER_CLAIMS, NOT_COPIED, PAT_JTI_CLAIM};
use crate::error::{Error, ErrorKind, Result};
use crate::json::members::Members;
use crate::json::pyjwt_json;
use crate::jws;
use crate::keys::Keyring;
use crate::policy::{KeyKind, OrgSettings, TokenPolicy};
use crate::random::{uuid4_hex, SecureRandom, SystemRandom};
use crate::revocation::{Revocation, RevocationStore};
use crate::verify::{PendingRefresh, Verifier};

/// Mints tokens byte for byte as Label Studio does, and refreshes and rotates PATs after
/// verifying them.
///
/// ```
/// use ls_auth_core::*;
/// let keyring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
/// let issuer = Issuer::new(keyring, TokenPolicy::default());
/// let settings = OrgSettings::default();
/// let revoked = InMemoryRevocation::new();
/// let pat = issuer.mint_pat("7", &Default::default(), &settings, 1_700_000_000).unwrap();
/// let rotation = issuer.rotate(&pat, &settings, &revoked, 1_700_000_100).unwrap();
/// assert_eq!(
///     issuer.refresh(&pat, &settings, &revoked, 1_700_000_200).unwrap_err().code(),
///     "token_revoked"
/// );
/// assert!(issuer.refresh(&rotation.pat, &settings, &revoked, 1_700_000_200).is_ok());
/// ```
pub struct Issuer {
    verifier: Verifier,
    rng: Box<dyn SecureRandom>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

/// The outcome of a rotation: the new PAT, and the old one's `jti`, now revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The replacement PAT.
    pub pat: String,
    /// The `jti` of the PAT that was rotated; it has been recorded in the revocation store.
    pub revoked_jti: String,
    /// The rotated PAT's `exp`.
    pub revoked_exp: i64,
    /// When the revocation entry may be forgotten: `revoked_exp` plus the leeway
    /// ([`Verifier::forget_after`]), the time passed to the store.
    pub forget_after: i64,
}

impl Issuer {
    /// An issuer signing with `keyring`'s first key, drawing `jti`s from the system RNG.
    pub fn new(keyring: Keyring, policy: TokenPolicy) -> Self {
        Self::with_random(keyring, policy, SystemRandom::new())
    }

    /// An issuer with another source of randomness (tests use a seeded one).
    pub fn with_random(
        keyring: Keyring,
        policy: TokenPolicy,
        rng: impl SecureRandom + 'static,
    ) -> Self {
        Issuer {
            verifier: Verifier::new(keyring, policy),
            rng: Box::new(rng),
        }
    }

    /// The verifier for the tokens this issuer mints.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Extra claims for [`Issuer::mint_pat`] from JSON text (what the C ABI and the CLI are
    /// given): one object whose member names are unique, refused (`invalid_argument`) otherwise,
    /// since keeping the last of a repeated name would mint what the text did not clearly say.
    ///
    /// ```
    /// use ls_auth_core::Issuer;
    /// assert_eq!(Issuer::extra_claims_from_json(r#"{"role":"admin"}"#).unwrap()["role"], "admin");
    /// assert!(Issuer::extra_claims_from_json(r#"{"role":"user","role":"admin"}"#).is_err());
    /// assert!(Issuer::extra_claims_from_json("[1]").is_err());
    /// ```
    pub fn extra_claims_from_json(json: &str) -> Result<Map<String, Value>> {
        serde_json::from_str::<Members>(json)
            .map(Members::into_map)
            .map_err(|_| {
                Error::with_detail(
                    ErrorKind::InvalidArgument,
                    "extra claims must be one JSON object with unique member names",
                )
            })
    }

    /// Mints a PAT for `user_id`, valid for the organisation's PAT TTL from `now`; refused with
    /// `no_organization` for a user without one.
    ///
    /// `extra` claims follow the registered ones in their order, then the policy's `aud` and
    /// `iss` (simplejwt's order); the names `token_type`, `exp`, `iat`, `jti` and `user_id`
    /// are reserved.
    pub fn mint_pat(
        &self,
        user_id: &str,
        extra: &Map<String, Value>,
        settings: &OrgSettings,
        now: i64,
    ) -> Result<String> {
        // The identifier rule verification applies, as an argument error: what we mint we accept.
        check_id("user_id", user_id)
            .map_err(|e| Error::with_detail(ErrorKind::InvalidArgument, e.message().to_owned()))?;
        if !settings.has_organization {
            // A key for a user no organisation admits would be refused at its first use.
            return Err(Error::new(ErrorKind::NoOrganization));
        }
        if let Some(name) = extra.keys().find(|k| ISSUER_CLAIMS.contains(&k.as_str())) {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                format!("claim `{name}` is set by the issuer and cannot be passed as extra"),
            ));
        }
        let exp = now
            .checked_add(settings.pat_ttl_seconds()?)
            .ok_or_else(|| Error::with_detail(ErrorKind::InvalidArgument, "expiry overflows"))?;
        let mut json = self.registered(TokenType::Refresh, exp, now)?;
        push_member(&mut json, "user_id", |out| pyjwt_json::write(out, user_id));
        for (name, value) in extra {
            push_member(&mut json, name, |out| pyjwt_json::write(out, value));
        }
        // simplejwt's TokenBackend.encode appends `aud`, then `iss`, after every other claim.
        let policy = self.verifier.policy();
        if let Some(aud) = policy
            .audience
            .as_deref()
            .filter(|_| !extra.contains_key("aud"))
        {
            push_member(&mut json, "aud", |out| pyjwt_json::write(out, aud));
        }
        if let Some(iss) = policy
            .issuer
            .as_deref()
            .filter(|_| !extra.contains_key("iss"))
        {
            push_member(&mut json, "iss", |out| pyjwt_json::write(out, iss));
        }
        json.push('}');
        // What we mint we must accept: check the claims with the same reader as verification.
        Claims::parse(json.as_bytes(), TokenType::Refresh).map_err(|e| {
            Error::with_detail(
                ErrorKind::InvalidArgument,
                format!("extra claims are invalid: {}", e.message()),
            )
        })?;
        self.sign(&json)
    }

    /// Exchanges a PAT for an access token, as `POST /api/token/refresh/` does: the PAT is
    /// verified (settings, TTL policy, revocation), and the access token copies every claim
    /// of the PAT except `token_type`, `exp`, `iat` and `jti`, in the PAT's order.
    ///
    /// A host that finds the organisation from the PAT's user uses the two steps instead:
    /// [`Issuer::begin_refresh`], then [`Issuer::finish_refresh`].
    pub fn refresh(
        &self,
        pat: &str,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
        now: i64,
    ) -> Result<String> {
        // The settings are known in advance: a disabled kind is refused before any crypto.
        settings.admit(KeyKind::Jwt)?;
        self.finish_refresh(self.begin_refresh(pat, now)?, settings, revocation)
    }

    /// Replaces a PAT by a new one with the same claims and a fresh lifetime, and revokes the
    /// old one atomically: of concurrent rotations of one PAT exactly one succeeds.
    pub fn rotate(
        &self,
        pat: &str,
        settings: &OrgSettings,
        revocation: &dyn RevocationStore,
        now: i64,
    ) -> Result<Rotation> {
        settings.admit(KeyKind::Jwt)?;
        self.finish_rotate(self.begin_refresh(pat, now)?, settings, revocation)
    }

    /// Step one of a refresh or rotation for a multi-organisation host: verifies the PAT with
    /// this issuer's keys and policy; see [`Verifier::begin_refresh`].
    ///
    /// ```
    /// use ls_auth_core::*;
    /// let issuer = Issuer::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
    /// let now = 1_700_000_000;
    /// let pat = issuer.mint_pat("7", &Default::default(), &OrgSettings::default(), now).unwrap();
    ///
    /// let pending = issuer.begin_refresh(&pat, now).unwrap();
    /// let org = OrgSettings::default(); // user 7's organisation, looked up by the host
    /// assert_eq!(pending.lookup_user_id(), "7");
    /// let access = issuer.finish_refresh(pending, &org, &InMemoryRevocation::new()).unwrap();
    /// assert_eq!(issuer.verifier().verify_access(&access, now).unwrap().user_id(), "7");
    /// ```
    pub fn begin_refresh(&self, pat: &str, now: i64) -> Result<PendingRefresh> {
        self.verifier.begin_refresh(pat, now)
    }

    /// Step two of a refresh: admits the PAT under its organisation's settings and the
    /// revocation store, then mints the access token as [`Issuer::refresh`] does.
    pub fn finish_refresh(
        &self,
        pending: PendingRefresh,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
    ) -> Result<String> {
        pending.check(settings, revocation)?;
        let policy = self.verifier.policy();
        let ttl = i64::from(policy.access_ttl);
        let (pat, payload, now) = pending.into_parts();
        if !policy.access_names_pat {
            return self.reissue(&payload, TokenType::Access, ttl, now, None);
        }
        // Contract §3.11: the access token names its PAT and never outlives it.
        let ttl = ttl.min(pat.exp().saturating_sub(now)).max(0);
        self.reissue(&payload, TokenType::Access, ttl, now, Some(pat.jti()))
    }

    /// Step two of a rotation: admits the PAT, mints its replacement with the organisation's
    /// PAT TTL, and revokes the old one with the store's atomic conditional insert.
    pub fn finish_rotate(
        &self,
        pending: PendingRefresh,
        settings: &OrgSettings,
        revocation: &dyn RevocationStore,
    ) -> Result<Rotation> {
        pending.check(settings, revocation)?;
        let ttl = settings.pat_ttl_seconds()?;
        let (old, payload, now) = pending.into_parts();
        let new_pat = self.reissue(&payload, TokenType::Refresh, ttl, now, None)?;
        let forget_after = self.verifier.forget_after(old.exp());
        if !revocation.revoke_if_active(old.jti(), forget_after, now) {
            return Err(Error::new(ErrorKind::TokenRevoked));
        }
        Ok(Rotation {
            pat: new_pat,
            revoked_jti: old.jti().to_owned(),
            revoked_exp: old.exp(),
            forget_after,
        })
    }

    /// A new token of `kind` carrying the verified PAT payload's claims in their order (never a
    /// `pat_jti` of its own: only the issuer names a parent), then `pat_jti` when given.
    fn reissue(
        &self,
        payload: &str,
        kind: TokenType,
        ttl: i64,
        now: i64,
        pat_jti: Option<&str>,
    ) -> Result<String> {
        // The members in order, with their JSON types: copied claims keep the PAT's. The text
        // was decoded and validated once, when the PAT was verified.
        let payload: Map<String, Value> =
            serde_json::from_str(payload).map_err(|_| Error::new(ErrorKind::MalformedToken))?;
        let exp = now
            .checked_add(ttl)
            .ok_or_else(|| Error::with_detail(ErrorKind::InvalidArgument, "expiry overflows"))?;
        let mut json = self.registered(kind, exp, now)?;
        for (name, value) in payload
            .iter()
            .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
        {
            push_member(&mut json, name, |out| pyjwt_json::write(out, value));
        }
        if let Some(jti) = pat_jti {
            push_member(&mut json, PAT_JTI_CLAIM, |out| pyjwt_json::write(out, jti));
        }
        json.push('}');
        self.sign(&json)
    }

    /// Signs with the first key, refusing a token our own verifier would refuse as too large.
    fn sign(&self, claims_json: &str) -> Result<String> {
        let token = jws::sign(self.verifier.keyring().signing_key(), claims_json)?;
        if token.len() > jws::MAX_TOKEN_LEN {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "the token would be larger than 4 KiB: too many or too large claims",
            ));
        }
        Ok(token)
    }

    /// `{"token_type":…,"exp":…,"iat":…,"jti":…` with a fresh UUID4 `jti`, the server's order.
    fn registered(&self, kind: TokenType, exp: i64, iat: i64) -> Result<String> {
        let jti = uuid4_hex(self.rng.as_ref())?;
        let mut json = String::with_capacity(160);
        json.push_str("{\"token_type\":");
        pyjwt_json::write(&mut json, kind.as_str());
        json.push_str(",\"exp\":");
        pyjwt_json::write(&mut json, &exp);
        json.push_str(",\"iat\":");
        pyjwt_json::write(&mut json, &iat);
        json.push_str(",\"jti\":");
        pyjwt_json::write(&mut json, &jti);
        Ok(json)
    }
}

fn push_member(json: &mut String, name: &str, write: impl FnOnce(&mut String)) {
    json.push(',');
    pyjwt_json::write(json, name);
    json.push(':');
    write(json);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dangerous::InsecureDeterministicRandom;
    use crate::revocation::InMemoryRevocation;

    const NOW: i64 = 1_700_000_000;

    fn issuer() -> Issuer {
        Issuer::with_random(
            Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
            TokenPolicy::default(),
            InsecureDeterministicRandom::new(42),
        )
    }

    fn claims_json(token: &str) -> String {
        let parts = jws::split(token.as_bytes()).unwrap();
        jws::with_decoded(
            parts.payload,
            |b| Ok(String::from_utf8(b.to_vec()).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn pat_has_the_servers_shape() {
        let pat = issuer()
            .mint_pat("1", &Map::new(), &OrgSettings::default(), NOW)
            .unwrap();
        assert!(pat.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        let json = claims_json(&pat);
        let exp = NOW + 73_000 * 86_400;
        let prefix = format!(r#"{{"token_type":"refresh","exp":{exp},"iat":{NOW},"jti":""#);
        assert!(json.starts_with(&prefix), "{json}");
        assert!(json.ends_with(r#"","user_id":"1"}"#), "{json}");
        assert_eq!(json.len(), prefix.len() + 32 + r#"","user_id":"1"}"#.len());
    }

    #[test]
    fn access_copies_claims_in_order() {
        let i = issuer();
        let mut extra = Map::new();
        extra.insert("zeta".into(), Value::from(1));
        extra.insert("org".into(), serde_json::json!({"b": 1, "a": "é"}));
        let settings = OrgSettings::default();
        let pat = i.mint_pat("9", &extra, &settings, NOW).unwrap();
        let access = i
            .refresh(&pat, &settings, &InMemoryRevocation::new(), NOW + 5)
            .unwrap();
        let json = claims_json(&access);
        let tail = r#"","user_id":"9","zeta":1,"org":{"b":1,"a":"\u00e9"}}"#;
        assert!(
            json.starts_with(&format!(
                r#"{{"token_type":"access","exp":{},"iat":{},"jti":""#,
                NOW + 305,
                NOW + 5
            )),
            "{json}"
        );
        assert!(json.ends_with(tail), "{json}");
        let claims = i.verifier().verify_access(&access, NOW + 6).unwrap();
        assert_eq!(claims.user_id(), "9");
    }

    #[test]
    fn reserved_and_invalid_extras_are_refused() {
        let i = issuer();
        let s = OrgSettings::default();
        for (name, value) in [
            ("exp", Value::from(1)),
            ("user_id", "2".into()),
            ("nbf", "soon".into()),
        ] {
            let mut extra = Map::new();
            extra.insert(name.into(), value);
            assert_eq!(
                i.mint_pat("1", &extra, &s, NOW).unwrap_err().code(),
                "invalid_argument"
            );
        }
        assert_eq!(
            i.mint_pat("", &Map::new(), &s, NOW).unwrap_err().code(),
            "invalid_argument"
        );
    }

    #[test]
    fn rotation_is_single_use() {
        let i = issuer();
        let s = OrgSettings::default();
        let store = InMemoryRevocation::new();
        let pat = i.mint_pat("1", &Map::new(), &s, NOW).unwrap();
        let r = i.rotate(&pat, &s, &store, NOW + 1).unwrap();
        assert!(store.is_revoked(&r.revoked_jti));
        assert_eq!(
            i.rotate(&pat, &s, &store, NOW + 2).unwrap_err().code(),
            "token_revoked"
        );
        assert!(i
            .verifier()
            .verify_refresh(&r.pat, &s, &store, NOW + 2)
            .is_ok());
    }

    #[test]
    fn policy_claims_are_minted_and_required() {
        let policy = TokenPolicy {
            issuer: Some("ls".into()),
            audience: Some("api".into()),
            ..TokenPolicy::default()
        };
        let keyring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
        let i = Issuer::new(keyring.clone(), policy);
        let s = OrgSettings::default();
        let pat = i.mint_pat("1", &Map::new(), &s, NOW).unwrap();
        let access = i
            .refresh(&pat, &s, &InMemoryRevocation::new(), NOW)
            .unwrap();
        assert!(i.verifier().verify_access(&access, NOW).is_ok());
        // A verifier without an audience refuses a token that names one.
        let plain = Verifier::new(keyring, TokenPolicy::default());
        assert_eq!(
            plain.verify_access(&access, NOW).unwrap_err().code(),
            "invalid_claim"
        );
    }

    fn naming_issuer() -> Issuer {
        let policy = TokenPolicy {
            access_names_pat: true,
            ..TokenPolicy::default()
        };
        Issuer::with_random(
            Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
            policy,
            InsecureDeterministicRandom::new(42),
        )
    }

    #[test]
    fn access_names_its_pat_only_when_the_policy_says_so() {
        let s = OrgSettings::default();
        let none = InMemoryRevocation::new();
        let plain = issuer();
        let pat = plain.mint_pat("1", &Map::new(), &s, NOW).unwrap();
        let access = plain.refresh(&pat, &s, &none, NOW).unwrap();
        assert!(!claims_json(&access).contains("pat_jti"));

        let naming = naming_issuer();
        let pat_jti = naming
            .verifier()
            .verify_refresh(&pat, &s, &none, NOW)
            .unwrap();
        let access = naming.refresh(&pat, &s, &none, NOW).unwrap();
        let json = claims_json(&access);
        let tail = format!(r#","user_id":"1","pat_jti":"{}"}}"#, pat_jti.jti());
        assert!(json.ends_with(&tail), "{json}");
    }

    #[test]
    fn a_naming_issuer_never_copies_a_pats_own_pat_jti_and_caps_exp() {
        let s = OrgSettings::default();
        let none = InMemoryRevocation::new();
        let naming = naming_issuer();
        let mut extra = Map::new();
        extra.insert("pat_jti".into(), "forged".into());
        // A PAT living 100 s more: its access token lives 100 s, not 300.
        let short = OrgSettings {
            pat_ttl_days: 1,
            ..OrgSettings::default()
        };
        let pat = naming.mint_pat("1", &extra, &short, NOW).unwrap();
        let later = NOW + 86_400 - 100;
        let access = naming.refresh(&pat, &s, &none, later).unwrap();
        let claims = naming.verifier().verify_access(&access, later).unwrap();
        assert_eq!(claims.exp(), NOW + 86_400);
        let named: Vec<_> = claims
            .extra()
            .iter()
            .filter(|(k, _)| k == "pat_jti")
            .collect();
        assert_eq!(named.len(), 1);
        assert_ne!(named[0].1, "forged");
        // The rotated PAT names no parent either.
        let rotated = naming
            .rotate(&pat, &s, &InMemoryRevocation::new(), later)
            .unwrap();
        assert!(!claims_json(&rotated.pat).contains("pat_jti"));
    }

    #[test]
    fn minted_tokens_write_the_issuer_claims_in_their_order() {
        // registered() and mint_pat write the names as literals, for speed: held to the table.
        let s = OrgSettings::default();
        let pat = issuer().mint_pat("1", &Map::new(), &s, NOW).unwrap();
        let access = issuer()
            .refresh(&pat, &s, &InMemoryRevocation::new(), NOW)
            .unwrap();
        for token in [pat, access] {
            let json = claims_json(&token);
            let payload: Map<String, Value> = serde_json::from_str(&json).unwrap();
            let names: Vec<&str> = payload.keys().map(String::as_str).collect();
            assert_eq!(names[..ISSUER_CLAIMS.len()], ISSUER_CLAIMS, "{json}");
        }
    }

    #[test]
    fn an_empty_or_nul_user_id_is_refused_at_minting() {
        let s = OrgSettings::default();
        for bad in ["", "1\u{0}2"] {
            let e = issuer().mint_pat(bad, &Map::new(), &s, NOW).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
