//! Chromium driven through chromedriver, for the browser tests of the server
//! (crates/server/tests/api) and of the desktop app (tests/desktop), which include
//! this file by path.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (scripts/test.sh
//! installs them); `GODKEND_CHROMIUM` and `GODKEND_CHROMEDRIVER` override the paths.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure panics with what was expected"
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// How long chromedriver may take to start.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The path of a browser binary: from `var`, or its Debian default.
fn binary_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// What is missing for a browser test, if anything: tests that may skip say so.
pub fn browser_missing() -> Option<String> {
    [
        ("GODKEND_CHROMIUM", "/usr/bin/chromium"),
        ("GODKEND_CHROMEDRIVER", "/usr/bin/chromedriver"),
    ]
    .into_iter()
    .map(|(var, default)| binary_path(var, default))
    .find(|path| !path.is_file())
    .map(|path| format!("{} is not installed", path.display()))
}

/// The browser's version line, as `chromium --version` prints it.
pub fn chromium_version() -> String {
    let out = Command::new(binary_path("GODKEND_CHROMIUM", "/usr/bin/chromium"))
        .arg("--version")
        .output()
        .expect("chromium --version");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A browser binary from `var`, or its Debian default; fails naming the package.
fn binary(var: &str, default: &str, package: &str) -> PathBuf {
    let path = binary_path(var, default);
    assert!(
        path.is_file(),
        "the browser test needs {} from the Debian package `{package}`: install the \
         packages `chromium` and `chromium-driver` (scripts/test.sh does), or set {var}",
        path.display()
    );
    path
}

/// chromedriver on a free loopback port, in its own process group with the Chromium
/// it starts; the whole group is killed on drop, also when the test fails.
pub struct Chromedriver {
    child: Child,
    url: String,
    chromium: PathBuf,
    dir: tempfile::TempDir,
}

impl Chromedriver {
    pub async fn start(http: &reqwest::Client) -> Self {
        let driver_bin = binary(
            "GODKEND_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromium-driver",
        );
        let chromium = binary("GODKEND_CHROMIUM", "/usr/bin/chromium", "chromium");
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).unwrap();
        // Chromium keeps crash reports, caches and shared memory under HOME, the XDG
        // dirs and TMPDIR: point them all into the temp dir.
        let home = dir.path().join("home");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&tmp).unwrap();
        let mut cmd = Command::new(&driver_bin);
        cmd.arg(format!("--port={port}"))
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("start {}: {e}", driver_bin.display());
        });
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            dir,
        };
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let ready = match http.get(format!("{}/status", driver.url)).send().await {
                Ok(r) => r
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return driver;
            }
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!("chromedriver exited ({status}): {}", driver.log());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not become ready: {}",
                driver.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// A new session: headless Chromium with a fresh profile.
    pub async fn connect(&self) -> Client {
        self.connect_with(&[]).await
    }

    /// A new session with `extra` Chromium flags (origin_browser maps host names
    /// with `--host-resolver-rules`).
    pub async fn connect_with(&self, extra: &[&str]) -> Client {
        let profile = self.dir.path().join("profile");
        let mut capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=1000,800",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let args = capabilities["goog:chromeOptions"]["args"]
            .as_array_mut()
            .unwrap();
        args.extend(extra.iter().map(|arg| json!(arg)));
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("start a Chromium session: {e}\n{}", self.log()))
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The negative pid names the process group: chromedriver and its Chromium.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
