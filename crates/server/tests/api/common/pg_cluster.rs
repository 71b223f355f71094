//! A private, throw-away PostgreSQL cluster a test can stop and start, as
//! scripts/test.sh starts its shared one: initdb and pg_ctl from the Debian package
//! `postgresql`, run as the `postgres` user when the test runs as root (PostgreSQL
//! refuses to run as root).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The directory holding initdb and pg_ctl: `GODKEND_PG_BIN`, the newest Debian
/// version, or `PATH`.
fn pg_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("GODKEND_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_tools(d));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    let path = std::env::var_os("PATH").unwrap_or_default();
    debian
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain(std::env::split_paths(&path))
        .find(|d| has_tools(d))
}

/// The uid and gid of the `postgres` system user.
fn postgres_user() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    pub port: u16,
}

impl PgCluster {
    /// A new cluster, started; `Err` says why none can run here (the test skips).
    pub fn start() -> Result<PgCluster, String> {
        let bin = pg_bin_dir().ok_or(
            "initdb/pg_ctl not found (Debian package `postgresql`, or set GODKEND_PG_BIN)",
        )?;
        let owner = if Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
        {
            Some(postgres_user().ok_or("running as root needs the `postgres` system user")?)
        } else {
            None
        };
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| e.to_string())?;
        }
        let cluster = PgCluster {
            dir,
            bin,
            owner,
            port: super::free_port(),
        };
        let data = cluster.data();
        let out = cluster
            .tool("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres"])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        cluster.start_again();
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        cmd.current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the cluster on its port and waits until it accepts connections.
    pub fn start_again(&self) {
        let status = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                self.dir.path().display()
            ))
            .arg("start")
            .status()
            .expect("run pg_ctl start");
        assert!(status.success(), "pg_ctl start: {}", self.log());
    }

    /// Stops the cluster at once, as a crash would (`-m immediate`: no shutdown
    /// checkpoint; the next start recovers from the WAL).
    pub fn stop(&self) {
        let status = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .status()
            .expect("run pg_ctl stop");
        assert!(status.success(), "pg_ctl stop: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "30", "stop"])
                .stderr(Stdio::null())
                .status();
        }
    }
}
