//! Idempotency: the answer each decision envelope got, keyed by its hash.

use sqlx::AnyConnection;

use super::{Store, StoreError};

/// A stored answer: HTTP status and JSON body, replayed byte for byte.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredOutcome {
    pub http_status: i64,
    pub body: String,
}

impl Store {
    pub async fn decision_outcome(&self, hash: &str) -> Result<Option<StoredOutcome>, StoreError> {
        Ok(
            sqlx::query_as("SELECT http_status, body FROM decisions WHERE decision_hash = $1")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Records the answer a decision got; a concurrent identical decision keeps the first.
pub(crate) async fn record_outcome(
    conn: &mut AnyConnection,
    hash: &str,
    request: &str,
    device: &str,
    outcome: &StoredOutcome,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO decisions (decision_hash, request_id, device_id, http_status, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (decision_hash) DO NOTHING",
    )
    .bind(hash)
    .bind(request)
    .bind(device)
    .bind(outcome.http_status)
    .bind(&outcome.body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
