//! The `server` step: is there a Label Studio at this URL, and what its clock says.

use serde_json::Value;

use super::{Diagnosis, Doctor, Stop};
use crate::progress::Outcome;
use crate::time;

impl Doctor<'_> {
    pub(super) fn check_server(&mut self) -> Result<(), Stop> {
        let name = "server";
        self.steps.start("asking the server for its version");
        let reply = match self.server.send("GET", "/api/version/", None, None) {
            Ok(reply) => reply,
            Err(e) => return Err(self.no_reply(name, e)),
        };
        let release = reply
            .json()
            .and_then(|j| j.get("release").and_then(Value::as_str).map(str::to_owned));
        let Some(release) = release.filter(|_| reply.status == 200) else {
            let what = format!(
                "{} answered HTTP {} ({}), not Label Studio's version",
                self.server.url("/api/version/"),
                reply.status,
                match reply.redirect() {
                    Some(redirect) => format!(
                        "a {redirect}, not followed: if that is this Label Studio, use it as the URL"
                    ),
                    None if reply.content_type.is_empty() => "no content type".to_owned(),
                    None => reply.content_type.clone(),
                }
            );
            return Err(self.fail(Diagnosis::NotLabelStudio, name, &what));
        };
        self.server_now = reply.date;
        let at = format!("Label Studio {release} at {}", self.server.base());
        self.steps.finish(Outcome::Ok, name, &at);
        match reply.date {
            Some(server_now) => {
                let skew = self.now - server_now;
                let detail = match skew {
                    0 => "this machine's clock agrees with the server's Date".to_owned(),
                    s if s > 0 => format!(
                        "this machine's clock is {} ahead of the server's Date",
                        time::span(s.unsigned_abs())
                    ),
                    s => format!(
                        "this machine's clock is {} behind the server's Date",
                        time::span(s.unsigned_abs())
                    ),
                };
                self.steps.finish(Outcome::Info, "clock", &detail);
            }
            None => self.steps.finish(
                Outcome::Info,
                "clock",
                "the server sent no Date header: skew not checked",
            ),
        }
        Ok(())
    }
}
