//! Owner-only files: the data directory (0700), the SQLite database with its `-wal`
//! and `-shm` files (0600) and the admin token file. The database holds device keys,
//! sealed activation codes and the audit log, so another local account must not read
//! it; the server refuses to start when one of them is open to group or others, with
//! the chmod that fixes it, like the key file check in `server_key`.

use std::path::Path;

/// Why a private file or directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    #[error("cannot create {what} {path}: {source}")]
    Create {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{what} {path} is open to other users (mode {mode:o}); run chmod {fix:o} {path}")]
    TooOpen {
        what: &'static str,
        path: String,
        mode: u32,
        fix: u32,
    },
}

/// Creates the data directory owner-only (0700, whatever the umask), or checks that
/// an existing one is.
pub fn prepare_data_dir(dir: &Path) -> Result<(), PrivateFileError> {
    const WHAT: &str = "the data directory";
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|source| PrivateFileError::Create {
                what: WHAT,
                path: dir.display().to_string(),
                source,
            })?;
        // DirBuilder's mode is filtered by the umask; 0700 is never widened by it, but
        // set it outright so the check below holds on any umask.
        set_mode(dir, 0o700, WHAT)?;
    }
    check_private(dir, WHAT, 0o700)
}

/// For a SQLite URL: creates the database file 0600 before SQLite does (SQLite gives
/// its `-wal` and `-shm` files the database file's mode), or checks an existing file
/// and its `-wal`/`-shm` companions. Other URLs are left alone.
pub fn prepare_sqlite_file(database_url: &str) -> Result<(), PrivateFileError> {
    const WHAT: &str = "the database file";
    let Some(path) = sqlite_path(database_url) else {
        return Ok(());
    };
    let path = Path::new(&path);
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(_) => set_mode(path, 0o600, WHAT)?,
            // Another process created it meanwhile: the check below judges it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(PrivateFileError::Create {
                    what: WHAT,
                    path: path.display().to_string(),
                    source,
                });
            }
        }
    }
    check_private(path, WHAT, 0o600)?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        let companion = Path::new(&companion);
        if companion.exists() {
            check_private(companion, WHAT, 0o600)?;
        }
    }
    Ok(())
}

/// The file path in `sqlite://PATH?options` (or `sqlite:PATH`); `None` for other
/// databases and for SQLite's in-memory database.
pub fn sqlite_path(database_url: &str) -> Option<String> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// Refuses `path` if group or others have any access to it.
#[cfg(unix)]
pub fn check_private(path: &Path, what: &'static str, fix: u32) -> Result<(), PrivateFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|source| PrivateFileError::Read {
        what,
        path: path.display().to_string(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(PrivateFileError::TooOpen {
            what,
            path: path.display().to_string(),
            mode,
            fix,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_path: &Path, _what: &'static str, _fix: u32) -> Result<(), PrivateFileError> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32, what: &'static str) -> Result<(), PrivateFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|source| {
        PrivateFileError::Create {
            what,
            path: path.display().to_string(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32, _what: &'static str) -> Result<(), PrivateFileError> {
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_an_owner_only_dir_and_database_and_refuses_open_ones() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/data");
        prepare_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("godkend.db");
        let url = format!("sqlite://{}?mode=rwc", db.display());
        prepare_sqlite_file(&url).unwrap();
        assert_eq!(mode(&db), 0o600);

        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = prepare_sqlite_file(&url).unwrap_err().to_string();
        assert!(
            err.contains(&format!("run chmod 600 {}", db.display())),
            "{err}"
        );
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();

        let wal = dir.join("godkend.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = prepare_sqlite_file(&url).unwrap_err().to_string();
        assert!(err.contains("godkend.db-wal"), "{err}");

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = prepare_data_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("run chmod 700"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn finds_the_file_in_sqlite_urls_only() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/g/godkend.db?mode=rwc").as_deref(),
            Some("/var/lib/g/godkend.db")
        );
        assert_eq!(sqlite_path("sqlite:g.db").as_deref(), Some("g.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
