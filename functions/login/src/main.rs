//! `POST /api/auth/login`: username and password. Starts a session when the
//! account has 2FA off, otherwise a pending sign-in held in a cookie.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::http::{self, ApiError, PENDING_COOKIE, SESSION_COOKIE};
use twofold::service::signin::LoginOutcome;
use twofold_shared::api::{LoginRequest, LoginResponse};

async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let body: LoginRequest = http::read_json(&request)?;
    let outcome = app.sign_in.login(&body.username, &body.password.0).await?;
    let policy = app.sign_in.policy();
    Ok(match outcome {
        LoginOutcome::SignedIn { token, info } => http::json(
            StatusCode::OK,
            &LoginResponse::SignedIn { session: info },
            &[
                http::set_cookie(
                    SESSION_COOKIE,
                    &token.cookie_value(),
                    policy.session_lifetime,
                ),
                http::clear_cookie(PENDING_COOKIE),
            ],
        ),
        LoginOutcome::CodeRequired { token, response } => http::json(
            StatusCode::OK,
            &response,
            &[http::set_cookie(
                PENDING_COOKIE,
                &token.cookie_value(),
                policy.pending_lifetime,
            )],
        ),
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start().await?;
    http::serve(|request| handle(&app, request)).await
}
