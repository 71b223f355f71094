//! Request extractors with problem+json rejections: JSON bodies, query and path
//! parameters, relying-party API keys, and the client address.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use godkend_protocol::{ErrorCode, Problem};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::service::{SharedService, api_key_hash};
use crate::store::RpRow;

/// `Json<T>` whose failures are problem+json with a clear message.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_problem(&rejection).into()),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => Problem::new(
            ErrorCode::BadRequest,
            "the JSON does not have the expected fields",
        )
        .with_detail(e.body_text()),
        JsonRejection::JsonSyntaxError(e) => {
            Problem::new(ErrorCode::MalformedJson, "the body is not valid JSON")
                .with_detail(e.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            ErrorCode::BadRequest,
            "send the body with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            body_problem(e.status())
        }
        other => Problem::new(ErrorCode::BadRequest, "cannot read the body")
            .with_detail(other.body_text()),
    }
}

/// `Query<T>` whose failures are problem+json with a clear message.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| QueryParams(value))
            .map_err(|e| {
                Problem::new(ErrorCode::BadRequest, "invalid query parameters")
                    .with_detail(e.body_text())
                    .into()
            })
    }
}

/// `Path<T>` whose failures are problem+json too: axum's own rejection (e.g. a
/// percent-encoded segment that is not UTF-8) is a `text/plain` 400, which no
/// client of this API expects (PROTOCOL.md §3: errors are problem+json).
pub struct PathParam<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParam(value))
            .map_err(|e| {
                Problem::new(ErrorCode::BadRequest, "invalid path parameter")
                    .with_detail(e.body_text())
                    .into()
            })
    }
}

/// The problem for a body that could not be read: too large, or broken off.
pub(crate) fn body_problem(status: axum::http::StatusCode) -> Problem {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(ErrorCode::PayloadTooLarge, "the body is too large")
    } else {
        Problem::new(ErrorCode::BadRequest, "cannot read the body")
    }
}

/// The token of an `Authorization: Bearer <token>` header, trimmed.
pub(crate) fn bearer_token(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The relying party named by `Authorization: Bearer <api key>`.
pub struct Rp(pub RpRow);

impl FromRequestParts<SharedService> for Rp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &SharedService,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            Problem::new(
                ErrorCode::Unauthorized,
                "send a valid relying-party API key as `Authorization: Bearer <key>`",
            )
        };
        let key = bearer_token(parts).ok_or_else(unauthorized)?;
        let rp = service
            .store
            .rp_by_key_hash(&api_key_hash(key), crate::service::now())
            .await
            .map_err(crate::service::ServiceError::from)?
            .ok_or_else(unauthorized)?;
        Ok(Rp(rp))
    }
}

/// The client's IP address (for the audit log and per-client limits): the TCP
/// peer, or from `X-Forwarded-For` when the peer is a trusted proxy (net::client_addr).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<SharedService> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &SharedService,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| {
                service
                    .settings
                    .net
                    .trusted_proxies
                    .client_ip(c.0.ip(), &parts.headers)
                    .to_string()
            }),
        ))
    }
}
