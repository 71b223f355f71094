//! The demo page (`serve --demo`) in a real browser: headless Chromium driven through
//! chromedriver signs in, shows the code, and follows the device's approval, its
//! denial and the server's error; it never takes a request from its address, and
//! without an app to hand off to it keeps the typed code. Screenshots go to `target/screenshots/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (scripts/test.sh
//! installs them); `GODKEND_CHROMIUM` and `GODKEND_CHROMEDRIVER` override the paths.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, Locator};
use godkend_protocol::messages::RequestState;
use serde_json::json;

use crate::common::{Db, PIN, TestServer};

#[path = "../../../../tests/support/chromedriver.rs"]
mod chromedriver;
pub(crate) use chromedriver::{Chromedriver, browser_missing, chromium_version};

/// How long the page may take to reach a state.
const TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_signs_in_with_approval_denial_and_error() {
    let server =
        TestServer::start_with(Db::Sqlite, &["--demo", "--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let driver = Chromedriver::start(&server.http).await;
    let page = Page {
        client: driver.connect().await,
        shots: screenshot_dir(),
    };
    page.client
        .goto(&format!("{}/demo", server.url))
        .await
        .unwrap();
    assert_eq!(page.client.title().await.unwrap(), "Godkend demo · Sign in");

    // Sign in, then again (a retry): the newer request supersedes the first. The
    // page stops polling the first and keeps showing the newer code. The first one's
    // next poll (every 700 ms) would come before the newer one's second, so three
    // polls of the newer one are enough to see it did not happen.
    page.sign_in("alice").await;
    let first = device.pending_one().await;
    let code = page.sign_in("alice").await;
    let request = device.pending_one().await;
    let (older, newer) = (
        format!("/demo/api/requests/{}", first.request.request_id),
        format!("/demo/api/requests/{}", request.request.request_id),
    );
    assert_ne!(older, newer);
    let fetches = page
        .wait_fetches("three polls of the newer request", |f| {
            f.iter().filter(|x| x.path == newer && x.end > 0.0).count() >= 3
        })
        .await;
    let login = fetches
        .iter()
        .filter(|x| x.path == "/demo/api/login")
        .map(|x| x.end)
        .fold(0.0, f64::max);
    assert!(
        !fetches.iter().any(|x| x.path == older && x.start > login),
        "the superseded request is not polled after the retry: {fetches:?}"
    );
    let state = page.state().await;
    assert_eq!(state.status.as_deref(), Some("pending"), "{state:?}");
    assert_eq!(state.code, code, "the newer code stays on the page");
    page.screenshot("demo-waiting").await;

    // Approval: the code on the page is the one the device must type.
    assert_eq!(request.request.rp_name, "Godkend Demo");
    assert_eq!(request.request.title, "Sign in to the Godkend demo");
    let user_agent = request
        .request
        .context
        .user_agent
        .clone()
        .unwrap_or_default();
    assert!(
        user_agent.contains("Chrome"),
        "the request carries the browser's user agent: {user_agent:?}"
    );
    let answer = device.approve(&request, &code, PIN).await.unwrap();
    assert_eq!(answer.status, RequestState::Approved);
    let state = page
        .wait("the approval", |s| s.status.as_deref() == Some("approved"))
        .await;
    assert!(state.status_text.contains("Approved"), "{state:?}");
    assert!(state.code.is_empty(), "the code is hidden once decided");
    page.screenshot("demo-approved").await;

    // Denial of the next sign-in.
    page.sign_in("alice").await;
    let request = device.pending_one().await;
    let answer = device.refuse(&request, false).await.unwrap();
    assert_eq!(answer.status, RequestState::Denied);
    let state = page
        .wait("the denial", |s| s.status.as_deref() == Some("denied"))
        .await;
    assert!(state.status_text.contains("Denied"), "{state:?}");
    page.screenshot("demo-denied").await;

    // An unknown user: the page shows the server's problem title.
    page.type_user("nobody").await;
    page.click_submit().await;
    let state = page
        .wait("the error", |s| s.status.as_deref() == Some("error"))
        .await;
    assert!(
        state.status_text.contains("no user `nobody`"),
        "the server's user_not_found title: {state:?}"
    );
    assert!(state.code.is_empty(), "no code for a failed sign-in");
    page.screenshot("demo-error").await;

    // The page never takes a request or its code from its address (PROTOCOL.md §7.3):
    // a link naming someone else's pending request shows and hands off nothing.
    let created: serde_json::Value = server
        .http
        .post(format!("{}/demo/api/login", server.url))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, code, exp) = (
        created["request_id"].as_str().unwrap(),
        created["code"].as_str().unwrap(),
        created["exp"].as_i64().unwrap(),
    );
    page.client
        .goto(&format!(
            "{}/demo?user=alice&request={id}&code={code}&exp={exp}",
            server.url
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let state = page.state().await;
    assert!(state.code.is_empty() && state.status.is_none(), "{state:?}");
    let fetches = page.fetches().await;
    assert!(
        !fetches
            .iter()
            .any(|f| f.path.contains(id) || f.path == "/v1/handoff"),
        "the page followed or handed off the request in its address: {fetches:?}"
    );
    // Its own sign-in tries the hand-off (no app listens here) and still shows the
    // code, the fallback.
    let code = page.sign_in("alice").await;
    assert_eq!(code.len(), 6);
    let handed_off = until(
        "the hand-off attempt",
        async || {
            page.client
                .execute(
                    "return document.getElementById('handoff').dataset.handedOff;",
                    vec![],
                )
                .await
                .unwrap()
        },
        |v| v != "pending",
    )
    .await;
    assert_eq!(handed_off, "false");
    page.screenshot("demo-no-hand-off").await;

    page.client.close().await.unwrap();
}

/// What the page shows: the visible code, and the status element.
#[derive(Debug, Clone, serde::Deserialize)]
struct PageState {
    code: String,
    status: Option<String>,
    status_text: String,
}

/// One network request of the page: path, start and end in ms of the page's clock
/// (end is 0 while it runs).
#[derive(Debug, serde::Deserialize)]
struct Fetch {
    path: String,
    start: f64,
    end: f64,
}

/// Polls `probe` until `ready` holds; fails after `TIMEOUT` with the last value.
pub(crate) async fn until<T: std::fmt::Debug>(
    what: &str,
    probe: impl AsyncFn() -> T,
    ready: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let value = probe().await;
        if ready(&value) {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting for {what}; last seen: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Page {
    client: Client,
    shots: PathBuf,
}

impl Page {
    async fn state(&self) -> PageState {
        // One script, so the three values are read at the same instant (separate
        // WebDriver calls could straddle the page's own update). The code counts as
        // shown only while its section is visible.
        let script = r#"
            const status = document.getElementById("status");
            const waiting = document.getElementById("waiting");
            return {
                code: waiting.offsetParent === null ? "" : document.getElementById("code").textContent,
                status: status.dataset.status ?? null,
                status_text: status.offsetParent === null ? "" : status.textContent,
            };
        "#;
        serde_json::from_value(self.client.execute(script, vec![]).await.unwrap()).unwrap()
    }

    /// Polls the page until `ready` holds; fails after `TIMEOUT` with the last state.
    async fn wait(&self, what: &str, ready: impl Fn(&PageState) -> bool) -> PageState {
        until(what, async || self.state().await, ready).await
    }

    /// The page's network requests so far (the browser's resource timing entries).
    async fn fetches(&self) -> Vec<Fetch> {
        let script = "return performance.getEntriesByType('resource').map(e =>
            ({ path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd }));";
        serde_json::from_value(self.client.execute(script, vec![]).await.unwrap()).unwrap()
    }

    async fn wait_fetches(&self, what: &str, ready: impl Fn(&[Fetch]) -> bool) -> Vec<Fetch> {
        until(what, async || self.fetches().await, |f| ready(f)).await
    }

    async fn type_user(&self, user: &str) {
        let input = self.client.find(Locator::Id("user")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(user).await.unwrap();
    }

    async fn click_submit(&self) {
        self.client
            .find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Signs in as `user` and returns the code the page shows while it waits.
    async fn sign_in(&self, user: &str) -> String {
        self.type_user(user).await;
        self.click_submit().await;
        let state = self
            .wait("the code", |s| {
                s.status.as_deref() == Some("pending")
                    && s.code.len() == 6
                    && s.code.bytes().all(|b| b.is_ascii_digit())
            })
            .await;
        assert!(state.status_text.contains("Waiting"), "{state:?}");
        state.code
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
}

/// `target/screenshots/`, created: under `CARGO_TARGET_DIR` when set (a relative one
/// is taken from the workspace root, where scripts/test.sh runs cargo), else the
/// workspace's `target/`.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}
