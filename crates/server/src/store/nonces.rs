//! The replay cache for device-request nonces, in the database so every node sees it.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::batch::{self, Batch};
use super::{Store, StoreError};

/// A device call's header nonce, and until when it must be remembered (after that
/// the header fails the time check anyway).
#[derive(Debug, Clone)]
pub struct Nonce {
    pub value: String,
    pub expires_at: i64,
}

const REMEMBER: &str = "INSERT INTO nonces (device_id, nonce, expires_at) VALUES ($1, $2, $3) \
                        ON CONFLICT (device_id, nonce) DO NOTHING";

/// What `queue_remember`'s statement returns when it remembered the nonce.
const REMEMBERED: &str = "nonce remembered";

/// Queues remembering a nonce in a transaction's batch; `remembered` then says
/// whether it was new, or this device used it before (a replay). The primary key
/// makes two concurrent uses conflict: one transaction inserts, the other finds it
/// (PostgreSQL waits for the first to end).
pub(crate) fn queue_remember(
    batch: &mut Batch,
    device: &str,
    nonce: &Nonce,
) -> Result<(), StoreError> {
    batch.push_returning(&format!("{REMEMBER} RETURNING '{REMEMBERED}'"), |b| {
        b.bind(device)
            .bind(nonce.value.as_str())
            .bind(nonce.expires_at)
    })
}

/// Whether the batch's `queue_remember` remembered its nonce (`rows`: the batch's).
pub(crate) fn remembered(rows: &[AnyRow]) -> bool {
    batch::returned(rows, REMEMBERED)
}

impl Store {
    /// Remembers a nonce in a transaction of its own; `false` if this device used it
    /// before (a replay).
    pub async fn remember_nonce(&self, device: &str, nonce: &Nonce) -> Result<bool, StoreError> {
        let done = sqlx::query(REMEMBER)
            .bind(device)
            .bind(&nonce.value)
            .bind(nonce.expires_at)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets nonces whose header could no longer pass the time check anyway,
    /// and unlock challenges past their expiry.
    pub async fn prune_nonces(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM nonces WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *self.writer().await?)
            .await?;
        sqlx::query("DELETE FROM unlock_challenges WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *self.writer().await?)
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
        .execute(&mut *self.writer().await?)
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
