//! The replay cache for device-request nonces, in the database so every node sees it.

use sqlx::AnyConnection;

use super::{Store, StoreError};

impl Store {
    /// Remembers a nonce; `false` if this device used it before (a replay).
    pub async fn remember_nonce(
        &self,
        device: &str,
        nonce: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO nonces (device_id, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (device_id, nonce) DO NOTHING",
        )
        .bind(device)
        .bind(nonce)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets nonces whose header could no longer pass the time check anyway,
    /// and unlock challenges past their expiry.
    pub async fn prune_nonces(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM nonces WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM unlock_challenges WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn add_unlock_challenge(
        &self,
        challenge: &str,
        device: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO unlock_challenges (challenge, device_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(challenge)
        .bind(device)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Uses up a challenge inside `conn`'s transaction; `false` if it is unknown, another
/// device's, expired or used.
pub(crate) async fn take_unlock_challenge(
    conn: &mut AnyConnection,
    challenge: &str,
    device: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM unlock_challenges WHERE challenge = $1 AND device_id = $2 AND expires_at >= $3",
    )
    .bind(challenge)
    .bind(device)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
