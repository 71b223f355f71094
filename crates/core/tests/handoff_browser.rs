//! A real browser hands off: headless Chromium opens a page on a realistic origin
//! (names mapped to loopback with `--host-resolver-rules`, no DNS), whose script
//! posts the request id to the listener as `godkend.js` will (a CORS-simple `fetch`
//! with a string body, so no preflight). The genuine page reads the verified answer;
//! the lookalike page cannot read anything, yet its hand-off reaches the app and
//! marks the request. Skipped, loudly, where Chromium is not installed.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod handoff_support;

use std::convert::Infallible;
use std::time::Duration;

use godkend_core::handoff::{BindingState, Limits, WebOrigin};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The browser: `GODKEND_CHROMIUM` (as scripts/test.sh sets it), else `chromium`.
fn chromium() -> String {
    std::env::var("GODKEND_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Serves `page` for every request on a free loopback port, until the test ends.
async fn serve_page(page: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let page = page.clone();
            let service = service_fn(move |_: Request<hyper::body::Incoming>| {
                let mut response = Response::new(Full::new(Bytes::from(page.clone())));
                response
                    .headers_mut()
                    .insert("content-type", "text/html".parse().unwrap());
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    port
}

/// The page of `godkend.js`'s hand-off, reduced to the request: it hands off the
/// request id named by its path (a test page only; the real snippet takes it from
/// the page's own server session) and writes what it could read of the answer.
fn page(listener_port: u16) -> String {
    format!(
        r#"<!doctype html><html><body>waiting<script>
fetch("http://127.0.0.1:{listener_port}/v1/handoff", {{ method: "POST", body: location.pathname.slice(1) }})
  .then(r => r.text().then(t => {{ document.body.textContent = "answer " + r.status + " " + t; }}))
  .catch(e => {{ document.body.textContent = "unreadable " + e.name; }});
</script></body></html>"#
    )
}

/// Chromium's DOM of `url` once its script ran.
async fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = tokio::process::Command::new(chromium())
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--host-resolver-rules=MAP shop.example 127.0.0.1, MAP shop-example.login.test 127.0.0.1",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("Chromium finishes within 90 s")
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_pages_hand_off_with_their_real_origin() {
    if std::process::Command::new(chromium())
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("!!!!!!!! SKIPPED: Chromium is not installed: no browser hand-off test !!!!!!!!");
        return;
    }
    let version = std::process::Command::new(chromium())
        .arg("--version")
        .output()
        .unwrap();
    println!(
        "browser: {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    let listener = handoff_support::start(Limits::default()).await;
    let genuine_port = serve_page(page(listener.port())).await;
    let lookalike_port = serve_page(page(listener.port())).await;
    let genuine = format!("http://shop.example:{genuine_port}");
    let lookalike = format!("http://shop-example.login.test:{lookalike_port}");
    listener.open_request("req_genuine", std::slice::from_ref(&genuine));
    listener.open_request("req_relayed", std::slice::from_ref(&genuine));

    let dom = dump_dom(&format!("{genuine}/req_genuine")).await;
    assert!(
        dom.contains(r#"answer 200 {"status":"verified"}"#),
        "the genuine page reads its answer: {dom}"
    );
    assert_eq!(
        listener.state("req_genuine"),
        Some(BindingState::Verified(
            WebOrigin::from_header(&genuine).unwrap()
        ))
    );

    // The relay: the lookalike page hands off the request it relays.
    let dom = dump_dom(&format!("{lookalike}/req_relayed")).await;
    assert!(
        dom.contains("unreadable TypeError"),
        "the lookalike page may not read the answer: {dom}"
    );
    let mismatch = BindingState::Mismatch(WebOrigin::from_header(&lookalike).unwrap());
    assert_eq!(listener.state("req_relayed"), Some(mismatch.clone()));

    // The genuine page handing off the same request afterwards changes nothing.
    let dom = dump_dom(&format!("{genuine}/req_relayed")).await;
    assert!(
        dom.contains(r#"answer 409 {"status":"already_mismatched"}"#),
        "the genuine page reads that the request is marked: {dom}"
    );
    assert_eq!(listener.state("req_relayed"), Some(mismatch));
}
