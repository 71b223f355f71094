//! The terminal stand-in (`godkend --terminal`, what `./scripts/demo.sh` runs
//! without a graphical session) end to end against the real server. It runs on the
//! same approval agent as the desktop app, so this walks the agent's paths through a
//! second front end: a wrong code then the right one, a newer request replacing the
//! one on screen, a denial, and the server revoking the device.

#![allow(
    clippy::expect_used,
    reason = "a test harness: a failure panics with what was expected"
)]

#[allow(dead_code, reason = "the desktop end-to-end test uses the rest of it")]
#[path = "../desktop/server.rs"]
mod server;

use std::io::{Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use godkend_protocol::messages::RequestState;

use crate::server::Server;

const PIN: &str = "403917";

/// The stand-in as a child process, its output collected as it comes (prompts end
/// without a newline, so it is read in chunks, not lines).
struct StandIn {
    child: Child,
    stdin: ChildStdin,
    chunks: mpsc::Receiver<String>,
    output: String,
    /// Where the next `wait_for` starts looking.
    cursor: usize,
}

impl StandIn {
    fn start(link: &str, home: &std::path::Path) -> StandIn {
        let mut child = Command::new(env!("CARGO_BIN_EXE_godkend"))
            .arg("--terminal")
            .arg(link)
            .env("GODKEND_DEMO_PIN", PIN)
            .env("HOME", home)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start godkend --terminal");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0
                    || tx
                        .send(String::from_utf8_lossy(&buffer[..n]).into_owned())
                        .is_err()
                {
                    break;
                }
            }
        });
        StandIn {
            child,
            stdin,
            chunks,
            output: String::new(),
            cursor: 0,
        }
    }

    /// Waits until `text` appears after what earlier waits found; the output from
    /// there to the end of `text`.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(at) = self.output[self.cursor..].find(text) {
                let end = self.cursor + at + text.len();
                let found = self.output[self.cursor..end].to_owned();
                self.cursor = end;
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.output.push_str(&chunk),
                Err(why) => panic!(
                    "the stand-in never printed {text:?} ({why}); it printed:\n{}",
                    self.output
                ),
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to the stand-in");
        self.stdin.flush().expect("flush");
    }

    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the stand-in did not exit; it printed:\n{}", self.output);
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_approves_denies_follows_a_newer_request_and_ends_when_revoked() {
    let server = Server::start().await;
    server.admin(&["user", "add", "alice"]);
    let shop = server.add_rp("demo-shop", "Demo Shop");
    let link = server.activation_link("alice");
    let home = tempfile::tempdir().expect("a home dir");
    let mut stand_in = StandIn::start(&link, home.path());

    let activated = stand_in.wait_for("Organisation:");
    let serial = activated
        .lines()
        .find_map(|line| line.trim().strip_prefix("Serial number:"))
        .map(|s| s.trim().to_owned())
        .expect("the serial number is shown");
    stand_in.wait_for("Connected to the server");

    // A wrong code is refused with the tries left; the right one approves.
    let first = server.sign_in(&shop, "alice", "Sign in from Firefox").await;
    stand_in.wait_for("Approval request from Demo Shop");
    stand_in.wait_for("Type the code");
    let wrong = if first.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    stand_in.type_line(wrong);
    stand_in.wait_for("does not match the login screen (2 attempts left)");
    stand_in.type_line(&first.code);
    stand_in.wait_for("Approved. The relying party has been told.");
    let result = server.result(&shop, &first.request_id).await;
    assert_eq!(result.status, RequestState::Approved);

    // A newer request replaces the one on screen; the newer one is denied.
    let second = server.sign_in(&shop, "alice", "Sign in from Chrome").await;
    stand_in.wait_for("Approval request from Demo Shop");
    stand_in.wait_for("Type the code");
    let third = server.sign_in(&shop, "alice", "Sign in from Safari").await;
    stand_in.wait_for("A newer request arrived and replaces this one.");
    stand_in.wait_for("Type the code");
    stand_in.type_line("d");
    stand_in.wait_for("Denied. The relying party has been told.");
    let result = server.result(&shop, &third.request_id).await;
    assert_eq!(result.status, RequestState::Denied);
    let replaced = server.result(&shop, &second.request_id).await;
    assert_eq!(replaced.status, RequestState::Superseded);

    // The server revokes the device: the stand-in says so and exits with 0.
    server.admin(&["device", "revoke", &serial]);
    stand_in.wait_for("revoked at the server");
    assert_eq!(stand_in.exit_code(), Some(0));
}
