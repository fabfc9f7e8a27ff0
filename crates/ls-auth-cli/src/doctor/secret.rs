//! The `secret` step (with `--secret-file`, `--env-file` or `LS_AUTH_SECRET`): whether the
//! secret given is the key this server signs with.

use ls_auth_core::client::ApiKeyKind;
use ls_auth_core::{ErrorKind, InMemoryRevocation, OrgSettings, TokenPolicy, Verifier};

use super::{Diagnosis, Doctor, Stop};
use crate::client::Authorized;
use crate::progress::Outcome;

impl Doctor<'_> {
    pub(super) fn check_secret(
        &mut self,
        kind: ApiKeyKind,
        authorized: &Authorized,
        keyring: ls_auth_core::Keyring,
        settings: Option<OrgSettings>,
    ) -> Result<(), Stop> {
        let name = "secret";
        if kind != ApiKeyKind::Pat {
            self.steps.finish(
                Outcome::Info,
                name,
                "not checked: a legacy key carries no signature",
            );
            return Ok(());
        }
        let verifier = Verifier::new(keyring, TokenPolicy::default());
        // Judged at the server's time: the question here is the key, not this machine's clock.
        let at = self.server_now.unwrap_or(self.now);
        let access = authorized
            .header
            .strip_prefix("Bearer ")
            .unwrap_or_default();
        match verifier.verify_access(access, at) {
            // An EdDSA access token (a server running ls_auth.contrib.label_studio signs them
            // with Ed25519 keys it publishes): the secret signs only PATs, so the PAT judges it.
            Err(e) if e.kind() == ErrorKind::UnsupportedAlgorithm && is_eddsa(access) => {
                return self.check_secret_by_pat(&verifier, settings, at);
            }
            Err(e) if e.kind() == ErrorKind::InvalidSignature => {
                return Err(self.fail(
                    Diagnosis::SecretMismatch,
                    name,
                    "the access token this server just issued does not verify with the secret given: invalid_signature",
                ));
            }
            Err(e) => {
                return Err(self.fail(
                    Diagnosis::Unexplained,
                    name,
                    &format!("the server's access token: {}: {}", e.code(), e.message()),
                ));
            }
            Ok(_) => {}
        }
        let settings = settings.unwrap_or_default();
        match verifier.verify_refresh(self.key, &settings, &InMemoryRevocation::new(), at) {
            Ok(_) => self.steps.finish(
                Outcome::Ok,
                name,
                "the server signs with the secret given; the PAT verifies with it",
            ),
            Err(e) => self.steps.finish(
                Outcome::Warn,
                name,
                &format!(
                    "the server signs with the secret given, but ls-auth refuses this PAT: {}: {}",
                    e.code(),
                    e.message()
                ),
            ),
        }
        Ok(())
    }

    fn check_secret_by_pat(
        &mut self,
        verifier: &Verifier,
        settings: Option<OrgSettings>,
        at: i64,
    ) -> Result<(), Stop> {
        let name = "secret";
        let settings = settings.unwrap_or_default();
        match verifier.verify_refresh(self.key, &settings, &InMemoryRevocation::new(), at) {
            Err(e) if e.kind() == ErrorKind::InvalidSignature => Err(self.fail(
                Diagnosis::SecretMismatch,
                name,
                "the server signs its access tokens with Ed25519 (its JWK Set) and this PAT does not verify with the secret given: invalid_signature",
            )),
            Ok(_) => {
                self.steps.finish(
                    Outcome::Ok,
                    name,
                    "the PAT verifies with the secret given; the server signs access tokens with Ed25519 (GET /api/token/jwks/)",
                );
                Ok(())
            }
            Err(e) => {
                self.steps.finish(
                    Outcome::Warn,
                    name,
                    &format!(
                        "the server signs access tokens with Ed25519, and ls-auth refuses this PAT: {}: {}",
                        e.code(),
                        e.message()
                    ),
                );
                Ok(())
            }
        }
    }
}

/// Whether a token's header names `alg: EdDSA` (read without trusting it: only to choose which
/// check applies; the core still verifies everything it is given).
fn is_eddsa(token: &str) -> bool {
    ls_auth_core::jws::decode_unverified(token)
        .is_ok_and(|t| t.header.get("alg").and_then(|a| a.as_str()) == Some("EdDSA"))
}
