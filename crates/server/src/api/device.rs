//! The device API: activation, status, unlock, decisions, PIN, devices, polling.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use godkend_protocol::messages::{ActivationRequest, ActivationResponse, DeviceList};
use godkend_protocol::{Envelope, ErrorCode, Problem};
use serde_json::json;

use super::device_auth::DeviceCall;
use super::error::ApiResult;
use super::extract::{ClientIp, JsonBody};
use crate::service::SharedService;

pub async fn activate(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ActivationRequest>,
) -> ApiResult<Json<ActivationResponse>> {
    Ok(Json(service.activate(&body, ip).await?))
}

/// The signed status; answers for revoked and blocked devices too.
pub async fn status(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<Envelope>> {
    Ok(Json(service.device_status(&call.device)?))
}

pub async fn unlock_challenge(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<Envelope>> {
    let device = call.active(&service)?;
    Ok(Json(service.unlock_challenge(device).await?))
}

pub async fn unlock(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<Json<serde_json::Value>> {
    let device = call.active(&service)?;
    service.unlock(device, &call.body, ip).await?;
    Ok(Json(json!({"unlocked": true})))
}

pub async fn decide(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    call: DeviceCall,
) -> ApiResult<Response> {
    let device = call.active(&service)?;
    let outcome = service.decide(device, &id, &call.body, ip).await?;
    let status =
        StatusCode::from_u16(outcome.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        godkend_protocol::problem::CONTENT_TYPE
    };
    Ok((
        status,
        [(axum::http::header::CONTENT_TYPE, content_type)],
        outcome.body,
    )
        .into_response())
}

pub async fn pending(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<serde_json::Value>> {
    let device = call.active(&service)?;
    let requests = service.pending_for_device(device).await?;
    Ok(Json(json!({"requests": requests})))
}

pub async fn change_pin(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.change_pin(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn devices(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<DeviceList>> {
    let device = call.active(&service)?;
    Ok(Json(service.device_list(device).await?))
}

pub async fn revoke(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.revoke_from_device(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn register_uv_key(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.register_uv_key(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_uv_key(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.remove_uv_key(device).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fallback for unknown paths.
pub async fn not_found() -> super::error::ApiError {
    Problem::new(ErrorCode::NotFound, "no such endpoint").into()
}
