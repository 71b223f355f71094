//! SQLite durability: WAL with `synchronous=NORMAL` by default, `FULL` on request,
//! as the server reads them back from its own connection at start.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use crate::common::{BIN, private_tempdir};

/// Starts `serve` with `args`, returns its "ready" log line, and stops it.
fn ready_line(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = private_tempdir();
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "text"])
        .envs(env.iter().copied())
        .env("RUST_LOG", "godkend_server=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = None;
    for l in stderr.lines() {
        let l = l.unwrap();
        if l.contains("godkend-server ready") {
            line = Some(l);
            break;
        }
        seen.push_str(&l);
        seen.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        dir.path().join("godkend.db-wal").exists(),
        "the database runs in WAL mode"
    );
    line.unwrap_or_else(|| panic!("no ready line; the server said:\n{seen}"))
}

#[test]
fn sqlite_sync_level_reaches_the_connection() {
    let line = ready_line(&[], &[]);
    assert!(
        line.contains("journal_mode=wal synchronous=normal"),
        "{line}"
    );
    let line = ready_line(&["--sqlite-synchronous", "full"], &[]);
    assert!(line.contains("journal_mode=wal synchronous=full"), "{line}");
    let line = ready_line(&[], &[("GODKEND_SQLITE_SYNCHRONOUS", "full")]);
    assert!(line.contains("synchronous=full"), "{line}");

    // OFF (no syncing at all) is not offered: it can corrupt the database.
    let dir = private_tempdir();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--sqlite-synchronous", "off", "user", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("possible values: normal, full"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
