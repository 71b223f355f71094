//! Where writes run. On SQLite: one connection that the store holds for as long as it
//! is open, behind a queue (an async mutex), rather than a pool of one. A pool tests
//! every connection that comes back with a round trip to its thread (sqlx's ping on
//! release, which no option turns off), and every such round trip is two thread
//! wake-ups: on this VM the scheduler was half of the server's CPU (BENCHMARKS.md,
//! 2026-12-03), and the held writer answers a statement in 4–8 µs of CPU where the
//! read pool took 20–32 (statement-cost bench). A connection held this way needs what
//! the pool gave: a write waits in turn for at most `WAIT`, and a connection whose
//! transaction was abandoned (or whose `BEGIN` failed) is rolled back and so tested
//! before its next use, and replaced if that fails.
//!
//! On SQLite a transaction is begun, committed and rolled back by plain statements,
//! not sqlx's transaction steps, so that a transaction's last writes and its `COMMIT`
//! go to the connection's thread as one command (`WriteTx::commit_batch`): sqlx
//! counts the transactions it began and would take a `COMMIT` it did not send for an
//! open transaction. SQLite itself knows whether one is open, and a transaction left
//! open is rolled back by its own `ROLLBACK` (`end_transaction`).
//!
//! On PostgreSQL writes take a connection from the one pool, as reads do: there the
//! test on release also notices a restarted server.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions as _, Connection as _};
use sqlx_core::transaction::TransactionManager as _;
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use super::batch::Batch;
use super::{StoreError, Synchronous, sqlite_settings};

/// sqlx's transaction steps for the `Any` driver: what `sqlx::Transaction` calls.
type Steps = sqlx::any::AnyTransactionManager;

/// How long a write waits for the writer before it is answered 503, as the pool's
/// acquire timeout did: long enough to queue behind a burst, short enough that a
/// caller hears of a writer stuck behind another process.
const WAIT: Duration = Duration::from_secs(30);

/// SQLite's writer connection; `None` once the store is closed.
type Slot = Option<AnyConnection>;

/// The writer: SQLite's one held connection, or PostgreSQL's pool.
#[derive(Debug, Clone)]
pub(crate) enum Writer {
    Sqlite {
        slot: Arc<Mutex<Slot>>,
        /// A transaction on the connection was abandoned (an error, a cancelled
        /// call) or could not begin: test it before the next use.
        suspect: Arc<AtomicBool>,
        options: AnyConnectOptions,
        synchronous: Synchronous,
    },
    Postgres(AnyPool),
}

impl Writer {
    /// Opens SQLite's writer connection: it creates the file and switches it to WAL.
    pub(crate) async fn sqlite(
        options: AnyConnectOptions,
        synchronous: Synchronous,
    ) -> Result<Self, StoreError> {
        let conn = connect(&options, synchronous).await?;
        Ok(Writer::Sqlite {
            slot: Arc::new(Mutex::new(Some(conn))),
            suspect: Arc::default(),
            options,
            synchronous,
        })
    }

    /// The writer's connection, after the writes queued before this one.
    pub(crate) async fn connection(&self) -> Result<WriteConn, StoreError> {
        match self {
            Writer::Postgres(pool) => Ok(WriteConn::Pooled(pool.acquire().await?)),
            Writer::Sqlite {
                slot,
                suspect,
                options,
                synchronous,
            } => {
                let mut slot = tokio::time::timeout(WAIT, Arc::clone(slot).lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                // Cleared only once the connection passed: a call cut off during the
                // test, or a replacement that could not be made, leaves it for the next.
                if let Some(conn) = slot.as_mut() {
                    let test = suspect.load(Ordering::Acquire);
                    renew_if_broken(conn, test, options, *synchronous).await?;
                    suspect.store(false, Ordering::Release);
                }
                let held = OwnedMutexGuard::try_map(slot, Option::as_mut)
                    .map_err(|_| sqlx::Error::PoolClosed)?;
                Ok(WriteConn::Held(held))
            }
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes cannot
    /// wait for another writer (the admin CLI, a backup) and fails with "database is
    /// locked", while an immediate one waits its turn under the busy timeout.
    pub(crate) async fn begin(&self) -> Result<WriteTx, StoreError> {
        let (tx, _) = self.begin_with(|_| Ok(())).await?;
        Ok(tx)
    }

    /// Starts a write transaction with the statements `first` queues as its first:
    /// on SQLite they go to the connection's thread with the `BEGIN IMMEDIATE` as one
    /// command, one trip where each was one more while the transaction held the
    /// database. The rows of those queued with `Batch::push_returning`.
    pub(crate) async fn begin_with(
        &self,
        first: impl FnOnce(&mut Batch) -> Result<(), StoreError>,
    ) -> Result<(WriteTx, Vec<AnyRow>), StoreError> {
        let conn = self.connection().await?;
        let mut tx = match self {
            // Open before the `BEGIN` is sent: if it fails, or the call is cut off
            // while it runs, dropping the transaction rolls back whatever began.
            Writer::Sqlite { suspect, .. } => WriteTx {
                conn: Some(conn),
                ends: Ends::Sqlite(Arc::clone(suspect)),
                open: true,
            },
            Writer::Postgres(_) => {
                let mut conn = conn;
                Steps::begin(&mut conn, None).await?;
                WriteTx {
                    conn: Some(conn),
                    ends: Ends::Postgres,
                    open: true,
                }
            }
        };
        let mut batch = Batch::in_order(&tx);
        if let Ends::Sqlite(_) = tx.ends {
            batch.push("BEGIN IMMEDIATE", |b| b)?;
        }
        first(&mut batch)?;
        let rows = batch.run(&mut tx).await?;
        Ok((tx, rows))
    }

    /// Waits for the running write, then closes the connection (graceful shutdown);
    /// later writes are refused as by a closed pool.
    pub(crate) async fn close(&self) {
        match self {
            Writer::Postgres(pool) => pool.close().await,
            Writer::Sqlite { slot, .. } => {
                if let Some(conn) = slot.lock().await.take()
                    && let Err(e) = conn.close().await
                {
                    tracing::warn!(error = %e, "closing the database writer failed");
                }
            }
        }
    }
}

/// A new SQLite connection with the store's settings.
async fn connect(
    options: &AnyConnectOptions,
    synchronous: Synchronous,
) -> Result<AnyConnection, StoreError> {
    let mut conn = options.connect().await?;
    sqlite_settings(&mut conn, synchronous).await?;
    Ok(conn)
}

/// Replaces the writer connection when it cannot serve the next write: after an
/// abandoned transaction or a failed `BEGIN` (`test`), one whose transaction cannot
/// be ended, which is also how one whose thread died answers. The `ROLLBACK` is the
/// test: a transaction abandoned and never rolled back (the runtime was shutting
/// down) ends here.
async fn renew_if_broken(
    conn: &mut AnyConnection,
    test: bool,
    options: &AnyConnectOptions,
    synchronous: Synchronous,
) -> Result<(), StoreError> {
    if !test {
        return Ok(());
    }
    let Err(e) = end_transaction(conn).await else {
        return Ok(());
    };
    tracing::warn!(error = %e, "replacing the database writer, which stopped answering");
    // The new one first: if it cannot be made, the broken one stays in place (and
    // the caller's test flag stays set), so the next write tries again.
    let old = std::mem::replace(conn, connect(options, synchronous).await?);
    drop(old.close_hard().await);
    Ok(())
}

/// Rolls back the SQLite transaction open on `conn`, if one is: SQLite may have
/// ended it itself (it rolls back on a full disk), or it may never have begun (a
/// failed `BEGIN`), or it committed just before its caller went away.
async fn end_transaction(conn: &mut AnyConnection) -> Result<(), StoreError> {
    match sqlx::raw_sql("ROLLBACK").execute(conn).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The writer's connection for one write or one transaction.
pub enum WriteConn {
    Held(OwnedMappedMutexGuard<Slot, AnyConnection>),
    Pooled(PoolConnection<Any>),
}

impl Deref for WriteConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConn::Held(conn) => conn,
            WriteConn::Pooled(conn) => conn,
        }
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConn::Held(conn) => conn,
            WriteConn::Pooled(conn) => conn,
        }
    }
}

/// How a transaction ends: on SQLite by its own statements (with the flag that has
/// the writer tested before its next use), on PostgreSQL by sqlx's steps.
enum Ends {
    Sqlite(Arc<AtomicBool>),
    Postgres,
}

/// A write transaction: commit it, or it rolls back when dropped (an error, a call
/// cancelled by a client that went away), like `sqlx::Transaction`.
pub struct WriteTx {
    /// `None` only once `Drop` took it.
    conn: Option<WriteConn>,
    ends: Ends,
    open: bool,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<(), StoreError> {
        match self.ends {
            Ends::Sqlite(_) => {
                sqlx::raw_sql("COMMIT").execute(&mut *self).await?;
            }
            Ends::Postgres => Steps::commit(&mut self).await?,
        }
        self.open = false;
        Ok(())
    }

    /// Runs `batch`, the transaction's last writes, and commits: on SQLite in one
    /// trip to the connection's thread, the `COMMIT` joined to the batch (which stops
    /// at a failing statement, before it). The rows of its `RETURNING` statements.
    pub(crate) async fn commit_batch(
        mut self,
        mut batch: Batch,
    ) -> Result<Vec<AnyRow>, StoreError> {
        if let Ends::Postgres = self.ends {
            let rows = batch.run(&mut self).await?;
            self.commit().await?;
            return Ok(rows);
        }
        batch.push("COMMIT", |b| b)?;
        let rows = batch.run(&mut self).await?;
        self.open = false;
        Ok(rows)
    }

    pub async fn rollback(mut self) -> Result<(), StoreError> {
        match self.ends {
            Ends::Sqlite(_) => end_transaction(&mut self).await?,
            Ends::Postgres => Steps::rollback(&mut self).await?,
        }
        self.open = false;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match &self.ends {
            // Queued on the connection now, so it runs before whatever the next holder
            // sends.
            Ends::Postgres => Steps::start_rollback(&mut conn),
            // Rolled back by a task that holds the writer until it has: the next
            // write waits for it, and another process (the admin CLI, a backup) is not
            // kept waiting on the write lock until then. Tested before the next use
            // unless the rollback went through.
            Ends::Sqlite(suspect) => {
                suspect.store(true, Ordering::Release);
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let suspect = Arc::clone(suspect);
                    runtime.spawn(async move {
                        if end_transaction(&mut conn).await.is_ok() {
                            suspect.store(false, Ordering::Release);
                        }
                    });
                }
            }
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("the connection is taken only when dropped"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("the connection is taken only when dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::store::batch::Batch;
    use crate::store::{Store, temp_store};

    async fn audit_rows(store: &Store) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit WHERE actor = 'writer-test'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        n
    }

    async fn insert(conn: &mut sqlx::AnyConnection) {
        sqlx::query(
            "INSERT INTO audit (at, event, actor, detail) VALUES (1, 'test', 'writer-test', 'x')",
        )
        .execute(conn)
        .await
        .unwrap();
    }

    /// The writer serves a new transaction: one row, committed.
    async fn commit_a_row(store: &Store) {
        let mut tx = store.begin().await.unwrap();
        insert(&mut tx).await;
        tx.commit().await.unwrap();
    }

    /// A transaction given up by an error or by a caller that went away (its future
    /// dropped mid-way, as when a client disconnects) leaves nothing behind, and the
    /// held writer serves the next transaction.
    #[tokio::test]
    async fn an_abandoned_transaction_rolls_back_and_the_writer_goes_on() {
        let (_dir, store) = temp_store().await;

        let mut tx = store.begin().await.unwrap();
        insert(&mut tx).await;
        drop(tx);

        let cancelled = tokio::time::timeout(Duration::from_millis(50), async {
            let mut tx = store.begin().await.unwrap();
            insert(&mut tx).await;
            std::future::pending::<()>().await;
        })
        .await;
        assert!(
            cancelled.is_err(),
            "the call was cut off while it held the writer"
        );

        commit_a_row(&store).await;
        assert_eq!(audit_rows(&store).await, 1);

        let mut tx = store.begin().await.unwrap();
        insert(&mut tx).await;
        tx.rollback().await.unwrap();
        insert(&mut store.writer().await.unwrap()).await;
        assert_eq!(audit_rows(&store).await, 2);
        store.close().await;
    }

    /// The connection's own setting, which a replaced connection would not have.
    async fn cache_size(store: &Store) -> i64 {
        let (size,): (i64,) = sqlx::query_as("PRAGMA cache_size")
            .fetch_one(&mut *store.writer().await.unwrap())
            .await
            .unwrap();
        size
    }

    /// An abandoned transaction is rolled back on the same connection: the next
    /// write, even one right after it in the same task (as a refused decision then
    /// spends its nonce), finds it out of the transaction, not a writer to replace.
    #[tokio::test]
    async fn the_writer_is_kept_after_an_abandoned_transaction() {
        let (_dir, store) = temp_store().await;
        sqlx::query("PRAGMA cache_size = 1234")
            .execute(&mut *store.writer().await.unwrap())
            .await
            .unwrap();
        for _ in 0..3 {
            let mut tx = store.begin().await.unwrap();
            insert(&mut tx).await;
            drop(tx);
            insert(&mut store.writer().await.unwrap()).await;
        }
        assert_eq!(cache_size(&store).await, 1234, "the same connection");
        assert_eq!(audit_rows(&store).await, 3);
        store.close().await;
    }

    /// A transaction's last writes and its `COMMIT`, sent as one command, commit
    /// together; a failing statement stops them before the `COMMIT`, and the
    /// transaction rolls back with the writes before it.
    #[tokio::test]
    async fn a_batch_commits_with_its_transaction_or_not_at_all() {
        let (_dir, store) = temp_store().await;
        let audit = "INSERT INTO audit (at, event, actor, detail) \
                     VALUES ($1, 'test', 'writer-test', 'x') RETURNING at";

        let mut tx = store.begin().await.unwrap();
        insert(&mut tx).await;
        let mut batch = Batch::new(&tx);
        batch.push_returning(audit, |b| b.bind(7_i64)).unwrap();
        let rows = tx.commit_batch(batch).await.unwrap();
        assert_eq!(rows.len(), 1, "the RETURNING row, and none from the COMMIT");
        assert_eq!(audit_rows(&store).await, 2);

        let mut tx = store.begin().await.unwrap();
        insert(&mut tx).await;
        let mut batch = Batch::new(&tx);
        batch.push_returning(audit, |b| b.bind(8_i64)).unwrap();
        batch
            .push("INSERT INTO no_such_table VALUES (1)", |b| b)
            .unwrap();
        assert!(tx.commit_batch(batch).await.is_err());
        assert_eq!(audit_rows(&store).await, 2, "nothing of it committed");

        commit_a_row(&store).await;
        assert_eq!(audit_rows(&store).await, 3);
        store.close().await;
    }

    /// A transaction's first statements, sent with its `BEGIN`, run inside it and
    /// give their rows; one that fails ends the transaction, and the writer serves
    /// the next.
    #[tokio::test]
    async fn first_statements_run_inside_the_transaction_they_begin() {
        let (_dir, store) = temp_store().await;
        let audit = "INSERT INTO audit (at, event, actor, detail) \
                     VALUES ($1, 'test', 'writer-test', 'x') RETURNING at";

        let (tx, rows) = store
            .begin_with(|batch| batch.push_returning(audit, |b| b.bind(5_i64)))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        tx.rollback().await.unwrap();
        assert_eq!(
            audit_rows(&store).await,
            0,
            "rolled back with its transaction"
        );

        let failed = store
            .begin_with(|batch| {
                batch.push_returning(audit, |b| b.bind(6_i64))?;
                batch.push("INSERT INTO no_such_table VALUES (1)", |b| b)
            })
            .await;
        assert!(failed.is_err());
        let (mut tx, _) = store.begin_with(|_| Ok(())).await.unwrap();
        insert(&mut tx).await;
        tx.commit().await.unwrap();
        assert_eq!(
            audit_rows(&store).await,
            1,
            "only the later transaction's row"
        );
        store.close().await;
    }

    /// A call cut off while its `BEGIN IMMEDIATE` waits for another process's write
    /// lock leaves no transaction behind once that `BEGIN` got through: it is rolled
    /// back at once, not at the next write, so the other process can write again
    /// (within its busy timeout, sqlx's default 5 s), and so can the server.
    #[tokio::test]
    async fn a_begin_cut_off_while_it_waited_leaves_no_transaction() {
        use sqlx::Connection as _;

        let (dir, store) = temp_store().await;
        let url = crate::store::sqlite_url(&dir.path().join("godkend.db"));
        let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap();

        let cut = tokio::time::timeout(Duration::from_millis(200), store.begin()).await;
        assert!(cut.is_err(), "the BEGIN waited for the other writer");
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        // The cut-off BEGIN retries every few ms (the busy handler): let it through.
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::raw_sql("BEGIN IMMEDIATE; COMMIT")
            .execute(&mut other)
            .await
            .unwrap();

        commit_a_row(&store).await;
        assert_eq!(audit_rows(&store).await, 1);
        store.close().await;
    }

    /// After shutdown a write is refused as by a closed pool (503), not hung.
    #[tokio::test]
    async fn a_closed_store_refuses_writes_as_unavailable() {
        let (_dir, store) = temp_store().await;
        store.close().await;
        let err = store.begin().await.err().unwrap();
        assert!(err.is_unavailable(), "{err}");
        let err = store.writer().await.err().unwrap();
        assert!(err.is_unavailable(), "{err}");
    }

    /// Writes queue for the one connection and each commits whole.
    #[tokio::test]
    async fn concurrent_transactions_take_turns() {
        let (_dir, store) = temp_store().await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut tx = store.begin().await.unwrap();
                    insert(&mut tx).await;
                    tokio::task::yield_now().await;
                    insert(&mut tx).await;
                    tx.commit().await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(audit_rows(&store).await, 40);
        store.close().await;
    }
}
