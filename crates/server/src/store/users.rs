//! Users: the people devices belong to, with their push-abuse counters.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow as _, Row as _};

use super::batch::Batch;
use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub display_name: String,
    pub created_at: i64,
    /// Denials and not-me reports since the last approval; drives push backoff.
    pub strikes: i64,
    pub last_push_at: i64,
    pub push_blocked_until: i64,
}

const COLUMNS: &str = "id, display_name, created_at, strikes, last_push_at, push_blocked_until";

impl Store {
    /// Adds a user; `false` if the id is taken.
    pub async fn add_user(
        &self,
        id: &str,
        display_name: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (id, display_name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(display_name)
        .bind(now)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Removes a user; their devices are revoked by the caller first.
    pub async fn remove_user(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// What creating a request for a user judges: their row, their active devices and
/// whether a request of theirs is pending.
#[derive(Debug)]
pub(crate) struct RequestTarget {
    pub user: UserRow,
    /// The active devices' ids, sorted.
    pub devices: Vec<String>,
    pub pending: bool,
}

/// Queues, as the first statements of a request's creating transaction
/// (`Store::begin_with`), the read of what it judges for user `id`; `request_target`
/// makes it of their rows. The user's row is held until the transaction ends, so
/// the "one pending request" rule and the push backoff are judged one request at a
/// time per user.
///
/// On SQLite that is one statement, sent with the `BEGIN IMMEDIATE`: the transaction
/// holds the database's one writer from then on, and each command is a hand-off to
/// the writer's thread and back while every other write waits; those hand-offs
/// stretch when the host takes the CPU (BENCHMARKS.md). On PostgreSQL the row is
/// locked by a statement of its own first (`lock_by_id`'s, inside a batch):
/// under READ COMMITTED a statement reads from the snapshot it started with, so one
/// that waited for the lock would count the pending requests as they were before the
/// transaction it waited for committed its new one
/// (`requests_that_waited_for_the_user_see_each_other`).
pub(crate) fn queue_request_target(batch: &mut Batch, id: &str) -> Result<(), StoreError> {
    queue_lock(batch, id)?;
    let list = if batch.postgres() {
        "string_agg(id, ',')"
    } else {
        "group_concat(id, ',')"
    };
    batch.push_returning(
        &format!(
            "SELECT {COLUMNS}, \
             (SELECT {list} FROM devices WHERE user_id = $1 AND status = 'active') AS devices, \
             (SELECT count(*) FROM requests WHERE user_id = $1 AND state = 'pending') AS pending \
             FROM users WHERE id = $1"
        ),
        |b| b.bind(id),
    )
}

/// Queues the lock on user `id`'s row, held until the transaction ends: on
/// PostgreSQL a statement of its own; on SQLite nothing, as the transaction holds
/// the one writer. Whatever changes a user's requests takes it before any request's
/// row (a create locks the user and then supersedes the pending request; a decision
/// that held the request and then wrote the user's row waited for such a create
/// while it waited for the decision, until PostgreSQL's deadlock detector failed one).
pub(crate) fn queue_lock(batch: &mut Batch, id: &str) -> Result<(), StoreError> {
    if batch.postgres() {
        batch.push("SELECT id FROM users WHERE id = $1 FOR UPDATE", |b| {
            b.bind(id)
        })?;
    }
    Ok(())
}

/// What `queue_request_target` read: `None` when there is no such user.
pub(crate) fn request_target(rows: &[AnyRow]) -> Result<Option<RequestTarget>, StoreError> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let devices: Option<String> = row.try_get("devices")?;
    // Ids have no comma (`godkend_protocol::ids`).
    let mut devices: Vec<String> = devices
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::to_owned)
        .collect();
    devices.sort_unstable();
    let pending: i64 = row.try_get("pending")?;
    Ok(Some(RequestTarget {
        user: UserRow::from_row(row)?,
        devices,
        pending: pending > 0,
    }))
}

/// Whether `user` exists and was created no later than `created_by` (a user removed
/// and added again after an activation code was made is someone else).
pub(crate) async fn is_same_user(
    conn: &mut AnyConnection,
    user: &str,
    created_by: i64,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT created_at FROM users WHERE id = $1 AND created_at <= $2")
            .bind(user)
            .bind(created_by)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Records a push for the rate limit (queued in the creating transaction's batch).
pub(crate) fn queue_push(batch: &mut Batch, user: &str, now: i64) -> Result<(), StoreError> {
    batch.push("UPDATE users SET last_push_at = $1 WHERE id = $2", |b| {
        b.bind(now).bind(user)
    })
}

/// After a decision: a denial adds a strike, `not_me` adds one and blocks pushes until
/// `block_until`, an approval clears the strikes.
/// (Queued in the deciding transaction's batch.)
pub(crate) fn queue_decision(
    batch: &mut Batch,
    user: &str,
    strike: bool,
    block_until: Option<i64>,
) -> Result<(), StoreError> {
    if strike {
        batch.push(
            "UPDATE users SET strikes = strikes + 1, \
             push_blocked_until = CASE WHEN $1 > push_blocked_until THEN $1 ELSE push_blocked_until END \
             WHERE id = $2",
            |b| b.bind(block_until.unwrap_or(0)).bind(user),
        )
    } else {
        batch.push("UPDATE users SET strikes = 0 WHERE id = $1", |b| {
            b.bind(user)
        })
    }
}
