//! The HTTP surface: routes for devices, relying parties, the demo and operations.

pub mod admin;
pub mod demo;
pub mod device;
pub mod device_auth;
pub mod error;
pub mod events;
pub mod extract;
pub mod openapi;
pub mod ops;
pub mod rp;
pub mod snippet;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::service::SharedService;

/// Every route, with the body limit and request tracing.
pub fn router(service: SharedService, demo: bool) -> Router {
    let mut router = Router::new()
        .route("/v1/server-info", get(ops::server_info))
        .route("/v1/device/activate", post(device::activate))
        .route("/v1/device/events", get(events::events))
        .route("/v1/device/requests", get(device::pending))
        .route("/v1/device/requests/{id}/decision", post(device::decide))
        .route("/v1/device/status", get(device::status))
        .route(
            "/v1/device/unlock/challenge",
            post(device::unlock_challenge),
        )
        .route("/v1/device/unlock", post(device::unlock))
        .route("/v1/device/pin", post(device::change_pin))
        .route("/v1/device/devices", get(device::devices))
        .route("/v1/device/devices/revoke", post(device::revoke))
        .route(
            "/v1/device/uv-key",
            post(device::register_uv_key).delete(device::remove_uv_key),
        )
        .route("/v1/rp/requests", post(rp::create))
        .route("/v1/rp/requests/{id}", get(rp::get))
        .route("/v1/rp/requests/{id}/wait", get(rp::wait))
        .route("/v1/admin/users", get(admin::users).post(admin::add_user))
        .route(
            "/v1/admin/users/{user}",
            axum::routing::delete(admin::remove_user),
        )
        .route("/v1/admin/rps", get(admin::rps).post(admin::add_rp))
        .route(
            "/v1/admin/rps/{rp}",
            axum::routing::delete(admin::remove_rp).patch(admin::update_rp),
        )
        .route("/v1/admin/rps/{rp}/rotate-key", post(admin::rotate_rp_key))
        .route("/v1/admin/activations", post(admin::create_activation))
        .route("/v1/admin/devices", get(admin::devices))
        .route(
            "/v1/admin/devices/{serial}/revoke",
            post(admin::revoke_device),
        )
        .route("/v1/admin/audit", get(admin::audit))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // Every route above is documented in openapi.rs (tests/api/openapi.rs checks it).
        .route("/openapi.json", get(openapi::openapi_json))
        // The relying parties' browser snippet (PROTOCOL.md §7.3): a static file.
        .route("/godkend.js", get(snippet::godkend_js));
    if demo {
        router = router.merge(
            Router::new()
                .route("/demo", get(demo::page))
                .route("/demo/api/login", post(demo::login))
                .route("/demo/api/requests/{id}", get(demo::status))
                // DNS rebinding: only our own host names may reach the demo.
                .route_layer(axum::middleware::from_fn_with_state(
                    service.clone(),
                    demo::check_host,
                )),
        );
    }
    router
        .fallback(device::not_found)
        .layer(DefaultBodyLimit::max(device_auth::MAX_DEVICE_BODY))
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            crate::net::body_deadline::limit_body_read,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(service)
}
