//! `GET /api/auth/session`: who is signed in. `POST /api/auth/logout`: end
//! the session.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::http::{self, ApiError, SESSION_COOKIE};
use twofold_shared::ErrorCode;
use twofold_shared::api::paths;

async fn handle(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let token = http::token(&request, SESSION_COOKIE);
    match (request.method(), http::path(&request).as_str()) {
        (&Method::GET, paths::SESSION) => {
            let token = token.ok_or_else(|| ApiError::new(ErrorCode::NotSignedIn))?;
            let info = app.sign_in.session(&token).await?;
            Ok(http::json(StatusCode::OK, &info, &[]))
        }
        (&Method::POST, paths::LOGOUT) => {
            if let Some(token) = token {
                app.sign_in.logout(&token).await?;
            }
            let cleared = [http::clear_cookie(SESSION_COOKIE)];
            Ok(http::json(StatusCode::OK, &serde_json::json!({}), &cleared))
        }
        _ => Ok(http::not_found()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    http::serve(|request| handle(&app, request)).await
}
