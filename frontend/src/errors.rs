//! Every way an action on the page can fail, and the one place that turns a
//! failure into a sentence for the person at the keyboard.
//!
//! The server's message is shown when it sent one: it is written for people
//! and [`ErrorCode::message`] is its fallback, so both sides speak with one
//! voice. Sentences of our own are only for what the server could not say:
//! it was not reached, its answer was unreadable, or the form is incomplete.

use std::fmt;

use serde::Deserialize;
use twofold_shared::ErrorCode;
use twofold_shared::admin::FieldProblem;
use twofold_shared::code::CodeFormat;
use twofold_shared::policy::{CODE_LENGTH, MIN_PASSWORD_LENGTH};

/// Why something the person asked for did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The server answered with an error body.
    Refused(Refusal),
    /// The request never got an answer: offline, or the server is down.
    Unreachable,
    /// The server answered, but not with anything this page can read.
    Unreadable {
        /// The HTTP status of the answer.
        status: u16,
    },
    /// The username or the password field is empty.
    MissingCredentials,
    /// What was typed cannot be a confirmation code.
    CodeFormat(CodeFormat),
    /// The new password is shorter than the policy allows.
    PasswordTooShort,
    /// The new password and its confirmation differ.
    PasswordsDiffer,
}

/// An error answer from the server, read leniently: a code this page does not
/// know yet still carries a message worth showing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The stable code, when it is one this build knows.
    pub code: Option<ErrorCode>,
    /// The server's text for a person.
    pub message: String,
    /// Wrong codes left before the account locks.
    pub attempts_remaining: Option<u32>,
    /// Seconds to wait before trying again.
    pub retry_after_seconds: Option<i64>,
    /// What is wrong with single fields of a form, for a person.
    pub fields: Vec<FieldProblem>,
}

/// `{"error": {...}}` with every field optional but the message, so that a
/// newer server's codes do not make its answers unreadable.
#[derive(Deserialize)]
struct LenientBody {
    error: LenientDetail,
}

#[derive(Deserialize)]
struct LenientDetail {
    #[serde(default)]
    code: serde_json::Value,
    #[serde(default)]
    message: String,
    #[serde(default)]
    attempts_remaining: Option<u32>,
    #[serde(default)]
    retry_after_seconds: Option<i64>,
    #[serde(default)]
    fields: Vec<LenientField>,
}

#[derive(Deserialize)]
struct LenientField {
    #[serde(default)]
    field: String,
    #[serde(default)]
    message: String,
}

impl Problem {
    /// Reads a failed answer's body, or says it could not be read.
    pub fn from_answer(status: u16, body: &str) -> Self {
        let Ok(LenientBody { error }) = serde_json::from_str::<LenientBody>(body) else {
            return Problem::Unreadable { status };
        };
        let code = serde_json::from_value::<ErrorCode>(error.code).ok();
        if code.is_none() && error.message.trim().is_empty() {
            return Problem::Unreadable { status };
        }
        Problem::Refused(Refusal {
            status,
            code,
            message: error.message,
            attempts_remaining: error.attempts_remaining,
            retry_after_seconds: error.retry_after_seconds,
            fields: error
                .fields
                .into_iter()
                .map(|field| FieldProblem {
                    field: field.field,
                    message: field.message.trim().to_owned(),
                })
                .filter(|field| !field.message.is_empty())
                .collect(),
        })
    }

    /// The server's error code, if it sent one this build knows.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Problem::Refused(refusal) => refusal.code,
            _ => None,
        }
    }

    /// What the server said about form field `name`, if anything.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Problem::Refused(refusal) => refusal
                .fields
                .iter()
                .filter(|field| field.field == name)
                .map(|field| field.message.clone())
                .reduce(|all, more| format!("{all} {more}")),
            _ => None,
        }
    }

    /// The sentence for a form that shows field problems beside their
    /// fields: the problem in general, without repeating them.
    pub fn for_form(&self) -> String {
        match self {
            Problem::Refused(refusal) if !refusal.fields.is_empty() => refusal
                .code
                .map(ErrorCode::message)
                .unwrap_or("Some fields need correcting.")
                .to_owned(),
            _ => self.to_string(),
        }
    }

    /// Seconds the server asked us to wait, if it did.
    pub fn retry_after_seconds(&self) -> Option<i64> {
        match self {
            Problem::Refused(refusal) => refusal.retry_after_seconds,
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Refused(refusal) => refusal.fmt(f),
            Problem::Unreachable => f.write_str(
                "The sign-in service could not be reached. \
                 Check your connection and try again.",
            ),
            Problem::Unreadable { status } if *status >= 500 => f.write_str(
                "The sign-in service is not answering just now. \
                 Please try again in a moment.",
            ),
            Problem::Unreadable { .. } => f.write_str(
                "The sign-in service gave an answer this page does not understand. \
                 Please reload the page and try again.",
            ),
            Problem::MissingCredentials => f.write_str("Enter your username and password."),
            Problem::CodeFormat(CodeFormat::NotDigits) => {
                f.write_str("The confirmation code is made of digits only.")
            }
            Problem::CodeFormat(CodeFormat::WrongLength) => {
                write!(f, "The confirmation code has {CODE_LENGTH} digits.")
            }
            Problem::PasswordTooShort => write!(
                f,
                "Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
            ),
            Problem::PasswordsDiffer => f.write_str("The two passwords are not the same."),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.trim();
        let fallback = message.is_empty();
        match (fallback, self.code) {
            (false, _) => f.write_str(message)?,
            (true, Some(code)) => f.write_str(code.message())?,
            (true, None) => f.write_str("Something went wrong. Please try again.")?,
        }
        // The attempts left matter most after a wrong code: said once,
        // whether or not the server's message already says it.
        match self.attempts_remaining {
            Some(n) if !fallback && message.contains(&n.to_string()) => {}
            Some(0) => f.write_str(" No attempts left.")?,
            Some(1) => f.write_str(" 1 attempt left.")?,
            Some(n) => write!(f, " {n} attempts left.")?,
            None => {}
        }
        // The server words its own wait; a fallback gets ours.
        if let Some(seconds) = self.retry_after_seconds.filter(|s| fallback && *s > 0) {
            write!(f, " You can try again in {}.", duration_in_words(seconds))?;
        }
        // A form's field problems say what exactly to correct.
        // A single field's problem may already be the message itself.
        for field in self.fields.iter().filter(|field| field.message != message) {
            write!(f, " {}", field.message)?;
        }
        Ok(())
    }
}

/// `1 second`, `45 seconds`, `2 minutes`: rounded up, never shown as zero.
pub fn duration_in_words(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_message_is_shown_as_it_is() {
        let body = r#"{"error":{"code":"invalid_code",
            "message":"That code is not valid. 6 attempts are left before your account is locked.",
            "attempts_remaining":6}}"#;
        let problem = Problem::from_answer(401, body);
        assert_eq!(problem.code(), Some(ErrorCode::InvalidCode));
        assert_eq!(
            problem.to_string(),
            "That code is not valid. 6 attempts are left before your account is locked."
        );
    }

    #[test]
    fn attempts_left_are_added_when_the_message_does_not_say_them() {
        let body = r#"{"error":{"code":"invalid_code","message":"That code is not valid.",
            "attempts_remaining":1}}"#;
        assert_eq!(
            Problem::from_answer(401, body).to_string(),
            "That code is not valid. 1 attempt left."
        );
    }

    #[test]
    fn without_a_message_the_attempts_left_are_added_to_the_codes_own() {
        let body = r#"{"error":{"code":"invalid_code","message":"","attempts_remaining":5}}"#;
        assert_eq!(
            Problem::from_answer(401, body).to_string(),
            "That code is not valid. Check it, or ask for a new one. 5 attempts left."
        );
    }

    #[test]
    fn an_unknown_code_still_shows_the_servers_message() {
        let body = r#"{"error":{"code":"brand_new","message":"Try later."}}"#;
        let problem = Problem::from_answer(400, body);
        assert_eq!(problem.code(), None);
        assert_eq!(problem.to_string(), "Try later.");
    }

    #[test]
    fn an_empty_message_falls_back_to_the_codes_own() {
        let body = r#"{"error":{"code":"account_locked","message":""}}"#;
        let text = Problem::from_answer(423, body).to_string();
        assert!(text.contains("System Administrator"), "{text}");
    }

    #[test]
    fn a_body_that_is_not_an_error_is_unreadable() {
        for body in ["", "Bad Gateway", "{}", r#"{"error":{}}"#] {
            assert_eq!(
                Problem::from_answer(502, body),
                Problem::Unreadable { status: 502 },
                "{body:?}"
            );
        }
    }

    #[test]
    fn without_a_message_throttling_says_when_to_try_again() {
        let body = r#"{"error":{"code":"too_many_codes","message":" ",
            "retry_after_seconds":25}}"#;
        let text = Problem::from_answer(429, body).to_string();
        assert!(
            text.ends_with(" You can try again in 25 seconds."),
            "{text}"
        );
    }

    #[test]
    fn field_problems_follow_the_message() {
        let body = r#"{"error":{"code":"invalid_fields","message":"Some fields need correcting.",
            "fields":[{"field":"new_password","message":"Too short."}]}}"#;
        assert_eq!(
            Problem::from_answer(422, body).to_string(),
            "Some fields need correcting. Too short."
        );
    }

    #[test]
    fn a_form_finds_each_fields_problem_and_a_general_sentence() {
        let body = r#"{"error":{"code":"already_taken","message":"That email is taken.",
            "fields":[{"field":"email","message":"That email is taken."}]}}"#;
        let problem = Problem::from_answer(409, body);
        assert_eq!(
            problem.field("email").as_deref(),
            Some("That email is taken.")
        );
        assert_eq!(problem.field("phone"), None);
        assert_eq!(problem.to_string(), "That email is taken.");
        assert_eq!(problem.for_form(), ErrorCode::AlreadyTaken.message());
    }

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (0, "1 second"),
            (1, "1 second"),
            (30, "30 seconds"),
            (600, "10 minutes"),
        ];
        for (seconds, want) in cases {
            assert_eq!(duration_in_words(seconds), want, "{seconds}");
        }
    }
}
