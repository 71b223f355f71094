//! Where the server keeps its files, and the public-URL rule.

use std::path::{Path, PathBuf};

/// The default data directory (e.g. ~/.local/share/godkend-server).
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("dev", "Godkend", "godkend-server").map_or_else(
        || PathBuf::from("godkend-data"),
        |d| d.data_dir().to_path_buf(),
    )
}

/// The signing key file inside a data directory.
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("server-key.json")
}

/// The SQLite database inside a data directory.
pub fn sqlite_file(data_dir: &Path) -> PathBuf {
    data_dir.join("godkend.db")
}

/// Is `host` a loopback name or address?
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Devices and relying parties must reach the server over HTTPS, except on loopback.
pub fn check_public_url(url: &url::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if url.host_str().is_some_and(is_loopback_host) => Ok(()),
        "http" => Err(format!(
            "the public URL {url} must use https (plain http is allowed only on loopback); \
             serve TLS with --tls-cert/--tls-key or put a TLS proxy in front"
        )),
        other => Err(format!("the public URL must be http(s), not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_loopback() {
        let ok = |u: &str| check_public_url(&url::Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://auth.example.com"));
        assert!(ok("http://127.0.0.1:8420"));
        assert!(ok("http://localhost:8420"));
        assert!(ok("http://[::1]:8420"));
        assert!(!ok("http://auth.example.com"));
        assert!(!ok("http://192.168.1.2:8420"));
        assert!(!ok("ftp://127.0.0.1"));
    }
}
