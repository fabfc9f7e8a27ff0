//! The clock and time display. The CLI reads the system clock only when `--now` is absent;
//! the core never reads it.

use std::time::SystemTime;

use chrono::DateTime;

/// `--now` when given, else the system clock, in seconds since the epoch.
pub fn now(overridden: Option<i64>) -> i64 {
    overridden.unwrap_or_else(|| ls_auth_core::unix_time(SystemTime::now()))
}

/// `2023-11-14 22:13:20 UTC`, or a note when the time is outside what chrono represents.
pub fn utc(epoch: i64) -> String {
    match DateTime::from_timestamp(epoch, 0) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("{epoch} (out of the calendar's range)"),
    }
}

/// A duration as its two most significant units: `4m 10s`, `3d 2h`, `199y 264d`, `0s`.
pub fn span(seconds: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (365 * 86_400, "y"),
        (86_400, "d"),
        (3_600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, name) in UNITS {
        let n = rest / size;
        if n > 0 || !parts.is_empty() {
            parts.push(format!("{n}{name}"));
            rest -= n * size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    match parts.as_slice() {
        [] => "0s".to_owned(),
        [one, zero] if zero.starts_with('0') => one.clone(),
        _ => parts.join(" "),
    }
}

/// `expires in 4m 10s` or `expired 3d 2h ago`. A token is expired when `exp <= now`
/// (the core's rule with no leeway), so `exp == now` reads `expired 0s ago`.
pub fn expiry(exp: i64, now: i64) -> String {
    if exp > now {
        format!("expires in {}", span(exp.abs_diff(now)))
    } else {
        format!("expired {} ago", span(exp.abs_diff(now)))
    }
}

/// `issued 3d 2h ago`, or `issued 5m in the future` for a token from a fast clock.
pub fn issued(iat: i64, now: i64) -> String {
    if iat <= now {
        format!("issued {} ago", span(iat.abs_diff(now)))
    } else {
        format!("issued {} in the future", span(iat.abs_diff(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(250), "4m 10s");
        assert_eq!(span(3 * 86_400 + 2 * 3_600 + 59), "3d 2h");
        assert_eq!(span(3 * 86_400), "3d");
        assert_eq!(span(60), "1m");
        assert_eq!(expiry(1_250, 1_000), "expires in 4m 10s");
        assert_eq!(expiry(1_000, 1_000), "expired 0s ago");
        assert_eq!(issued(1_000, 1_300), "issued 5m ago");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
