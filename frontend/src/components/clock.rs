//! A clock for countdowns that ticks once a second while its page is shown.
//!
//! Countdowns are computed from deadlines against the wall clock rather than
//! by counting ticks, because browsers slow timers down in background tabs:
//! a code's time left must stay right when the person comes back to the tab.

use std::time::Duration;

use leptos::prelude::*;
use web_sys::js_sys::Date;

/// Milliseconds since the Unix epoch, now.
fn now_ms() -> f64 {
    Date::now()
}

/// A signal of [`now_ms`], refreshed every second until the calling
/// component is removed.
pub fn use_clock() -> ReadSignal<f64> {
    let (now, set_now) = signal(now_ms());
    let handle = set_interval_with_handle(move || set_now.set(now_ms()), Duration::from_secs(1));
    if let Ok(handle) = handle {
        on_cleanup(move || handle.clear());
    }
    now
}

/// Whole seconds from `now_ms` until `deadline_ms`, rounded up, never below 0.
pub fn seconds_until(deadline_ms: f64, now_ms: f64) -> i64 {
    let left = ((deadline_ms - now_ms) / 1000.0).ceil();
    if left > 0.0 { left as i64 } else { 0 }
}

/// `m:ss`, for time left on a code.
pub fn minutes_and_seconds(seconds: i64) -> String {
    let seconds = seconds.max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_rounded_up_and_never_negative() {
        let cases = [
            (10_000.0, 0.0, 10),
            (10_000.0, 9_001.0, 1),
            (10_000.0, 10_000.0, 0),
            (10_000.0, 12_000.0, 0),
        ];
        for (deadline, now, want) in cases {
            assert_eq!(seconds_until(deadline, now), want, "{deadline} {now}");
        }
    }

    #[test]
    fn minutes_are_shown_with_two_digit_seconds() {
        assert_eq!(minutes_and_seconds(900), "15:00");
        assert_eq!(minutes_and_seconds(61), "1:01");
        assert_eq!(minutes_and_seconds(-5), "0:00");
    }
}
