//! Statements of one transaction sent to the database together: the writes at its
//! end whose results decide nothing more (the request row, its events, the audit
//! entry, the stored answer), and on SQLite the first statements with the `BEGIN`.
//! On SQLite they go to the connection's thread as one command, where statement by
//! statement each was a hand-off there and back: two thread wake-ups, 17–25 µs of
//! CPU on this VM (statement-cost bench, BENCHMARKS.md 2026-12-03). PostgreSQL takes
//! one statement with parameters per message, and each is a round trip to the
//! database's process: a closing batch (`Batch::new`) goes there as one statement,
//! each write a data-modifying `WITH` query of it, run to completion whether or not
//! its rows are read. Such queries share one snapshot, so a closing batch holds only
//! `INSERT`, `UPDATE` and `DELETE` statements that do not read each other's writes or
//! change the same row twice, and its `RETURNING` statements return the same columns
//! (their rows come back as one `UNION ALL`, in no promised order). The first
//! statements of a transaction (`Batch::in_order`) run one by one on PostgreSQL, as a
//! statement that waited for a lock must not read from the snapshot it started with.
//! Either way they run inside the caller's transaction, and a failing statement
//! fails the call (its transaction then rolls back).

use std::fmt::Write as _;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::encode::Encode;
use sqlx::error::BoxDynError;
use sqlx::{Any, AnyConnection, Arguments as _, Row as _, Type};

use super::StoreError;

/// Statements queued for one trip to the database.
pub(crate) struct Batch {
    shape: Shape,
    statements: Vec<Queued>,
    /// `Shape::OneStatement`: the `WITH` queries so far, and those whose rows it returns.
    queries: usize,
    returning: Vec<usize>,
}

/// How a batch's statements reach the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// SQLite: every statement joined into the first, their parameters renumbered.
    Joined,
    /// PostgreSQL: every statement a `WITH` query of one, parameters renumbered.
    OneStatement,
    /// PostgreSQL: one statement after the other.
    InOrder,
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
    /// An empty batch of a transaction's closing writes for `conn`'s database: one
    /// command on SQLite, one statement on PostgreSQL.
    pub(crate) fn new(conn: &AnyConnection) -> Self {
        Self::shaped(conn, Shape::OneStatement)
    }

    /// An empty batch of statements that run in order, each seeing the ones before:
    /// one command on SQLite (one writer, nothing to wait for), one by one on
    /// PostgreSQL.
    pub(crate) fn in_order(conn: &AnyConnection) -> Self {
        Self::shaped(conn, Shape::InOrder)
    }

    fn shaped(conn: &AnyConnection, postgres: Shape) -> Self {
        Batch {
            shape: if conn.backend_name() == "SQLite" {
                Shape::Joined
            } else {
                postgres
            },
            statements: Vec::new(),
            queries: 0,
            returning: Vec::new(),
        }
    }

    /// Whether the batch is for PostgreSQL.
    pub(crate) fn postgres(&self) -> bool {
        self.shape != Shape::Joined
    }

    /// Queues a statement that returns nothing.
    pub(crate) fn push(
        &mut self,
        sql: &str,
        bind: impl FnOnce(Binds<'_>) -> Binds<'_>,
    ) -> Result<(), StoreError> {
        self.queue(sql, false, bind)
    }

    /// Queues a statement whose rows (`RETURNING`) `run` returns: after those of the
    /// statements queued before it, except in a closing batch on PostgreSQL, whose
    /// rows come in no promised order.
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
        if self.shape == Shape::InOrder || self.statements.is_empty() {
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
        match self.shape {
            Shape::Joined | Shape::InOrder => {
                if !last.sql.is_empty() {
                    last.sql.push_str(";\n");
                }
                renumber_into(&mut last.sql, sql, offset);
            }
            Shape::OneStatement => {
                let n = self.queries;
                let sep = if n == 0 { "WITH " } else { ",\n" };
                // Writing to a String cannot fail.
                let _ = write!(last.sql, "{sep}q{n} AS (");
                renumber_into(&mut last.sql, sql, offset);
                last.sql.push(')');
                self.queries += 1;
                if returns_rows {
                    self.returning.push(n);
                }
            }
        }
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

    /// Runs the queued statements on `conn`, in order on SQLite and in an in-order
    /// batch; a closing batch on PostgreSQL is one statement, whose writes run in no
    /// promised order (PostgreSQL runs the `WITH` queries no one reads after the
    /// main query), so what must be written in order is one statement
    /// (`audit::queue_all`). The rows of those queued with `push_returning`.
    pub(crate) async fn run(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for mut queued in self.statements {
            if self.shape == Shape::OneStatement {
                queued.sql.push_str(&primary_query(&self.returning));
            }
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

/// The query after a statement's `WITH` queries: the rows of those that return some
/// (`q1`, `q3`, ...), or nothing.
fn primary_query(returning: &[usize]) -> String {
    if returning.is_empty() {
        return "\nSELECT 1".into();
    }
    let reads: Vec<String> = returning
        .iter()
        .map(|n| format!("SELECT * FROM q{n}"))
        .collect();
    format!("\n{}", reads.join(" UNION ALL "))
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

    /// On PostgreSQL a closing batch is one statement: each write a `WITH` query with
    /// its parameters renumbered, the rows of those with `RETURNING` read together.
    #[test]
    fn a_closing_batch_for_postgres_is_one_statement() {
        let mut batch = Batch {
            shape: Shape::OneStatement,
            statements: Vec::new(),
            queries: 0,
            returning: Vec::new(),
        };
        batch
            .push("UPDATE users SET strikes = $1 WHERE id = $2", |b| {
                b.bind(0_i64).bind("u")
            })
            .unwrap();
        for device in ["d1", "d2"] {
            batch
                .push_returning(
                    "INSERT INTO events (device_id) VALUES ($1) RETURNING id",
                    |b| b.bind(device),
                )
                .unwrap();
        }
        assert_eq!(batch.statements.len(), 1);
        let mut sql = batch.statements[0].sql.clone();
        sql.push_str(&primary_query(&batch.returning));
        assert_eq!(
            sql,
            "WITH q0 AS (UPDATE users SET strikes = $1 WHERE id = $2),\n\
             q1 AS (INSERT INTO events (device_id) VALUES ($3) RETURNING id),\n\
             q2 AS (INSERT INTO events (device_id) VALUES ($4) RETURNING id)\n\
             SELECT * FROM q1 UNION ALL SELECT * FROM q2"
        );
        assert_eq!(batch.statements[0].args.len(), 4);
        assert_eq!(
            primary_query(&[]),
            "\nSELECT 1",
            "writes only: nothing to read"
        );
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
