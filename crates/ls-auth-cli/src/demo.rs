//! `ls-auth demo`: the whole life of Label Studio API tokens, each step checked against what
//! the contract says must happen, on a key that is public and good for nothing else.

use ls_auth_core::header::{bearer_value, token_value};
use ls_auth_core::jws::decode_unverified;
use ls_auth_core::legacy::generate_legacy_key;
use ls_auth_core::{
    authenticate, Error, InMemoryRevocation, Issuer, Keyring, OrgSettings, Principal, SystemRandom,
    TokenPolicy,
};

use crate::time;

/// DEMO ONLY. This key is published in the source code: anything signed with it is forgeable
/// by anyone. The demo never reads a real key.
pub const DEMO_KEY: &str = "ls-auth-DEMO-ONLY-key: public, never use it to sign real tokens";

enum Expect {
    Accepted,
    Refused(&'static str),
}

struct Run {
    step: usize,
    failures: usize,
}

impl Run {
    /// Prints one step: what was done, what came out, and whether that is what must happen.
    fn check<T>(
        &mut self,
        what: &str,
        expect: Expect,
        result: Result<T, Error>,
        describe: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        self.step += 1;
        let (good, outcome) = match (&expect, &result) {
            (Expect::Accepted, Ok(value)) => (true, describe(value)),
            (Expect::Refused(code), Err(e)) => (
                e.code() == *code,
                format!("refused, {} {}: {}", e.http_status(), e.code(), e.message()),
            ),
            (Expect::Accepted, Err(e)) => (
                false,
                format!("refused, {}: {} (expected success)", e.code(), e.message()),
            ),
            (Expect::Refused(code), Ok(value)) => (
                false,
                format!("{} (expected refusal with {code})", describe(value)),
            ),
        };
        if !good {
            self.failures += 1;
        }
        let mark = if good { "ok  " } else { "FAIL" };
        out!("{:>2}. [{mark}] {what} -> {outcome}", self.step);
        result.ok()
    }
}

fn jti_and_exp(token: &str, now: i64) -> String {
    match decode_unverified(token) {
        Ok(t) => {
            let exp = t.claims.get("exp").and_then(|v| v.as_i64()).unwrap_or(0);
            format!(
                "jti {}, exp {} ({})",
                t.claims.get("jti").and_then(|v| v.as_str()).unwrap_or("?"),
                time::utc(exp),
                time::expiry(exp, now)
            )
        }
        Err(e) => format!("undecodable: {}", e.code()),
    }
}

fn principal(p: &Principal<'_>) -> String {
    match p {
        Principal::Jwt(c) => format!("200, authenticated as user_id {:?}", c.user_id()),
        Principal::LegacyKey(_) => {
            "accepted as a well-formed legacy key: the host must now look it up to find the user \
             (200 if found, 401 if not)"
                .to_owned()
        }
    }
}

/// Runs every step at `now`; true when each behaved as the contract says.
pub fn run(now: i64) -> bool {
    out!("ls-auth demo at {} (epoch {now})", time::utc(now));
    out!("key: the embedded DEMO-ONLY key (public; never use it for real tokens)");
    let keyring = match Keyring::hs256(DEMO_KEY) {
        Ok(k) => k,
        Err(e) => {
            out!(
                "FAIL: the demo key was refused: {}: {}",
                e.code(),
                e.message()
            );
            return false;
        }
    };
    let issuer = Issuer::new(keyring, TokenPolicy::default());
    let verifier = issuer.verifier();
    let settings = OrgSettings::default();
    let legacy_on = OrgSettings {
        legacy_api_tokens_enabled: true,
        ..OrgSettings::default()
    };
    // The demo's revocation store lives in this process only, like every CLI command's.
    let revoked = InMemoryRevocation::new();
    let mut run = Run {
        step: 0,
        failures: 0,
    };
    let auth = |header: &str, s: &OrgSettings, at: i64| {
        authenticate(header.as_bytes(), verifier, s, at).map(|p| principal(&p))
    };

    let Some(pat) = run.check(
        "mint a PAT for user 1 under the default policy (TTL 73000 days)",
        Expect::Accepted,
        issuer.mint_pat("1", &Default::default(), &settings, now),
        |pat| format!("PAT {}", jti_and_exp(pat, now)),
    ) else {
        return false;
    };
    run.check(
        "verify the PAT as a refresh token",
        Expect::Accepted,
        verifier.verify_refresh(&pat, &settings, &revoked, now),
        |c| format!("valid PAT for user_id {:?}", c.user_id()),
    );
    let Some(access) = run.check(
        "refresh the PAT (POST /api/token/refresh/)",
        Expect::Accepted,
        issuer.refresh(&pat, &settings, &revoked, now),
        |a| format!("access token {}", jti_and_exp(a, now)),
    ) else {
        return false;
    };
    run.check(
        "authenticate `Authorization: Bearer <access>`",
        Expect::Accepted,
        auth(&bearer_value(&access), &settings, now),
        String::clone,
    );
    run.check(
        "authenticate `Authorization: Bearer <PAT>` (a PAT is not a credential)",
        Expect::Refused("wrong_token_type"),
        auth(&bearer_value(&pat), &settings, now),
        String::clone,
    );
    let rng = SystemRandom::new();
    let Some(legacy) = run.check(
        "generate a legacy key",
        Expect::Accepted,
        generate_legacy_key(&rng),
        |k| format!("{} characters of hex", k.len()),
    ) else {
        return false;
    };
    run.check(
        "authenticate `Token <legacy key>` while legacy tokens are disabled (the default)",
        Expect::Refused("token_kind_disabled"),
        auth(&token_value(&legacy), &settings, now),
        String::clone,
    );
    run.check(
        "authenticate `Token <legacy key>` once legacy tokens are enabled",
        Expect::Accepted,
        auth(&token_value(&legacy), &legacy_on, now),
        String::clone,
    );
    let Some(rotation) = run.check(
        "rotate the PAT",
        Expect::Accepted,
        issuer.rotate(&pat, &settings, &revoked, now),
        |r| {
            format!(
                "new PAT {}; revoked jti {}",
                jti_and_exp(&r.pat, now),
                r.revoked_jti
            )
        },
    ) else {
        return false;
    };
    run.check(
        "refresh the old PAT after rotation",
        Expect::Refused("token_revoked"),
        issuer.refresh(&pat, &settings, &revoked, now),
        String::clone,
    );
    run.check(
        "refresh the new PAT",
        Expect::Accepted,
        issuer.refresh(&rotation.pat, &settings, &revoked, now),
        |a| format!("access token {}", jti_and_exp(a, now)),
    );
    let access_exp = verifier
        .verify_access(&access, now)
        .map_or(now, |claims| claims.exp());
    run.check(
        &format!(
            "authenticate the first access token at its exp ({})",
            time::utc(access_exp)
        ),
        Expect::Refused("token_expired"),
        auth(&bearer_value(&access), &settings, access_exp),
        String::clone,
    );
    let mut tampered = access.clone().into_bytes();
    if let Some(b) = tampered.iter_mut().rev().nth(5) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    run.check(
        "authenticate an access token with one signature character changed",
        Expect::Refused("invalid_signature"),
        auth(
            &bearer_value(&String::from_utf8_lossy(&tampered)),
            &settings,
            now,
        ),
        String::clone,
    );
    run.check(
        "authenticate `Authorization: Bearer a b` (two tokens)",
        Expect::Refused("malformed_header"),
        auth("Bearer a b", &settings, now),
        String::clone,
    );

    if run.failures == 0 {
        out!("all {} steps behaved as expected", run.step);
        true
    } else {
        out!(
            "{} of {} steps did not behave as expected",
            run.failures,
            run.step
        );
        false
    }
}
