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

/// Devices and relying parties must reach the server over HTTPS, except on loopback.
pub fn check_public_url(url: &url::Url) -> Result<(), String> {
    godkend_protocol::rules::check_transport(url).map_err(|why| {
        format!("the public URL {why}; serve TLS with a proxy in front, or use a loopback address")
    })
}
