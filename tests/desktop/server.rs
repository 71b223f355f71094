//! The real `godkend-server` on loopback with SQLite, driven by its admin CLI and the
//! relying-party API, as an operator and a website would.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use godkend_protocol::messages::{CreatedRequest, RequestStatus, RpResult};
use godkend_protocol::{Envelope, PublicKey};
use serde_json::{Value, json};

/// The server binary, built next to the app by `cargo test --workspace`. This file
/// also serves the app's own unit tests (src/app/agent_tests.rs), which run from
/// the `deps` folder below it and have no `CARGO_BIN_EXE_godkend`.
fn binary() -> PathBuf {
    let dir = match option_env!("CARGO_BIN_EXE_godkend") {
        Some(app) => PathBuf::from(app).parent().map(PathBuf::from),
        None => std::env::current_exe()
            .ok()
            .and_then(|test| Some(test.parent()?.parent()?.to_path_buf())),
    }
    .expect("the build folder");
    let server = dir.join(format!("godkend-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        server.exists(),
        "{} is missing: build it first (`cargo build -p godkend-server`; \
         scripts/test.sh runs `cargo test --workspace`, which builds it)",
        server.display()
    );
    server
}

pub struct Server {
    dir: tempfile::TempDir,
    pub url: String,
    child: Child,
    http: reqwest::Client,
}

/// A relying party's API key.
pub struct Rp(String);

impl Server {
    pub async fn start() -> Server {
        Self::start_with(&[]).await
    }

    /// The server with extra `serve` options (e.g. `--allow-software-uv`).
    pub async fn start_with(options: &[&str]) -> Server {
        // The server refuses a data dir that others can enter.
        let dir = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .expect("a temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = Self::command_in(&dir, &url)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(options)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start godkend-server");
        let server = Server {
            dir,
            url,
            child,
            http: godkend_core::client::http_client().expect("an HTTP client"),
        };
        for _ in 0..200 {
            if let Ok(r) = server
                .http
                .get(format!("{}/readyz", server.url))
                .send()
                .await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("godkend-server did not become ready: {}", server.log());
    }

    fn command_in(dir: &tempfile::TempDir, url: &str) -> Command {
        let mut command = Command::new(binary());
        command
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--database-url")
            .arg(format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("godkend.db").display()
            ))
            .arg("--public-url")
            .arg(url)
            .env("RUST_LOG", "warn");
        command
    }

    /// The demo login page (`serve --demo`); the demo relying party lists this
    /// origin, so a hand-off from the page verifies.
    pub fn demo_page(&self) -> String {
        format!("{}/demo", self.url)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Runs an admin command with `--json` and returns its output.
    pub fn admin(&self, args: &[&str]) -> Value {
        let out = Self::command_in(&self.dir, &self.url)
            .arg("--json")
            .args(args)
            .output()
            .expect("run godkend-server");
        assert!(
            out.status.success(),
            "godkend-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    pub fn add_rp(&self, id: &str, name: &str) -> Rp {
        let out = self.admin(&["rp", "add", id, "--name", name]);
        Rp(out["api_key"].as_str().expect("an API key").to_owned())
    }

    pub fn activation_link(&self, user: &str) -> String {
        let out = self.admin(&["activation", "create", user]);
        out["link"].as_str().expect("a link").to_owned()
    }

    /// The user's devices as the admin CLI lists them.
    pub fn devices(&self, user: &str) -> Value {
        self.admin(&["device", "list", user])
    }

    /// A sign-in request for `user`, as a website creates it: after a denial the
    /// server asks it to wait (`retry_after`), and it does.
    pub async fn sign_in(&self, rp: &Rp, user: &str, message: &str) -> CreatedRequest {
        let body = json!({"user": user, "kind": "login", "title": "Sign in to Demo Shop", "message": message});
        self.create(rp, &body).await
    }

    /// A request with this body (`POST /v1/rp/requests`), waiting as `sign_in` does.
    pub async fn create(&self, rp: &Rp, body: &Value) -> CreatedRequest {
        let user = body["user"].as_str().unwrap_or_default();
        for _ in 0..5 {
            let response = self
                .http
                .post(format!("{}/v1/rp/requests", self.url))
                .bearer_auth(&rp.0)
                .json(body)
                .send()
                .await
                .expect("create a request");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status == 429 {
                let problem: Value = serde_json::from_str(&text).unwrap_or_default();
                let wait = problem["retry_after"].as_u64().unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            assert_eq!(status, 201, "create failed: {text}");
            return serde_json::from_str(&text).expect("a created request");
        }
        panic!("the server kept refusing new requests for {user}");
    }

    /// Waits (long poll) for the request to be final; returns its verified result.
    pub async fn result(&self, rp: &Rp, request_id: &str) -> RpResult {
        let status: RequestStatus = self
            .http
            .get(format!(
                "{}/v1/rp/requests/{request_id}/wait?timeout=30",
                self.url
            ))
            .bearer_auth(&rp.0)
            .send()
            .await
            .expect("wait for the request")
            .json()
            .await
            .expect("a request status");
        let envelope: Envelope = status
            .result
            .unwrap_or_else(|| panic!("request {request_id} is still {:?}", status.status));
        envelope
            .open(&[&self.key().await])
            .expect("the result verifies with the server's key")
    }

    async fn key(&self) -> PublicKey {
        let info: Value = self
            .http
            .get(format!("{}/v1/server-info", self.url))
            .send()
            .await
            .expect("server info")
            .json()
            .await
            .expect("server info JSON");
        PublicKey::ed25519_b64(
            info["info"]["payload"]["server_key"]
                .as_str()
                .expect("a server key"),
        )
        .expect("an ed25519 key")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
