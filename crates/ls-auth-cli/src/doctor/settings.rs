//! The `organisation` step: the organisation's token settings, when the key may read them
//! (information only: it never ends the run).

use ls_auth_core::OrgSettings;

use super::Doctor;
use crate::client::Authorized;
use crate::progress::Outcome;

impl Doctor<'_> {
    pub(super) fn read_settings(&mut self, authorized: &Authorized) -> Option<OrgSettings> {
        let name = "organisation";
        self.steps
            .start("reading the organisation's token settings");
        let reply =
            match self
                .server
                .send("GET", "/api/jwt/settings", Some(&authorized.header), None)
            {
                Ok(r) => r,
                Err(e) => {
                    self.steps
                        .finish(Outcome::Info, name, &format!("not read: {e}"));
                    return None;
                }
            };
        let settings = (reply.status == 200)
            .then(|| reply.json())
            .flatten()
            .and_then(|j| {
                Some(OrgSettings {
                    api_tokens_enabled: j.get("api_tokens_enabled")?.as_bool()?,
                    legacy_api_tokens_enabled: j.get("legacy_api_tokens_enabled")?.as_bool()?,
                    ..OrgSettings::default()
                })
            });
        match &settings {
            Some(s) => {
                let on = |b: bool| if b { "on" } else { "off" };
                self.steps.finish(
                    Outcome::Info,
                    name,
                    &format!(
                        "GET /api/jwt/settings: personal access tokens {}, legacy keys {}",
                        on(s.api_tokens_enabled),
                        on(s.legacy_api_tokens_enabled)
                    ),
                );
            }
            None => self.steps.finish(
                Outcome::Info,
                name,
                &format!("GET /api/jwt/settings answered {}: not readable with this key (an administrator's is)", reply.summary()),
            ),
        }
        settings
    }
}
