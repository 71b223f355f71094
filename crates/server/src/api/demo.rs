//! The demo relying party (`serve --demo`): a login page that asks the server for an
//! approval and shows the code to type and the result. It acts as the built-in RP
//! `demo`; never enable it on a production server, since anyone who can reach the
//! page can send approval requests to any user.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use godkend_protocol::messages::{
    CreateRequest, CreatedRequest, RequestContext, RequestKind, RequestStatus, UserVerification,
};
use godkend_protocol::{ErrorCode, Problem};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{ClientIp, JsonBody};
use crate::service::{ServiceError, SharedService};
use crate::store::RpRow;

/// The built-in relying party's id.
pub const DEMO_RP: &str = "demo";

const PAGE: &str = include_str!("../../assets/demo.html");

pub async fn page() -> impl IntoResponse {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        )],
        Html(PAGE),
    )
}

#[derive(Debug, Deserialize)]
pub struct Login {
    user: String,
}

async fn demo_rp(service: &SharedService) -> Result<RpRow, ServiceError> {
    service.store.rp(DEMO_RP).await?.ok_or_else(|| {
        Problem::new(
            ErrorCode::NotFound,
            "the demo is not enabled on this server",
        )
        .into()
    })
}

pub async fn login(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    JsonBody(login): JsonBody<Login>,
) -> ApiResult<(StatusCode, Json<CreatedRequest>)> {
    let rp = demo_rp(&service).await?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(120).collect());
    let body = CreateRequest {
        user: login.user.trim().to_owned(),
        kind: RequestKind::Login,
        title: "Sign in to the Godkend demo".into(),
        message: "Someone is signing in to the demo site with your user name.".into(),
        amount: None,
        payee: None,
        context: RequestContext {
            ip,
            location: Some("Demo (this computer)".into()),
            user_agent,
        },
        code_length: None,
        user_verification: UserVerification::Any,
        ttl_seconds: None,
        webhook_url: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(service.create_request(&rp, &body).await?),
    ))
}

pub async fn status(
    State(service): State<SharedService>,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestStatus>> {
    let rp = demo_rp(&service).await?;
    Ok(Json(service.request_status(&rp, &id).await?))
}
