//! The users view, for System Administrators of the caller's account:
//!
//! - `GET /api/users`: every user, contacts masked, status and readiness.
//! - `POST /api/users`: add a user with an initial password.
//! - `GET /api/users/{id}/contact`: reveal a user's email address and phone.
//! - `PUT /api/users/{id}/contact`: change them.
//! - `POST /api/users/{id}/reactivate`: unlock a locked user.

use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::clock::SystemClock;
use twofold::digest::Token;
use twofold::http::{self, ApiError, SESSION_COOKIE};
use twofold::service::users::{Users, UsersError};
use twofold_shared::ErrorCode;
use twofold_shared::admin::{CreateUserRequest, FieldProblem, UpdateContactRequest, paths};

/// The one mapping from this function's refusals to responses.
fn refusal(err: UsersError) -> ApiError {
    let with_fields = |code: ErrorCode, fields: Vec<FieldProblem>| {
        let mut error = ApiError::new(code);
        if let [only] = fields.as_slice() {
            error.0.error.message = only.message.clone();
        }
        error.0.error.fields = fields;
        error
    };
    match err {
        UsersError::SignIn(err) => ApiError::from(err),
        UsersError::NoSuchUser => ApiError::with_message(
            ErrorCode::NotFound,
            "There is no such user in this account.",
        ),
        UsersError::InvalidFields(fields) => with_fields(ErrorCode::InvalidFields, fields),
        UsersError::Taken(fields) => with_fields(ErrorCode::AlreadyTaken, fields),
        UsersError::Conflict => ApiError::with_message(
            ErrorCode::Conflict,
            "This user was changed at the same moment. Please reload and try again.",
        ),
        UsersError::NotLocked => ApiError::with_message(
            ErrorCode::Conflict,
            "This user is not locked. Please reload the list.",
        ),
        UsersError::Store(err) => {
            tracing::error!(error = %err, "store failure");
            ApiError::new(ErrorCode::Internal)
        }
        UsersError::Internal(detail) => {
            tracing::error!(error = %detail, "internal failure");
            ApiError::new(ErrorCode::Internal)
        }
    }
}

fn session(request: &Request) -> Result<Token, ApiError> {
    http::token(request, SESSION_COOKIE).ok_or_else(|| ApiError::new(ErrorCode::NotSignedIn))
}

/// `/api/users/{id}/{action}` split into id and action.
fn user_route(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(paths::USER_PREFIX)?;
    let (id, action) = rest.split_once('/')?;
    (!id.is_empty() && !id.contains('/')).then_some((id, action))
}

async fn handle(service: &Users, request: Request) -> Result<Response<Body>, ApiError> {
    let path = http::path(&request);
    let method = request.method().clone();
    if path == paths::USERS {
        return match method {
            Method::GET => {
                let users = service.list(&session(&request)?).await.map_err(refusal)?;
                Ok(http::json(StatusCode::OK, &users, &[]))
            }
            Method::POST => {
                let token = session(&request)?;
                let body: CreateUserRequest = http::read_json(&request)?;
                let user = service.create(&token, &body).await.map_err(refusal)?;
                Ok(http::json(StatusCode::CREATED, &user, &[]))
            }
            _ => Ok(http::not_found()),
        };
    }
    let Some((id, action)) = user_route(&path) else {
        return Ok(http::not_found());
    };
    let token = session(&request)?;
    match (method, action) {
        (Method::GET, "contact") => {
            let details = service.reveal(&token, id).await.map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &details, &[]))
        }
        (Method::PUT, "contact") => {
            let body: UpdateContactRequest = http::read_json(&request)?;
            let user = service
                .change_contact(&token, id, &body)
                .await
                .map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &user, &[]))
        }
        (Method::POST, "reactivate") => {
            let user = service.reactivate(&token, id).await.map_err(refusal)?;
            Ok(http::json(StatusCode::OK, &user, &[]))
        }
        _ => Ok(http::not_found()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    let service = Users::new(
        app.sign_in.clone(),
        app.store.clone(),
        Arc::new(SystemClock),
        app.settings.region,
    );
    http::serve(|request| handle(&service, request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_routes_name_one_user_and_an_action() {
        assert_eq!(
            user_route("/api/users/u-1/contact"),
            Some(("u-1", "contact"))
        );
        assert_eq!(
            user_route("/api/users/u-1/reactivate"),
            Some(("u-1", "reactivate"))
        );
        assert_eq!(user_route("/api/users//contact"), None);
        assert_eq!(user_route("/api/users/u-1"), None);
        assert_eq!(user_route("/api/other/u-1/contact"), None);
    }
}
