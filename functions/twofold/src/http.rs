//! The HTTP edge shared by every function: reading JSON bodies and cookies,
//! writing JSON responses and cookies, and the one mapping from service
//! errors to the API's error body.
//!
//! Expected failures become 4xx responses with a stable code and a message
//! for people; internal detail goes to the log, never into a body.

use lambda_http::http::{HeaderValue, StatusCode, header};
use std::future::Future;

use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use twofold_shared::error::{ErrorBody, ErrorCode};
use twofold_shared::policy::MAX_BODY_BYTES;

use crate::digest::Token;
use crate::service::signin::SignInError;

/// Cookie holding the session token.
pub const SESSION_COOKIE: &str = "twofold_session";
/// Cookie holding the pending sign-in token.
pub const PENDING_COOKIE: &str = "twofold_pending";

/// A refusal on its way to becoming a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub ErrorBody);

impl ApiError {
    /// A refusal with the code's own message.
    pub fn new(code: ErrorCode) -> Self {
        Self(ErrorBody::new(code))
    }

    /// A refusal with a more precise message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ErrorBody::with_message(code, message))
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.0.error.code
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::InvalidCredentials => Self::new(ErrorCode::InvalidCredentials),
            SignInError::SignInExpired => Self::new(ErrorCode::SignInExpired),
            SignInError::MethodUnavailable { none_at_all: true } => Self::with_message(
                ErrorCode::MethodUnavailable,
                "No email address or mobile phone is set up for your account, so no code \
                 can be sent. Please contact your System Administrator.",
            ),
            SignInError::MethodUnavailable { none_at_all: false } => {
                Self::new(ErrorCode::MethodUnavailable)
            }
            SignInError::TooManyCodes { retry_after } => {
                let mut error = Self::with_message(
                    ErrorCode::TooManyCodes,
                    format!(
                        "A code was sent recently. You can ask for another in {}.",
                        wait_words(retry_after)
                    ),
                );
                error.0.error.retry_after_seconds = Some(retry_after);
                error
            }
            SignInError::InvalidCode { attempts_remaining } => {
                let left = match attempts_remaining {
                    0 => "No attempts are left for now.".to_owned(),
                    1 => "1 attempt is left before your account is locked.".to_owned(),
                    n => format!("{n} attempts are left before your account is locked."),
                };
                let mut error = Self::with_message(
                    ErrorCode::InvalidCode,
                    format!("{} {left}", ErrorCode::InvalidCode.message()),
                );
                error.0.error.attempts_remaining = Some(attempts_remaining);
                error
            }
            SignInError::AccountLocked => Self::new(ErrorCode::AccountLocked),
            SignInError::NotSignedIn => Self::new(ErrorCode::NotSignedIn),
            SignInError::TooManyAttempts { retry_after } => {
                let mut error = Self::with_message(
                    ErrorCode::TooManyAttempts,
                    format!(
                        "Too many wrong passwords were tried for this username. \
                         Please try again in {}.",
                        wait_words(retry_after)
                    ),
                );
                error.0.error.retry_after_seconds = Some(retry_after);
                error
            }
            SignInError::Forbidden => Self::new(ErrorCode::Forbidden),
            SignInError::WeakPassword => {
                let mut error = Self::new(ErrorCode::InvalidFields);
                error
                    .0
                    .error
                    .fields
                    .push(twofold_shared::admin::FieldProblem {
                        field: "new_password".into(),
                        message: format!(
                            "Choose a password of at least {} characters, other than the one \
                         you were given.",
                            twofold_shared::policy::MIN_PASSWORD_LENGTH
                        ),
                    });
                error.0.error.message = error.0.error.fields[0].message.clone();
                error
            }
            SignInError::PasswordChangeRequired => Self::new(ErrorCode::PasswordChangeRequired),
            SignInError::DeliveryFailed(_) => Self::new(ErrorCode::DeliveryFailed),
            SignInError::Store(err) => {
                tracing::error!(error = %err, "store failure");
                Self::new(ErrorCode::Internal)
            }
            SignInError::Internal(detail) => {
                tracing::error!(error = %detail, "internal failure");
                Self::new(ErrorCode::Internal)
            }
        }
    }
}

fn wait_words(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

/// Reads a JSON body of type `T`, refusing what is not JSON, too large,
/// malformed, or missing fields, with a message that says which.
pub fn read_json<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(ErrorCode::PayloadTooLarge));
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        let message = if err.is_data() {
            // serde's own words name the field or type; drop the position.
            let text = err.to_string();
            let text = text.split(" at line ").next().unwrap_or_default();
            format!("The request is missing something or has a wrong value: {text}.")
        } else {
            "The request body is not valid JSON.".to_owned()
        };
        ApiError::with_message(ErrorCode::InvalidRequest, message)
    })
}

/// The value of cookie `name`, from every `Cookie` header of the request.
pub fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The token in cookie `name`, if it is shaped like one.
pub fn token(request: &Request, name: &str) -> Option<Token> {
    cookie(request, name).as_deref().and_then(Token::parse)
}

/// A `Set-Cookie` value: HttpOnly, Secure, SameSite=Strict, scoped to the API.
pub fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/api; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// A JSON response with the given cookies.
pub fn json<T: Serialize>(status: StatusCode, body: &T, cookies: &[String]) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The response for a refusal.
pub fn error(err: ApiError) -> Response<Body> {
    let status = StatusCode::from_u16(err.code().status()).unwrap_or(StatusCode::BAD_REQUEST);
    json(status, &err.0, &[])
}

/// The response for a request that no function here answers.
pub fn not_found() -> Response<Body> {
    error(ApiError::new(ErrorCode::NotFound))
}

/// The response for a handler's result.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(error)
}

/// The request's path without a stage prefix, for functions that answer
/// more than one route.
pub fn path(request: &Request) -> String {
    let raw = request.raw_http_path();
    if raw.is_empty() {
        request.uri().path().to_owned()
    } else {
        raw.to_owned()
    }
}

/// Runs a function: every invocation goes to `handle`, and its refusals
/// become error responses. Only a broken invocation is an `Err`.
pub async fn serve<F, Fut>(handle: F) -> Result<(), Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send,
{
    lambda_http::run(service_fn(|request| {
        let answer = handle(request);
        async move { Ok::<_, Error>(respond(answer.await)) }
    }))
    .await
}
