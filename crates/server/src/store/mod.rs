//! Storage: one sqlx `Any` pool over SQLite (default) or PostgreSQL, with one
//! migration set per backend kept equivalent. Every state change is one transaction
//! with conditional updates, so concurrent nodes and a crash mid-way never apply a
//! decision twice.

pub(crate) mod activations;
pub(crate) mod attempts;
pub(crate) mod audit;
pub(crate) mod decisions;
pub(crate) mod devices;
pub(crate) mod events;
pub(crate) mod nonces;
pub(crate) mod requests;
pub(crate) mod retention;
pub(crate) mod rps;
pub(crate) mod users;

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
pub use requests::{DueWebhook, RequestRow};
pub use rps::RpRow;
pub use users::UserRow;

/// A storage failure. Messages name what to check, never secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

/// Which SQL flavour the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's `synchronous` setting (an operator choice; WAL either way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Syncs at checkpoints: survives a crash of the process, not always a power cut.
    #[default]
    Normal,
    /// Syncs the log at every commit: survives a power cut too.
    Full,
}

impl SqliteSync {
    fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Normal => "PRAGMA synchronous = NORMAL",
            SqliteSync::Full => "PRAGMA synchronous = FULL",
        }
    }
}

/// The database handle shared by the API, the CLI and background tasks.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: String,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects and brings the schema up to date (SQLite: `synchronous = NORMAL`).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, SqliteSync::Normal).await
    }

    /// `open` with the operator's SQLite durability.
    pub async fn open_with(url: &str, sync: SqliteSync) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.into()));
        };
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; the busy timeout
                            // makes concurrent writers wait instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute(sync.pragma()).await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            url: url.to_owned(),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// On PostgreSQL, a listener for other nodes' announcements of new events and of
    /// finished requests.
    pub async fn event_listener(&self) -> Option<sqlx::postgres::PgListener> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let mut listener = match sqlx::postgres::PgListener::connect(&self.url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for events; polling only");
                return None;
            }
        };
        match listener
            .listen_all([events::EVENTS_CHANNEL, events::FINISHED_CHANNEL])
            .await
        {
            Ok(()) => Some(listener),
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for events; polling only");
                None
            }
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes cannot
    /// wait for another writer and fails with "database is locked", while an
    /// immediate one waits its turn under the busy timeout.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A cheap query proving the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for running queries (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
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
