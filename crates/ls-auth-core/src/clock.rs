//! A clock reading taken by the host, as the core's time: whole seconds since the epoch.
//!
//! The core never reads the clock (contract §3.8); hosts that do (the bindings' `now` defaults,
//! the CLI) convert the reading here, so they all round the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, rounded down (so a time before the epoch is never rounded towards
/// it), saturating at the ends of `i64`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use ls_auth_core::unix_time;
/// assert_eq!(unix_time(UNIX_EPOCH + Duration::from_millis(1_500)), 1);
/// assert_eq!(unix_time(UNIX_EPOCH - Duration::from_millis(1_500)), -2);
/// ```
pub fn unix_time(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            let partial = i64::from(d.subsec_nanos() > 0);
            0i64.saturating_sub(whole).saturating_sub(partial)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rounds_down_on_both_sides_of_the_epoch() {
        assert_eq!(unix_time(UNIX_EPOCH), 0);
        assert_eq!(unix_time(UNIX_EPOCH + Duration::from_nanos(999_999_999)), 0);
        assert_eq!(unix_time(UNIX_EPOCH - Duration::from_nanos(1)), -1);
        assert_eq!(unix_time(UNIX_EPOCH - Duration::from_secs(3)), -3);
        assert_eq!(
            unix_time(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            1_700_000_000
        );
    }
}
