//! An online, consistent copy of the SQLite database (`godkend-server backup`).
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is the
//! database as of one moment even while the server writes: in WAL mode the server's
//! writers go on beside it and are not in the copy. The copy is checked
//! (`PRAGMA integrity_check`) before it is reported done.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _};

/// Why a backup could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}: pass the server's --data-dir or --database-url")]
    NoDatabase(String),
    #[error("{0} already exists; a backup never overwrites a file, choose a new name")]
    Exists(String),
    #[error("cannot create the backup file {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the backup file {path}: {source}")]
    Sync {
        path: String,
        source: std::io::Error,
    },
    #[error("database error while copying: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the copy in {path} failed its integrity check ({report}); it was deleted")]
    Corrupt { path: String, report: String },
}

/// What a finished backup holds.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    pub bytes: u64,
    pub relying_parties: i64,
    pub users: i64,
    pub devices: i64,
    pub requests: i64,
}

/// Copies the SQLite database at `source` to the new file `dest` (mode 0600; an
/// existing file is refused), then checks the copy. On any failure the partial
/// copy is deleted.
pub async fn backup_sqlite(source: &Path, dest: &Path) -> Result<BackupSummary, BackupError> {
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    create_private_file(dest)?;
    match copy_and_check(source, dest).await {
        Ok(summary) => Ok(summary),
        Err(e) => {
            // The file is ours (created above), and half a backup is worse than none.
            let _ = std::fs::remove_file(dest);
            Err(e)
        }
    }
}

/// Creates `dest` empty and owner-only, refusing an existing file atomically
/// (`create_new`): `VACUUM INTO` accepts an empty file, and the database's secrets
/// are never in a file others could open, not even for a moment.
fn create_private_file(dest: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(dest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(dest.display().to_string()));
        }
        Err(source) => {
            return Err(BackupError::Create {
                path: dest.display().to_string(),
                source,
            });
        }
    }
    // The umask can only narrow 0600; set it outright anyway, as for the database.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| BackupError::Create {
                path: dest.display().to_string(),
                source,
            },
        )?;
    }
    Ok(())
}

async fn copy_and_check(source: &Path, dest: &Path) -> Result<BackupSummary, BackupError> {
    let mut conn = open(source, false).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(dest.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    sync(dest)?;

    let mut copy = open(dest, true).await?;
    let report: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut copy)
        .await?;
    let report: Vec<String> = report.into_iter().map(|(line,)| line).collect();
    if report != ["ok"] {
        return Err(BackupError::Corrupt {
            path: dest.display().to_string(),
            report: report.join("; "),
        });
    }
    let summary = BackupSummary {
        bytes: 0,
        relying_parties: count(&mut copy, "rps").await?,
        users: count(&mut copy, "users").await?,
        devices: count(&mut copy, "devices").await?,
        requests: count(&mut copy, "requests").await?,
    };
    copy.close().await?;
    let bytes = std::fs::metadata(dest)
        .map_err(|source| BackupError::Sync {
            path: dest.display().to_string(),
            source,
        })?
        .len();
    Ok(BackupSummary { bytes, ..summary })
}

async fn count(conn: &mut SqliteConnection, table: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// One connection to an existing database file, never creating one. The busy
/// timeout lets the copy wait out a checkpoint of the running server.
async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(10))
        .disable_statement_logging()
        .connect()
        .await
}

/// Flushes the copy and its directory entry to disk: `VACUUM INTO` does not sync
/// the file it writes, and a backup a power cut can undo is no backup.
fn sync(dest: &Path) -> Result<(), BackupError> {
    let err = |source| BackupError::Sync {
        path: dest.display().to_string(),
        source,
    };
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(err)?;
    #[cfg(unix)]
    if let Some(dir) = dest.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_a_missing_database_and_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("copy.db");
        let err = backup_sqlite(&dir.path().join("none.db"), &dest)
            .await
            .unwrap_err();
        assert!(matches!(err, BackupError::NoDatabase(_)), "{err}");
        assert!(!dest.exists());

        let db = dir.path().join("godkend.db");
        let url = crate::store::sqlite_url(&db);
        crate::store::Store::open(&url).await.unwrap().close().await;
        std::fs::write(&dest, b"keep me").unwrap();
        let err = backup_sqlite(&db, &dest).await.unwrap_err();
        assert!(matches!(err, BackupError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
    }
}
