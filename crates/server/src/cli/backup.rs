//! `godkend-server backup FILE`: an online copy of the SQLite database, and what
//! else a restore needs (the key file, which is not in the database).

use std::path::Path;

use serde_json::json;

use super::Cli;
use super::output::{clean, print};
use crate::store::backup::backup_sqlite;

pub async fn run(cli: &Cli, data_dir: &Path, file: &Path) -> anyhow::Result<()> {
    let url = super::database_url(cli, data_dir);
    let Some(db) = crate::private_files::sqlite_path(&url) else {
        // Never echo the URL: it may hold a password.
        anyhow::bail!(
            "the database is not a SQLite file: back up PostgreSQL with its own tools, \
             e.g. `pg_dump --format=custom --file=FILE <database URL>` (restore with \
             pg_restore), and back up the key file {} separately",
            crate::config::key_file(data_dir).display()
        );
    };
    let summary = backup_sqlite(Path::new(&db), file).await?;
    let key_file = crate::config::key_file(data_dir);
    // The key id tells the operator which key-file backup belongs with this copy.
    let server_kid = crate::server_key::ServerKeys::load(&key_file)
        .ok()
        .map(|k| k.kid());
    let out = json!({
        "file": file.display().to_string(),
        "integrity": "ok",
        "summary": summary,
        "key_file": key_file.display().to_string(),
        "server_kid": server_kid,
    });
    print(cli.json, &out, |_| {
        let key = server_kid.as_deref().map_or_else(
            || {
                format!(
                    "no key file at {}: pass the server's --data-dir",
                    key_file.display()
                )
            },
            |kid| {
                format!(
                    "the key file is not in the copy: back up {} (key id {kid}) \
                     separately, to a place only you can read, and again after every \
                     `key rotate` or `key retire`",
                    key_file.display()
                )
            },
        );
        format!(
            "backed up the database to {} ({} bytes, integrity ok: {} relying parties, \
             {} users, {} devices, {} requests)\n{}",
            clean(&file.display().to_string()),
            summary.bytes,
            summary.relying_parties,
            summary.users,
            summary.devices,
            summary.requests,
            clean(&key)
        )
    });
    Ok(())
}
