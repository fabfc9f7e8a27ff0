//! The commands that use the key: verify, mint-pat, refresh, rotate, header; and legacy keys.

use std::process::ExitCode;

use ls_auth_core::header::www_authenticate;
use ls_auth_core::legacy::{check_legacy_key, generate_legacy_key, legacy_key_digest};
use ls_auth_core::{
    authenticate, ErrorKind, InMemoryRevocation, Issuer, OrgSettings, Principal, SystemRandom,
    TokenPolicy, Verifier,
};
use serde_json::Value;

use crate::secret::KeySource;
use crate::{time, CliError};

/// `--org-settings JSON`, with Label Studio's `OrgSettings` field names.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsArg {
    /// Organisation settings as JSON, e.g. '{"legacy_api_tokens_enabled":true}'; absent
    /// fields keep Label Studio's defaults.
    #[arg(long, value_name = "JSON")]
    org_settings: Option<String>,
}

impl SettingsArg {
    fn settings(&self) -> Result<OrgSettings, CliError> {
        match &self.org_settings {
            None => Ok(OrgSettings::default()),
            Some(json) => serde_json::from_str(json)
                .map_err(|e| CliError::Usage(format!("--org-settings: {e}"))),
        }
    }
}

fn issuer(key: &KeySource, policy: TokenPolicy) -> Result<Issuer, CliError> {
    Ok(Issuer::new(key.keyring()?, policy))
}

pub fn verify(
    key: &KeySource,
    token: &str,
    refresh: bool,
    leeway: u32,
    settings: &SettingsArg,
    now: i64,
) -> Result<ExitCode, CliError> {
    let settings = settings.settings()?;
    let policy = TokenPolicy {
        leeway,
        ..TokenPolicy::default()
    };
    let verifier = Verifier::new(key.keyring()?, policy);
    let claims = if refresh {
        verifier.verify_refresh(token, &settings, &InMemoryRevocation::new(), now)?
    } else {
        verifier.verify_access(token, now)?
    };
    crate::emit_json(&Value::Object(claims.to_json()));
    Ok(ExitCode::SUCCESS)
}

pub fn mint_pat(
    key: &KeySource,
    user_id: &str,
    ttl_days: Option<u32>,
    claims: &[String],
    settings: &SettingsArg,
    now: i64,
) -> Result<ExitCode, CliError> {
    let mut settings = settings.settings()?;
    if let Some(days) = ttl_days {
        settings.pat_ttl_days = days;
    }
    // The claims as one JSON object, read by the core's rule for extra claims: a name given
    // twice is refused there, not silently the last one.
    let mut json = String::from("{");
    for (i, claim) in claims.iter().enumerate() {
        let (name, value) = claim
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--claim {claim:?}: expected NAME=VALUE")))?;
        if i > 0 {
            json.push(',');
        }
        json.push_str(&Value::from(name).to_string());
        json.push(':');
        if serde_json::from_str::<Value>(value).is_ok() {
            json.push_str(value); // a JSON value, as written
        } else {
            json.push_str(&Value::from(value).to_string()); // anything else is a string
        }
    }
    json.push('}');
    let extra = Issuer::extra_claims_from_json(&json)?;
    let pat = issuer(key, TokenPolicy::default())?.mint_pat(user_id, &extra, &settings, now)?;
    out!("{pat}");
    Ok(ExitCode::SUCCESS)
}

pub fn refresh(
    key: &KeySource,
    pat: &str,
    settings: &SettingsArg,
    now: i64,
) -> Result<ExitCode, CliError> {
    let settings = settings.settings()?;
    let access = issuer(key, TokenPolicy::default())?.refresh(
        pat,
        &settings,
        &InMemoryRevocation::new(),
        now,
    )?;
    out!("{access}");
    Ok(ExitCode::SUCCESS)
}

pub fn rotate(
    key: &KeySource,
    pat: &str,
    settings: &SettingsArg,
    now: i64,
) -> Result<ExitCode, CliError> {
    let settings = settings.settings()?;
    let rotation = issuer(key, TokenPolicy::default())?.rotate(
        pat,
        &settings,
        &InMemoryRevocation::new(),
        now,
    )?;
    out!("{}", rotation.pat);
    out!("revoked_jti: {}", rotation.revoked_jti);
    err!(
        "note: ls-auth keeps no persistent revocation store; record jti {} as revoked in your \
         server's blacklist (until {})",
        rotation.revoked_jti,
        time::utc(rotation.revoked_exp)
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints what a server would answer to a request carrying this `Authorization` value.
pub fn header(
    key: &KeySource,
    value: &str,
    settings: &SettingsArg,
    now: i64,
) -> Result<ExitCode, CliError> {
    let settings = settings.settings()?;
    let verifier = Verifier::new(key.keyring()?, TokenPolicy::default());
    match authenticate(value.as_bytes(), &verifier, &settings, now) {
        Ok(Principal::Jwt(claims)) => {
            out!("status: 200");
            out!(
                "authenticated: user_id {:?} (access token jti {}, {})",
                claims.user_id(),
                claims.jti(),
                time::expiry(claims.exp(), now)
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(Principal::LegacyKey(legacy)) => {
            out!("status: 200 if the host's lookup finds this key, else 401");
            out!(
                "legacy key: well-formed and legacy tokens are enabled; the host must look it \
                 up to find the user (sha256 {})",
                legacy_key_digest(&legacy)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            out!("status: {}", e.http_status());
            if let Some(challenge) = www_authenticate(e.kind()) {
                out!("www-authenticate: {challenge}");
            }
            out!("error: {}: {}", e.code(), e.message());
            if e.kind() == ErrorKind::UnsupportedScheme {
                out!("note: not a Bearer or Token credential; the host may try its other authentication");
            }
            Ok(ExitCode::from(1))
        }
    }
}

pub fn legacy_new() -> Result<ExitCode, CliError> {
    let key = generate_legacy_key(&SystemRandom::new())?;
    out!("{key}");
    Ok(ExitCode::SUCCESS)
}

pub fn legacy_check(key: &str) -> Result<ExitCode, CliError> {
    check_legacy_key(key)?;
    out!(
        "ok: well-formed legacy key (sha256 {})",
        legacy_key_digest(key)
    );
    Ok(ExitCode::SUCCESS)
}
