//! The `c_abi` target: libls_auth's `extern "C"` functions (bindings/c, called through its rlib)
//! driven with raw bytes and lengths. Every call is compared with the core's answer for the same
//! input, and every text-out call is checked against the buffer contract of `ls_auth.h`: nothing
//! written past `len`, nothing written on `LS_AUTH_INSUFFICIENT_SIZE`, the size it asks for is
//! enough, and the text is NUL-terminated UTF-8.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_void};
use std::ptr::{null, null_mut};

use ls_auth::result::ls_auth_result as R;
use ls_auth::*;
use ls_auth_core as core;
use serde_json::Value;

use crate::{revocation, verifier, FALLBACK_KEY, KEY, NOW, REVOKED_JTI};

const CANARY: u8 = 0xA5;

fn expected<T>(r: Result<T, core::Error>) -> Result<T, R> {
    r.map_err(|e| R::from_kind(e.kind()))
}

/// What the binding makes of `(ptr, len)` text: UTF-8 without NUL, or its own error.
fn text_in(data: &[u8]) -> Result<&str, R> {
    match std::str::from_utf8(data) {
        Err(_) => Err(R::LS_AUTH_INVALID_UTF8),
        Ok(s) if s.contains('\0') => Err(R::LS_AUTH_INVALID_ARGUMENT),
        Ok(s) => Ok(s),
    }
}

/// Calls a text-out function, first with a `first_len`-byte buffer (possibly too small), and
/// again with exactly the size it asked for; checks the buffer contract both times.
fn text_out(
    first_len: usize,
    f: impl Fn(*mut c_char, usize, *mut usize) -> R,
) -> Result<String, R> {
    let call = |len: usize| {
        let mut buf = vec![CANARY; len + 16];
        let mut out_len = usize::MAX;
        let ptr = if len == 0 {
            null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        let r = f(ptr, len, &mut out_len);
        assert!(
            buf[len..].iter().all(|&b| b == CANARY),
            "wrote past the buffer"
        );
        (r, buf, out_len)
    };
    let (r, buf, out_len) = call(first_len);
    match r {
        R::LS_AUTH_OK => {
            assert!(
                out_len < first_len,
                "out_len {out_len} for a {first_len}-byte buffer"
            );
            assert_eq!(buf[out_len], 0, "text out is not NUL-terminated");
            let s = String::from_utf8(buf[..out_len].to_vec()).expect("text out is not UTF-8");
            assert!(!s.contains('\0'));
            Ok(s)
        }
        R::LS_AUTH_INSUFFICIENT_SIZE => {
            assert!(
                out_len > first_len,
                "asked for {out_len} bytes having {first_len}"
            );
            assert!(
                buf[..first_len].iter().all(|&b| b == CANARY),
                "wrote into a buffer that was too small"
            );
            assert!(out_len < 1 << 20, "asked for {out_len} bytes");
            let (r, buf, len) = call(out_len);
            assert_eq!(r, R::LS_AUTH_OK, "the size asked for was not enough");
            assert_eq!(len + 1, out_len);
            Ok(String::from_utf8(buf[..len].to_vec()).expect("text out is not UTF-8"))
        }
        other => Err(other),
    }
}

/// `ctx` is NULL (only REVOKED_JTI is revoked) or a `core::InMemoryRevocation`.
unsafe extern "C" fn is_revoked_cb(ctx: *mut c_void, jti: *const c_char, len: usize) -> bool {
    // SAFETY: the library passes a live (ptr, len) for the duration of the call.
    let jti = unsafe { std::slice::from_raw_parts(jti.cast::<u8>(), len) };
    if ctx.is_null() {
        return jti == REVOKED_JTI.as_bytes();
    }
    // SAFETY: ctx is the store the caller passed.
    let store = unsafe { &*ctx.cast::<core::InMemoryRevocation>() };
    let jti = std::str::from_utf8(jti).expect("the library passes UTF-8 jtis");
    core::Revocation::is_revoked(store, jti)
}

unsafe extern "C" fn revoke_if_active_cb(
    ctx: *mut c_void,
    jti: *const c_char,
    len: usize,
    exp: i64,
    now: i64,
) -> bool {
    // SAFETY: ctx is the InMemoryRevocation the caller passed; (jti, len) is live.
    let (store, jti) = unsafe {
        (
            &*ctx.cast::<core::InMemoryRevocation>(),
            std::slice::from_raw_parts(jti.cast::<u8>(), len),
        )
    };
    let jti = std::str::from_utf8(jti).expect("the library passes UTF-8 jtis");
    core::RevocationStore::revoke_if_active(store, jti, exp, now)
}

/// Checks a claims object against the core's claims for the same token, then frees it.
unsafe fn check_claims(claims: *mut ls_auth_claims, want: &core::Claims, buf_len: usize) {
    unsafe {
        let mut exp = 0;
        assert_eq!(ls_auth_claims_exp(claims, &mut exp), R::LS_AUTH_OK);
        assert_eq!(exp, want.exp());
        let (mut iat, mut present) = (0, false);
        assert_eq!(
            ls_auth_claims_iat(claims, &mut iat, &mut present),
            R::LS_AUTH_OK
        );
        assert_eq!(present.then_some(iat), want.iat());
        assert_eq!(
            ls_auth_claims_nbf(claims, &mut iat, &mut present),
            R::LS_AUTH_OK
        );
        assert_eq!(present.then_some(iat), want.nbf());
        let mut tt = ls_auth_token_type::LS_AUTH_TOKEN_TYPE_ACCESS;
        assert_eq!(ls_auth_claims_token_type(claims, &mut tt), R::LS_AUTH_OK);
        assert_eq!(
            tt == ls_auth_token_type::LS_AUTH_TOKEN_TYPE_REFRESH,
            want.token_type() == core::TokenType::Refresh
        );
        let user = text_out(buf_len, |b, l, o| ls_auth_claims_user_id(claims, b, l, o));
        assert_eq!(user.as_deref(), Ok(want.user_id()));
        let jti = text_out(buf_len, |b, l, o| ls_auth_claims_jti(claims, b, l, o));
        assert_eq!(jti.as_deref(), Ok(want.jti()));
        let json = text_out(buf_len, |b, l, o| ls_auth_claims_to_json(claims, b, l, o)).unwrap();
        let json: Value = serde_json::from_str(&json).expect("claims JSON parses");
        assert_eq!(json, Value::Object(want.to_json()));
        let name = b"user_id";
        let one = text_out(buf_len, |b, l, o| {
            ls_auth_claims_get_json(claims, name.as_ptr().cast(), name.len(), b, l, o)
        });
        assert_eq!(one, Ok(Value::from(want.user_id()).to_string()));
        ls_auth_claims_free(claims);
    }
}

/// Verifies `token` (raw bytes) as an access token and as a PAT through the ABI, and compares.
unsafe fn check_verify(v: *const ls_auth_verifier, token: &[u8], buf_len: usize) {
    let text = text_in(token);
    let mut claims = null_mut();
    // SAFETY: live verifier, (ptr, len) of a live slice, a valid out-pointer.
    let r = unsafe {
        ls_auth_verifier_verify_access(v, token.as_ptr().cast(), token.len(), NOW, &mut claims)
    };
    match text.and_then(|t| expected(verifier().verify_access(t, NOW))) {
        Ok(want) => {
            assert_eq!(r, R::LS_AUTH_OK);
            unsafe { check_claims(claims, &want, buf_len) };
        }
        Err(code) => {
            assert_eq!(r, code, "verify_access");
            assert!(claims.is_null(), "out-parameter written on failure");
        }
    }
    let store = ls_auth_revocation {
        ctx: null_mut(),
        is_revoked: Some(is_revoked_cb),
        revoke_if_active: None,
    };
    let mut claims = null_mut();
    // SAFETY: as above; NULL settings are the defaults.
    let r = unsafe {
        ls_auth_verifier_verify_refresh(
            v,
            token.as_ptr().cast(),
            token.len(),
            null(),
            &store,
            NOW,
            &mut claims,
        )
    };
    let want = text.and_then(|t| {
        expected(verifier().verify_refresh(t, &core::OrgSettings::default(), revocation(), NOW))
    });
    match want {
        Ok(want) => {
            assert_eq!(r, R::LS_AUTH_OK);
            unsafe { check_claims(claims, &want, buf_len) };
        }
        Err(code) => {
            assert_eq!(r, code, "verify_refresh");
            assert!(claims.is_null());
        }
    }
}

/// The ABI with raw bytes and lengths.
pub fn c_abi(data: &[u8]) {
    // Buffer sizes come from the input, so both the too-small and the big-enough paths run.
    let buf_len = data.first().map_or(0, |&b| usize::from(b % 80));
    let text = text_in(data);
    // SAFETY: every pointer passed below is NULL (where the contract allows it), a live object
    // made by the library, or a live Rust slice with its exact length.
    unsafe {
        // Keys, including the input as a secret.
        let mut keyring = null_mut();
        assert_eq!(
            ls_auth_keyring_new(KEY.as_ptr(), KEY.len(), false, &mut keyring),
            R::LS_AUTH_OK
        );
        assert_eq!(
            ls_auth_keyring_add_fallback(keyring, FALLBACK_KEY.as_ptr(), FALLBACK_KEY.len(), false),
            R::LS_AUTH_OK
        );
        let allow_short = buf_len % 2 == 1;
        let mut other = null_mut();
        let r = ls_auth_keyring_new(data.as_ptr(), data.len(), allow_short, &mut other);
        let short = data.is_empty() || (data.len() < 32 && !allow_short);
        assert_eq!(
            r,
            if short {
                R::LS_AUTH_KEY_TOO_SHORT
            } else {
                R::LS_AUTH_OK
            }
        );
        assert_eq!(other.is_null(), short);
        ls_auth_keyring_free(other);
        let mut v = null_mut();
        assert_eq!(ls_auth_verifier_new(keyring, null(), &mut v), R::LS_AUTH_OK);

        // Authorization header.
        let (mut scheme, mut tok, mut tok_len) = (ls_auth_scheme::LS_AUTH_SCHEME_BEARER, null(), 0);
        let r = ls_auth_parse_authorization(
            data.as_ptr(),
            data.len(),
            &mut scheme,
            &mut tok,
            &mut tok_len,
        );
        match core::header::parse_authorization(data) {
            Ok(cred) => {
                assert_eq!(r, R::LS_AUTH_OK);
                let want = match cred {
                    core::header::Credential::Bearer(_) => ls_auth_scheme::LS_AUTH_SCHEME_BEARER,
                    core::header::Credential::Token(_) => ls_auth_scheme::LS_AUTH_SCHEME_TOKEN,
                };
                assert_eq!(scheme, want);
                // The token points into the caller's header, never elsewhere.
                let start = (tok as usize).wrapping_sub(data.as_ptr() as usize);
                assert!(start <= data.len() && tok_len <= data.len() - start);
                assert_eq!(&data[start..start + tok_len], cred.token().as_bytes());
            }
            Err(e) => {
                assert_eq!(r, R::from_kind(e.kind()));
                assert!(
                    tok.is_null() && tok_len == 0,
                    "out-parameters written on failure"
                );
            }
        }

        // Verification: the input, re-signed, and wrapped as a payload.
        check_verify(v, data, buf_len);
        if let Ok(s) = std::str::from_utf8(data) {
            let head = s.rsplit_once('.').map_or(s, |(h, _)| h);
            check_verify(v, crate::resign(head).as_bytes(), buf_len);
        }
        check_verify(v, crate::wrap_payload(data).as_bytes(), buf_len);

        // authenticate, with legacy keys on.
        let mut settings = ls_auth_org_settings {
            api_tokens_enabled: false,
            legacy_api_tokens_enabled: false,
            pat_ttl_days: 0,
            enforce_ttl_on_existing: false,
            has_organization: false,
        };
        assert_eq!(ls_auth_org_settings_default(&mut settings), R::LS_AUTH_OK);
        settings.legacy_api_tokens_enabled = true;
        let core_settings = core::OrgSettings {
            legacy_api_tokens_enabled: true,
            ..Default::default()
        };
        let mut principal = null_mut();
        let r = ls_auth_verifier_authenticate(v, data.as_ptr(), data.len(), &settings, NOW, &mut principal);
        match core::authenticate(data, verifier(), &core_settings, NOW) {
            Ok(p) => {
                assert_eq!(r, R::LS_AUTH_OK);
                let mut kind = ls_auth_principal_kind::LS_AUTH_PRINCIPAL_JWT;
                assert_eq!(
                    ls_auth_principal_get_kind(principal, &mut kind),
                    R::LS_AUTH_OK
                );
                let key = text_out(buf_len, |b, l, o| {
                    ls_auth_principal_legacy_key(principal, b, l, o)
                });
                let mut claims = null();
                let rc = ls_auth_principal_claims(principal, &mut claims);
                match p {
                    core::Principal::Jwt(c) => {
                        assert_eq!(kind, ls_auth_principal_kind::LS_AUTH_PRINCIPAL_JWT);
                        assert_eq!(key, Err(R::LS_AUTH_INVALID_ARGUMENT));
                        assert_eq!(rc, R::LS_AUTH_OK);
                        let mut exp = 0;
                        assert_eq!(ls_auth_claims_exp(claims, &mut exp), R::LS_AUTH_OK);
                        assert_eq!(exp, c.exp());
                    }
                    core::Principal::LegacyKey(k) => {
                        assert_eq!(kind, ls_auth_principal_kind::LS_AUTH_PRINCIPAL_LEGACY);
                        assert_eq!(key.as_deref(), Ok(&*k));
                        assert_eq!(rc, R::LS_AUTH_INVALID_ARGUMENT);
                    }
                }
            }
            Err(e) => {
                assert_eq!(r, R::from_kind(e.kind()), "authenticate");
                assert!(principal.is_null());
            }
        }
        ls_auth_principal_free(principal);

        // Client-side classification.
        let mut kind = ls_auth_api_key_kind::LS_AUTH_API_KEY_LEGACY;
        let r = ls_auth_classify_api_key(data.as_ptr().cast(), data.len(), NOW, &mut kind);
        match text.and_then(|t| expected(core::client::classify_api_key(t, NOW))) {
            Ok(k) => {
                assert_eq!(r, R::LS_AUTH_OK);
                let want = match k {
                    core::client::ApiKeyKind::Legacy => ls_auth_api_key_kind::LS_AUTH_API_KEY_LEGACY,
                    core::client::ApiKeyKind::Pat => ls_auth_api_key_kind::LS_AUTH_API_KEY_PAT,
                    core::client::ApiKeyKind::Access => ls_auth_api_key_kind::LS_AUTH_API_KEY_ACCESS,
                };
                assert_eq!(kind, want);
            }
            Err(code) => assert_eq!(r, code, "classify"),
        }

        // Legacy keys.
        let r = ls_auth_check_legacy_key(data.as_ptr().cast(), data.len());
        let want = text.and_then(|t| expected(core::legacy::check_legacy_key(t)));
        assert_eq!(
            r,
            want.map_or_else(|c| c, |()| R::LS_AUTH_OK),
            "check_legacy_key"
        );
        let mid = data.len() / 2;
        let mut equal = false;
        let r = ls_auth_legacy_keys_equal(
            data.as_ptr().cast(),
            mid,
            data[mid..].as_ptr().cast(),
            data.len() - mid,
            &mut equal,
        );
        match (text_in(&data[..mid]), text_in(&data[mid..])) {
            (Ok(a), Ok(b)) => {
                assert_eq!(r, R::LS_AUTH_OK);
                assert_eq!(equal, a == b);
            }
            _ => assert_ne!(r, R::LS_AUTH_OK),
        }
        let digest = text_out(buf_len, |b, l, o| {
            ls_auth_legacy_key_digest(data.as_ptr().cast(), data.len(), b, l, o)
        });
        assert_eq!(digest, text.map(core::legacy::legacy_key_digest));
        let generated = text_out(buf_len, |b, l, o| ls_auth_generate_legacy_key(b, l, o)).unwrap();
        assert!(core::legacy::is_legacy_key(&generated));

        // Result codes taken from the input, known or not.
        let code = data
            .iter()
            .take(4)
            .fold(0u32, |acc, &b| acc << 8 | u32::from(b));
        for code in [code, code % 128] {
            let known = R::from_u32(code);
            let message = text_out(buf_len, |b, l, o| ls_auth_result_message(code, b, l, o));
            let name = text_out(buf_len, |b, l, o| ls_auth_result_code(code, b, l, o));
            let challenge = text_out(buf_len, |b, l, o| ls_auth_www_authenticate(code, b, l, o));
            let mut status = 0u16;
            let rs = ls_auth_result_http_status(code, &mut status);
            match known {
                Some(k) => {
                    assert_eq!(message.as_deref(), Ok(k.message()));
                    assert_eq!(name.as_deref(), Ok(k.code()));
                    match k.kind() {
                        Some(kind) => {
                            assert_eq!((rs, status), (R::LS_AUTH_OK, kind.http_status()));
                            let want =
                                core::header::www_authenticate(kind).unwrap_or_default();
                            assert_eq!(challenge, Ok(want));
                        }
                        None => {
                            assert_eq!(rs, R::LS_AUTH_INVALID_ARGUMENT);
                            assert_eq!(challenge, Err(R::LS_AUTH_INVALID_ARGUMENT));
                        }
                    }
                }
                None => {
                    for r in [message.err(), name.err(), challenge.err(), Some(rs)] {
                        assert_eq!(r, Some(R::LS_AUTH_INVALID_ARGUMENT), "unknown code {code}");
                    }
                }
            }
        }

        // Issuing: the input as user id (and as extra claims when it is a JSON object), and the
        // input as a PAT to refresh and rotate.
        let mut issuer = null_mut();
        assert_eq!(
            ls_auth_issuer_new(keyring, null(), &mut issuer),
            R::LS_AUTH_OK
        );
        let core_issuer =
            core::Issuer::new(verifier().keyring().clone(), core::TokenPolicy::default());
        // A JSON object is handed over as extra claims, read by the core's rule (a repeated
        // name is refused, by C as by the core).
        let extra = text
            .ok()
            .filter(|t| serde_json::from_str::<serde_json::Map<String, Value>>(t).is_ok())
            .map(core::Issuer::extra_claims_from_json);
        let (extra_ptr, extra_len) = if extra.is_some() {
            (data.as_ptr(), data.len())
        } else {
            (null(), 0)
        };
        let mut pat = null_mut();
        let r = ls_auth_issuer_mint_pat(
            issuer,
            data.as_ptr().cast(),
            data.len(),
            extra_ptr.cast(),
            extra_len,
            null(),
            NOW,
            &mut pat,
        );
        let want = text.and_then(|t| {
            let claims = match extra {
                Some(Ok(claims)) => claims,
                Some(Err(e)) => return expected(Err(e)),
                None => serde_json::Map::new(),
            };
            expected(core_issuer.mint_pat(t, &claims, &core::OrgSettings::default(), NOW))
        });
        match want {
            Ok(core_pat) => {
                assert_eq!(r, R::LS_AUTH_OK);
                let minted = std::slice::from_raw_parts(
                    ls_auth_string_data(pat).cast::<u8>(),
                    ls_auth_string_len(pat) + 1,
                );
                assert_eq!(minted.last(), Some(&0));
                let minted = std::str::from_utf8(&minted[..minted.len() - 1]).unwrap();
                let unverified = core::jws::decode_unverified(minted).expect("a minted PAT decodes");
                assert_eq!(
                    unverified.claims.get("user_id"),
                    Some(&Value::from(text.unwrap()))
                );
                // Extra claims may make it unusable (an `nbf` in the future): then both are.
                let settings = core::OrgSettings::default();
                let verify = |t: &str| {
                    verifier()
                        .verify_refresh(t, &settings, revocation(), NOW)
                        .map(|_| ())
                };
                assert_eq!(
                    verify(minted).map_err(|e| e.kind()),
                    verify(&core_pat).map_err(|e| e.kind())
                );
            }
            Err(code) => {
                assert_eq!(r, code, "mint_pat");
                assert!(pat.is_null());
            }
        }
        ls_auth_string_free(pat);
        // Two stores that start alike and see the same calls: the ABI's (through callbacks)
        // and the core's.
        let store = core::InMemoryRevocation::new();
        store.revoke(REVOKED_JTI, i64::MAX);
        let core_store = core::InMemoryRevocation::new();
        core_store.revoke(REVOKED_JTI, i64::MAX);
        let callbacks = ls_auth_revocation {
            ctx: (&store as *const core::InMemoryRevocation)
                .cast_mut()
                .cast(),
            is_revoked: Some(is_revoked_cb),
            revoke_if_active: Some(revoke_if_active_cb),
        };
        let resigned = text
            .ok()
            .map(|s| crate::resign(s.rsplit_once('.').map_or(s, |(h, _)| h)));
        for token in [Some(data.to_vec()), resigned.map(String::into_bytes)]
            .into_iter()
            .flatten()
        {
            let t = text_in(&token);
            let mut access = null_mut();
            let r = ls_auth_issuer_refresh(
                issuer,
                token.as_ptr().cast(),
                token.len(),
                null(),
                &callbacks,
                NOW,
                &mut access,
            );
            let want = t.and_then(|t| {
                expected(core_issuer.refresh(t, &core::OrgSettings::default(), &core_store, NOW))
            });
            assert_eq!(
                r,
                want.as_ref().map_or_else(|c| *c, |_| R::LS_AUTH_OK),
                "refresh"
            );
            assert_eq!(access.is_null(), want.is_err());
            ls_auth_string_free(access);
            let (mut new_pat, mut jti, mut exp) = (null_mut(), null_mut(), 0i64);
            let r = ls_auth_issuer_rotate(
                issuer,
                token.as_ptr().cast(),
                token.len(),
                null(),
                &callbacks,
                NOW,
                &mut new_pat,
                &mut jti,
                &mut exp,
            );
            if let Ok(t) = t {
                let want = expected(core_issuer.rotate(
                    t,
                    &core::OrgSettings::default(),
                    &core_store,
                    NOW,
                ));
                assert_eq!(
                    r,
                    want.as_ref().map_or_else(|c| *c, |_| R::LS_AUTH_OK),
                    "rotate"
                );
            } else {
                assert_eq!(Err(r), t.map(|_| ()));
            }
            assert_eq!(new_pat.is_null(), r != R::LS_AUTH_OK);
            ls_auth_string_free(new_pat);
            ls_auth_string_free(jti);
        }
        ls_auth_issuer_free(issuer);

        // NULL with a length is refused, NULL with zero length is the empty text.
        if !data.is_empty() {
            assert_eq!(
                ls_auth_check_legacy_key(null(), data.len()),
                R::LS_AUTH_NULL_PARAMETER
            );
            let mut c = null_mut();
            assert_eq!(
                ls_auth_verifier_verify_access(v, null(), data.len(), NOW, &mut c),
                R::LS_AUTH_NULL_PARAMETER
            );
        }
        assert_eq!(
            ls_auth_check_legacy_key(null(), 0),
            R::LS_AUTH_MALFORMED_TOKEN
        );

        ls_auth_verifier_free(v);
        ls_auth_keyring_free(keyring);
    }
}
