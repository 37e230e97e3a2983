//! Every way a request can fail, as the stable code the API returns, the HTTP
//! status that goes with it, and a message written for the person signing in.
//!
//! The SPA shows [`ErrorCode::message`] unless the server sent a more precise
//! one; both sides therefore speak with one voice.

use serde::{Deserialize, Serialize};

/// A stable, snake_case error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not the JSON the endpoint expects.
    InvalidRequest,
    /// The body is larger than any endpoint accepts.
    PayloadTooLarge,
    /// A request with a body was not sent as `application/json`.
    UnsupportedMediaType,
    /// Unknown username or wrong password: one answer for both.
    InvalidCredentials,
    /// No pending sign-in, or it has expired.
    SignInExpired,
    /// The chosen method has no destination for this user.
    MethodUnavailable,
    /// A code was asked for too soon after the last one, or too often.
    TooManyCodes,
    /// Wrong, expired, used or unknown code: one answer for all.
    InvalidCode,
    /// The account is locked after too many wrong codes.
    AccountLocked,
    /// No session, or it has ended.
    NotSignedIn,
    /// The email or text service did not take the message.
    DeliveryFailed,
    /// No such endpoint or method.
    NotFound,
    /// Something broke on our side.
    Internal,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// One or more fields are not acceptable; see `fields`.
    InvalidFields,
    /// An email address, phone or username another user already has.
    AlreadyTaken,
    /// Turning on 2FA needs the administrator's confirmation code.
    CodeRequired,
    /// Turning on 2FA while users are not ready needs the administrator's
    /// acknowledgement.
    AcknowledgementRequired,
    /// Someone else changed this at the same moment; reload and retry.
    Conflict,
    /// The user must change their password before going on.
    PasswordChangeRequired,
    /// Too many wrong passwords for one username; wait and retry.
    TooManyAttempts,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::InvalidCredentials | ErrorCode::SignInExpired | ErrorCode::NotSignedIn => {
                401
            }
            ErrorCode::InvalidCode => 401,
            ErrorCode::MethodUnavailable => 422,
            ErrorCode::TooManyCodes => 429,
            ErrorCode::AccountLocked => 423,
            ErrorCode::NotFound => 404,
            ErrorCode::DeliveryFailed => 503,
            ErrorCode::Internal => 500,
            ErrorCode::Forbidden => 403,
            ErrorCode::InvalidFields | ErrorCode::CodeRequired => 422,
            ErrorCode::AcknowledgementRequired => 422,
            ErrorCode::AlreadyTaken | ErrorCode::Conflict => 409,
            ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::TooManyAttempts => 429,
        }
    }

    /// What a person is told when nothing more precise is known.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "The request could not be read.",
            ErrorCode::PayloadTooLarge => "The request is too large.",
            ErrorCode::UnsupportedMediaType => "The request must be sent as JSON.",
            ErrorCode::InvalidCredentials => "The username or password is incorrect.",
            ErrorCode::SignInExpired => "Your sign-in has expired. Please sign in again.",
            ErrorCode::MethodUnavailable => {
                "That login method is not set up for your account. Please choose another."
            }
            ErrorCode::TooManyCodes => {
                "A code was sent a moment ago. Please wait before asking for another."
            }
            ErrorCode::InvalidCode => "That code is not valid. Check it, or ask for a new one.",
            ErrorCode::AccountLocked => {
                "Your account is locked after too many wrong codes. \
                 Please contact your System Administrator."
            }
            ErrorCode::NotSignedIn => "You are not signed in.",
            ErrorCode::DeliveryFailed => {
                "The code could not be sent just now. Please try again, or choose another method."
            }
            ErrorCode::NotFound => "There is nothing here.",
            ErrorCode::Internal => "Something went wrong on our side. Please try again.",
            ErrorCode::Forbidden => "Only a System Administrator of this account can do that.",
            ErrorCode::InvalidFields => "Some fields need correcting.",
            ErrorCode::AlreadyTaken => "Another user already has that.",
            ErrorCode::CodeRequired => {
                "Enter the confirmation code sent to you to turn on two-factor authentication."
            }
            ErrorCode::AcknowledgementRequired => {
                "Some users are not ready for two-factor authentication. \
                 Confirm that you understand they will not be able to sign in."
            }
            ErrorCode::Conflict => {
                "Someone else changed this at the same moment. Please reload and try again."
            }
            ErrorCode::PasswordChangeRequired => "Please choose a new password to continue.",
            ErrorCode::TooManyAttempts => {
                "Too many wrong passwords were tried. Please wait a few minutes and try again."
            }
        }
    }
}

/// The body of every failed response: `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code, the message, and for wrong codes the attempts left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code a program may branch on.
    pub code: ErrorCode,
    /// Text for a person.
    pub message: String,
    /// Wrong codes the user may still enter before the account locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_remaining: Option<u32>,
    /// Seconds to wait before trying again, when throttled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
    /// Problems with single fields of a form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::admin::FieldProblem>,
}

impl ErrorBody {
    /// A body with the code's own message.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_message(code, code.message())
    }

    /// A body with a more precise message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                attempts_remaining: None,
                retry_after_seconds: None,
                fields: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_snake_case() {
        let body = ErrorBody::new(ErrorCode::AccountLocked);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "account_locked");
        assert!(json["error"].get("attempts_remaining").is_none());
    }

    #[test]
    fn every_failure_is_a_client_or_server_error() {
        let all = [
            ErrorCode::InvalidRequest,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::InvalidCredentials,
            ErrorCode::SignInExpired,
            ErrorCode::MethodUnavailable,
            ErrorCode::TooManyCodes,
            ErrorCode::InvalidCode,
            ErrorCode::AccountLocked,
            ErrorCode::NotSignedIn,
            ErrorCode::DeliveryFailed,
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::Forbidden,
            ErrorCode::InvalidFields,
            ErrorCode::AlreadyTaken,
            ErrorCode::CodeRequired,
            ErrorCode::AcknowledgementRequired,
            ErrorCode::Conflict,
            ErrorCode::PasswordChangeRequired,
            ErrorCode::TooManyAttempts,
        ];
        for code in all {
            assert!((400..600).contains(&code.status()), "{code:?}");
            assert!(code.message().ends_with('.'), "{code:?}");
        }
    }
}
