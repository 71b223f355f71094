//! Test harness: the real `godkend-server` binary on loopback, on SQLite or on a
//! throw-away PostgreSQL database, driven through its CLI, the RP API with reqwest,
//! and devices built on godkend-core.

#![allow(dead_code)]

pub mod load;
pub mod pg_cluster;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate;
use godkend_core::client::{DeviceClient, ServerClient};
use godkend_core::decision::SignedDecision;
use godkend_core::pin::{KdfParams, derive_pin_key};
use godkend_core::push::VerifiedRequest;
use godkend_core::push::{PushEvent, Received};
use godkend_core::{CoreError, PinKey};
use godkend_protocol::messages::{CreatedRequest, RequestStatus, RpResult};
use godkend_protocol::{Envelope, PublicKey};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_godkend-server");
pub const PIN: &str = "403917";
pub const WRONG_PIN: &str = "857201";

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `async fn NAME(db: Db)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Postgres).await })*
        }
    };
}

/// A fresh database URL for one test.
pub async fn database_url(db: Db, dir: &Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("godkend.db").display()),
        Db::Postgres => {
            let admin = std::env::var("GODKEND_TEST_POSTGRES_URL").expect(
                "PostgreSQL tests need GODKEND_TEST_POSTGRES_URL (scripts/test.sh starts a throw-away \
                 cluster from the Debian package `postgresql` and sets it)",
            );
            let name = format!(
                "gk_{}",
                godkend_protocol::b64::encode(rand_bytes())
                    .to_lowercase()
                    .replace(['-', '_'], "")
            );
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

/// A temp dir only its owner can enter: the server refuses a data dir others can.
pub fn private_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap()
}

fn rand_bytes() -> [u8; 12] {
    rand::random()
}

/// A port nothing listens on now, for a server (or proxy) this test process starts.
/// Ports go in turn from below the kernel's ephemeral range (32768 and up), so neither
/// another test's `bind(:0)` nor an outgoing connection takes it before the server
/// binds it. With ports from `bind(:0)`, two parallel tests' servers once got the
/// same port, and one test activated its device on the other's server.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    // Test processes that run at the same time start far apart.
    let start = std::process::id() % 60 * 200;
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(n < SPAN, "no free port left below the ephemeral range");
        let port = u16::try_from(FIRST + (start + n) % SPAN).expect("below 32000");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One running server process (killed on drop).
pub struct TestServer {
    pub dir: Arc<tempfile::TempDir>,
    pub database_url: String,
    pub port: u16,
    pub url: String,
    /// `--public-url`: `url`, or a proxy's address in front of this node.
    pub public_url: String,
    pub extra: Vec<String>,
    child: Option<Child>,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start(db: Db) -> Self {
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: Db, extra: &[&str]) -> Self {
        let dir = Arc::new(private_tempdir());
        let database_url = database_url(db, dir.path()).await;
        Self::launch(
            dir,
            database_url,
            extra.iter().map(ToString::to_string).collect(),
            None,
        )
        .await
    }

    /// A node behind a reverse proxy at `public_url`.
    pub async fn start_behind(db: Db, public_url: &str, extra: &[&str]) -> Self {
        let dir = Arc::new(private_tempdir());
        let database_url = database_url(db, dir.path()).await;
        Self::launch(
            dir,
            database_url,
            extra.iter().map(ToString::to_string).collect(),
            Some(public_url.to_owned()),
        )
        .await
    }

    /// A server on a fresh data dir and this database.
    pub async fn start_on_database(database_url: String, extra: &[&str]) -> Self {
        Self::launch(
            Arc::new(private_tempdir()),
            database_url,
            extra.iter().map(ToString::to_string).collect(),
            None,
        )
        .await
    }

    /// Whether the server process still runs (it was not restarted or crashed).
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().is_ok_and(|exited| exited.is_none()))
    }

    /// A server on an existing data dir and database (a restored backup).
    pub async fn start_on(dir: tempfile::TempDir, database_url: String) -> Self {
        Self::launch(Arc::new(dir), database_url, Vec::new(), None).await
    }

    /// A second node on the same database and key file.
    pub async fn second_node(&self) -> Self {
        Self::launch(
            self.dir.clone(),
            self.database_url.clone(),
            self.extra.clone(),
            (self.public_url != self.url).then(|| self.public_url.clone()),
        )
        .await
    }

    async fn launch(
        dir: Arc<tempfile::TempDir>,
        database_url: String,
        extra: Vec<String>,
        public_url: Option<String>,
    ) -> Self {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut server = TestServer {
            dir,
            database_url,
            port,
            public_url: public_url.unwrap_or_else(|| url.clone()),
            url,
            extra,
            child: None,
            http: godkend_core::client::http_client().unwrap(),
        };
        server.spawn().await;
        server
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(self.dir.path())
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("--public-url")
            .arg(&self.public_url)
            .env("RUST_LOG", "warn");
        cmd
    }

    async fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join(format!("server-{}.log", self.port)))
            .unwrap();
        let child = self
            .command()
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start godkend-server");
        self.child = Some(child);
        for _ in 0..200 {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("godkend-server did not become ready: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("server-{}.log", self.port)))
            .unwrap_or_default()
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().unwrap()
    }

    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// Runs an admin command with `--json`; returns (success, stdout JSON or stderr text).
    pub fn admin(&self, args: &[&str]) -> Result<Value, String> {
        let out = self
            .command()
            .arg("--json")
            .args(args)
            .output()
            .expect("run godkend-server");
        if out.status.success() {
            Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn add_user(&self, user: &str) {
        self.admin(&["user", "add", user]).expect("user add");
    }

    /// Adds a relying party and returns its API key.
    pub fn add_rp(&self, id: &str, name: &str) -> Rp {
        self.add_rp_with_origins(id, name, &[])
    }

    /// Adds a relying party with these web origins (`rp add --origin`, PROTOCOL.md
    /// §7.3) and returns its API key.
    pub fn add_rp_with_origins(&self, id: &str, name: &str, origins: &[&str]) -> Rp {
        let mut args = vec!["rp", "add", id, "--name", name];
        for origin in origins {
            args.extend(["--origin", origin]);
        }
        let out = self.admin(&args).expect("rp add");
        Rp {
            url: self.public_url.clone(),
            key: out["api_key"].as_str().unwrap().to_owned(),
            http: self.http.clone(),
        }
    }

    pub fn activation_link(&self, user: &str) -> String {
        let out = self
            .admin(&["activation", "create", user])
            .expect("activation create");
        out["link"].as_str().unwrap().to_owned()
    }

    /// Waits up to 20 s for `name` to read `value` on this node; how long it took.
    pub async fn metric_reaches(&self, name: &str, value: f64) -> Option<std::time::Duration> {
        let asked = std::time::Instant::now();
        for _ in 0..200 {
            if self.metric(name).await == Some(value) {
                return Some(asked.elapsed());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        None
    }

    /// One value from this node's `/metrics`, if it is there.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self
            .http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|n| n.trim().parse().ok())
    }

    pub async fn server_key(&self) -> PublicKey {
        let info: Value = self
            .http
            .get(format!("{}/v1/server-info", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        PublicKey::ed25519_b64(info["info"]["payload"]["server_key"].as_str().unwrap()).unwrap()
    }

    /// Activates a device for `user` with the test PIN.
    pub async fn device(&self, user: &str) -> Device {
        let link = self.activation_link(user);
        Device::activate(&link).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A relying party with its API key.
#[derive(Clone)]
pub struct Rp {
    pub url: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Rp {
    pub async fn create_raw(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/rp/requests", self.url))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a sign-in request for `user`.
    pub async fn login(&self, user: &str) -> CreatedRequest {
        self.create(&json!({"user": user, "kind": "login", "title": "Sign in to Shop", "message": "Sign in from Firefox"}))
            .await
    }

    pub async fn create(&self, body: &Value) -> CreatedRequest {
        let response = self.create_raw(body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "create failed: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub async fn status(&self, id: &str) -> RequestStatus {
        self.http
            .get(format!("{}/v1/rp/requests/{id}", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn wait(&self, id: &str, timeout: u64) -> RequestStatus {
        self.http
            .get(format!(
                "{}/v1/rp/requests/{id}/wait?timeout={timeout}",
                self.url
            ))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Verifies an RP result with the server's key.
pub fn verify_result(status: &RequestStatus, server_key: &PublicKey) -> RpResult {
    let envelope: &Envelope = status
        .result
        .as_ref()
        .expect("a final request has a result");
    envelope
        .open(&[server_key])
        .expect("the result verifies with the server key")
}

/// A device built on godkend-core, with its PIN salt and pepper in memory.
pub struct Device {
    pub client: DeviceClient,
    pub serial: String,
    salt: [u8; 16],
    pepper: [u8; 32],
}

impl Device {
    pub async fn activate(link: &str) -> Device {
        let salt = [7u8; 16];
        let pepper: [u8; 32] = rand_bytes().repeat(3)[..32].try_into().unwrap();
        let pin = derive_pin_key(PIN, &salt, KdfParams::MINIMUM, &pepper).unwrap();
        let input = ActivationInput::from_link(link, "test device").unwrap();
        let activated = activate(&input, &pin).await.expect("activation");
        let server =
            ServerClient::new(input.server_url.clone(), activated.server_key.clone()).unwrap();
        server.observe_server_time(activated.activation.iat);
        Device {
            client: DeviceClient::new(
                server,
                activated.activation.device_id.clone(),
                input.user.clone(),
                activated.device_key,
            ),
            serial: activated.activation.serial.clone(),
            salt,
            pepper,
        }
    }

    /// Another client of this same device (its id and key), talking to the server
    /// at `url` (a proxy in front of it, or the server itself).
    pub fn client_at(&self, url: &str) -> DeviceClient {
        let server =
            ServerClient::new(url.parse().unwrap(), self.client.server.server_key()).unwrap();
        server.observe_server_time(self.client.server.server_now());
        DeviceClient::new(
            server,
            self.client.device_id.clone(),
            self.client.user.clone(),
            godkend_core::keys::DeviceKey::from_seed(&self.client.key().seed()),
        )
    }

    pub fn pin(&self, pin: &str) -> PinKey {
        derive_pin_key(pin, &self.salt, KdfParams::MINIMUM, &self.pepper).unwrap()
    }

    /// The pending request (polling), verified.
    pub async fn pending_one(&self) -> VerifiedRequest {
        let mut pending = self.client.pending().await.expect("poll pending requests");
        assert_eq!(pending.len(), 1, "exactly one pending request");
        pending.remove(0)
    }

    /// A login `rp` asks of `user`, shown here and approved with the right code and
    /// PIN, signed but not yet sent.
    pub async fn signed_login(&self, rp: &Rp, user: &str) -> (CreatedRequest, SignedDecision) {
        let created = rp.login(user).await;
        let request = self.pending_one().await;
        let signed = self
            .client
            .approve(&request, &created.code, &self.pin(PIN))
            .unwrap();
        (created, signed)
    }

    pub async fn approve(
        &self,
        request: &VerifiedRequest,
        code: &str,
        pin: &str,
    ) -> Result<godkend_core::client::DecisionAnswer, CoreError> {
        let signed = self.client.approve(request, code, &self.pin(pin)).unwrap();
        self.client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
    }

    pub async fn refuse(
        &self,
        request: &VerifiedRequest,
        not_me: bool,
    ) -> Result<godkend_core::client::DecisionAnswer, CoreError> {
        let signed = self.client.refuse(request, not_me).unwrap();
        self.client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
    }
}

/// Reads verified events until `pick` returns something, or panics after `secs`.
pub async fn next_event<T>(
    stream: &mut (impl futures::Stream<Item = Result<Received, CoreError>> + Unpin),
    secs: u64,
    mut pick: impl FnMut(&PushEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let item = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("timed out waiting for a push event")
            .expect("the stream ended");
        if let Ok(received) = item
            && let Some(found) = pick(&received.event)
        {
            return found;
        }
    }
}

/// A connection to a test server's database, SQLite or PostgreSQL.
pub async fn connect(database_url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(database_url)
        .await
        .unwrap()
}

/// SQLite's own check that the database file is whole.
pub async fn assert_sqlite_whole(db: &mut sqlx::AnyConnection) {
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
}

pub fn data_dir(server: &TestServer) -> PathBuf {
    server.dir.path().to_path_buf()
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}
