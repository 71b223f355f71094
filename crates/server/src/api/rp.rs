//! The relying-party API: create a request, read its state, wait for its result.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use godkend_protocol::messages::{CreateRequest, CreatedRequest, RequestStatus};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{JsonBody, Rp};
use crate::service::SharedService;

pub async fn create(
    State(service): State<SharedService>,
    Rp(rp): Rp,
    JsonBody(body): JsonBody<CreateRequest>,
) -> ApiResult<(StatusCode, Json<CreatedRequest>)> {
    Ok((
        StatusCode::CREATED,
        Json(service.create_request(&rp, &body).await?),
    ))
}

pub async fn get(
    State(service): State<SharedService>,
    Rp(rp): Rp,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestStatus>> {
    Ok(Json(service.request_status(&rp, &id).await?))
}

#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    /// Seconds to wait at most (1–60, default 30).
    timeout: Option<u64>,
}

/// Long poll: answers as soon as the request is final, or with its pending state
/// when the timeout passes.
pub async fn wait(
    State(service): State<SharedService>,
    Rp(rp): Rp,
    Path(id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> ApiResult<Json<RequestStatus>> {
    let timeout = Duration::from_secs(query.timeout.unwrap_or(30).clamp(1, 60));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut shutdown = service.shutdown.subscribe();
    loop {
        let finished = service.request_finished.notified();
        let status = service.request_status(&rp, &id).await?;
        if status.status.is_final() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(status));
        }
        // Woken by a decision on this node; the short sleep catches other nodes.
        tokio::select! {
            () = finished => {}
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
            () = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => return Ok(Json(status)),
        }
    }
}
