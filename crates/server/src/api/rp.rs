//! The relying-party API: create a request, read its state, wait for its result.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use godkend_protocol::Problem;
use godkend_protocol::messages::{CreateRequest, CreatedRequest, RequestStatus};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{JsonBody, PathParam, QueryParams, Rp};
use crate::service::SharedService;

/// 401 answers of every relying-party call.
const RP_401: &str =
    "`unauthorized`: no valid relying-party API key in `Authorization: Bearer <key>`.";

/// Create an approval request
///
/// Pushes the request to the user's devices and answers with the code to show on the
/// login screen (PROTOCOL.md §9). At most one request per user is pending: a new one
/// supersedes the old.
#[utoipa::path(
    post,
    path = "/v1/rp/requests",
    operation_id = "rp_create_request",
    tag = "rp",
    security(("rp_api_key" = [])),
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Created: show `code` to the user.", body = CreatedRequest),
        (status = 400, description = "`bad_request` (unknown member, bad amount, code length or lifetime), `malformed_json`.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = RP_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`user_not_found`.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`, `pushes_blocked` (after a \"not me\"), with `retry_after`.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
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

/// Read a request's state
///
/// `result`, present once the request is final, is an `rp_result` envelope (payload:
/// `RpResult`) signed by the server key.
#[utoipa::path(
    get,
    path = "/v1/rp/requests/{id}",
    operation_id = "rp_get_request",
    tag = "rp",
    security(("rp_api_key" = [])),
    params(("id" = String, Path, description = "The `request_id` from the create answer.")),
    responses(
        (status = 200, description = "The request's state.", body = RequestStatus),
        (status = 400, description = "`bad_request`: `id` is not UTF-8 once percent-decoded.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = RP_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such request of this relying party.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    State(service): State<SharedService>,
    Rp(rp): Rp,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<RequestStatus>> {
    Ok(Json(service.request_status(&rp, &id).await?))
}

/// How often a long poll reads its request when nothing woke it.
const FALLBACK_CHECK: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait at most (1–60, default 30).
    #[param(minimum = 1, maximum = 60)]
    timeout: Option<u64>,
}

/// Wait for a request's result
///
/// Long poll: answers as soon as the request is final, or with its pending state
/// when the timeout passes.
#[utoipa::path(
    get,
    path = "/v1/rp/requests/{id}/wait",
    operation_id = "rp_wait_request",
    tag = "rp",
    security(("rp_api_key" = [])),
    params(("id" = String, Path, description = "The `request_id` from the create answer."), WaitQuery),
    responses(
        (status = 200, description = "The request's state: final, or still `pending` when the timeout passed.", body = RequestStatus),
        (status = 400, description = "`bad_request`: `timeout` is not a whole number of seconds, or `id` is not UTF-8 once percent-decoded.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = RP_401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such request of this relying party.", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`.", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn wait(
    State(service): State<SharedService>,
    Rp(rp): Rp,
    PathParam(id): PathParam<String>,
    QueryParams(query): QueryParams<WaitQuery>,
) -> ApiResult<Json<RequestStatus>> {
    let timeout = Duration::from_secs(query.timeout.unwrap_or(30).clamp(1, 60));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut shutdown = service.shutdown.subscribe();
    let watch = service.waiters.watch(&id);
    // The first look is always a read: it checks that the request is this relying
    // party's, before anything handed to the wait is answered.
    let mut read = false;
    loop {
        let finished = watch.notified();
        let status = match watch.committed().filter(|_| read) {
            Some(committed) => service.committed_status(&id, committed)?,
            None => service.request_status(&rp, &id).await?,
        };
        read = true;
        if status.status.is_final() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(status));
        }
        // Woken when the request finishes, on this node or (PostgreSQL NOTIFY) another;
        // the slow check catches a writer that cannot wake us (the admin CLI on SQLite,
        // a lost NOTIFY connection).
        tokio::select! {
            () = finished => {}
            () = tokio::time::sleep(FALLBACK_CHECK) => {}
            () = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => return Ok(Json(status)),
        }
    }
}
