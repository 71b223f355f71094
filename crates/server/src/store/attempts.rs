//! Failed-attempt limits kept in the database, so every node of a deployment counts
//! the same attempts (an in-memory limiter would give each node its own allowance).
//! A limit is a counter per (scope, subject) over a fixed window. An attempt takes a
//! slot *before* it is judged, in one conditional upsert, so a burst cannot slip past
//! the check; an attempt that turns out not to be a failure gives its slot back.

use sqlx::AnyConnection;

use super::{Store, StoreError};

/// One limit to take a slot in.
#[derive(Debug, Clone, Copy)]
pub struct Limit<'a> {
    pub scope: &'a str,
    pub subject: &'a str,
    /// Most failures per window.
    pub max: i64,
}

/// Takes a slot in `limit`'s current window; `false` (and nothing counted) when the
/// window is full. A window older than `window` seconds starts afresh.
async fn take(
    conn: &mut AnyConnection,
    limit: Limit<'_>,
    now: i64,
    window: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO attempt_limits (scope, subject, window_start, failures) \
         VALUES ($1, $2, $3, 1) \
         ON CONFLICT (scope, subject) DO UPDATE SET \
           failures = CASE WHEN attempt_limits.window_start <= $4 THEN 1 \
                           ELSE attempt_limits.failures + 1 END, \
           window_start = CASE WHEN attempt_limits.window_start <= $4 THEN $3 \
                               ELSE attempt_limits.window_start END \
         WHERE attempt_limits.window_start <= $4 OR attempt_limits.failures < $5",
    )
    .bind(limit.scope)
    .bind(limit.subject)
    .bind(now)
    .bind(now - window)
    .bind(limit.max)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// Takes a slot in every one of `limits` at once, or in none: `None` when all had
    /// room, else the seconds until the first full one opens again.
    pub async fn take_attempt_slots(
        &self,
        limits: &[Limit<'_>],
        now: i64,
        window: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin().await?;
        for limit in limits {
            if !take(&mut tx, *limit, now, window).await? {
                tx.rollback().await?;
                let start: Option<i64> = sqlx::query_scalar(
                    "SELECT window_start FROM attempt_limits WHERE scope = $1 AND subject = $2",
                )
                .bind(limit.scope)
                .bind(limit.subject)
                .fetch_optional(&self.pool)
                .await?;
                return Ok(Some(start.map_or(window, |s| s + window - now).max(1)));
            }
        }
        tx.commit().await?;
        Ok(None)
    }

    /// Gives back slots taken at `taken_at` by an attempt that was not a failure (if
    /// their window has not started afresh meanwhile).
    pub async fn return_attempt_slots(
        &self,
        limits: &[Limit<'_>],
        taken_at: i64,
        window: i64,
    ) -> Result<(), StoreError> {
        for limit in limits {
            sqlx::query(
                "UPDATE attempt_limits SET failures = failures - 1 \
                 WHERE scope = $1 AND subject = $2 AND failures > 0 \
                 AND window_start > $3 AND window_start <= $4",
            )
            .bind(limit.scope)
            .bind(limit.subject)
            .bind(taken_at - window)
            .bind(taken_at)
            .execute(&mut *self.writer().await?)
            .await?;
        }
        Ok(())
    }

    /// Deletes counters whose window ended.
    pub async fn prune_attempt_limits(&self, now: i64, window: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM attempt_limits WHERE window_start <= $1")
            .bind(now - window)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected())
    }
}
