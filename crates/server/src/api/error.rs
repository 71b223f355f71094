//! Turning service errors into RFC 9457 problem+json answers. Internal faults are
//! logged with their cause and answered with a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use godkend_protocol::{ErrorCode, Problem, problem};

use crate::service::ServiceError;

/// `Retry-After` when the database is unavailable: about how long PostgreSQL takes
/// to restart or an operator to free disk space, not so long that service resumes
/// unnoticed.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

/// An error answer from a handler.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(Box::new(p))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Problem(p) => ApiError(p),
            ServiceError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                let mut p = Problem::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                );
                p.retry_after = Some(UNAVAILABLE_RETRY_SECONDS);
                p.into()
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Problem::new(ErrorCode::Internal, "internal server error").into()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}

/// A problem as an HTTP response.
pub fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(p).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(problem::CONTENT_TYPE),
    );
    if let Some(after) = p.retry_after
        && let Ok(v) = HeaderValue::from_str(&after.to_string())
    {
        headers.insert(header::RETRY_AFTER, v);
    }
    response
}

pub type ApiResult<T> = Result<T, ApiError>;
