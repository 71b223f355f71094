//! The demo relying party (`serve --demo`): a login page that asks the server for an
//! approval and shows the code to type and the result. It acts as the built-in RP
//! `demo`; never enable it on a production server, since anyone who can reach the
//! page can send approval requests to any user.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use godkend_protocol::messages::{
    CreateRequest, CreatedRequest, OriginBinding, RequestContext, RequestKind, RequestStatus,
    UserVerification,
};
use godkend_protocol::{ErrorCode, Problem};
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{ClientIp, JsonBody, PathParam};
use crate::service::{ServiceError, SharedService};
use crate::store::RpRow;

/// The built-in relying party's id.
pub const DEMO_RP: &str = "demo";

const PAGE: &str = include_str!("../../assets/demo.html");

/// Host names the demo answers to besides the public URL's: the loopback names.
const LOOPBACK_HOSTS: [&str; 4] = ["localhost", "127.0.0.1", "[::1]", "::1"];

/// Refuses a demo call whose `Host` is not ours (421): a page on another site that
/// rebinds its DNS name to 127.0.0.1 must not drive the demo from the user's browser.
pub async fn check_host(
    State(service): State<SharedService>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(axum::http::uri::Authority::as_str)
        });
    if host.is_some_and(|h| is_own_host(h, &service.settings.public_url)) {
        return next.run(request).await;
    }
    let mut problem = Problem::new(
        ErrorCode::BadRequest,
        "the demo answers only on the server's own host name or a loopback name",
    );
    problem.status = StatusCode::MISDIRECTED_REQUEST.as_u16();
    super::error::problem_response(&problem)
}

/// Whether `host` (a `Host` header: name or address, maybe with a port) is the public
/// URL's host or a loopback name. The port does not matter: rebinding keeps the
/// attacker's host name, whatever the port.
fn is_own_host(host: &str, public_url: &url::Url) -> bool {
    let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let name = authority.host().to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    LOOPBACK_HOSTS.contains(&name)
        || public_url
            .host_str()
            .is_some_and(|own| own.eq_ignore_ascii_case(name))
}

/// The page's own scripts and /godkend.js; fetches to this server and to the app's
/// hand-off ports on loopback (PROTOCOL.md §7.3), nowhere else.
const DEMO_CSP: &str = "default-src 'self'; style-src 'unsafe-inline'; \
     script-src 'self' 'unsafe-inline'; connect-src 'self' http://127.0.0.1:47470 \
     http://127.0.0.1:47471 http://127.0.0.1:47472";

pub async fn page() -> impl IntoResponse {
    ([(header::CONTENT_SECURITY_POLICY, DEMO_CSP)], Html(PAGE))
}

#[derive(Debug, Deserialize)]
pub struct Login {
    user: String,
}

async fn demo_rp(service: &SharedService) -> Result<RpRow, ServiceError> {
    service.store.rp(DEMO_RP).await?.ok_or_else(|| {
        Problem::new(
            ErrorCode::NotFound,
            "the demo is not enabled on this server",
        )
        .into()
    })
}

pub async fn login(
    State(service): State<SharedService>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    JsonBody(login): JsonBody<Login>,
) -> ApiResult<(StatusCode, Json<CreatedRequest>)> {
    let rp = demo_rp(&service).await?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(120).collect());
    let body = CreateRequest {
        user: login.user.trim().to_owned(),
        kind: RequestKind::Login,
        title: "Sign in to the Godkend demo".into(),
        message: "Someone is signing in to the demo site with your user name.".into(),
        amount: None,
        payee: None,
        context: RequestContext {
            ip,
            location: Some("Demo (this computer)".into()),
            user_agent,
        },
        code_length: None,
        user_verification: UserVerification::Any,
        ttl_seconds: None,
        webhook_url: None,
        // A hand-off from the demo page replaces the code; without one (no app
        // listener, a refused prompt) the code still works.
        origin_binding: OriginBinding::Preferred,
    };
    Ok((
        StatusCode::CREATED,
        Json(service.create_request(&rp, &body).await?),
    ))
}

pub async fn status(
    State(service): State<SharedService>,
    PathParam(id): PathParam<String>,
) -> ApiResult<Json<RequestStatus>> {
    let rp = demo_rp(&service).await?;
    Ok(Json(service.request_status(&rp, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::is_own_host;

    #[test]
    fn only_own_and_loopback_hosts_reach_the_demo() {
        let url = url::Url::parse("http://demo.example:8420").unwrap();
        for ok in [
            "localhost:8420",
            "127.0.0.1",
            "[::1]:8420",
            "DEMO.example:1",
            "localhost.",
        ] {
            assert!(is_own_host(ok, &url), "{ok}");
        }
        for bad in [
            "attacker.example:8420",
            "127.0.0.1.nip.io",
            "",
            "localhost@evil",
            "127.0.0.2",
        ] {
            assert!(!is_own_host(bad, &url), "{bad}");
        }
    }
}
