//! One-time activation codes. The server needs the code itself to check the device's
//! HMAC proof, so it is kept, sealed (see `code_seal`), only until used, expired or
//! burnt. A code works while it is unused, unexpired and has fewer than the allowed
//! wrong proofs; every statement that counts or uses one checks all three itself, so
//! concurrent calls cannot count past the limit or use a burnt code.

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivationRow {
    pub id: String,
    pub user_id: String,
    /// The code sealed by `CodeSeal` (empty once used).
    pub code: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub failures: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn add_activation(&self, row: &ActivationRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO activations (id, user_id, code, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id)
        .bind(&row.user_id)
        .bind(&row.code)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// The user's activations that still work (unused, unexpired, not burnt), newest
    /// first.
    pub async fn open_activations(
        &self,
        user: &str,
        max_failures: i64,
        now: i64,
    ) -> Result<Vec<ActivationRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, code, created_at, expires_at, failures, used_at FROM activations \
             WHERE user_id = $1 AND used_at IS NULL AND failures < $2 AND expires_at > $3 \
             ORDER BY created_at DESC",
        )
        .bind(user)
        .bind(max_failures)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes every activation of a user (on `user remove`).
    pub async fn remove_activations(&self, user: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM activations WHERE user_id = $1")
            .bind(user)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes activations that can no longer be used (used, expired or burnt), so
    /// no code stays in the database longer than it works.
    pub async fn prune_activations(&self, now: i64, max_failures: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM activations WHERE used_at IS NOT NULL OR expires_at <= $1 OR failures >= $2",
        )
        .bind(now)
        .bind(max_failures)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(done.rows_affected())
    }

    /// Counts a wrong proof against every working activation of the user; one past
    /// the limit is never counted, and a burnt code stays burnt.
    pub async fn count_activation_failure(
        &self,
        user: &str,
        max_failures: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE activations SET failures = failures + 1 \
             WHERE user_id = $1 AND used_at IS NULL AND failures < $2 AND expires_at > $3",
        )
        .bind(user)
        .bind(max_failures)
        .bind(now)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }
}

/// Marks an activation used if it still works; `false` if another call used it
/// first, or it expired or was burnt since it was read. On PostgreSQL the update
/// waits for a concurrent failure count and re-checks the row; on SQLite the caller's
/// `BEGIN IMMEDIATE` serialises it with them.
pub(crate) async fn use_activation(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    max_failures: i64,
    now: i64,
) -> Result<bool, StoreError> {
    // The code is erased at once: a used code is worth nothing to anyone.
    let done = sqlx::query(
        "UPDATE activations SET used_at = $1, code = '' \
         WHERE id = $2 AND used_at IS NULL AND failures < $3 AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .bind(max_failures)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
