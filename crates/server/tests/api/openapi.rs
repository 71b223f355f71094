//! `GET /openapi.json`: the generated OpenAPI document is well formed and documents
//! every route of the router.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Db, TestServer};

/// Every documented operation, as (method, path). Keep in step with the router in
/// src/api/mod.rs; the demo routes, `/openapi.json` itself and the static
/// `/godkend.js` are not documented.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/v1/server-info"),
    ("post", "/v1/device/activate"),
    ("get", "/v1/device/events"),
    ("get", "/v1/device/requests"),
    ("post", "/v1/device/requests/{id}/decision"),
    ("get", "/v1/device/status"),
    ("post", "/v1/device/unlock/challenge"),
    ("post", "/v1/device/unlock"),
    ("post", "/v1/device/pin"),
    ("get", "/v1/device/devices"),
    ("post", "/v1/device/devices/revoke"),
    ("post", "/v1/device/uv-key"),
    ("delete", "/v1/device/uv-key"),
    ("post", "/v1/rp/requests"),
    ("get", "/v1/rp/requests/{id}"),
    ("get", "/v1/rp/requests/{id}/wait"),
    ("get", "/v1/admin/users"),
    ("post", "/v1/admin/users"),
    ("delete", "/v1/admin/users/{user}"),
    ("get", "/v1/admin/rps"),
    ("post", "/v1/admin/rps"),
    ("delete", "/v1/admin/rps/{rp}"),
    ("patch", "/v1/admin/rps/{rp}"),
    ("post", "/v1/admin/rps/{rp}/rotate-key"),
    ("post", "/v1/admin/activations"),
    ("get", "/v1/admin/devices"),
    ("post", "/v1/admin/devices/{serial}/revoke"),
    ("get", "/v1/admin/audit"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The path of every `.route("...")` in the router's source, so a route added there
/// without documentation fails this test.
fn router_paths() -> BTreeSet<String> {
    let source = include_str!("../../src/api/mod.rs");
    let mut paths = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = rest[at + ".route(".len()..].trim_start();
        let literal = rest
            .strip_prefix('"')
            .expect(".route( is followed by a path literal");
        let end = literal.find('"').unwrap();
        paths.insert(literal[..end].to_owned());
        rest = &literal[end..];
    }
    paths
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_every_route() {
    let server = TestServer::start(Db::Sqlite).await;
    let response = server
        .http
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value =
        serde_json::from_str(&response.text().await.unwrap()).expect("/openapi.json is JSON");

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "not OpenAPI 3.x: {}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Godkend approval server API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["info"]["license"]["identifier"], "MIT OR Apache-2.0");
    assert_eq!(doc["servers"][0]["url"], server.url.as_str());

    // Exactly the expected paths and operations: a new undocumented route, or a
    // documented one missing from the list above, fails here.
    let expected_paths: BTreeSet<String> =
        OPERATIONS.iter().map(|(_, p)| (*p).to_owned()).collect();
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(documented, expected_paths);
    assert_eq!(paths.len(), expected_paths.len());
    let operations: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    assert_eq!(operations.len(), OPERATIONS.len(), "{operations:?}");

    let in_router: BTreeSet<String> = router_paths()
        .into_iter()
        .filter(|p| !p.starts_with("/demo") && p != "/openapi.json" && p != "/godkend.js")
        .collect();
    assert_eq!(
        in_router, expected_paths,
        "src/api/mod.rs routes and the documented paths differ"
    );

    let security_schemes = &doc["components"]["securitySchemes"];
    assert_eq!(security_schemes["rp_api_key"]["scheme"], "bearer");
    assert_eq!(security_schemes["admin_token"]["scheme"], "bearer");
    assert_eq!(security_schemes["device_signature"]["type"], "apiKey");
    assert_eq!(security_schemes["device_signature"]["in"], "header");
    assert_eq!(
        security_schemes["device_signature"]["name"],
        "Authorization"
    );

    let mut operation_ids = BTreeSet::new();
    for (method, path) in OPERATIONS {
        let op = &paths[*path][*method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(
            operation_ids.insert(op["operationId"].as_str().unwrap()),
            "duplicate operationId for {method} {path}"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} has no success response"
        );
        let security = op["security"].to_string();
        let wanted = if path.starts_with("/v1/admin/") {
            Some("admin_token")
        } else if path.starts_with("/v1/rp/") {
            Some("rp_api_key")
        } else if path.starts_with("/v1/device/") && *path != "/v1/device/activate" {
            Some("device_signature")
        } else {
            None
        };
        match wanted {
            Some(scheme) => {
                assert!(security.contains(scheme), "{method} {path}: {security}");
                // Authenticated calls document their errors as problem+json.
                let problem =
                    &responses["401"]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{method} {path} has no problem+json 401"
                );
            }
            None => assert!(op.get("security").is_none(), "{method} {path}: {security}"),
        }
    }
    // The stream is described by one event's schema, as schemathesis (and OpenAPI
    // 3.2's `itemSchema`) read it: a plain string schema failed every event.
    assert_eq!(
        paths["/v1/device/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
            ["$ref"],
        "#/components/schemas/StreamEvent"
    );
    let event = &doc["components"]["schemas"]["StreamEvent"];
    assert_eq!(event["type"], "object");
    assert_eq!(event["required"], serde_json::json!(["event", "data"]));
    assert_eq!(event["properties"]["id"]["pattern"], "^[0-9]+$");

    // Every operation with a path or query parameter documents the 400 its bad
    // value gets (the schemathesis run found four that did not).
    for (method, path) in OPERATIONS {
        let op = &paths[*path][*method];
        let has_query = op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        if path.contains('{') || has_query {
            assert_eq!(
                op["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} does not document its 400"
            );
        }
    }

    // The limits the server enforces on a new request are in the schema, so a
    // generated valid body is one the server accepts.
    let create = &doc["components"]["schemas"]["CreateRequest"]["properties"];
    assert_eq!(create["title"]["maxLength"], 120);
    assert_eq!(create["message"]["maxLength"], 1000);
    assert_eq!(create["ttl_seconds"]["minimum"], 10);
    assert_eq!(create["ttl_seconds"]["maximum"], 600);
    assert_eq!(create["code_length"]["maximum"], 8);

    // Every schema reference resolves.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
    // The device API's plain JSON answers are the protocol's types, named as such.
    for (method, path, schema) in [
        (
            "post",
            "/v1/device/requests/{id}/decision",
            "DecisionAccepted",
        ),
        ("get", "/v1/device/requests", "PendingRequests"),
        ("post", "/v1/device/unlock", "Unlocked"),
    ] {
        let body = &paths[path][method]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            body["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{method} {path}"
        );
    }
    let accepted = &schemas["DecisionAccepted"]["properties"];
    assert_eq!(
        accepted["status"]["$ref"],
        "#/components/schemas/RequestState"
    );
    assert!(accepted["request_id"].is_object());
    for name in [
        "Problem",
        "ErrorCode",
        "Envelope",
        "ApprovalRequest",
        "Decision",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}
