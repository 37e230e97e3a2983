//! Settings, read once at cold start from the environment. Every problem is
//! reported at once, so an operator fixes a deployment in one pass.

use std::collections::HashMap;
use std::fmt;

use twofold_shared::policy;

use crate::courier::SmsPolicy;
use crate::digest::CodeKey;

/// DynamoDB table name.
pub const TABLE: &str = "TWOFOLD_TABLE";
/// Code-digest key, 64 or more hex digits.
pub const CODE_KEY: &str = "TWOFOLD_CODE_KEY";
/// Name of the SSM SecureString parameter holding the code-digest key, read
/// at cold start when [`CODE_KEY`] itself is not set (as in AWS).
pub const CODE_KEY_PARAMETER: &str = "TWOFOLD_CODE_KEY_PARAMETER";
/// SES identity codes are emailed from.
pub const EMAIL_FROM: &str = "TWOFOLD_EMAIL_FROM";
/// Country whose national phone numbers administrators type, e.g. `US`.
pub const DEFAULT_REGION: &str = "TWOFOLD_DEFAULT_REGION";
/// The most one text message may cost, in US dollars (e.g. `0.50`).
pub const SMS_MAX_PRICE: &str = "TWOFOLD_SMS_MAX_PRICE_USD";
/// Countries texts may go to, as two-letter codes separated by commas; unset
/// or empty means any.
pub const SMS_COUNTRIES: &str = "TWOFOLD_SMS_COUNTRIES";
/// Seconds a code can be used.
pub const CODE_LIFETIME: &str = "TWOFOLD_CODE_LIFETIME_SECONDS";
/// Consecutive wrong codes that lock a user.
pub const ATTEMPT_LIMIT: &str = "TWOFOLD_ATTEMPT_LIMIT";
/// Seconds a pending sign-in lasts.
pub const PENDING_LIFETIME: &str = "TWOFOLD_PENDING_SIGN_IN_SECONDS";
/// Seconds a session lasts.
pub const SESSION_LIFETIME: &str = "TWOFOLD_SESSION_SECONDS";
/// Seconds between two codes sent to one user.
pub const RESEND_AFTER: &str = "TWOFOLD_RESEND_AFTER_SECONDS";
/// Codes one user may be sent per window.
pub const SENDS_PER_WINDOW: &str = "TWOFOLD_SENDS_PER_WINDOW";
/// Length of that window in seconds.
pub const SEND_WINDOW: &str = "TWOFOLD_SEND_WINDOW_SECONDS";

/// The limits and lifetimes of sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds a code can be used.
    pub code_lifetime: i64,
    /// Consecutive wrong codes that lock a user.
    pub attempt_limit: u32,
    /// Seconds a pending sign-in lasts.
    pub pending_lifetime: i64,
    /// Seconds a session lasts.
    pub session_lifetime: i64,
    /// Seconds between two codes sent to one user.
    pub resend_after: i64,
    /// Codes one user may be sent per window.
    pub sends_per_window: u32,
    /// Length of that window in seconds.
    pub send_window: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            code_lifetime: policy::CODE_LIFETIME_SECONDS,
            attempt_limit: policy::ATTEMPT_LIMIT,
            pending_lifetime: policy::PENDING_SIGN_IN_SECONDS,
            session_lifetime: policy::SESSION_LIFETIME_SECONDS,
            resend_after: policy::RESEND_AFTER_SECONDS,
            sends_per_window: policy::SENDS_PER_WINDOW,
            send_window: policy::SEND_WINDOW_SECONDS,
        }
    }
}

/// Everything a function needs to know about its deployment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// DynamoDB table name.
    pub table: String,
    /// Code-digest key.
    pub code_key: CodeKey,
    /// SES identity for email, when this function sends codes.
    pub email_from: Option<String>,
    /// Limits and lifetimes.
    pub policy: Policy,
    /// Where national phone numbers are read.
    pub region: phonenumber::country::Id,
    /// Limits on text messages.
    pub sms: SmsPolicy,
}

/// The settings could not be read; each line is one problem.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigProblems(pub Vec<String>);

impl fmt::Display for ConfigProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid settings: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigProblems {}

impl Settings {
    /// Reads settings from a map of variables.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigProblems> {
        let mut problems = Vec::new();
        let defaults = Policy::default();
        let mut number = |name: &str, default: i64, min: i64, max: i64| -> i64 {
            match vars.get(name) {
                None => default,
                Some(text) => match text.trim().parse::<i64>() {
                    Ok(value) if (min..=max).contains(&value) => value,
                    _ => {
                        problems.push(format!("{name} must be a whole number from {min} to {max}"));
                        default
                    }
                },
            }
        };
        let policy = Policy {
            code_lifetime: number(CODE_LIFETIME, defaults.code_lifetime, 60, 3600),
            attempt_limit: number(ATTEMPT_LIMIT, defaults.attempt_limit.into(), 1, 100) as u32,
            pending_lifetime: number(PENDING_LIFETIME, defaults.pending_lifetime, 60, 7200),
            session_lifetime: number(SESSION_LIFETIME, defaults.session_lifetime, 60, 604_800),
            resend_after: number(RESEND_AFTER, defaults.resend_after, 0, 3600),
            sends_per_window: number(SENDS_PER_WINDOW, defaults.sends_per_window.into(), 1, 1000)
                as u32,
            send_window: number(SEND_WINDOW, defaults.send_window, 60, 86_400),
        };
        if policy.pending_lifetime < policy.code_lifetime {
            problems.push(format!(
                "{PENDING_LIFETIME} must not be shorter than {CODE_LIFETIME}"
            ));
        }
        let table = match vars.get(TABLE).map(|t| t.trim()) {
            Some(table) if !table.is_empty() => table.to_owned(),
            _ => {
                problems.push(format!("{TABLE} is required"));
                String::new()
            }
        };
        let code_key = match vars.get(CODE_KEY) {
            None => {
                problems.push(format!("{CODE_KEY} or {CODE_KEY_PARAMETER} is required"));
                None
            }
            Some(text) => match CodeKey::from_hex(text) {
                Ok(key) => Some(key),
                Err(err) => {
                    problems.push(format!("{CODE_KEY}: {err}"));
                    None
                }
            },
        };
        let region_code = vars.get(DEFAULT_REGION).map_or("US", String::as_str);
        let region = crate::contact::region(region_code).unwrap_or_else(|| {
            problems.push(format!(
                "{DEFAULT_REGION} must be a two-letter country code"
            ));
            phonenumber::country::Id::US
        });
        let max_price_usd = match vars.get(SMS_MAX_PRICE).map(|p| p.trim()) {
            None | Some("") => None,
            Some(price) if price.parse::<f64>().is_ok_and(|p| p > 0.0) => Some(price.to_owned()),
            Some(_) => {
                problems.push(format!(
                    "{SMS_MAX_PRICE} must be a price in dollars, e.g. 0.50"
                ));
                None
            }
        };
        let mut countries = Vec::new();
        let listed = vars.get(SMS_COUNTRIES).map_or("", String::as_str);
        for code in listed.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            match crate::contact::region(code) {
                Some(id) => countries.push(id),
                None => problems.push(format!("{SMS_COUNTRIES}: {code:?} is not a country code")),
            }
        }
        let sms = SmsPolicy {
            max_price_usd,
            countries,
        };
        let email_from = vars
            .get(EMAIL_FROM)
            .filter(|f| !f.trim().is_empty())
            .cloned();
        match code_key {
            Some(code_key) if problems.is_empty() => Ok(Self {
                table,
                code_key,
                email_from,
                policy,
                region,
                sms,
            }),
            _ => Err(ConfigProblems(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_fill_what_is_not_set() {
        let key = "0f".repeat(32);
        let settings = Settings::from_vars(&vars(&[(TABLE, "t"), (CODE_KEY, &key)])).unwrap();
        assert_eq!(settings.table, "t");
        assert_eq!(settings.policy, Policy::default());
        assert_eq!(settings.policy.code_lifetime, 900);
        assert_eq!(settings.policy.attempt_limit, 7);
        assert!(settings.email_from.is_none());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = Settings::from_vars(&vars(&[
            (CODE_KEY, "xyz"),
            (CODE_LIFETIME, "forever"),
            (ATTEMPT_LIMIT, "0"),
        ]))
        .unwrap_err();
        let text = problems.to_string();
        assert_eq!(problems.0.len(), 4, "{text}");
        for name in [TABLE, CODE_KEY, CODE_LIFETIME, ATTEMPT_LIMIT] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
    }

    #[test]
    fn sms_limits_are_read_and_checked() {
        let key = "0f".repeat(32);
        let set = Settings::from_vars(&vars(&[
            (TABLE, "t"),
            (CODE_KEY, &key),
            (SMS_MAX_PRICE, "0.25"),
            (SMS_COUNTRIES, "us, CA"),
        ]))
        .unwrap();
        assert_eq!(set.sms.max_price_usd.as_deref(), Some("0.25"));
        assert_eq!(set.sms.countries.len(), 2);
        let bad = Settings::from_vars(&vars(&[
            (TABLE, "t"),
            (CODE_KEY, &key),
            (SMS_MAX_PRICE, "free"),
            (SMS_COUNTRIES, "US,Narnia"),
        ]))
        .unwrap_err();
        assert_eq!(bad.0.len(), 2, "{bad}");
    }

    #[test]
    fn without_a_key_both_ways_to_give_one_are_named() {
        let problems = Settings::from_vars(&vars(&[(TABLE, "t")])).unwrap_err();
        let text = problems.to_string();
        assert!(
            text.contains(CODE_KEY_PARAMETER) && text.contains(CODE_KEY),
            "{text}"
        );
    }
}
