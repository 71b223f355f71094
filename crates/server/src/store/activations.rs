//! One-time activation codes. The server needs the code itself to check the device's
//! HMAC proof, so it is kept only until used, expired or burnt.

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivationRow {
    pub id: String,
    pub user_id: String,
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user's activations that are neither used nor burnt, newest first.
    pub async fn open_activations(
        &self,
        user: &str,
        max_failures: i64,
    ) -> Result<Vec<ActivationRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, code, created_at, expires_at, failures, used_at FROM activations \
             WHERE user_id = $1 AND used_at IS NULL AND failures < $2 ORDER BY created_at DESC",
        )
        .bind(user)
        .bind(max_failures)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes activations that can no longer be used (used, expired or burnt), so
    /// no code stays in the database longer than it works.
    pub async fn prune_activations(&self, now: i64, max_failures: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM activations WHERE used_at IS NOT NULL OR expires_at <= $1 OR failures >= $2",
        )
        .bind(now)
        .bind(max_failures)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Counts a wrong proof against every open activation of the user.
    pub async fn count_activation_failure(&self, user: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE activations SET failures = failures + 1 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Marks an activation used; `false` if another call used it first.
pub(crate) async fn use_activation(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    // The code is erased at once: a used code is worth nothing to anyone.
    let done = sqlx::query(
        "UPDATE activations SET used_at = $1, code = '' WHERE id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
