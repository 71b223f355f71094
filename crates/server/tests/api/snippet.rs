//! The relying parties' snippet `/godkend.js` as the real server serves it (its
//! behaviour tested with Node against real loopback listeners, tests/js), and the
//! demo page that uses it: it starts the sign-in itself and its relying party's
//! origins are where the page is served.

use godkend_protocol::messages::OriginBinding;
use serde_json::json;

use crate::common::{Db, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn godkend_js_is_served_and_behaves() {
    let server = TestServer::start(Db::Sqlite).await;
    let r = server
        .http
        .get(format!("{}/godkend.js", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let snippet = r.text().await.unwrap();
    assert_eq!(snippet, include_str!("../../assets/godkend.js"));
    assert!(
        !snippet.contains("location"),
        "the snippet must not read the page's address"
    );

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("godkend.js");
    std::fs::write(&copy, &snippet).unwrap();
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/godkend.test.mjs");
    let out = std::process::Command::new("node")
        .arg("--test")
        .arg(tests)
        .env("GODKEND_JS", &copy)
        .output()
        .expect("node (Debian package `nodejs`) runs the snippet's tests");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "node --test failed:\n{report}");
    assert!(report.contains("# pass 7"), "{report}");
    assert!(report.contains("# fail 0"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_starts_the_sign_in_and_binds_its_own_origin() {
    let server = TestServer::start_with(Db::Sqlite, &["--demo"]).await;
    let r = server
        .http
        .get(format!("{}/demo", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for port in [47470, 47471, 47472] {
        assert!(csp.contains(&format!("http://127.0.0.1:{port}")), "{csp}");
    }
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"<script src="/godkend.js"></script>"#));
    assert!(page.contains("Godkend.handOff(id)"));
    // The request and its code come only from the page's own sign-in.
    for banned in [
        "location.search",
        "URLSearchParams",
        "location.hash",
        "params.get",
    ] {
        assert!(
            !page.contains(banned),
            "the demo page reads its address: {banned}"
        );
    }

    // The demo RP's origins are where this server serves the page.
    let list = server.admin(&["rp", "list"]).expect("rp list");
    let demo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rp_id"] == "demo")
        .expect("the demo rp");
    let origins: Vec<&str> = demo["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    let localhost = format!("http://localhost:{}", server.port);
    assert!(origins.contains(&server.url.as_str()), "{origins:?}");
    assert!(origins.contains(&localhost.as_str()), "{origins:?}");

    server.add_user("alice");
    let device = server.device("alice").await;
    let r = server
        .http
        .post(format!("{}/demo/api/login", server.url))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let request = device.pending_one().await;
    assert_eq!(request.request.origin_binding, OriginBinding::Preferred);
    assert!(
        request.request.rp_origins.contains(&server.url),
        "{:?}",
        request.request.rp_origins
    );
}
