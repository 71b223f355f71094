//! Statements of one transaction sent to the database together: the writes at its
//! end whose results decide nothing more (the request row, its events, the audit
//! entry, the stored answer). On SQLite they go to the connection's thread as one
//! command, where statement by statement each was a hand-off there and back: two
//! thread wake-ups, 17–25 µs of CPU on this VM (statement-cost bench, BENCHMARKS.md
//! 2026-12-03). PostgreSQL takes one statement with parameters per message, so there
//! they still run one by one. Either way they run in the order queued, inside the
//! caller's transaction, and the first that fails stops the batch and fails the call
//! (its transaction then rolls back).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::encode::Encode;
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyConnection, Arguments as _, Row as _, Type};

use super::StoreError;

/// Statements queued for one trip to the database.
pub(crate) struct Batch {
    /// SQLite: every statement joined into the first, their parameters renumbered.
    joined: bool,
    statements: Vec<Queued>,
}

struct Queued {
    sql: String,
    args: AnyArguments,
    /// Whether any of its statements returns rows (`RETURNING`).
    returns_rows: bool,
}

/// The parameters of one queued statement, bound in the order of `$1`, `$2`, ...
pub(crate) struct Binds<'a> {
    args: &'a mut AnyArguments,
    error: &'a mut Option<BoxDynError>,
}

impl Binds<'_> {
    pub(crate) fn bind<'t, T>(self, value: T) -> Self
    where
        T: Encode<'t, Any> + Type<Any>,
    {
        if self.error.is_none()
            && let Err(e) = self.args.add(value)
        {
            *self.error = Some(e);
        }
        self
    }
}

impl Batch {
    /// An empty batch for `conn`'s database.
    pub(crate) fn new(conn: &AnyConnection) -> Self {
        Batch {
            joined: conn.backend_name() == "SQLite",
            statements: Vec::new(),
        }
    }

    /// Whether the batch is for PostgreSQL (where the statements run one by one).
    pub(crate) fn postgres(&self) -> bool {
        !self.joined
    }

    /// Queues a statement that returns nothing.
    pub(crate) fn push(
        &mut self,
        sql: &str,
        bind: impl FnOnce(Binds<'_>) -> Binds<'_>,
    ) -> Result<(), StoreError> {
        self.queue(sql, false, bind)
    }

    /// Queues a statement whose rows (`RETURNING`) `run` returns, after those of the
    /// statements queued before it.
    pub(crate) fn push_returning(
        &mut self,
        sql: &str,
        bind: impl FnOnce(Binds<'_>) -> Binds<'_>,
    ) -> Result<(), StoreError> {
        self.queue(sql, true, bind)
    }

    fn queue(
        &mut self,
        sql: &str,
        returns_rows: bool,
        bind: impl FnOnce(Binds<'_>) -> Binds<'_>,
    ) -> Result<(), StoreError> {
        if !self.joined || self.statements.is_empty() {
            self.statements.push(Queued {
                sql: String::new(),
                args: AnyArguments::default(),
                returns_rows: false,
            });
        }
        let Some(last) = self.statements.last_mut() else {
            unreachable!("a statement was just pushed")
        };
        let offset = last.args.len();
        if !last.sql.is_empty() {
            last.sql.push_str(";\n");
        }
        renumber_into(&mut last.sql, sql, offset);
        last.returns_rows |= returns_rows;
        let mut error = None;
        bind(Binds {
            args: &mut last.args,
            error: &mut error,
        });
        match error {
            None => Ok(()),
            Some(e) => Err(StoreError::Database(sqlx::Error::Encode(e))),
        }
    }

    /// Runs the queued statements on `conn`, in order; the rows of those queued with
    /// `push_returning`.
    pub(crate) async fn run(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for queued in self.statements {
            let query = sqlx::query_with(sqlx::AssertSqlSafe(queued.sql), queued.args);
            if queued.returns_rows {
                rows.extend(query.fetch_all(&mut *conn).await?);
            } else {
                query.execute(&mut *conn).await?;
            }
        }
        Ok(rows)
    }
}

/// Whether one of a batch's `rows` is the `marker` a statement returns (`RETURNING
/// 'marker'`) when it wrote: how statements that may write nothing (`ON CONFLICT DO
/// NOTHING`) say in a batch what they did, where no count of rows comes back.
pub(crate) fn returned(rows: &[AnyRow], marker: &str) -> bool {
    rows.iter()
        .any(|row| row.try_get::<String, _>(0).is_ok_and(|got| got == marker))
}

/// Appends `sql` to `out` with each parameter `$N` numbered `$(N + offset)`, so that
/// it reads its values after those of the statements before it. The store's SQL has
/// no `$` other than its parameters (no dollar-quoted strings).
fn renumber_into(out: &mut String, sql: &str, offset: usize) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use sqlx::Row as _;

    use super::*;
    use crate::store::temp_store;

    #[test]
    fn parameters_are_renumbered_after_the_earlier_statements() {
        let mut out = String::new();
        renumber_into(&mut out, "UPDATE t SET a = $1, b = $12 WHERE c = $1", 7);
        assert_eq!(out, "UPDATE t SET a = $8, b = $19 WHERE c = $8");
        let mut out = String::new();
        renumber_into(&mut out, "SELECT 1", 3);
        assert_eq!(out, "SELECT 1");
    }

    /// On SQLite the statements run as one command, each with its own values, the
    /// rows of `RETURNING` come back in order, and a failing statement stops the
    /// rest and fails the batch.
    #[tokio::test]
    async fn a_batch_runs_in_order_with_each_statements_values() {
        let (_dir, store) = temp_store().await;
        let mut conn = store.writer().await.unwrap();
        let insert = "INSERT INTO audit (at, event, actor, detail) VALUES ($1, $2, 'batch', $3) \
                      RETURNING at";
        let mut batch = Batch::new(&conn);
        batch
            .push_returning(insert, |b| b.bind(1_i64).bind("first").bind("one"))
            .unwrap();
        batch
            .push("UPDATE users SET strikes = $1 WHERE id = $2", |b| {
                b.bind(5_i64).bind("nobody")
            })
            .unwrap();
        batch
            .push_returning(insert, |b| b.bind(2_i64).bind("second").bind("two"))
            .unwrap();
        assert_eq!(batch.statements.len(), 1, "joined into one command");
        let rows = batch.run(&mut conn).await.unwrap();
        let at: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(at, [1, 2]);
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT event, detail FROM audit WHERE actor = 'batch' ORDER BY at")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            stored,
            [
                ("first".into(), "one".into()),
                ("second".into(), "two".into())
            ]
        );

        let mut batch = Batch::new(&conn);
        batch
            .push(insert, |b| b.bind(3_i64).bind("third").bind("three"))
            .unwrap();
        batch
            .push("INSERT INTO no_such_table VALUES ($1)", |b| b.bind(1_i64))
            .unwrap();
        batch
            .push(insert, |b| b.bind(4_i64).bind("fourth").bind("four"))
            .unwrap();
        assert!(batch.run(&mut conn).await.is_err());
        let (fourth,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit WHERE event = 'fourth'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(fourth, 0, "the statement after the failing one did not run");
        drop(conn);
        store.close().await;
    }
}
