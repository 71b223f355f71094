//! Signed push events per device: the durable log behind the SSE stream. Each node
//! reads new rows in one query for all its devices (never a query per device).

use sqlx::AnyConnection;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub device_id: String,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, device_id, kind, data, created_at";

/// The PostgreSQL channel on which nodes announce new events.
pub const EVENTS_CHANNEL: &str = "godkend_events";

/// The PostgreSQL channel on which nodes announce a request that reached a final
/// state (the payload is its id), for the relying parties' long polls.
pub const FINISHED_CHANNEL: &str = "godkend_finished";

pub(crate) async fn insert_event(
    conn: &mut AnyConnection,
    device: &str,
    kind: &str,
    data: &str,
    now: i64,
) -> Result<EventRow, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO events (device_id, kind, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(device)
    .bind(kind)
    .bind(data)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    if conn.backend_name() == "PostgreSQL" {
        // Delivered at commit, so other nodes' pumps read the row as soon as it exists.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENTS_CHANNEL)
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(EventRow {
        id,
        device_id: device.into(),
        kind: kind.into(),
        data: data.into(),
        created_at: now,
    })
}

impl Store {
    /// Events for one device after `after` (Last-Event-ID resume).
    pub async fn events_after(
        &self,
        device: &str,
        after: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM events WHERE device_id = $1 AND id > $2 ORDER BY id LIMIT 500"
        )))
        .bind(device)
        .bind(after)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every device's events after `after`, plus those after `look_back_from` that
    /// were written since `recent_since` (late commits), for the node's event pump.
    pub async fn all_events_after(
        &self,
        after: i64,
        look_back_from: i64,
        recent_since: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM events WHERE id > $1 AND (id > $2 OR created_at >= $3) \
             ORDER BY id LIMIT 2000"
        )))
        .bind(look_back_from)
        .bind(after)
        .bind(recent_since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The newest event id (where a fresh node's pump starts).
    pub async fn last_event_id(&self) -> Result<i64, StoreError> {
        let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Drops events older than `before` (resume only needs recent ones).
    pub async fn prune_events(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(before)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// The newest event id of one device (its resume point), 0 if none.
    pub async fn last_event_id_for(&self, device: &str) -> Result<i64, StoreError> {
        let (id,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(id) FROM events WHERE device_id = $1")
                .bind(device)
                .fetch_one(&self.pool)
                .await?;
        Ok(id.unwrap_or(0))
    }
}
