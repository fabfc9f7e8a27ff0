//! The `clock` step: whether this machine's clock, against the server's `Date`, makes clients
//! refresh too early or too late (the core's cache decides when a token is due).

use ls_auth_core::client::ApiKeyKind;

use super::{Diagnosis, Doctor, Stop};
use crate::client::Authorized;
use crate::progress::Outcome;
use crate::time;

impl Doctor<'_> {
    pub(super) fn check_clock(
        &mut self,
        kind: ApiKeyKind,
        authorized: &Authorized,
    ) -> Result<(), Stop> {
        let name = "clock";
        let (Some(server_now), ApiKeyKind::Pat) = (self.server_now, kind) else {
            return Ok(());
        };
        let skew = self.now - server_now;
        let cache = &authorized.cache;
        let Some(exp) = cache.access_exp() else {
            return Ok(());
        };
        let span = time::span(skew.unsigned_abs());
        // The core's cache decides when a token is due; ask it what it decides on this clock.
        if cache.needs_refresh(self.now) {
            return Err(self.fail(
                Diagnosis::ClockSkew,
                name,
                &format!("this machine's clock is {span} ahead of the server's: an access token looks due for refresh the moment it is issued, so clients refresh on every request or give up"),
            ));
        }
        // At the instant the server expires the token, this machine's clock reads exp + skew.
        if !cache.needs_refresh(exp.saturating_add(skew)) {
            return Err(self.fail(
                Diagnosis::ClockSkew,
                name,
                &format!("this machine's clock is {span} behind the server's: clients keep sending each access token after the server has expired it (intermittent 401s)"),
            ));
        }
        self.steps.finish(
            Outcome::Ok,
            name,
            "the skew is within what the refresh margin absorbs",
        );
        Ok(())
    }
}
