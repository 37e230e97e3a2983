//! The account's two-factor setting, for its System Administrators:
//!
//! - `GET /api/settings/two-factor`: the status, since when, by whom.
//! - `PUT /api/settings/two-factor`: turn it on (with a code, and the
//!   acknowledgement when users are not ready) or off.
//! - `GET /api/settings/two-factor/readiness`: users who are not ready.
//! - `POST /api/settings/two-factor/code`: send the administrator the code
//!   that turns it on, by email (SES v2) or text message (SNS).
//!
//! The account is always the caller's own, taken from the session.

use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::clock::SystemClock;
use twofold::courier::AwsCourier;
use twofold::digest::Token;
use twofold::http::{self, ApiError, SESSION_COOKIE};
use twofold::random::OsRandom;
use twofold::service::settings::{SettingsError, TwoFactorSettings};
use twofold_shared::ErrorCode;
use twofold_shared::admin::{ChangeTwoFactorRequest, TwoFactorCodeRequest, paths};

/// The one mapping from this function's refusals to responses.
fn refusal(err: SettingsError) -> ApiError {
    match err {
        SettingsError::SignIn(err) => ApiError::from(err),
        SettingsError::CodeRequired => ApiError::new(ErrorCode::CodeRequired),
        SettingsError::MalformedCode => ApiError::with_message(
            ErrorCode::InvalidRequest,
            "The confirmation code is the six digits in the message sent to you.",
        ),
        SettingsError::AcknowledgementRequired { not_ready } => {
            let who = match not_ready {
                1 => "1 user is".to_owned(),
                n => format!("{n} users are"),
            };
            ApiError::with_message(
                ErrorCode::AcknowledgementRequired,
                format!(
                    "{who} not ready for two-factor authentication. Confirm that you \
                     understand they will not be able to sign in."
                ),
            )
        }
        SettingsError::AlreadyEnabled => ApiError::with_message(
            ErrorCode::Conflict,
            "Two-factor authentication is already on for this account. Please reload.",
        ),
        SettingsError::Conflict => ApiError::with_message(
            ErrorCode::Conflict,
            "Another administrator changed this setting at the same moment. \
             Please reload and try again.",
        ),
        SettingsError::Store(err) => {
            tracing::error!(error = %err, "store failure");
            ApiError::new(ErrorCode::Internal)
        }
        SettingsError::Internal(detail) => {
            tracing::error!(error = %detail, "internal failure");
            ApiError::new(ErrorCode::Internal)
        }
    }
}

fn session(request: &Request) -> Result<Token, ApiError> {
    http::token(request, SESSION_COOKIE).ok_or_else(|| ApiError::new(ErrorCode::NotSignedIn))
}

async fn handle(
    service: &TwoFactorSettings,
    courier: &AwsCourier,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    match (request.method(), http::path(&request).as_str()) {
        (&Method::GET, paths::TWO_FACTOR) => {
            let status = service.status(&session(&request)?).await.map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &status, &[]))
        }
        (&Method::PUT, paths::TWO_FACTOR) => {
            let token = session(&request)?;
            let body: ChangeTwoFactorRequest = http::read_json(&request)?;
            let status = service.change(&token, &body).await.map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &status, &[]))
        }
        (&Method::GET, paths::TWO_FACTOR_READINESS) => {
            let token = session(&request)?;
            let report = service.readiness(&token).await.map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &report, &[]))
        }
        (&Method::POST, paths::TWO_FACTOR_CODE) => {
            let token = session(&request)?;
            let body: TwoFactorCodeRequest = http::read_json(&request)?;
            let sent = service
                .send_code(courier, &token, body.method)
                .await
                .map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &sent, &[]))
        }
        _ => Ok(http::not_found()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    let courier = app.courier()?;
    let service = TwoFactorSettings::new(
        app.sign_in.clone(),
        app.store.clone(),
        Arc::new(SystemClock),
        Arc::new(OsRandom),
    );
    http::serve(|request| handle(&service, &courier, request)).await
}
