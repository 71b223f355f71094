//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers'
//! `#[utoipa::path]` annotations and the wire types, served at `GET /openapi.json`.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use godkend_protocol::messages::{
    Activation, ApprovalRequest, CloseReason, Decision, DecisionKind, DeviceRequestHeader,
    DeviceRevocation, DeviceStatus, EventKind, Heartbeat, KeyRotation, OriginBinding, PinChange,
    RequestClosed, RpResult, ServerInfo, UnlockChallenge, UnlockProof, UserVerificationKey, UvKind,
};
use godkend_protocol::{Algorithm, Envelope, ErrorCode, Problem, SignatureEntry};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use super::{admin, device, events, ops, rp};
use crate::service::SharedService;

const DESCRIPTION: &str = "\
The HTTP API of a Godkend approval server: relying parties create approval requests, \
devices receive them over a signed push stream and answer with signed decisions, and \
relying parties read a server-signed result.

This document lists the endpoints, bodies and error answers. The wire protocol itself \
(canonical JSON, envelopes and signatures, the device request header, timing rules) is \
specified in [PROTOCOL.md](https://github.com/godkend/godkend/blob/main/crates/protocol/PROTOCOL.md) \
(`crates/protocol/PROTOCOL.md` in the source tree); section numbers (§) refer to it.

- **Envelopes.** Signed objects travel as an `Envelope`: a `payload` (the object's \
fields plus `v` = 1 and `type`) and its `signatures` over the payload's RFC 8785 form. \
The schemas `ApprovalRequest`, `Decision`, `DeviceStatus`, `UnlockChallenge`, \
`UnlockProof`, `PinChange`, `DeviceRevocation`, `UserVerificationKey`, `RpResult`, \
`ServerInfo`, `KeyRotation`, `Activation`, `RequestClosed`, `Heartbeat` and \
`DeviceRequestHeader` describe those payloads (without `v` and `type`).
- **Authentication.** Relying parties send `Authorization: Bearer <API key>`, admin \
tools `Authorization: Bearer <admin token>` (the admin API is off unless a token is \
configured), devices a signed `Authorization: Godkend <base64url envelope>` header \
(§3.1).
- **Errors** are RFC 9457 `application/problem+json` bodies (`Problem`); clients match \
on `code`.";

/// The document. Demo routes and `/openapi.json` itself are not in it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Godkend approval server API",
        version = env!("CARGO_PKG_VERSION"),
        description = DESCRIPTION,
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        ops::server_info,
        device::activate,
        events::events,
        device::pending,
        device::decide,
        device::status,
        device::unlock_challenge,
        device::unlock,
        device::change_pin,
        device::devices,
        device::revoke,
        device::register_uv_key,
        device::remove_uv_key,
        rp::create,
        rp::get,
        rp::wait,
        admin::users,
        admin::add_user,
        admin::remove_user,
        admin::rps,
        admin::add_rp,
        admin::remove_rp,
        admin::update_rp,
        admin::rotate_rp_key,
        admin::create_activation,
        admin::devices,
        admin::revoke_device,
        admin::audit,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    components(schemas(
        Envelope,
        SignatureEntry,
        Algorithm,
        Problem,
        ErrorCode,
        EventKind,
        ApprovalRequest,
        OriginBinding,
        Decision,
        DecisionKind,
        DeviceStatus,
        UnlockChallenge,
        UnlockProof,
        PinChange,
        DeviceRevocation,
        UserVerificationKey,
        UvKind,
        RpResult,
        ServerInfo,
        KeyRotation,
        Activation,
        RequestClosed,
        CloseReason,
        Heartbeat,
        DeviceRequestHeader,
    )),
    modifiers(&SecuritySchemes, &DatabaseUnavailable),
    tags(
        (name = "device", description = "The device (desktop app) API: activation, push, decisions, unlock, PIN, devices (PROTOCOL.md §3, §5–§8)."),
        (name = "rp", description = "The relying-party API (PROTOCOL.md §9)."),
        (name = "admin", description = "The admin CLI's operations for remote tooling; off unless an admin token is configured."),
        (name = "ops", description = "Server identity, health, readiness and metrics."),
    ),
)]
pub struct ApiDoc;

/// The three ways callers authenticate.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "rp_api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A relying party's API key, as `Authorization: Bearer <key>`. The \
                         admin creates it (`POST /v1/admin/rps`) and it is shown once.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin token configured on the server, as `Authorization: Bearer \
                         <token>`. Without a configured token the admin API answers \
                         `not_found`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "device_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Godkend <base64url(JSON of an envelope)>` (PROTOCOL.md §3.1). The \
                 envelope's payload is a `device_request` object (`DeviceRequestHeader`) \
                 signed by the device key alone: `device_id`, the HTTP `method`, the `path` \
                 and query as built from the public URL, `iat` in server time (±60 s), a \
                 fresh random `nonce` and `body_sha256`, the base64url SHA-256 of the exact \
                 body bytes (of the empty string when there is no body). A new header is \
                 needed for every call.",
            ))),
        );
    }
}

/// Every call that reads or writes the database may be answered 503 `unavailable`
/// (`ApiError` from a store error that `is_unavailable`): said once here rather
/// than on each handler.
struct DatabaseUnavailable;

impl Modify for DatabaseUnavailable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const WITHOUT_DATABASE: &[&str] = &["server_info", "healthz", "readyz", "metrics"];
        const UNAVAILABLE: &str = "`unavailable`: the database is out of reach or out of \
             space for now; nothing was done; send the same request again after \
             `Retry-After` seconds.";
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if operation
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| WITHOUT_DATABASE.contains(&id))
                {
                    continue;
                }
                if let Some(RefOr::T(busy)) = operation.responses.responses.get_mut("503") {
                    busy.description = format!("{} Or {UNAVAILABLE}", busy.description);
                    continue;
                }
                let response = ResponseBuilder::new()
                    .description(UNAVAILABLE)
                    .content(
                        godkend_protocol::problem::CONTENT_TYPE,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                            .description(Some("Seconds to wait before trying again."))
                            .build(),
                    )
                    .build();
                operation
                    .responses
                    .responses
                    .insert("503".to_owned(), RefOr::T(response));
            }
        }
    }
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// `GET /openapi.json`: the document, with this server's public URL as its server.
pub async fn openapi_json(State(service): State<SharedService>) -> Json<utoipa::openapi::OpenApi> {
    let mut document = DOCUMENT.clone();
    document.servers = Some(vec![Server::new(
        service.settings.public_url.as_str().trim_end_matches('/'),
    )]);
    Json(document)
}
