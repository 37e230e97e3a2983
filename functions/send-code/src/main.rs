//! `POST /api/auth/code`: sends a confirmation code for the pending sign-in
//! by the chosen method, email (SES v2) or text message (SNS).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use twofold::app::App;
use twofold::courier::AwsCourier;
use twofold::http::{self, ApiError, PENDING_COOKIE};
use twofold_shared::ErrorCode;
use twofold_shared::api::SendCodeRequest;

async fn handle(
    app: &App,
    courier: &AwsCourier,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let token = http::token(&request, PENDING_COOKIE)
        .ok_or_else(|| ApiError::new(ErrorCode::SignInExpired))?;
    let body: SendCodeRequest = http::read_json(&request)?;
    let sent = app.sign_in.send_code(courier, &token, body.method).await?;
    Ok(http::json(StatusCode::OK, &sent, &[]))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::start(env!("CARGO_BIN_NAME")).await?;
    let courier = app.courier()?;
    http::serve(|request| handle(&app, &courier, request)).await
}
