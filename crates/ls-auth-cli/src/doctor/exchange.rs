//! The `exchange` step: the key turned into the header a client sends (a PAT refreshed into an
//! access token), and why the server refused the refresh.

use ls_auth_core::client::ApiKeyKind;
use ls_auth_core::origin::REFRESH_PATH;
use ls_auth_core::{ErrorKind, InMemoryRevocation, OrgSettings, TokenPolicy, Verifier};

use super::{Diagnosis, Doctor, Stop};
use crate::client::{self, Authorized, NotAuthorized, Reply};
use crate::progress::Outcome;
use crate::time;

impl Doctor<'_> {
    pub(super) fn check_exchange(&mut self, kind: ApiKeyKind) -> Result<Authorized, Stop> {
        let name = "exchange";
        if kind == ApiKeyKind::Pat {
            self.steps.start("exchanging the personal access token");
        }
        let url = self.server.url(REFRESH_PATH);
        match client::authorize(self.server, self.key, self.now) {
            Ok(authorized) => {
                if let Some(exp) = authorized.cache.access_exp() {
                    let at = self.server_now.unwrap_or(self.now);
                    self.steps.finish(
                        Outcome::Ok,
                        name,
                        &format!(
                            "POST {url} gave an access token ({} by the server's clock)",
                            time::expiry(exp, at)
                        ),
                    );
                }
                Ok(authorized)
            }
            Err(NotAuthorized::NoReply(e)) => Err(self.no_reply(name, e)),
            Err(NotAuthorized::Key(e)) => Err(self.fail(
                Diagnosis::Unexplained,
                name,
                &format!("POST {url}: {}: {}", e.code(), e.message()),
            )),
            Err(NotAuthorized::Refused(reply)) => Err(self.refused_exchange(&url, &reply)),
        }
    }

    fn refused_exchange(&mut self, url: &str, reply: &Reply) -> Stop {
        let name = "exchange";
        let said = format!("POST {url} answered {}", reply.summary());
        let (d, why) = match client::refusal_kind(reply) {
            Some(ErrorKind::TokenRevoked) => (Diagnosis::PatRevoked, "the token is revoked"),
            Some(ErrorKind::TokenExpired) => (
                Diagnosis::PatExpired,
                "the server considers the token expired",
            ),
            Some(ErrorKind::InvalidSignature) if self.verifies_with_given_secret() => (
                Diagnosis::SecretMismatch,
                "the token verifies with the secret given, so that secret is not the server's key",
            ),
            Some(ErrorKind::InvalidSignature) => (
                Diagnosis::PatRejected,
                "the server's key did not sign this token",
            ),
            Some(ErrorKind::TokenKindDisabled) => (
                Diagnosis::PatsDisabled,
                "personal access tokens are disabled",
            ),
            Some(k) => (Diagnosis::PatRejected, k.description()),
            None if reply.status == 401 => (Diagnosis::PatRejected, "the server refuses the token"),
            None if reply.status == 404 => {
                (Diagnosis::NotLabelStudio, "no refresh endpoint at this URL")
            }
            // The summary names where it points; the PAT was not sent there.
            None if reply.redirect().is_some() => (
                Diagnosis::NotLabelStudio,
                "not followed, a credential goes only to the URL given: if that is this Label \
                 Studio, use it as the URL",
            ),
            None => (Diagnosis::Unexplained, "an unexpected answer to a refresh"),
        };
        self.fail(d, name, &format!("{said}: {why}"))
    }

    /// Whether the PAT's signature verifies with the secret the user gave.
    fn verifies_with_given_secret(&self) -> bool {
        let Some(keyring) = self.keyring.clone() else {
            return false;
        };
        let at = self.server_now.unwrap_or(self.now);
        let verifier = Verifier::new(keyring, TokenPolicy::default());
        // Every refusal after the signature check means the signature verified (contract §3.4).
        !matches!(
            verifier.verify_refresh(self.key, &OrgSettings::default(), &InMemoryRevocation::new(), at),
            Err(e) if matches!(
                e.kind(),
                ErrorKind::InvalidSignature
                    | ErrorKind::MalformedToken
                    | ErrorKind::TokenTooLarge
                    | ErrorKind::UnsupportedAlgorithm
            )
        )
    }
}
