//! `GET /godkend.js`: the relying parties' browser snippet (assets/godkend.js,
//! PROTOCOL.md §7.3), a static file, served on every server.

use axum::http::header;
use axum::response::IntoResponse;

/// The snippet, as shipped.
pub const GODKEND_JS: &str = include_str!("../../assets/godkend.js");

/// Serves the snippet. It may be loaded from any site (and with `integrity`, which
/// needs CORS), so it is public; it holds nothing secret.
pub async fn godkend_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin",
            ),
        ],
        GODKEND_JS,
    )
}
