//! `POST /api/auth/login`: username and password. Starts a session when the
//! account has 2FA off, otherwise a pending sign-in held in a cookie.
//! `POST /api/auth/password`: the new password of a user who signed in with
//! an initial one; then the same answers as a login.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::http::{self, ApiError, PENDING_COOKIE, SESSION_COOKIE};
use twofold::service::signin::LoginOutcome;
use twofold_shared::ErrorCode;
use twofold_shared::api::{ChangePasswordRequest, LoginRequest, LoginResponse, paths};

async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let outcome = match (request.method(), http::path(&request).as_str()) {
        (&Method::POST, paths::LOGIN) => {
            let body: LoginRequest = http::read_json(&request)?;
            app.sign_in.login(&body.username, &body.password.0).await?
        }
        (&Method::POST, paths::PASSWORD) => {
            let token = http::token(&request, PENDING_COOKIE)
                .ok_or_else(|| ApiError::new(ErrorCode::SignInExpired))?;
            let body: ChangePasswordRequest = http::read_json(&request)?;
            app.sign_in
                .change_password(&token, &body.new_password.0)
                .await?
        }
        _ => return Ok(http::not_found()),
    };
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
        LoginOutcome::CodeRequired { token, response }
        | LoginOutcome::PasswordChangeRequired { token, response } => http::json(
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
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    http::serve(|request| handle(&app, request)).await
}
