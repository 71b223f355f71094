//! Only the user's own programs may hand off: a hand-off from a socket of another OS
//! user (a user created for this run, as root) is refused and changes nothing, while
//! the very same request from this user's socket is taken. curl makes both
//! connections, so the only difference between them is the socket's owner.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod handoff_support;

use std::process::Command;

use godkend_core::handoff::{BindingState, Limits};
use handoff_support::start;

const GENUINE: &str = "https://shop.example";

/// A system user made for this test, deleted when dropped.
struct TestUser {
    name: String,
}

impl TestUser {
    /// `None` (after saying why, loudly) where users cannot be created: not root, or
    /// no `useradd`.
    fn create() -> Option<TestUser> {
        let uid = Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            skip("this test must run as root to create a second OS user");
            return None;
        }
        let name = format!("gkhandoff{}", std::process::id());
        let made = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                &name,
            ])
            .status();
        match made {
            Ok(status) if status.success() => Some(TestUser { name }),
            Ok(status) => {
                skip(&format!("useradd {name} failed: {status}"));
                None
            }
            Err(e) => {
                skip(&format!("useradd cannot run: {e}"));
                None
            }
        }
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

fn skip(why: &str) {
    eprintln!("!!!!!!!! SKIPPED: the other-OS-user hand-off test did not run: {why} !!!!!!!!");
}

/// curl's hand-off of `request_id` as `user` (`None`: this process's user): the
/// HTTP status and the body.
async fn curl_hand_off(port: u16, request_id: &str, user: Option<&str>) -> (String, String) {
    let url = format!("http://127.0.0.1:{port}/v1/handoff");
    let curl_args = [
        "--silent",
        "--show-error",
        "--max-time",
        "10",
        "--header",
        &format!("Origin: {GENUINE}"),
        "--header",
        "Content-Type: text/plain;charset=UTF-8",
        "--data-binary",
        request_id,
        "--write-out",
        "\n%{http_code}",
        &url,
    ];
    let mut command = match user {
        Some(user) => {
            let mut c = tokio::process::Command::new("setpriv");
            c.args([
                &format!("--reuid={user}"),
                &format!("--regid={user}"),
                "--clear-groups",
                "--",
                "curl",
            ]);
            c
        }
        None => tokio::process::Command::new("curl"),
    };
    let output = command.args(curl_args).output().await.unwrap();
    assert!(
        output.status.success(),
        "curl as {user:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_off_from_another_os_user_is_refused() {
    if Command::new("curl").arg("--version").output().is_err() {
        skip("curl is not installed");
        return;
    }
    let Some(user) = TestUser::create() else {
        return;
    };
    let listener = start(Limits::default()).await;
    let mut events = listener.subscribe();
    let allowed = vec![GENUINE.to_owned()];
    listener.open_request("req_other", &allowed);
    listener.open_request("req_own", &allowed);

    let (status, body) = curl_hand_off(listener.port(), "req_other", Some(&user.name)).await;
    assert_eq!(status, "403", "{body}");
    assert!(body.contains(r#""error":"other_user""#), "{body}");
    assert_eq!(listener.state("req_other"), Some(BindingState::Unconfirmed));
    assert!(events.try_recv().is_err());

    // Nor is an early hand-off of the other user held for a request to come.
    let (status, body) = curl_hand_off(listener.port(), "req_later", Some(&user.name)).await;
    assert_eq!(status, "403", "{body}");
    assert_eq!(
        listener.open_request("req_later", &allowed),
        BindingState::Unconfirmed
    );

    // The same curl as this process's own user is taken: the owner made the difference.
    let (status, body) = curl_hand_off(listener.port(), "req_own", None).await;
    assert_eq!(status, "200", "{body}");
    assert!(matches!(
        listener.state("req_own"),
        Some(BindingState::Verified(_))
    ));
}
