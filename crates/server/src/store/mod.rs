//! Storage: sqlx `Any` pools over SQLite (default) or PostgreSQL, with one
//! migration set per backend kept equivalent. Every state change is one transaction
//! with conditional updates, so concurrent nodes and a crash mid-way never apply a
//! decision twice.
//!
//! On SQLite every write goes through one connection of its own (`writer.rs`),
//! reads through a pool beside it: SQLite runs one writer at a time anyway, and
//! writers that meet on several connections do not queue but poll, sleeping 1, 2,
//! 5, 10 ... 100 ms in the busy handler between tries (BENCHMARKS.md: 3–4 such
//! sleeps per round trip under load, and a server mostly idle while they slept).
//! On the one writer connection they wait in a queue instead, in turn.

pub(crate) mod activations;
pub(crate) mod attempts;
pub(crate) mod audit;
pub mod backup;
pub(crate) mod batch;
pub(crate) mod decisions;
pub(crate) mod devices;
pub(crate) mod events;
pub(crate) mod nonces;
pub(crate) mod requests;
pub(crate) mod retention;
pub(crate) mod rps;
pub(crate) mod users;
mod writer;

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions as _, Executor as _};

pub use activations::ActivationRow;
pub use attempts::Limit;
pub use audit::{AuditEntry, AuditEvent};
pub use decisions::StoredOutcome;
pub use devices::DeviceRow;
pub use events::EventRow;
pub use nonces::Nonce;
pub use requests::{DueWebhook, RequestRow};
pub use rps::RpRow;
pub use users::UserRow;
pub use writer::{WriteConn, WriteTx};

/// A storage failure. Messages name what to check, never secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error(
        "the SQLite database cannot use write-ahead logging (journal mode `{0}`), which \
         the server needs for crash safety; put the data dir on a local file system"
    )]
    NoWal(String),
}

impl StoreError {
    /// Whether the database is out of reach or out of space for now: a fault of the
    /// surroundings that passes (PostgreSQL stopped or restarting, the connection
    /// cut, the disk full), not of this call. Such calls are answered 503 with
    /// `Retry-After`; their transaction was rolled back, so nothing is half-written.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    // SQLSTATE class 08 (connection exception), 53 (insufficient
                    // resources: disk full, out of memory, too many connections) and
                    // 57P01-57P03 (shutting down, crashed, starting up).
                    let code = pg.code();
                    code.starts_with("08")
                        || code.starts_with("53")
                        || matches!(code, "57P01" | "57P02" | "57P03")
                } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // Primary result codes (the low byte of an extended one):
                    // SQLITE_BUSY once the busy timeout ran out, SQLITE_IOERR,
                    // SQLITE_FULL, SQLITE_CANTOPEN.
                    db.code()
                        .and_then(|c| c.parse::<i32>().ok())
                        .is_some_and(|c| matches!(c & 0xff, 5 | 10 | 13 | 14))
                } else {
                    false
                }
            }
            _ => false,
        }
    }
}

/// When SQLite waits for the disk (`PRAGMA synchronous`), in WAL mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// Syncs at checkpoints: a crash of the server process loses nothing it
    /// acknowledged; a power cut or OS crash may lose the last transactions (never
    /// corrupts the database).
    #[default]
    Normal,
    /// Syncs every commit: a power cut loses nothing acknowledged either, at the cost
    /// of one disk flush per write.
    Full,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "PRAGMA synchronous = NORMAL",
            Synchronous::Full => "PRAGMA synchronous = FULL",
        }
    }

    /// The value `PRAGMA synchronous` reads back.
    fn level(self) -> i64 {
        match self {
            Synchronous::Normal => 1,
            Synchronous::Full => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Normal => "normal",
            Synchronous::Full => "full",
        }
    }
}

/// The durability settings a SQLite connection of the pool reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteDurability {
    pub journal_mode: String,
    /// `PRAGMA synchronous`: 0 off, 1 normal, 2 full, 3 extra.
    pub synchronous: i64,
}

/// Which SQL flavour the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle shared by the API, the CLI and background tasks.
#[derive(Debug, Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Write transactions and single writes: on SQLite one connection of its own,
    /// on PostgreSQL the same pool as reads.
    writer: writer::Writer,
    backend: Backend,
    url: String,
    sqlite_durability: Option<SqliteDurability>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects with the default durability and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, Synchronous::default()).await
    }

    /// Connects and brings the schema up to date; `synchronous` applies to SQLite.
    pub async fn open_with(url: &str, synchronous: Synchronous) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.into()));
        };
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                // The writer first: it creates the file and switches it to WAL.
                let writer = writer::Writer::sqlite(options.clone(), synchronous).await?;
                let reads = sqlite_pool(8, synchronous).connect_with(options).await?;
                (reads, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
                    // With the database gone a call waits this long for a connection,
                    // then is answered 503: short enough that callers and balancers
                    // hear it soon, long enough to ride out a busy moment.
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?;
                (pool.clone(), writer::Writer::Postgres(pool))
            }
        };
        let mut conn = writer.connection().await?;
        let sqlite_durability = match backend {
            // The writer's settings are the ones that decide what a commit survives.
            Backend::Sqlite => Some(sqlite_durability(&mut conn, synchronous).await?),
            Backend::Postgres => None,
        };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&mut *conn).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&mut *conn).await?,
        }
        drop(conn);
        Ok(Store {
            pool,
            writer,
            backend,
            url: url.to_owned(),
            sqlite_durability,
        })
    }

    /// On SQLite, the journal mode and sync level as a pooled connection reads them
    /// back (for the start-up log line).
    pub fn sqlite_durability(&self) -> Option<&SqliteDurability> {
        self.sqlite_durability.as_ref()
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The connection for one write outside a transaction, after the writes queued
    /// before it: on SQLite the one writer connection.
    pub async fn writer(&self) -> Result<WriteConn, StoreError> {
        self.writer.connection().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// On PostgreSQL, a listener for other nodes' announcements of new events and of
    /// finished requests. A lost connection is not made again inside `try_recv`
    /// (sqlx would wait up to its pool's 30 s there, unseen): event_listener.rs
    /// makes a new listener on its own schedule.
    pub async fn event_listener(&self) -> Option<sqlx::postgres::PgListener> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let mut listener = match sqlx::postgres::PgListener::connect(&self.url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for events; polling until it can");
                return None;
            }
        };
        listener.eager_reconnect(false);
        match listener
            .listen_all([events::EVENTS_CHANNEL, events::FINISHED_CHANNEL])
            .await
        {
            Ok(()) => Some(listener),
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for events; polling until it can");
                None
            }
        }
    }

    /// Starts a write transaction (on SQLite with `BEGIN IMMEDIATE`, `writer.rs`).
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        self.writer.begin().await
    }

    /// Starts a write transaction with the statements `first` queues (on SQLite sent
    /// with the `BEGIN IMMEDIATE`, `writer.rs`), and their rows.
    pub(crate) async fn begin_with(
        &self,
        first: impl FnOnce(&mut batch::Batch) -> Result<(), StoreError>,
    ) -> Result<(WriteTx, Vec<sqlx::any::AnyRow>), StoreError> {
        self.writer.begin_with(first).await
    }

    /// A cheap query proving the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for running queries (graceful shutdown).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// SQLite's read pool of `size` connections, each in WAL at the `synchronous` level
/// (the writer is `writer.rs`'s own connection).
fn sqlite_pool(size: u32, synchronous: Synchronous) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        // No test (sqlx's ping) before each use: a connection to a local file does
        // not go stale the way a network one does, and on SQLite every ping is one
        // more hand-off to the connection's thread and back (BENCHMARKS.md). `usable`
        // still runs, and sqlx still tests a connection when it comes back, dropping
        // one that broke.
        .test_before_acquire(false)
        .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
        .after_connect(move |conn, _| Box::pin(sqlite_settings(conn, synchronous)))
}

/// What every SQLite connection is set to. WAL lets readers run beside the writer;
/// the busy timeout makes a writer wait for another process (the admin CLI, a
/// backup) instead of failing. In WAL mode NORMAL never corrupts the database; FULL
/// also keeps the last commits through a power cut.
async fn sqlite_settings(
    conn: &mut sqlx::AnyConnection,
    synchronous: Synchronous,
) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute(synchronous.pragma()).await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    Ok(())
}

/// Whether a pooled connection may serve the next call. One still inside a
/// transaction is not: when SQLite runs out of space it rolls the transaction back
/// itself, the ROLLBACK that sqlx then sends fails, and sqlx still counts the
/// transaction as open, so every later `BEGIN` on that connection would fail. The
/// pool drops such a connection and opens a fresh one.
fn usable(conn: &sqlx::AnyConnection) -> bool {
    use sqlx::Connection as _;
    if conn.is_in_transaction() {
        tracing::warn!("dropped a pooled database connection left inside a transaction");
        return false;
    }
    true
}

/// Reads back what `sqlite_settings` set, on the writer: a file system without
/// shared memory silently keeps the rollback journal, where NORMAL could corrupt the
/// database in a power cut, so that is refused.
async fn sqlite_durability(
    conn: &mut sqlx::AnyConnection,
    synchronous: Synchronous,
) -> Result<SqliteDurability, StoreError> {
    let (journal_mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    let (level,): (i64,) = sqlx::query_as("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await?;
    if !journal_mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal(journal_mode));
    }
    if level != synchronous.level() {
        tracing::warn!(
            asked = synchronous.as_str(),
            got = level,
            "SQLite kept another sync level"
        );
    }
    Ok(SqliteDurability {
        journal_mode: journal_mode.to_ascii_lowercase(),
        synchronous: level,
    })
}

/// The row-lock clause for a read that a transaction goes on to act on. PostgreSQL
/// needs `FOR UPDATE`, or two transactions read the same row, both judge it and both
/// act (READ COMMITTED). SQLite has no row locks and needs none: every write
/// transaction starts with `BEGIN IMMEDIATE` (`Store::begin`), so it holds the whole
/// database from its first statement and transactions run one after another.
pub(crate) fn for_update(conn: &sqlx::AnyConnection) -> &'static str {
    if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    }
}

/// Reads the row of `table` with this `id` inside `conn`'s write transaction and
/// holds it until the transaction ends (`for_update`), so what the transaction
/// judges from it stays true until it commits.
pub(crate) async fn lock_by_id<T>(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &str,
    id: &str,
) -> Result<Option<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let lock = for_update(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The SQLite URL for a database file, creating it if missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A store on a fresh SQLite file in a temporary directory (kept while the
/// returned guard lives), for the store's own tests.
#[cfg(test)]
pub(crate) async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&sqlite_url(&dir.path().join("godkend.db")))
        .await
        .unwrap();
    (dir, store)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every connection of the pool, not just the first, gets the asked level.
    async fn levels_of_three_connections(store: &Store) -> Vec<(String, i64)> {
        let mut held = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let mut conn = store.pool().acquire().await.unwrap();
            let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let (level,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            seen.push((mode, level));
            held.push(conn);
        }
        seen
    }

    /// A full database file and a closed pool are faults of the surroundings (503);
    /// a bad statement is not.
    #[tokio::test]
    async fn only_faults_of_the_surroundings_count_as_unavailable() {
        let (_dir, store) = temp_store().await;
        let err = sqlx::query("SELECT * FROM no_such_table")
            .execute(store.pool())
            .await
            .unwrap_err();
        assert!(!StoreError::from(err).is_unavailable());
        // SQLITE_FULL without filling a disk: cap the file at its current size.
        let mut conn = store.pool().acquire().await.unwrap();
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {pages}"
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
        let err =
            sqlx::query("INSERT INTO users (id, display_name, created_at) VALUES ($1, $2, 0)")
                .bind("u-full")
                .bind("x".repeat(100_000))
                .execute(&mut *conn)
                .await
                .unwrap_err();
        assert!(StoreError::from(err).is_unavailable());
        drop(conn);
        store.close().await;
        let err = sqlx::query("SELECT 1")
            .execute(store.pool())
            .await
            .unwrap_err();
        assert!(StoreError::from(err).is_unavailable());
    }

    #[tokio::test]
    async fn sqlite_is_wal_with_normal_sync_by_default_and_full_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(&dir.path().join("godkend.db"));
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store.sqlite_durability(),
            Some(&SqliteDurability {
                journal_mode: "wal".into(),
                synchronous: 1
            })
        );
        assert_eq!(
            levels_of_three_connections(&store).await,
            vec![("wal".to_owned(), 1); 3]
        );
        store.close().await;

        let store = Store::open_with(&url, Synchronous::Full).await.unwrap();
        assert_eq!(store.sqlite_durability().unwrap().synchronous, 2);
        assert_eq!(
            levels_of_three_connections(&store).await,
            vec![("wal".to_owned(), 2); 3]
        );
        store.close().await;
    }
}
