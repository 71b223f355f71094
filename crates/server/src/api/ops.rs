//! Operations endpoints: server info, health, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use godkend_protocol::messages::ServerInfoResponse;

use super::error::ApiResult;
use crate::service::SharedService;

pub async fn server_info(
    State(service): State<SharedService>,
) -> ApiResult<Json<ServerInfoResponse>> {
    Ok(Json(service.server_info()?))
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers.
pub async fn readyz(State(service): State<SharedService>) -> impl IntoResponse {
    match service.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// Prometheus text format.
pub async fn metrics(State(service): State<SharedService>) -> impl IntoResponse {
    crate::metrics::connected_devices(service.hub.connected());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}
