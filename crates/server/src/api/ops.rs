//! Operations endpoints: server info, health, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use godkend_protocol::Problem;
use godkend_protocol::messages::ServerInfoResponse;

use super::error::ApiResult;
use crate::service::SharedService;

/// The server's signed identity
///
/// Unauthenticated. `info` is a `server_info` envelope (payload: `ServerInfo`) signed by
/// the current server key; `rotations` are `key_rotation` envelopes (payload:
/// `KeyRotation`), oldest first, each signed by the old key (PROTOCOL.md §4).
#[utoipa::path(
    get,
    path = "/v1/server-info",
    operation_id = "server_info",
    tag = "ops",
    responses(
        (status = 200, description = "The signed server info and the key-rotation chain.", body = ServerInfoResponse),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn server_info(
    State(service): State<SharedService>,
) -> ApiResult<Json<ServerInfoResponse>> {
    Ok(Json(service.server_info()?))
}

/// Liveness: the process answers
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "ops",
    responses((status = 200, description = "The process answers.", body = String, content_type = "text/plain", example = "ok\n")),
)]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How long `/readyz` waits for the database.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "ops",
    responses(
        (status = 200, description = "The database answers.", body = String, content_type = "text/plain", example = "ready\n"),
        (status = 503, description = "The database does not answer within 2 s.", body = String, content_type = "text/plain", example = "database unavailable\n"),
    ),
)]
pub async fn readyz(State(service): State<SharedService>) -> impl IntoResponse {
    // Bounded: a probe must hear "not ready" while the pool still waits for a
    // database that is gone.
    match tokio::time::timeout(READY_WITHIN, service.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// Prometheus metrics
///
/// Counters and gauges in the Prometheus text exposition format 0.0.4.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "ops",
    responses((status = 200, description = "Prometheus text format.", body = String, content_type = "text/plain; version=0.0.4")),
)]
pub async fn metrics(State(service): State<SharedService>) -> impl IntoResponse {
    crate::metrics::connected_devices(service.hub.connected());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}
