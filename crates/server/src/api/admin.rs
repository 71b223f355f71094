//! The admin HTTP API: the admin CLI's operations for remote tooling, behind its own
//! token (`Authorization: Bearer <admin token>`). Off unless a token is configured.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use godkend_protocol::messages::{
    NewActivationBody, NewRpBody, NewUser, RotateKeyBody, RpUpdateBody,
};
use godkend_protocol::{ErrorCode, Problem};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, PathParam, QueryParams, bearer_token};
use crate::service::{
    DeviceInfo, NewActivation, NewRp, Revoked, RotatedKey, RpInfo, SharedService, UserInfo,
    api_key_hash,
};
use crate::store::AuditEntry;

const ADMIN: &str = "admin:api";

/// 401 answers of every admin call.
const ADMIN_401: &str = "`unauthorized`: no valid admin token in `Authorization: Bearer <token>`.";
/// 404 answers of every admin call.
const ADMIN_404: &str =
    "`not_found`: the admin API is not enabled on this server (no admin token configured).";

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
        let given = bearer_token(parts).map(api_key_hash);
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

/// Add a user
#[utoipa::path(
    post,
    path = "/v1/admin/users",
    operation_id = "admin_add_user",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "The user was added.", body = UserInfo),
        (status = 400, description = "`bad_request` (e.g. an id with unprintable characters), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`user_exists`.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
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

/// List the users
#[utoipa::path(
    get,
    path = "/v1/admin/users",
    operation_id = "admin_list_users",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Every user.", body = Vec<UserInfo>),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn users(State(s): State<SharedService>, _: Admin) -> ApiResult<Json<Vec<UserInfo>>> {
    Ok(Json(s.list_users().await?))
}

/// Remove a user
///
/// Deletes the user's activation codes and revokes the user's devices too.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{user}",
    operation_id = "admin_remove_user",
    tag = "admin",
    security(("admin_token" = [])),
    params(("user" = String, Path, description = "The user id.")),
    responses(
        (status = 204, description = "The user was removed."),
        (status = 400, description = "`bad_request`: `user` is outside the id rules.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`, or `not_found` when the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove_user(
    State(s): State<SharedService>,
    _: Admin,
    PathParam(user): PathParam<String>,
) -> ApiResult<StatusCode> {
    s.remove_user(&user, ADMIN).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a relying party
///
/// The answer holds its API key, shown only this once.
#[utoipa::path(
    post,
    path = "/v1/admin/rps",
    operation_id = "admin_add_rp",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = NewRpBody,
    responses(
        (status = 201, description = "The relying party was added; keep `api_key`.", body = NewRp),
        (status = 400, description = "`bad_request` (e.g. an id with unprintable characters, or an origin that is not scheme://host[:port]), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`rp_exists`.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn add_rp(
    State(s): State<SharedService>,
    _: Admin,
    JsonBody(b): JsonBody<NewRpBody>,
) -> ApiResult<(StatusCode, Json<NewRp>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.add_rp(&b.rp_id, &b.name, &b.origins, ADMIN).await?),
    ))
}

/// List the relying parties
#[utoipa::path(
    get,
    path = "/v1/admin/rps",
    operation_id = "admin_list_rps",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Every relying party (without API keys).", body = Vec<RpInfo>),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rps(State(s): State<SharedService>, _: Admin) -> ApiResult<Json<Vec<RpInfo>>> {
    Ok(Json(s.list_rps().await?))
}

/// Remove a relying party
#[utoipa::path(
    delete,
    path = "/v1/admin/rps/{rp}",
    operation_id = "admin_remove_rp",
    tag = "admin",
    security(("admin_token" = [])),
    params(("rp" = String, Path, description = "The relying party's id.")),
    responses(
        (status = 204, description = "The relying party was removed; its API key no longer works."),
        (status = 400, description = "`bad_request`: `rp` is outside the id rules.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such relying party, or the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove_rp(
    State(s): State<SharedService>,
    _: Admin,
    PathParam(rp): PathParam<String>,
) -> ApiResult<StatusCode> {
    s.remove_rp(&rp, ADMIN).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a relying party's origins
#[utoipa::path(
    patch,
    path = "/v1/admin/rps/{rp}",
    operation_id = "admin_update_rp",
    tag = "admin",
    security(("admin_token" = [])),
    params(("rp" = String, Path, description = "The relying party's id.")),
    request_body = RpUpdateBody,
    responses(
        (status = 200, description = "The relying party as it is now.", body = RpInfo),
        (status = 400, description = "`bad_request` (e.g. `https://shop.example/login` is a page, not an origin), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such relying party, or the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_rp(
    State(s): State<SharedService>,
    _: Admin,
    PathParam(rp): PathParam<String>,
    JsonBody(b): JsonBody<RpUpdateBody>,
) -> ApiResult<Json<RpInfo>> {
    Ok(Json(s.set_rp_origins(&rp, &b.origins, ADMIN).await?))
}

/// Rotate a relying party's API key
///
/// The answer holds the new key, shown only this once. The current key keeps
/// working for the overlap; a key still in an earlier rotation's overlap stops at
/// once (one previous key at most).
#[utoipa::path(
    post,
    path = "/v1/admin/rps/{rp}/rotate-key",
    operation_id = "admin_rotate_rp_key",
    tag = "admin",
    security(("admin_token" = [])),
    params(("rp" = String, Path, description = "The relying party's id.")),
    request_body = RotateKeyBody,
    responses(
        (status = 200, description = "The new key; keep `api_key`.", body = RotatedKey),
        (status = 400, description = "`bad_request` (an overlap outside 0 to 30 days), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such relying party, or the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rotate_rp_key(
    State(s): State<SharedService>,
    _: Admin,
    PathParam(rp): PathParam<String>,
    JsonBody(b): JsonBody<RotateKeyBody>,
) -> ApiResult<Json<RotatedKey>> {
    Ok(Json(s.rotate_rp_key(&rp, b.overlap_seconds, ADMIN).await?))
}

/// Create an activation code
///
/// A one-time code and `godkend://activate` link for the user's next device
/// (PROTOCOL.md §5.1), shown only this once.
#[utoipa::path(
    post,
    path = "/v1/admin/activations",
    operation_id = "admin_create_activation",
    tag = "admin",
    security(("admin_token" = [])),
    request_body = NewActivationBody,
    responses(
        (status = 201, description = "The activation; hand `link` (or the URL, user and code) to the user.", body = NewActivation),
        (status = 400, description = "`bad_request`, `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`, or `not_found` when the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Only this user's devices.
    user: Option<String>,
}

/// List the devices
#[utoipa::path(
    get,
    path = "/v1/admin/devices",
    operation_id = "admin_list_devices",
    tag = "admin",
    security(("admin_token" = [])),
    params(DeviceQuery),
    responses(
        (status = 200, description = "The devices, in every state.", body = Vec<DeviceInfo>),
        (status = 400, description = "`bad_request`: `user` is outside the id rules.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn devices(
    State(s): State<SharedService>,
    _: Admin,
    QueryParams(q): QueryParams<DeviceQuery>,
) -> ApiResult<Json<Vec<DeviceInfo>>> {
    Ok(Json(s.list_devices(q.user.as_deref()).await?))
}

/// Revoke a device
///
/// The device gets a signed `device_status` event and wipes itself.
#[utoipa::path(
    post,
    path = "/v1/admin/devices/{serial}/revoke",
    operation_id = "admin_revoke_device",
    tag = "admin",
    security(("admin_token" = [])),
    params(("serial" = String, Path, description = "The device serial, e.g. `GK-4821-0937-5519` (any case, spaces and dashes).")),
    responses(
        (status = 200, description = "The outcome; `changed` is `false` when the device had already ended.", body = Revoked),
        (status = 400, description = "`bad_request`: not a valid serial.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such device, or the admin API is not enabled.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_device(
    State(s): State<SharedService>,
    _: Admin,
    PathParam(serial): PathParam<String>,
) -> ApiResult<Json<Revoked>> {
    Ok(Json(s.revoke_serial(&serial, ADMIN).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries at or after this time, Unix seconds (default: all).
    since: Option<i64>,
}

/// Read the audit log
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    operation_id = "admin_audit",
    tag = "admin",
    security(("admin_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The audit entries, oldest first.", body = Vec<AuditEntry>),
        (status = 400, description = "`bad_request`: `since` is not a number of Unix seconds.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = ADMIN_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = ADMIN_404, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn audit(
    State(s): State<SharedService>,
    _: Admin,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(
        s.store
            .audit_since(q.since.unwrap_or(0))
            .await
            .map_err(crate::service::ServiceError::from)?,
    ))
}
