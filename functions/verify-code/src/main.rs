//! `POST /api/auth/verify`: checks the confirmation code of the pending
//! sign-in and, when it is right, starts a session.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::http::{self, ApiError, PENDING_COOKIE, SESSION_COOKIE};
use twofold_shared::api::{VerifyRequest, VerifyResponse};
use twofold_shared::{ConfirmationCode, ErrorCode};

async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let token = http::token(&request, PENDING_COOKIE)
        .ok_or_else(|| ApiError::new(ErrorCode::SignInExpired))?;
    let body: VerifyRequest = http::read_json(&request)?;
    let code = ConfirmationCode::parse(&body.code).map_err(|_| {
        ApiError::with_message(
            ErrorCode::InvalidRequest,
            "Enter the six digits of your confirmation code.",
        )
    })?;
    let started = app.sign_in.verify(&token, &code).await?;
    let lifetime = app.sign_in.policy().session_lifetime;
    Ok(http::json(
        StatusCode::OK,
        &VerifyResponse {
            session: started.info,
        },
        &[
            http::set_cookie(SESSION_COOKIE, &started.token.cookie_value(), lifetime),
            http::clear_cookie(PENDING_COOKIE),
        ],
    ))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    http::serve(|request| handle(&app, request)).await
}
