//! Signed push events per device: the durable log behind the SSE stream. Each node
//! reads new rows in one query for all its devices (never a query per device).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use super::batch::Batch;
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

/// The PostgreSQL channel on which new events are announced to every node, by a
/// trigger on `events` (migration 0007), delivered at commit.
pub const EVENTS_CHANNEL: &str = "godkend_events";

/// The PostgreSQL channel on which a request that reached a final state is announced
/// (the payload is its id), for the relying parties' long polls: by a trigger on
/// `requests` (migration 0007), delivered at commit.
pub const FINISHED_CHANNEL: &str = "godkend_finished";

pub(crate) async fn insert_event(
    conn: &mut AnyConnection,
    device: &str,
    kind: &str,
    data: &str,
    now: i64,
) -> Result<EventRow, StoreError> {
    let mut batch = Batch::new(conn);
    let queued = queue_events(&mut batch, &[device], kind, data, now)?;
    let rows = batch.run(conn).await?;
    let mut events = queued.stored(&rows)?;
    events
        .pop()
        .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
}

/// Queues one event of `kind` with `data` for each of `devices` in a transaction's
/// batch; once the batch ran, `QueuedEvents::stored` makes them rows. (On PostgreSQL
/// the other nodes hear of them from the table's trigger.)
pub(crate) fn queue_events<'a>(
    batch: &mut Batch,
    devices: &[&'a str],
    kind: &'a str,
    data: &'a str,
    now: i64,
) -> Result<QueuedEvents<'a>, StoreError> {
    for device in devices {
        batch.push_returning(
            "INSERT INTO events (device_id, kind, data, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, device_id",
            |b| b.bind(*device).bind(kind).bind(data).bind(now),
        )?;
    }
    Ok(QueuedEvents {
        devices: devices.to_vec(),
        kind,
        data,
        now,
    })
}

/// Events queued in a batch, waiting for their ids.
pub(crate) struct QueuedEvents<'a> {
    devices: Vec<&'a str>,
    kind: &'a str,
    data: &'a str,
    now: i64,
}

impl QueuedEvents<'_> {
    /// The stored rows in the order of their ids, from what the batch returned
    /// (`rows`: the id and device of each event queued, in any order, and nothing
    /// else).
    pub(crate) fn stored(self, rows: &[AnyRow]) -> Result<Vec<EventRow>, StoreError> {
        if rows.len() != self.devices.len() {
            return Err(StoreError::Database(sqlx::Error::RowNotFound));
        }
        let mut events = rows
            .iter()
            .map(|row| {
                let device_id: String = row.try_get(1)?;
                if !self.devices.contains(&device_id.as_str()) {
                    return Err(StoreError::Database(sqlx::Error::RowNotFound));
                }
                Ok(EventRow {
                    id: row.try_get(0)?,
                    device_id,
                    kind: self.kind.into(),
                    data: self.data.into(),
                    created_at: self.now,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        events.sort_by_key(|event| event.id);
        Ok(events)
    }
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
