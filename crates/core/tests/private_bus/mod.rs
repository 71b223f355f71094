//! A private D-Bus daemon for one test, where a stand-in can own a system service's
//! name (logind's) that cannot run here.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use zbus::Connection;

/// A private bus for one test, stopped when dropped.
pub struct Bus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Bus {
    pub fn start() -> Bus {
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path={}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().display()
            ),
        )
        .expect("the bus config is written");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon runs (Debian/Ubuntu package: dbus)");
        // It prints its address once it listens.
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("its stdout"))
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        Bus {
            daemon,
            address: address.trim().to_owned(),
            _dir: dir,
        }
    }

    pub async fn connect(&self) -> Connection {
        let connect = zbus::connection::Builder::address(self.address.as_str()).build();
        tokio::time::timeout(Duration::from_secs(10), connect)
            .await
            .expect("the private bus answers within 10 s")
            .expect("a connection to the private bus")
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
