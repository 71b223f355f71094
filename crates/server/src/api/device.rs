//! The device API: activation, status, unlock, decisions, PIN, devices, polling.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use godkend_protocol::messages::{
    ActivationRequest, ActivationResponse, DecisionAccepted, DeviceList, PendingRequests, Unlocked,
};
use godkend_protocol::{Envelope, ErrorCode, Problem};

use super::device_auth::{DeviceCall, DeviceCallUnspent};
use super::error::ApiResult;
use super::extract::{ClientIp, JsonBody, PathParam};
use crate::service::SharedService;

/// 401 answers of every device call: the signed header (PROTOCOL.md §3.1).
pub(crate) const DEVICE_401: &str = "The `Authorization: Godkend ...` header failed: `unauthorized` \
    (missing, over 4096 bytes, malformed, a nonce outside 16 to 64 bytes; unknown device or \
    bad signature, one answer for both; method, path or body hash mismatch), `clock_skew` \
    (with `server_time`), `replayed_nonce`.";
/// 401 answers of a device call with a signed body.
pub(crate) const DEVICE_401_BODY: &str = "The `Authorization: Godkend ...` header failed \
    (`unauthorized`, `clock_skew` with `server_time`, `replayed_nonce`), or the body's \
    signature does not verify (`invalid_signature`).";
/// 403 answers of a device call by a revoked or blocked device.
pub(crate) const DEVICE_403: &str = "`device_revoked`, `device_blocked`: the device has ended; \
    the signed status is in `device_status`.";
/// 403 answers of a device call that checks the PIN.
pub(crate) const DEVICE_403_PIN: &str = "`wrong_pin` (with `attempts_left`; the 5th in a row \
    blocks the device), `user_verification_insufficient`, `device_revoked`, `device_blocked` \
    (with the signed `device_status`).";

/// Activate a device
///
/// Unauthenticated: the HMAC `proof` over the activation code binds the body
/// (PROTOCOL.md §5). The answer carries the server-signed `activation` object.
#[utoipa::path(
    post,
    path = "/v1/device/activate",
    operation_id = "device_activate",
    tag = "device",
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "Activated: an `activation` envelope signed by the server key.", body = ActivationResponse),
        (status = 400, description = "`bad_request` (also a user id outside the id rules), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`activation_invalid`: one answer for every failure (unknown user, no open code, wrong proof, used, expired or burnt code), without `attempts_left`.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`device_limit`: the user already has the most active devices allowed.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed activations from this address or for this user, with `retry_after`.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn activate(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody<ActivationRequest>,
) -> ApiResult<Json<ActivationResponse>> {
    Ok(Json(service.activate(&body, ip).await?))
}

/// The device's signed status
///
/// Answers for revoked and blocked devices too, so such a device learns its end
/// from a signed `device_status` object.
#[utoipa::path(
    get,
    path = "/v1/device/status",
    operation_id = "device_status",
    tag = "device",
    security(("device_signature" = [])),
    responses(
        (status = 200, description = "A `device_status` envelope signed by the server key.", body = Envelope),
        (status = 401, description = DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn status(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<Envelope>> {
    Ok(Json(service.device_status(&call.device)?))
}

/// Get an unlock challenge
///
/// No body. The challenge is answered once with `POST /v1/device/unlock`.
#[utoipa::path(
    post,
    path = "/v1/device/unlock/challenge",
    operation_id = "device_unlock_challenge",
    tag = "device",
    security(("device_signature" = [])),
    responses(
        (status = 200, description = "An `unlock_challenge` envelope signed by the server key.", body = Envelope),
        (status = 401, description = DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn unlock_challenge(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<Envelope>> {
    let device = call.active(&service)?;
    Ok(Json(service.unlock_challenge(device).await?))
}

/// Unlock the device
///
/// Proves the PIN (or a user-verification key) by signing a fresh challenge
/// (PROTOCOL.md §8).
#[utoipa::path(
    post,
    path = "/v1/device/unlock",
    operation_id = "device_unlock",
    tag = "device",
    security(("device_signature" = [])),
    request_body(content = Envelope, description = "An `unlock` envelope (payload: `UnlockProof`), signed by the device key and the PIN or user-verification key."),
    responses(
        (status = 200, description = "Unlocked.", body = Unlocked),
        (status = 400, description = "`bad_request` (unknown, expired or used challenge; wrong `type`, `device_id` or time), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = DEVICE_401_BODY, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403_PIN, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn unlock(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<Json<Unlocked>> {
    let device = call.active(&service)?;
    service.unlock(device, &call.body, ip).await?;
    Ok(Json(Unlocked { unlocked: true }))
}

/// Decide an approval request
///
/// Approve, deny or "not me" (PROTOCOL.md §7.2). Idempotent: resending the same
/// envelope bytes gets the stored answer, accepted or refused.
#[utoipa::path(
    post,
    path = "/v1/device/requests/{id}/decision",
    operation_id = "device_decide",
    tag = "device",
    security(("device_signature" = [])),
    params(("id" = String, Path, description = "The `request_id` of the approval request.")),
    request_body(content = Envelope, description = "A `decision` envelope (payload: `Decision`), signed by the device key and, to approve, by the PIN or user-verification key."),
    responses(
        (status = 200, description = "The decision was accepted; the request's new state.", body = DecisionAccepted),
        (status = 400, description = "`bad_request` (wrong `type`, `device_id`, `request_id`, `nonce`, `request_hash` or `code`; not exactly one user-verification signature), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = DEVICE_401_BODY, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`wrong_pin` or `code_mismatch` (with `attempts_left`), `user_verification_insufficient`, `uv_not_allowed` (a `software` user-verification key while the server does not allow those for approvals), `device_revoked`, `device_blocked` (with the signed `device_status`).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such request for this user.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`request_not_pending`, `decision_conflict` (this device already decided it).", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`request_expired`.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`retry_later`: a byte-identical copy of this decision is still being judged; send the same bytes again after `retry_after`.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before sending the same bytes again."))),
    ),
)]
pub async fn decide(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    PathParam(id): PathParam<String>,
    call: DeviceCallUnspent,
) -> ApiResult<Response> {
    let device = call.active(&service).await?;
    let outcome = service
        .decide(device, &id, &call.body, ip, &call.nonce)
        .await?;
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

/// List the pending requests
///
/// The unexpired pending requests for this device's user, newest last: the polling
/// fallback while the event stream is unavailable.
#[utoipa::path(
    get,
    path = "/v1/device/requests",
    operation_id = "device_pending_requests",
    tag = "device",
    security(("device_signature" = [])),
    responses(
        (status = 200, description = "The pending `approval_request` envelopes.", body = PendingRequests),
        (status = 401, description = DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn pending(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<PendingRequests>> {
    let device = call.active(&service)?;
    let requests = service.pending_for_device(device).await?;
    Ok(Json(PendingRequests { requests }))
}

/// Change the PIN
///
/// Replaces the PIN key; drops the user-verification key.
#[utoipa::path(
    post,
    path = "/v1/device/pin",
    operation_id = "device_change_pin",
    tag = "device",
    security(("device_signature" = [])),
    request_body(content = Envelope, description = "A `pin_change` envelope (payload: `PinChange`), signed by the device key and the old PIN key."),
    responses(
        (status = 204, description = "The PIN key was replaced."),
        (status = 400, description = "`bad_request`, `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = DEVICE_401_BODY, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403_PIN, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_pin(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.change_pin(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the user's devices
#[utoipa::path(
    get,
    path = "/v1/device/devices",
    operation_id = "device_list_devices",
    tag = "device",
    security(("device_signature" = [])),
    responses(
        (status = 200, description = "Every device of this device's user.", body = DeviceList),
        (status = 401, description = DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn devices(
    State(service): State<SharedService>,
    call: DeviceCall,
) -> ApiResult<Json<DeviceList>> {
    let device = call.active(&service)?;
    Ok(Json(service.device_list(device).await?))
}

/// Revoke a device of the same user
///
/// The target may be the calling device itself.
#[utoipa::path(
    post,
    path = "/v1/device/devices/revoke",
    operation_id = "device_revoke_device",
    tag = "device",
    security(("device_signature" = [])),
    request_body(content = Envelope, description = "A `device_revoke` envelope (payload: `DeviceRevocation`), signed by the device key and the PIN key."),
    responses(
        (status = 204, description = "The target device is revoked; it gets a signed `device_status` event."),
        (status = 400, description = "`bad_request`, `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = DEVICE_401_BODY, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403_PIN, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the target is not a device of this user.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.revoke_from_device(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Register a user-verification key
///
/// A biometric key (Windows Hello, Secure Enclave, fprintd) that can sign approvals and
/// unlocks in place of the PIN; replaces any earlier one.
#[utoipa::path(
    post,
    path = "/v1/device/uv-key",
    operation_id = "device_register_uv_key",
    tag = "device",
    security(("device_signature" = [])),
    request_body(content = Envelope, description = "A `uv_key` envelope (payload: `UserVerificationKey`), signed by the device key and the PIN key (never a user-verification key)."),
    responses(
        (status = 204, description = "The key is registered."),
        (status = 400, description = "`bad_request` (e.g. an unreadable key), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = DEVICE_401_BODY, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403_PIN, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn register_uv_key(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    call: DeviceCall,
) -> ApiResult<StatusCode> {
    let device = call.active(&service)?;
    service.register_uv_key(device, &call.body, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the user-verification key
///
/// No body; the device header alone authorises it.
#[utoipa::path(
    delete,
    path = "/v1/device/uv-key",
    operation_id = "device_remove_uv_key",
    tag = "device",
    security(("device_signature" = [])),
    responses(
        (status = 204, description = "The key is removed (or there was none)."),
        (status = 401, description = DEVICE_401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = DEVICE_403, body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
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
