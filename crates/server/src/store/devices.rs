//! Devices: their public keys, status and the consecutive-wrong-PIN counter.

use godkend_protocol::messages::DeviceState;
use sqlx::AnyConnection;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub user_id: String,
    pub serial: String,
    pub name: String,
    pub device_key: String,
    pub pin_key: String,
    pub uv_alg: Option<String>,
    pub uv_key: Option<String>,
    pub uv_kind: Option<String>,
    pub status: String,
    pub pin_failures: i64,
    pub created_at: i64,
    pub status_at: i64,
    pub last_seen_at: Option<i64>,
}

impl DeviceRow {
    pub fn state(&self) -> DeviceState {
        match self.status.as_str() {
            "active" => DeviceState::Active,
            "blocked" => DeviceState::Blocked,
            // Anything unknown is treated as the final state: fail closed.
            _ => DeviceState::Revoked,
        }
    }
}

pub(crate) fn state_name(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Active => "active",
        DeviceState::Revoked => "revoked",
        DeviceState::Blocked => "blocked",
    }
}

const COLUMNS: &str = "id, user_id, serial, name, device_key, pin_key, uv_alg, uv_key, uv_kind, \
                       status, pin_failures, created_at, status_at, last_seen_at";

impl Store {
    pub async fn device(&self, id: &str) -> Result<Option<DeviceRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM devices WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn device_by_serial(&self, serial: &str) -> Result<Option<DeviceRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM devices WHERE serial = $1"
        )))
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Devices of one user, or of everyone, oldest first.
    pub async fn devices(&self, user: Option<&str>) -> Result<Vec<DeviceRow>, StoreError> {
        let query = match user {
            Some(_) => {
                format!("SELECT {COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, id")
            }
            None => format!("SELECT {COLUMNS} FROM devices ORDER BY user_id, created_at, id"),
        };
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(query));
        if let Some(user) = user {
            q = q.bind(user);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Records that the device called in (shown in the device list).
    pub async fn touch_device(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(())
    }
}

/// Reads a device inside `conn`'s write transaction and holds it until the
/// transaction ends (`super::for_update`), so that every check of its PIN, its status
/// and what follows from them is judged against one state, one call after another.
pub(crate) async fn lock_device(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<DeviceRow>, StoreError> {
    super::lock_by_id(conn, "devices", COLUMNS, id).await
}

/// Replaces an active device's PIN key and clears its failure count; `false` if the
/// device is not active.
pub(crate) async fn set_pin_key(
    conn: &mut AnyConnection,
    id: &str,
    pin_key: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE devices SET pin_key = $1, pin_failures = 0 WHERE id = $2 AND status = 'active'",
    )
    .bind(pin_key)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets or removes an active device's user-verification key (algorithm, public key,
/// kind); `false` if the device is not active.
pub(crate) async fn set_uv_key(
    conn: &mut AnyConnection,
    id: &str,
    key: Option<(&str, &str, &str)>,
) -> Result<bool, StoreError> {
    let (alg, public, kind) = match key {
        Some((a, p, k)) => (Some(a), Some(p), Some(k)),
        None => (None, None, None),
    };
    let done = sqlx::query(
        "UPDATE devices SET uv_alg = $1, uv_key = $2, uv_kind = $3 WHERE id = $4 AND status = 'active'",
    )
    .bind(alg)
    .bind(public)
    .bind(kind)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn insert_device(
    conn: &mut AnyConnection,
    row: &DeviceRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO devices (id, user_id, serial, name, device_key, pin_key, status, pin_failures, \
         created_at, status_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', 0, $7, $7)",
    )
    .bind(&row.id)
    .bind(&row.user_id)
    .bind(&row.serial)
    .bind(&row.name)
    .bind(&row.device_key)
    .bind(&row.pin_key)
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn count_active_devices(
    conn: &mut AnyConnection,
    user: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM devices WHERE user_id = $1 AND status = 'active'")
            .bind(user)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

pub(crate) async fn active_device_ids(
    conn: &mut AnyConnection,
    user: &str,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM devices WHERE user_id = $1 AND status = 'active' ORDER BY id",
    )
    .bind(user)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Moves an active device to a final state; `false` if it was not active.
pub(crate) async fn end_device(
    conn: &mut AnyConnection,
    id: &str,
    state: DeviceState,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE devices SET status = $1, status_at = $2, uv_alg = NULL, uv_key = NULL, uv_kind = NULL \
         WHERE id = $3 AND status = 'active'",
    )
    .bind(state_name(state))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong PIN of an active device; returns the new count of consecutive
/// failures, or `None` if the device is no longer active (nothing is counted then).
pub(crate) async fn count_pin_failure(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    let counted: Option<(i64,)> = sqlx::query_as(
        "UPDATE devices SET pin_failures = pin_failures + 1 WHERE id = $1 AND status = 'active' \
         RETURNING pin_failures",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(counted.map(|(n,)| n))
}

pub(crate) async fn reset_pin_failures(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE devices SET pin_failures = 0 WHERE id = $1 AND status = 'active' AND pin_failures <> 0",
    )
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
