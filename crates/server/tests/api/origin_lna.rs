//! Issue 15's Local Network Access test: the RP's sign-in page on a public address,
//! the Godkend app's hand-off listener on loopback, and headless Chromium between
//! them deciding whether the page may reach the app at all.
//!
//! The test re-runs itself (`lna_inside_namespace`, ignored on its own) under
//! `unshare --net --mount`, so it can give the page a public address and put a
//! Chromium policy in place without touching the machine: inside, `lo` comes up, a
//! veth pair carries 203.0.113.7/24 (TEST-NET-3; the `dummy` link type is not in every
//! kernel, veth is), and a temp dir is bind-mounted over /etc/chromium, whose
//! `policies/managed/` Debian's Chromium reads. The real server, alice's device and
//! the core agent with its `HandoffListener` run on loopback as in origin_browser.rs;
//! the page is served over HTTPS at `https://shop.example:<port>`, mapped to
//! 203.0.113.7 with `--host-resolver-rules` and its self-signed key accepted by
//! `--ignore-certificate-errors-spki-list`. The page serves `godkend.js` from its own
//! origin, as an RP that hosts the snippet does (a `<script>` from loopback would
//! itself be a local-network request).
//!
//! What Chromium 156 does (run here 2026-12-02, and asserted below):
//! - It classifies 203.0.113.7 as `public`: the same page's request to 10.0.0.7 is
//!   refused for the `local` address space, and the one to 127.0.0.1 for `loopback`.
//! - (a) `LocalNetworkAccessAllowedForUrls: [origin]`: no prompt, the POST reaches the
//!   listener with `Origin: https://shop.example:<port>` and no preflight; the
//!   request is verified and the PIN alone approves it.
//! - (b) `LocalNetworkAccessBlockedForUrls: [origin]` and (c) no policy: the fetch
//!   fails before any packet is sent ("Permission was denied for this request to
//!   access the `loopback` address space"); headless Chromium has no one to ask, so
//!   it denies the prompt as a user's "Block" would. The snippet resolves
//!   `{handedOff: false}`, the listener hears nothing, and the typed code is needed.
//!   The page's `navigator.permissions.query({name: "loopback-network"})` reads
//!   `denied` afterwards (before: `denied` under the block policy, `prompt` without).
//! - Not asserted here, seen by hand: a plain-`http` page on a public address is
//!   refused even with the allow policy ("The request client is not a secure context
//!   and the resource is in more-private address space `loopback`"): a login page
//!   must be HTTPS for the hand-off to work.
//!
//! Where the namespace cannot be made (not root, no `unshare`/`ip`, no veth, no
//! /etc/chromium) or Chromium is missing, the outer test prints "NOT TRIED" and why.

use std::path::Path;
use std::process::Command;

use axum::extract::Path as UrlPath;
use axum::response::{Html, IntoResponse};
use base64::Engine as _;
use godkend_core::handoff::{BindingState, WebOrigin};
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{DecisionKind, RequestState};
use rcgen::PublicKeyData as _;
use serde_json::{Value, json};
use sha2::Digest as _;
use tokio::sync::broadcast::error::TryRecvError;

use crate::browser::{Chromedriver, browser_missing, chromium_version, until};
use crate::origin_binding::signed_result;
use crate::origin_browser::{Setup, accepted_as, refused_with, setup};

/// The page's address: TEST-NET-3, which Chromium counts as public.
const PUBLIC_IP: &str = "203.0.113.7";
/// Set (to the outer test's namespaces) only for the re-run inside new namespaces.
const INSIDE: &str = "GODKEND_LNA_OUTER_NAMESPACES";
/// The inner test, as libtest names it.
const INNER: &str = "origin_lna::lna_inside_namespace";

#[test]
fn local_network_access_from_a_public_page() {
    if let Some(why) = cannot_try() {
        eprintln!("!!!!!!!! NOT TRIED: Local Network Access from a public address: {why} !!!!!!!!");
        return;
    }
    let status = Command::new("unshare")
        .args(["--net", "--mount", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            INNER,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INSIDE, namespaces())
        .status()
        .expect("run unshare");
    assert!(
        status.success(),
        "the test inside the namespace failed: {status}"
    );
}

/// Why this machine cannot run the namespaced test, if it cannot.
fn cannot_try() -> Option<String> {
    if let Some(why) = browser_missing() {
        return Some(why);
    }
    if !Path::new("/etc/chromium").is_dir() {
        return Some("/etc/chromium (where Chromium reads its policies) does not exist".into());
    }
    if let Err(why) = run("ip", &["-V"]) {
        return Some(format!("`ip` (iproute2) is missing: {why}"));
    }
    // Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and a kernel with network namespaces
    // and veth; the probe's namespace goes away with it.
    let probe = "ip link add lna0 type veth peer name lna1 && mount -t tmpfs none /mnt";
    run("unshare", &["--net", "--mount", "--", "sh", "-c", probe])
        .err()
        .map(|why| format!("cannot make a network+mount namespace with a veth pair: {why}"))
}

/// Runs `program`; its stderr on failure.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}`: {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// This process's network and mount namespaces.
fn namespaces() -> String {
    ["net", "mnt"]
        .map(|ns| {
            std::fs::read_link(format!("/proc/self/ns/{ns}"))
                .unwrap()
                .display()
                .to_string()
        })
        .join(" ")
}

/// Which policy Chromium starts with.
#[derive(Debug, Clone, Copy)]
enum Lna {
    /// `LocalNetworkAccessAllowedForUrls` names the page's origin.
    Granted,
    /// `LocalNetworkAccessBlockedForUrls` names it.
    Blocked,
    /// No policy: headless Chromium cannot show the prompt.
    NoPolicy,
}

impl Lna {
    fn policy(self) -> Option<&'static str> {
        match self {
            Lna::Granted => Some("LocalNetworkAccessAllowedForUrls"),
            Lna::Blocked => Some("LocalNetworkAccessBlockedForUrls"),
            Lna::NoPolicy => None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by local_network_access_from_a_public_page inside its own namespaces"]
async fn lna_inside_namespace() {
    // It changes the network and what /etc/chromium holds: never outside the
    // namespaces the outer test made for it.
    let outer = std::env::var(INSIDE).expect("run only by local_network_access_from_a_public_page");
    for (inside, outside) in namespaces().split(' ').zip(outer.split(' ')) {
        assert_ne!(inside, outside, "not in a new namespace");
    }
    for args in [
        "link set lo up",
        "link add lna0 type veth peer name lna1",
        &format!("addr add {PUBLIC_IP}/24 dev lna0"),
        "link set lna0 up",
        "link set lna1 up",
    ] {
        run("ip", &args.split(' ').collect::<Vec<_>>()).unwrap();
    }
    let policies = PolicyDir::mount();
    println!("browser: {}", chromium_version());

    let (pages, key_hash) = serve_https_page();
    let origin = format!(
        "https://shop.example:{}",
        pages.local_addr().unwrap().port()
    );
    let mut s = setup(&origin).await;
    serve_pages(pages, &s).await;
    let flags = [
        format!("--host-resolver-rules=MAP shop.example {PUBLIC_IP}"),
        format!("--ignore-certificate-errors-spki-list={key_hash}"),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();

    for lna in [Lna::Granted, Lna::Blocked, Lna::NoPolicy] {
        policies.set(lna, &origin);
        let driver = Chromedriver::start(&s.server.http).await;
        let browser = driver.connect_with(&flags).await;
        if let Some(policy) = lna.policy() {
            let status = policy_status(&browser, policy).await;
            println!("{lna:?}: chrome://policy: {status}");
            assert!(status.contains("OK"), "Chromium took the policy: {status}");
        }
        sign_in(&mut s, &browser, &origin, lna).await;
        browser.close().await.unwrap();
    }
}

/// One sign-in under `lna`'s policy, with the outcome it must have.
async fn sign_in(s: &mut Setup, browser: &fantoccini::Client, origin: &str, lna: Lna) {
    let mut heard = s.live.agent.handoff().unwrap().subscribe();
    let (created, request) = s.ask("preferred").await;
    let page = hand_off(browser, &format!("{origin}/{}", created.request_id)).await;
    println!("{lna:?}: the page {page}");
    let state = s.binding(&request);
    if matches!(lna, Lna::Granted) {
        assert_eq!(page.result, "handed-off", "{lna:?}");
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), heard.recv())
            .await
            .expect("the listener heard the hand-off")
            .unwrap();
        println!(
            "{lna:?}: the agent heard {} from {}",
            event.request_id,
            event.origin.as_str()
        );
        let verified = BindingState::Verified(WebOrigin::from_header(origin).unwrap());
        assert_eq!(
            (event.request_id.as_str(), &event.state),
            (created.request_id.as_str(), &verified)
        );
        assert_eq!(state, verified);
        accepted_as(&s.approve(&request, "").await, DecisionKind::Approve);
        let result = signed_result(&s.server, &s.rp, &created.request_id).await;
        assert_eq!(result.status, RequestState::Approved);
        assert!(result.origin_verified);
        assert_eq!(result.origin.as_deref(), Some(origin));
    } else {
        assert_eq!(page.result, "not-handed-off", "{lna:?}");
        assert_eq!(page.after, "denied", "{lna:?}: Chromium refused the page");
        assert!(
            matches!(heard.try_recv(), Err(TryRecvError::Empty)),
            "{lna:?}: no hand-off reached the agent"
        );
        println!("{lna:?}: the agent heard nothing; the request is {state:?}");
        assert_eq!(state, BindingState::Unconfirmed);
        refused_with(&s.approve(&request, "").await, ErrorCode::BadRequest);
        accepted_as(
            &s.approve(&request, &created.code).await,
            DecisionKind::Approve,
        );
        let result = signed_result(&s.server, &s.rp, &created.request_id).await;
        assert_eq!(result.status, RequestState::Approved);
        assert!(!result.origin_verified);
        assert_eq!(result.origin, None);
    }
}

/// A temp dir mounted over /etc/chromium (inside the mount namespace only), holding
/// what was there and the managed policy of the moment.
struct PolicyDir {
    dir: tempfile::TempDir,
}

impl PolicyDir {
    fn mount() -> PolicyDir {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir("/etc/chromium").unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
            }
        }
        std::fs::create_dir_all(dir.path().join("policies/managed")).unwrap();
        run(
            "mount",
            &["--bind", &dir.path().display().to_string(), "/etc/chromium"],
        )
        .unwrap();
        PolicyDir { dir }
    }

    /// Chromium reads it when it starts.
    fn set(&self, lna: Lna, origin: &str) {
        let file = self.dir.path().join("policies/managed/godkend-lna.json");
        match lna.policy() {
            Some(policy) => std::fs::write(file, json!({ policy: [origin] }).to_string()).unwrap(),
            None => {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// The status line chrome://policy shows for `policy`: its value and "OK" when
/// Chromium took it.
async fn policy_status(browser: &fantoccini::Client, policy: &str) -> String {
    browser.goto("chrome://policy").await.unwrap();
    // The page draws its table in shadow roots, out of `innerText`'s reach.
    let text = until(
        "chrome://policy",
        async || {
            let script = "function text(n) { let s = ''; if (n.shadowRoot) s += text(n.shadowRoot);
                for (const c of n.childNodes) s += c.nodeType === 3 ? c.textContent.trim() + ' ' : text(c);
                return s; } return text(document.body);";
            browser.execute(script, vec![]).await.unwrap()
        },
        |v| v.as_str().is_some_and(|t| t.contains(policy)),
    )
    .await;
    let text = text
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let start = text.find(policy).unwrap();
    text[start..].chars().take(120).collect()
}

/// An HTTPS listener on the public address with a fresh self-signed certificate for
/// shop.example, and the base64 SHA-256 of its key, for Chromium to accept it.
fn serve_https_page() -> (std::net::TcpListener, String) {
    let pages = std::net::TcpListener::bind((PUBLIC_IP, 0)).unwrap();
    pages.set_nonblocking(true).unwrap();
    let hash = sha2::Sha256::digest(CERT.signing_key.subject_public_key_info());
    (
        pages,
        base64::engine::general_purpose::STANDARD.encode(hash),
    )
}

static CERT: std::sync::LazyLock<rcgen::CertifiedKey<rcgen::KeyPair>> =
    std::sync::LazyLock::new(|| {
        rcgen::generate_simple_self_signed(vec!["shop.example".to_owned()]).unwrap()
    });

/// Serves the RP's sign-in pages on `pages`: `/godkend.js` (the server's snippet,
/// hosted by the RP) and `/<request id>`, which hands that id off and records in
/// `body`'s data the snippet's result and the page's `loopback-network` permission
/// before and after.
async fn serve_pages(pages: std::net::TcpListener, s: &Setup) {
    let snippet = s
        .server
        .http
        .get(format!("{}/godkend.js", s.server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let port = s.listener_port;
    let app = axum::Router::new()
        .route(
            "/godkend.js",
            axum::routing::get(move || async move {
                ([("content-type", "text/javascript")], snippet).into_response()
            }),
        )
        .route(
            "/{id}",
            axum::routing::get(move |UrlPath(id): UrlPath<String>| async move {
                if !godkend_core::handoff::is_request_id(&id) {
                    return Err(axum::http::StatusCode::NOT_FOUND);
                }
                Ok(Html(format!(
                    r#"<!doctype html><html><head><title>Shop</title></head>
<body data-result="pending"><script src="/godkend.js"></script><script>
function lna() {{
  return navigator.permissions.query({{ name: "loopback-network" }})
    .then(function (s) {{ return s.state; }}, function (e) {{ return "unknown (" + e.message + ")"; }});
}}
lna().then(function (before) {{
  document.body.dataset.before = before;
  return Godkend.handOff("{id}", {{ ports: [{port}] }});
}}).then(function (r) {{
  return lna().then(function (after) {{
    document.body.dataset.after = after;
    document.body.dataset.result = r.handedOff ? "handed-off" : "not-handed-off";
  }});
}});
</script></body></html>"#
                )))
            }),
        );
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        CERT.cert.pem().into_bytes(),
        CERT.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let server = axum_server::from_tcp_rustls(pages, tls)
        .unwrap()
        .serve(app.into_make_service());
    tokio::spawn(server);
}

/// What the page recorded.
#[derive(Debug, serde::Deserialize)]
struct PageOutcome {
    result: String,
    before: String,
    after: String,
}

impl std::fmt::Display for PageOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "resolved {}; loopback-network permission {} before, {} after",
            self.result, self.before, self.after
        )
    }
}

async fn hand_off(browser: &fantoccini::Client, url: &str) -> PageOutcome {
    browser.goto(url).await.unwrap();
    let value: Value = until(
        &format!("the hand-off from {url}"),
        async || {
            browser
                .execute("return { ...document.body.dataset };", vec![])
                .await
                .unwrap()
        },
        |v| v["result"] != "pending",
    )
    .await;
    serde_json::from_value(value).unwrap()
}
