//! The admin HTTP API: the admin CLI's operations for remote tooling, behind its own
//! token (`Authorization: Bearer <admin token>`). Off unless a token is configured.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use godkend_protocol::{ErrorCode, Problem};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::JsonBody;
use crate::service::{
    DeviceInfo, NewActivation, NewRp, Revoked, RpInfo, SharedService, UserInfo, api_key_hash,
};
use crate::store::AuditEntry;

const ADMIN: &str = "admin:api";

/// Proof that the caller holds the admin token.
pub struct Admin;

impl FromRequestParts<SharedService> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &SharedService,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = &service.settings.admin_token_hash else {
            return Err(Problem::new(
                ErrorCode::NotFound,
                "the admin API is not enabled on this server",
            )
            .into());
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| api_key_hash(t.trim()));
        // Hashes are compared, so timing reveals nothing about the token.
        if given.as_ref() == Some(expected) {
            Ok(Admin)
        } else {
            Err(Problem::new(
                ErrorCode::Unauthorized,
                "send the admin token as `Authorization: Bearer <token>`",
            )
            .into())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    user: String,
    name: Option<String>,
}

pub async fn add_user(
    State(s): State<SharedService>,
    _: Admin,
    JsonBody(b): JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<UserInfo>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.add_user(&b.user, b.name.as_deref(), ADMIN).await?),
    ))
}

pub async fn users(State(s): State<SharedService>, _: Admin) -> ApiResult<Json<Vec<UserInfo>>> {
    Ok(Json(s.list_users().await?))
}

pub async fn remove_user(
    State(s): State<SharedService>,
    _: Admin,
    Path(user): Path<String>,
) -> ApiResult<StatusCode> {
    s.remove_user(&user, ADMIN).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct NewRpBody {
    rp_id: String,
    name: String,
}

pub async fn add_rp(
    State(s): State<SharedService>,
    _: Admin,
    JsonBody(b): JsonBody<NewRpBody>,
) -> ApiResult<(StatusCode, Json<NewRp>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.add_rp(&b.rp_id, &b.name, ADMIN).await?),
    ))
}

pub async fn rps(State(s): State<SharedService>, _: Admin) -> ApiResult<Json<Vec<RpInfo>>> {
    Ok(Json(s.list_rps().await?))
}

pub async fn remove_rp(
    State(s): State<SharedService>,
    _: Admin,
    Path(rp): Path<String>,
) -> ApiResult<StatusCode> {
    s.remove_rp(&rp, ADMIN).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct NewActivationBody {
    user: String,
}

pub async fn create_activation(
    State(s): State<SharedService>,
    _: Admin,
    JsonBody(b): JsonBody<NewActivationBody>,
) -> ApiResult<(StatusCode, Json<NewActivation>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.create_activation(&b.user, ADMIN).await?),
    ))
}

#[derive(Debug, Deserialize)]
pub struct DeviceQuery {
    user: Option<String>,
}

pub async fn devices(
    State(s): State<SharedService>,
    _: Admin,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<Json<Vec<DeviceInfo>>> {
    Ok(Json(s.list_devices(q.user.as_deref()).await?))
}

pub async fn revoke_device(
    State(s): State<SharedService>,
    _: Admin,
    Path(serial): Path<String>,
) -> ApiResult<Json<Revoked>> {
    Ok(Json(s.revoke_serial(&serial, ADMIN).await?))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Unix seconds.
    since: Option<i64>,
}

pub async fn audit(
    State(s): State<SharedService>,
    _: Admin,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(
        s.store
            .audit_since(q.since.unwrap_or(0))
            .await
            .map_err(crate::service::ServiceError::from)?,
    ))
}
