//! Keyring, token policy and organisation settings: what a verifier or issuer is built from.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::ffi::{bytes_in, free, guard, guard_or, into_raw, obj, obj_mut, opt_obj, out, str_in};
use crate::result::ls_auth_result;
use crate::string::ls_auth_string;

/// The keys a deployment trusts, HS256 secrets and Ed25519 keys: the first signs, all verify.
/// Build with `ls_auth_keyring_new` (HS256), `ls_auth_keyring_new_ed25519` or
/// `ls_auth_keyring_from_jwks`; add old secrets with `ls_auth_keyring_add_fallback`, public
/// keys with `ls_auth_keyring_add_jwks` (contract §3.10).
pub struct ls_auth_keyring {
    pub(crate) inner: core::Keyring,
}

/// How tokens are issued and checked (access-token TTL, leeway, issuer, audience). Starts with
/// the defaults (300 s, 0 s, none, none).
pub struct ls_auth_policy {
    pub(crate) inner: core::TokenPolicy,
}

/// An organisation's API-token settings (contract §1). Fill it with `ls_auth_org_settings_default`
/// and change fields. Functions taking `const ls_auth_org_settings *` treat NULL as the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ls_auth_org_settings {
    /// Personal access tokens (and their access tokens) authenticate. Default true.
    pub api_tokens_enabled: bool,
    /// Legacy `Token` keys authenticate. Default false.
    pub legacy_api_tokens_enabled: bool,
    /// Lifetime of new PATs in days. Default 73000.
    pub pat_ttl_days: u32,
    /// A PAT older than the current TTL (by `iat`) stops refreshing. Default true.
    pub enforce_ttl_on_existing: bool,
    /// The user belongs to an active organisation. False (the host found none) refuses every
    /// credential with `LS_AUTH_NO_ORGANIZATION`. Default true.
    pub has_organization: bool,
}

impl From<&ls_auth_org_settings> for core::OrgSettings {
    fn from(s: &ls_auth_org_settings) -> Self {
        core::OrgSettings {
            api_tokens_enabled: s.api_tokens_enabled,
            legacy_api_tokens_enabled: s.legacy_api_tokens_enabled,
            pat_ttl_days: s.pat_ttl_days,
            enforce_ttl_on_existing: s.enforce_ttl_on_existing,
            has_organization: s.has_organization,
        }
    }
}

/// Reads optional settings: NULL is the defaults.
///
/// # Safety
/// `ptr` must be NULL or point to a valid `ls_auth_org_settings`.
pub(crate) unsafe fn settings_in(ptr: *const ls_auth_org_settings) -> core::OrgSettings {
    // SAFETY: as promised by the caller.
    match unsafe { opt_obj(ptr) } {
        Some(s) => s.into(),
        None => core::OrgSettings::default(),
    }
}

fn signing_key(secret: &[u8], allow_short_key: bool) -> Result<core::SigningKey, core::Error> {
    core::SigningKey::hs256(secret, core::ShortKeys::allowed_if(allow_short_key))
}

/// A keyring with one HS256 secret (e.g. Django's `SECRET_KEY` as UTF-8 bytes), which signs
/// and verifies. Secrets shorter than 32 bytes are `LS_AUTH_KEY_TOO_SHORT` unless
/// `allow_short_key` is true (an explicit opt-in for deployments with short keys); an empty
/// secret is always refused. The secret is not kept: only the HMAC state is.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_new(
    secret: *const u8,
    secret_len: usize,
    allow_short_key: bool,
    keyring_out: *mut *mut ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (secret, keyring_out) = unsafe { (bytes_in(secret, secret_len)?, out(keyring_out)?) };
        let key = signing_key(secret, allow_short_key)?;
        keyring_out.set(into_raw(ls_auth_keyring {
            inner: core::Keyring::new(key),
        }));
        Ok(())
    })
}

/// Adds a secret that verifies but never signs (an old `SECRET_KEY` during rotation, like
/// Django's `SECRET_KEY_FALLBACKS`). Same rules as `ls_auth_keyring_new`. Mutates the keyring:
/// no other thread may use it during the call. Verifiers and issuers already built from it are
/// not changed.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_add_fallback(
    keyring: *mut ls_auth_keyring,
    secret: *const u8,
    secret_len: usize,
    allow_short_key: bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, secret) = unsafe { (obj_mut(keyring)?, bytes_in(secret, secret_len)?) };
        let key = signing_key(secret, allow_short_key)?;
        keyring.inner = keyring.inner.clone().with_fallback(key);
        Ok(())
    })
}

/// A keyring of the Ed25519 public keys of a JWK Set (`jwks`, UTF-8 JSON text), read strictly
/// (contract §3.10): anything else is `LS_AUTH_INVALID_KEY_SET`. It verifies EdDSA tokens
/// whose `kid` names one of its keys, and cannot sign.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_from_jwks(
    jwks: *const c_char,
    jwks_len: usize,
    keyring_out: *mut *mut ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (jwks, keyring_out) = unsafe { (str_in(jwks, jwks_len)?, out(keyring_out)?) };
        let inner = core::Keyring::from_jwks(jwks)?;
        keyring_out.set(into_raw(ls_auth_keyring { inner }));
        Ok(())
    })
}

/// Adds the public keys of a JWK Set (same rules as `ls_auth_keyring_from_jwks`); a `kid`
/// already in the keyring is `LS_AUTH_INVALID_KEY_SET` and leaves the keyring unchanged.
/// Mutates the keyring: no other thread may use it during the call.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_add_jwks(
    keyring: *mut ls_auth_keyring,
    jwks: *const c_char,
    jwks_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, jwks) = unsafe { (obj_mut(keyring)?, str_in(jwks, jwks_len)?) };
        keyring.inner = keyring.inner.clone().with_jwks(jwks)?;
        Ok(())
    })
}

/// Adds every key of `other` (which is not changed) after this keyring's, as keys that
/// verify; a `kid` in both is `LS_AUTH_INVALID_KEY_SET` and leaves the keyring unchanged.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_add_keys(
    keyring: *mut ls_auth_keyring,
    other: *const ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, other) = unsafe { (obj_mut(keyring)?, obj(other)?) };
        keyring.inner = keyring.inner.clone().with_keys(other.inner.clone())?;
        Ok(())
    })
}

/// A keyring with one Ed25519 private key named `kid` (non-empty UTF-8), from its 32-byte
/// `seed`: it signs EdDSA tokens under that `kid` and verifies them. The seed is copied into
/// memory wiped on free; wipe the caller's copy.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_new_ed25519(
    kid: *const c_char,
    kid_len: usize,
    seed: *const u8,
    seed_len: usize,
    keyring_out: *mut *mut ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (kid, seed, keyring_out) = unsafe {
            (
                str_in(kid, kid_len)?,
                bytes_in(seed, seed_len)?,
                out(keyring_out)?,
            )
        };
        let key = core::SigningKey::ed25519_seed(kid, seed)?;
        keyring_out.set(into_raw(ls_auth_keyring {
            inner: core::Keyring::new(key),
        }));
        Ok(())
    })
}

/// As `ls_auth_keyring_new_ed25519`, from the key's unencrypted PKCS#8 v1 DER (the 48 bytes
/// `openssl genpkey -algorithm ed25519 -outform DER` writes).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_new_ed25519_pkcs8(
    kid: *const c_char,
    kid_len: usize,
    der: *const u8,
    der_len: usize,
    keyring_out: *mut *mut ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (kid, der, keyring_out) = unsafe {
            (
                str_in(kid, kid_len)?,
                bytes_in(der, der_len)?,
                out(keyring_out)?,
            )
        };
        let key = core::SigningKey::ed25519_pkcs8(kid, der)?;
        keyring_out.set(into_raw(ls_auth_keyring {
            inner: core::Keyring::new(key),
        }));
        Ok(())
    })
}

/// The public JWK Set of every Ed25519 key of the keyring (HMAC secrets never appear), as a
/// library-owned string: what an issuer publishes for its services.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_public_jwks(
    keyring: *const ls_auth_keyring,
    jwks_out: *mut *mut ls_auth_string,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, jwks_out) = unsafe { (obj(keyring)?, out(jwks_out)?) };
        jwks_out.set(ls_auth_string::new(&keyring.inner.public_jwks()));
        Ok(())
    })
}

/// Frees a keyring. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_free(keyring: *mut ls_auth_keyring) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(keyring) })
}

/// A policy with the defaults: access tokens live 300 s, leeway 0 s, no issuer, no audience.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_new(
    policy_out: *mut *mut ls_auth_policy,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: out-parameter contract.
        let policy_out = unsafe { out(policy_out) }?;
        policy_out.set(into_raw(ls_auth_policy {
            inner: core::TokenPolicy::default(),
        }));
        Ok(())
    })
}

/// Sets the clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_leeway(
    policy: *mut ls_auth_policy,
    seconds: u32,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        unsafe { obj_mut(policy) }?.inner.leeway = seconds;
        Ok(())
    })
}

/// Sets the lifetime of the access tokens an issuer mints, in seconds.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_access_ttl(
    policy: *mut ls_auth_policy,
    seconds: u32,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        unsafe { obj_mut(policy) }?.inner.access_ttl = seconds;
        Ok(())
    })
}

/// Requires (and mints) exactly this `iss`. NULL with length 0 clears it.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_issuer(
    policy: *mut ls_auth_policy,
    issuer: *const c_char,
    issuer_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (policy, value) = unsafe { (obj_mut(policy)?, str_in(issuer, issuer_len)?) };
        policy.inner.issuer = (!issuer.is_null()).then(|| value.to_owned());
        Ok(())
    })
}

/// Requires (and mints) this audience in `aud`. NULL with length 0 clears it.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_audience(
    policy: *mut ls_auth_policy,
    audience: *const c_char,
    audience_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (policy, value) = unsafe { (obj_mut(policy)?, str_in(audience, audience_len)?) };
        policy.inner.audience = (!audience.is_null()).then(|| value.to_owned());
        Ok(())
    })
}

/// Whether access tokens an issuer with this policy mints name their PAT (`pat_jti`) and expire
/// no later than it (contract §3.11); off by default (simplejwt's bytes).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_access_names_pat(
    policy: *mut ls_auth_policy,
    names: bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let policy = unsafe { obj_mut(policy)? };
        policy.inner.access_names_pat = names;
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_free(policy: *mut ls_auth_policy) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(policy) })
}

/// Writes Label Studio's default organisation settings: PATs on, legacy keys off, PAT TTL
/// 73000 days, TTL enforced on existing PATs, the user in an organisation.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_org_settings_default(
    settings_out: *mut ls_auth_org_settings,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: out-parameter contract.
        let settings_out = unsafe { out(settings_out) }?;
        let d = core::OrgSettings::default();
        settings_out.set(ls_auth_org_settings {
            api_tokens_enabled: d.api_tokens_enabled,
            legacy_api_tokens_enabled: d.legacy_api_tokens_enabled,
            pat_ttl_days: d.pat_ttl_days,
            enforce_ttl_on_existing: d.enforce_ttl_on_existing,
            has_organization: d.has_organization,
        });
        Ok(())
    })
}

/// Reads an optional policy: NULL is the defaults.
///
/// # Safety
/// `ptr` must be NULL or a live `ls_auth_policy`.
pub(crate) unsafe fn policy_in(ptr: *const ls_auth_policy) -> core::TokenPolicy {
    // SAFETY: as promised by the caller.
    unsafe { opt_obj(ptr) }.map_or_else(core::TokenPolicy::default, |p| p.inner.clone())
}
