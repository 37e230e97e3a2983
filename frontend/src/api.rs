//! The only module that talks HTTP. Every call goes to the page's own origin,
//! so the session cookie (HttpOnly, never seen by this code) travels with it.
//!
//! Each function answers with the contract's response type or a [`Problem`];
//! no HTTP detail leaks past this module.

use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use twofold_shared::admin::{
    ChangeTwoFactorRequest, ContactDetails, CreateUserRequest, Readiness, TwoFactorCodeRequest,
    TwoFactorStatus, UpdateContactRequest, UserSummary, UsersResponse, paths as admin_paths,
};
use twofold_shared::api::{
    ChangePasswordRequest, LoginRequest, LoginResponse, SendCodeRequest, SendCodeResponse,
    SessionInfo, VerifyRequest, VerifyResponse, paths,
};
use twofold_shared::{ConfirmationCode, Method};

use crate::errors::Problem;

/// Checks a username and password.
pub async fn login(request: &LoginRequest) -> Result<LoginResponse, Problem> {
    read(exchange(post(paths::LOGIN, request)).await?).await
}

/// Replaces an initial password; answered like a sign-in.
pub async fn change_password(request: &ChangePasswordRequest) -> Result<LoginResponse, Problem> {
    read(exchange(post(paths::PASSWORD, request)).await?).await
}

/// Asks for a confirmation code by the chosen method.
pub async fn send_code(method: Method) -> Result<SendCodeResponse, Problem> {
    let request = SendCodeRequest { method };
    read(exchange(post(paths::CODE, &request)).await?).await
}

/// Checks a confirmation code; a right one starts a session.
pub async fn verify(code: &ConfirmationCode) -> Result<VerifyResponse, Problem> {
    let request = VerifyRequest {
        code: code.digits().to_owned(),
    };
    read(exchange(post(paths::VERIFY, &request)).await?).await
}

/// Who is signed in; a [`Problem`] with `not_signed_in` when nobody is.
pub async fn session() -> Result<SessionInfo, Problem> {
    read(exchange(Request::get(paths::SESSION).build()).await?).await
}

/// Ends the session. Whatever the body of the answer, success is its status.
pub async fn logout() -> Result<(), Problem> {
    exchange(post(paths::LOGOUT, &serde_json::json!({}))).await?;
    Ok(())
}

/// The account's two-factor setting, since when and by whom.
pub async fn two_factor_status() -> Result<TwoFactorStatus, Problem> {
    read(exchange(Request::get(admin_paths::TWO_FACTOR).build()).await?).await
}

/// Turns the account's two-factor setting on or off; answers the new status.
pub async fn change_two_factor(
    request: &ChangeTwoFactorRequest,
) -> Result<TwoFactorStatus, Problem> {
    read(exchange(put(admin_paths::TWO_FACTOR, request)).await?).await
}

/// The users who could not sign in with two-factor authentication on.
pub async fn two_factor_readiness() -> Result<Readiness, Problem> {
    read(exchange(Request::get(admin_paths::TWO_FACTOR_READINESS).build()).await?).await
}

/// Sends the administrator the code that turns two-factor authentication on.
pub async fn send_enabling_code(method: Method) -> Result<SendCodeResponse, Problem> {
    let request = TwoFactorCodeRequest { method };
    read(exchange(post(admin_paths::TWO_FACTOR_CODE, &request)).await?).await
}

/// Every user of the account, contacts masked.
pub async fn users() -> Result<UsersResponse, Problem> {
    read(exchange(Request::get(admin_paths::USERS).build()).await?).await
}

/// Adds a user; answers the new user's row.
pub async fn add_user(request: &CreateUserRequest) -> Result<UserSummary, Problem> {
    read(exchange(post(admin_paths::USERS, request)).await?).await
}

/// A user's full email address and mobile phone.
pub async fn reveal_contact(user_id: &str) -> Result<ContactDetails, Problem> {
    let path = user_path(user_id, "contact");
    read(exchange(Request::get(&path).build()).await?).await
}

/// Changes a user's email address and mobile phone; answers the new row.
pub async fn update_contact(
    user_id: &str,
    request: &UpdateContactRequest,
) -> Result<UserSummary, Problem> {
    read(exchange(put(&user_path(user_id, "contact"), request)).await?).await
}

/// Unlocks a locked user; answers the new row.
pub async fn reactivate(user_id: &str) -> Result<UserSummary, Problem> {
    let path = user_path(user_id, "reactivate");
    read(exchange(post(&path, &serde_json::json!({}))).await?).await
}

/// `/api/users/{id}/{action}`, the id escaped so it stays one path segment.
fn user_path(user_id: &str, action: &str) -> String {
    let id = String::from(web_sys::js_sys::encode_uri_component(user_id));
    format!("{}{id}/{action}", admin_paths::USER_PREFIX)
}

/// A PUT carries JSON like a POST.
fn put<B: Serialize>(path: &str, body: &B) -> Result<Request, gloo_net::Error> {
    Request::put(path)
        .header("Content-Type", "application/json")
        .json(body)
}

/// Every POST carries JSON and says so: the functions refuse anything else.
fn post<B: Serialize>(path: &str, body: &B) -> Result<Request, gloo_net::Error> {
    Request::post(path)
        .header("Content-Type", "application/json")
        .json(body)
}

/// Sends a request; a non-2xx answer becomes the [`Problem`] its body names.
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<Response, Problem> {
    // A request that cannot be built (a body that will not serialise) would
    // fail the same way on every try, like a service that cannot be reached.
    let response = request
        .map_err(|_| Problem::Unreachable)?
        .send()
        .await
        .map_err(|_| Problem::Unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    Err(match response.text().await {
        Ok(body) => Problem::from_answer(status, &body),
        Err(_) => Problem::Unreadable { status },
    })
}

/// Reads a successful answer's JSON body.
async fn read<T: DeserializeOwned>(response: Response) -> Result<T, Problem> {
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|_| Problem::Unreadable { status })?;
    serde_json::from_str(&body).map_err(|_| Problem::Unreadable { status })
}
